// mysql_host = localhost means the Unix socket, as libmysqlclient (and so Ocelot) has it.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeEndpoint, mysqlEndpoint } from '../src/connection.js';

const SOCKET = '/run/mysqld/mysqld.sock';

it("connects to 'localhost' through the socket, whatever the port", () => {
  for (const port of [0, 3306, 3307]) assert.deepEqual(mysqlEndpoint({ host: 'localhost', port, socket: SOCKET }), { socketPath: SOCKET });
  assert.equal(describeEndpoint(mysqlEndpoint({ host: 'localhost', port: 0, socket: SOCKET })), `unix:${SOCKET}`);
});

it('connects to every other host over TCP, port 0 meaning 3306', () => {
  for (const host of ['127.0.0.1', '::1', 'mysql', 'LOCALHOST', 'localhost.']) {
    assert.deepEqual(mysqlEndpoint({ host, port: 0, socket: SOCKET }), { host, port: 3306 }, host);
  }
  assert.deepEqual(mysqlEndpoint({ host: 'db', port: 3307, socket: SOCKET }), { host: 'db', port: 3307 });
  assert.equal(describeEndpoint(mysqlEndpoint({ host: 'db', port: 3307 })), 'db:3307');
});

it("uses TCP to 'localhost' when no socket is given", () => {
  assert.deepEqual(mysqlEndpoint({ host: 'localhost', port: 3306 }), { host: 'localhost', port: 3306 });
});
