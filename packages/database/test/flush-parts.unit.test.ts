// Server-free tests of the flush writer's pure pieces: how a batch is cut into parts, how
// MySQL errors are classified, how values are fitted to their columns.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from 'mysql2/promise';
import { applyBatch, classifyMysqlError, isTransientMysqlError, type FlushBatch } from '../src/index.js';
import { flushLanes } from '../src/flush-writer.js';
import { buildParts, type Part } from '../src/flush/parts.js';
import { PEERS } from '../src/flush/tables.js';
import { canonical, fitChars } from '../src/flush/values.js';
import { baseBatch, bigBatch, captureLog, peer, pid } from './fixtures.js';

const rowsOf = (p: Part): unknown[] => Array.from({ length: p.size }, (_, i) => p.rejected(i, '').row);

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('flushLanes', () => {
  it('puts users_main and torrents each in a lane of its own, and the other tables together, batch by batch', () => {
    const lanes = flushLanes([baseBatch('S1'), baseBatch('S2')], 1000);
    assert.deepEqual(lanes.map((lane) => lane.map((p) => p.id)), [
      ['S1:users_main:0', 'S2:users_main:0'],
      ['S1:torrents:0', 'S2:torrents:0'],
      [
        ...['xbt_files_users', 'xbt_snatched', 'users_freeleeches', 'users_freetorrents', 'users_torrents'].map((t) => `S1:${t}:0`),
        ...['xbt_files_users', 'xbt_snatched', 'users_freeleeches', 'users_freetorrents', 'users_torrents'].map((t) => `S2:${t}:0`),
      ],
    ]);
  });

  it('leaves out a lane with no parts', () => {
    const onlyUsers: FlushBatch = { id: 'U', users: [{ uid: 1, uploaded: 1, downloaded: 0 }], torrents: [], peers: [], snatches: [], tokens: [], freeTorrents: [], userTorrents: [] };
    assert.deepEqual(flushLanes([onlyUsers], 1000).map((lane) => lane.map((p) => p.id)), [['U:users_main:0']]);
  });
});

