// Parts of the harness that need no server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { findBinary, freePort, isPortFree, makeInfoHash, makePasskey, tryFindBinary } from '@oncilla/testkit';

test('findBinary finds executables on PATH and names the Debian package when missing', () => {
  assert.match(findBinary('sh'), /\/sh$/);
  assert.equal(tryFindBinary('oncilla-no-such-binary'), undefined);
  assert.throws(
    () => findBinary('oncilla-no-such-binary', { debianPackage: 'oncilla-pkg' }),
    /oncilla-no-such-binary not found on PATH or \/usr\/bin, \/usr\/sbin.*apt-get install -y oncilla-pkg/,
  );
});

test('findBinary honours an explicit env var, and rejects a bad one', () => {
  process.env.ONCILLA_TEST_BIN = '/bin/sh';
  try {
    assert.equal(findBinary('whatever', { envVar: 'ONCILLA_TEST_BIN' }), '/bin/sh');
    process.env.ONCILLA_TEST_BIN = '/nonexistent/x';
    assert.throws(() => findBinary('sh', { envVar: 'ONCILLA_TEST_BIN' }), /ONCILLA_TEST_BIN=\/nonexistent\/x is not an executable/);
  } finally {
    delete process.env.ONCILLA_TEST_BIN;
  }
});

test('freePort returns a port that can be bound', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});

test('isPortFree: true for a free port, false while something listens on it', async () => {
  const port = await freePort();
  assert.equal(await isPortFree(port), true);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  try {
    assert.equal(await isPortFree(port), false);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('makePasskey / makeInfoHash are deterministic and well-formed', () => {
  const keys = new Set<string>();
  const hashes = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const key = makePasskey(i);
    assert.match(key, /^[0-9a-f]{32}$/);
    keys.add(key);
    const hash = makeInfoHash(i);
    assert.equal(hash.length, 20);
    hashes.add(hash.toString('hex'));
  }
  assert.equal(keys.size, 1000);
  assert.equal(hashes.size, 1000);
  assert.equal(makePasskey(42), makePasskey(42));
  assert.ok(makeInfoHash(42).equals(makeInfoHash(42)));
});
