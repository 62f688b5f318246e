/**
 * The handle layer is found on the Node the tracker runs on (Node 20: the Dockerfile's and CI's),
 * and a listening server's handle is taken only once it listens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { handleLayer, listenHandle } from '../src/http/tcp-handles.js';

test('this Node offers every piece of the handle layer the front door uses', () => {
  const layer = handleLayer();
  assert.equal(typeof layer, 'object', `missing: ${String(layer)}`);
  if (typeof layer === 'string') return;
  assert.equal(layer.EOF, -4095);
  assert.equal(typeof layer.newWriteRequest(), 'object');
  // looked up once: the same answer every time
  assert.equal(handleLayer(), layer);
});

test('a server has a handle to take over only while it listens', async () => {
  const server = net.createServer();
  assert.equal(listenHandle(server), undefined, 'not listening yet');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  assert.ok((server.address() as AddressInfo).port > 0);
  const h = listenHandle(server);
  assert.ok(h, 'listening');
  assert.equal(typeof h.onconnection, 'function');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.equal(listenHandle(server), undefined, 'closed');
});