describe('buildParts', () => {
  it('cuts each table into chunks in table order, with ids batch:table:index', () => {
    const parts = buildParts(bigBatch('B'), 3);
    assert.deepEqual(
      parts.map((p) => `${p.id}/${p.size}`),
      [
        'B:users_main:0/3', 'B:users_main:1/3',
        'B:torrents:0/3', 'B:torrents:1/1',
        ...Array.from({ length: 8 }, (_, i) => `B:xbt_files_users:${i}/3`), 'B:xbt_files_users:8/1',
        'B:xbt_snatched:0/3', 'B:xbt_snatched:1/3', 'B:xbt_snatched:2/1',
        'B:users_freeleeches:0/3', 'B:users_freeleeches:1/1',
        'B:users_freetorrents:0/3', 'B:users_freetorrents:1/2',
        'B:users_torrents:0/3', 'B:users_torrents:1/3', 'B:users_torrents:2/2',
      ],
    );
    assert.deepEqual(buildParts(baseBatch('X'), 1000).map((p) => p.table), [
      'users_main', 'torrents', 'xbt_files_users', 'xbt_snatched', 'users_freeleeches', 'users_freetorrents', 'users_torrents',
    ]);
  });

  it('gives the same parts, rows in the same positions, whatever order the rows come in', () => {
    const batch = bigBatch('B');
    const reordered: FlushBatch = {
      id: 'B',
      users: shuffled(batch.users, 1),
      torrents: shuffled(batch.torrents, 2),
      peers: shuffled(batch.peers, 3),
      snatches: shuffled(batch.snatches, 4),
      tokens: shuffled(batch.tokens, 5),
      freeTorrents: shuffled(batch.freeTorrents, 6),
      userTorrents: shuffled(batch.userTorrents, 7),
    };
    const a = buildParts(batch, 3);
    const b = buildParts(reordered, 3);
    assert.deepEqual(b.map((p) => p.id), a.map((p) => p.id));
    assert.deepEqual(b.map(rowsOf), a.map(rowsOf));
  });

  it('orders by primary key: peers by (peer_id, tid, uid), users_torrents by (tid, uid), snatches by (uid, tid, time)', () => {
    const batch: FlushBatch = {
      ...baseBatch('K'),
      peers: [
        peer({ kind: 'light', uid: 1, tid: 2, peerId: pid('B') }),
        peer({ kind: 'light', uid: 2, tid: 1, peerId: pid('B') }),
        peer({ kind: 'light', uid: 1, tid: 1, peerId: pid('B') }),
        peer({ kind: 'light', uid: 9, tid: 9, peerId: pid('A') }),
      ],
      userTorrents: [
        { uid: 1, tid: 2, seedtime: 0, downloaded: 0, uploaded: 0, realDownloaded: 0, realUploaded: 0, snatched: 0 },
        { uid: 2, tid: 1, seedtime: 0, downloaded: 0, uploaded: 0, realDownloaded: 0, realUploaded: 0, snatched: 0 },
        { uid: 1, tid: 1, seedtime: 0, downloaded: 0, uploaded: 0, realDownloaded: 0, realUploaded: 0, snatched: 0 },
      ],
      snatches: [
        { uid: 2, tid: 1, time: 5, ip: '', ipv6: '' },
        { uid: 1, tid: 1, time: 9, ip: '', ipv6: '' },
        { uid: 1, tid: 1, time: 3, ip: '', ipv6: '' },
      ],
    };
    const parts = buildParts(batch, 1000);
    const part = (t: string): Part => parts.find((p) => p.table === t) ?? assert.fail(t);
    const peers = part('xbt_files_users');
    assert.deepEqual(
      Array.from({ length: peers.size }, (_, i) => [peers.userOf(i), peers.torrentOf(i)]),
      [[9, 9], [1, 1], [2, 1], [1, 2]],
    );
    const ut = part('users_torrents');
    assert.deepEqual(Array.from({ length: ut.size }, (_, i) => [ut.torrentOf(i), ut.userOf(i)]), [[1, 1], [1, 2], [2, 1]]);
    assert.deepEqual(rowsOf(part('xbt_snatched')).map((r) => (r as { time: number }).time), [3, 9, 5]);
  });

  it('sorts peers by their numeric key exactly as PEERS.compare would, ties and odd rows included', () => {
    const kinds = ['heavy', 'light', 'deactivate'] as const;
    const rows = Array.from({ length: 400 }, (_, i) => {
      const id = Buffer.from(pid(String(i % 37)));
      id[19] = (i * 97) % 256; // bytes beyond ASCII too
      return peer({ kind: kinds[i % 3], uid: (i * 7919) % 2 ** 32 || 2 ** 32 - 1, tid: i % 5 === 0 ? 65536 * (i % 7) + 1 : i % 11, peerId: id, uploaded: i % 4 });
    });
    rows.push(peer({ kind: 'heavy', uid: 3, tid: 3, peerId: pid('dup') }), peer({ kind: 'heavy', uid: 3, tid: 3, peerId: pid('dup'), uploaded: 1 }));
    // the order buildParts must reproduce: the comparator, ties broken on the canonical text
    const byComparator = (xs: typeof rows): typeof rows =>
      [...xs].sort((a, b) => PEERS.compare(a, b) || (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0));
    const batch: FlushBatch = { ...baseBatch('K'), users: [], torrents: [], snatches: [], tokens: [], freeTorrents: [], userTorrents: [], peers: shuffled(rows, 5) };
    assert.deepEqual(buildParts(batch, 10_000).flatMap(rowsOf), byComparator(rows));
    // a row the key cannot encode (a peer id of the wrong size) sends the whole table to compare
    const odd = [...rows, peer({ kind: 'heavy', uid: 1, tid: 1, peerId: Buffer.from('short') })];
    assert.deepEqual(buildParts({ ...batch, peers: shuffled(odd, 9) }, 10_000).flatMap(rowsOf), byComparator(odd));
  });

  it('checks users only for users_main, torrents only for torrents, both for the rest', () => {
    const parts = buildParts(baseBatch('R'), 1000);
    const refs = parts.map((p) => [p.table, p.userOf(0) !== undefined, p.torrentOf(0) !== undefined]);
    assert.deepEqual(refs, [
      ['users_main', true, false],
      ['torrents', false, true],
      ['xbt_files_users', true, true],
      ['xbt_snatched', true, true],
      ['users_freeleeches', true, true],
      ['users_freetorrents', true, true],
      ['users_torrents', true, true],
    ]);
  });

  it('flags rows no column can take', () => {
    const batch: FlushBatch = {
      ...baseBatch('V'),
      users: [{ uid: 1, uploaded: Number.NaN, downloaded: 0 }, { uid: 2, uploaded: 1.5, downloaded: 0 }, { uid: 3, uploaded: 2 ** 60, downloaded: 0 }],
      peers: [peer({ kind: 'heavy', uid: 1, tid: 1, peerId: Buffer.alloc(19) })],
    };
    const [users, , peers] = buildParts(batch, 1000);
    assert.deepEqual([0, 1, 2].map((i) => users.invalid(i)), ['invalid uploaded NaN', 'invalid uploaded 1.5', `invalid uploaded ${2 ** 60}`]);
    assert.equal(peers.invalid(0), 'invalid peer_id (19 bytes)');
  });
});

