// The flush writes its values into the SQL text itself: the literals must be exactly what
// mysql2 would have bound, or a user agent with a quote could break (or inject into) a statement.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { bin, derivedRows, int, intList, rowsFormFor, str } from '../src/flush/sql-literal.js';

it('escapes strings exactly as mysql2 does', () => {
  const samples = ['', 'qBittorrent/4.6.5', "it's", 'a"b', 'back\\slash', 'nul\0byte', 'tab\tnl\nret\r', 'ctrl-z\x1a', 'bs\b', 'ünïcødé 🐈', "'; DROP TABLE users_main; --"];
  for (let c = 0; c < 256; c++) samples.push(`x${String.fromCharCode(c)}y`);
  for (const s of samples) assert.equal(str(s), mysql.escape(s), JSON.stringify(s));
});

it('writes Buffers as X-hex literals, as mysql2 does', () => {
  const id = Buffer.from(Array.from({ length: 20 }, (_, i) => (i * 53) % 256));
  assert.equal(bin(id), mysql.escape(id));
});

it('refuses anything but a safe integer', () => {
  assert.equal(int(-42), '-42');
  assert.equal(int(2 ** 53 - 1), '9007199254740991');
  for (const bad of [1.5, NaN, Infinity, 2 ** 53]) assert.throws(() => int(bad), RangeError);
  assert.equal(intList(new Set([3, 1, 2])), '3,1,2');
  assert.throws(() => intList([1, 0.5]), RangeError);
});

it('builds a derived table whose first row names the columns, in either form', () => {
  const rows = [['1', '2'], ['3', '4'], ['5', '6']];
  assert.equal(derivedRows(['ID', 'up'], rows, 'select'), 'SELECT 1 AS ID, 2 AS up UNION ALL SELECT 3,4 UNION ALL SELECT 5,6');
  assert.equal(derivedRows(['ID', 'up'], rows, 'values'), 'SELECT 1 AS ID, 2 AS up UNION ALL VALUES (3,4),(5,6)');
  assert.equal(derivedRows(['ID', 'up'], rows.slice(0, 1), 'values'), 'SELECT 1 AS ID, 2 AS up');
});

it('writes table value constructors only where the server takes them (MariaDB 10.3.3 and later)', () => {
  assert.equal(rowsFormFor('10.11.19-MariaDB-0+deb12u1'), 'values');
  assert.equal(rowsFormFor('10.3.3-MariaDB'), 'values');
  assert.equal(rowsFormFor('11.4.2-MariaDB-ubu2404'), 'values');
  assert.equal(rowsFormFor('10.3.2-MariaDB'), 'select');
  assert.equal(rowsFormFor('10.2.44-MariaDB'), 'select');
  // MySQL spells them VALUES ROW(...), from 8.0.19 only: the portable form there
  assert.equal(rowsFormFor('8.0.36'), 'select');
  assert.equal(rowsFormFor('5.7.44-log'), 'select');
  assert.equal(rowsFormFor(''), 'select');
});