describe('classifyMysqlError', () => {
  const cases: [string, object, string][] = [
    ['connection refused', { code: 'ECONNREFUSED', errno: -111 }, 'transient'],
    ['connection lost', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, 'transient'],
    ['statement timeout', { code: 'PROTOCOL_SEQUENCE_TIMEOUT', fatal: true }, 'transient'],
    ['plain Error', new Error('closed state'), 'transient'],
    ['lock wait timeout', { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205, sqlState: 'HY000' }, 'transient'],
    ['server shutdown', { code: 'ER_SERVER_SHUTDOWN', errno: 1053, sqlState: '08S01' }, 'transient'],
    ['read-only replica', { code: 'ER_OPTION_PREVENTS_STATEMENT', errno: 1290, sqlState: 'HY000' }, 'transient'],
    ['deadlock', { code: 'ER_LOCK_DEADLOCK', errno: 1213, sqlState: '40001' }, 'deadlock'],
    ['out of range in expression', { code: 'ER_DATA_OUT_OF_RANGE', errno: 1690, sqlState: '22003' }, 'data'],
    ['invalid enum (strict)', { code: 'WARN_DATA_TRUNCATED', errno: 1265, sqlState: '01000' }, 'data'],
    ['no default', { code: 'ER_NO_DEFAULT_FOR_FIELD', errno: 1364, sqlState: 'HY000' }, 'data'],
    ['too long', { code: 'ER_DATA_TOO_LONG', errno: 1406, sqlState: '22001' }, 'data'],
    ['duplicate', { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' }, 'data'],
    ['unknown column', { code: 'ER_BAD_FIELD_ERROR', errno: 1054, sqlState: '42S22' }, 'other'],
    ['no such table', { code: 'ER_NO_SUCH_TABLE', errno: 1146, sqlState: '42S02' }, 'other'],
  ];
  for (const [name, err, kind] of cases) {
    it(`${name} -> ${kind}`, () => {
      assert.equal(classifyMysqlError(err), kind);
      assert.equal(isTransientMysqlError(err), kind === 'transient' || kind === 'deadlock');
    });
  }
});

describe('fitChars', () => {
  it('cuts by characters, never inside a surrogate pair', () => {
    assert.equal(fitChars('abc', 5), 'abc');
    assert.equal(fitChars('é'.repeat(60), 51), 'é'.repeat(51));
    assert.equal(fitChars('😀'.repeat(60), 51), '😀'.repeat(51));
  });
});

describe('applyBatch argument checks (no server)', () => {
  // Nothing listens on port 1: any attempt to connect would fail the test.
  const pool = createPool({ host: '127.0.0.1', port: 1, user: 'x', connectTimeout: 200 });
  const opts = { log: captureLog().log };

  it('does not connect for an empty batch', async () => {
    const empty: FlushBatch = { id: 'E', users: [], torrents: [], peers: [], snatches: [], tokens: [], freeTorrents: [], userTorrents: [] };
    assert.deepEqual(await applyBatch(pool, empty, opts), { parts: 0, applied: 0, skipped: 0, rows: 0, rejected: 0 });
  });

  it('refuses batch ids the log cannot hold and bad chunk sizes', async () => {
    await assert.rejects(applyBatch(pool, baseBatch('x'.repeat(65)), opts), RangeError);
    await assert.rejects(applyBatch(pool, baseBatch('bätch'), opts), RangeError);
    await assert.rejects(applyBatch(pool, baseBatch(''), opts), RangeError);
    await assert.rejects(applyBatch(pool, baseBatch('ok'), { ...opts, chunkSize: 0 }), RangeError);
    await assert.rejects(applyBatch(pool, baseBatch('ok'), { ...opts, chunkSize: 4001 }), RangeError);
  });

  it('rejects with a transient error when MySQL is unreachable', async () => {
    await assert.rejects(applyBatch(pool, baseBatch('ok'), opts), (err) => isTransientMysqlError(err));
    await pool.end();
  });
});
