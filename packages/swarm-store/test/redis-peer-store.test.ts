import { Redis } from 'ioredis';
import { startRedis } from '@oncilla/testkit';
import { RedisPeerStore } from '../src/redis-peer-store.js';
import { replaceTorrents, replaceUsers, replaceWhitelist } from '../src/lists.js';
import { peerStoreConformance } from './conformance.js';

peerStoreConformance('Redis', async () => {
  const server = await startRedis();
  const redis = new Redis(server.url);
  const store = new RedisPeerStore(redis, 'test:');
  const keys = store.keys;
  return {
    store,
    reset: async () => void (await redis.flushall()),
    loadUsers: async (users) => void (await replaceUsers(redis, keys, users, 0)),
    loadTorrents: async (t) => void (await replaceTorrents(redis, keys, t)),
    loadWhitelist: async (p) => void (await replaceWhitelist(redis, keys, p)),
    deleteTorrent: async (ih, reason, time) => {
      await redis.hdel(keys.torrents, ih.toString('hex'));
      await redis.hset(keys.delReasons, ih.toString('hex'), `${reason}|${time}`);
    },
    markUserDeleted: async (id) => {
      await redis.zadd(keys.deletedUsers, 0, String(id));
      await redis.incr(keys.cacheEpoch);
    },
    close: async () => {
      redis.disconnect();
      await server.cleanup();
    },
  };
});

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { keySchema } from '../src/keys.js';

it('forgets deletion reasons after their lifetime, and removed users after their peers', async () => {
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  try {
    const store = new RedisPeerStore(redis, 'prune:');
    const k = keySchema('prune:');
    await redis.hset(k.delReasons, 'aa', '1|1000', 'bb', '2|5000');
    assert.equal(await store.pruneDeletionReasons(5100, 1000), 1);
    assert.deepEqual(await redis.hkeys(k.delReasons), ['bb']);
    await redis.zadd(k.deletedUsers, '100', '1', '900', '2');
    assert.equal(await store.pruneDeletedUsers(500), 1);
    assert.deepEqual(await redis.zrange(k.deletedUsers, '0', '-1'), ['2']);
  } finally {
    redis.disconnect();
    await server.cleanup();
  }
});

it('writes a torrent row on every change, and an hourly heartbeat for a torrent that keeps announcing without one', async () => {
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  try {
    const store = new RedisPeerStore(redis, 'hb:');
    const k = keySchema('hb:');
    const infoHash = Buffer.alloc(20, 7);
    await replaceUsers(redis, k, [{ id: 1, passkey: 'p'.repeat(32), canLeech: true, isProtected: false }], 0);
    await replaceTorrents(redis, k, [{ id: 9, infoHash, freeTorrent: 0, snatched: 0 }]);
    const state = k.torrent(infoHash.toString('hex')).state;
    const announce = (event: 'started' | 'none', uploaded: number) =>
      store.announce({
        passkey: 'p'.repeat(32), infoHash, preError: '', postError: '', peerId: Buffer.from('-HB0001-000000000001'), event,
        left: 0, uploaded, downloaded: 0, corrupt: 0, port: 6881, ipv4: Buffer.from([10, 0, 0, 1]), numwant: 0, plan: '',
        withPeerIds: false, ipText4: '10.0.0.1', ipText6: '', userAgent: 'HB/1.0',
      });
    const torrentRow = async (): Promise<string | null> => redis.hget(k.pending.torrents, '9');
    const now = async (): Promise<number> => Number((await redis.time())[0]);

    await announce('started', 0);
    assert.equal(await torrentRow(), '1|0|0', 'a new peer changes the counts');
    const written = Number(await redis.hget(state, 'lastflush'));
    assert.ok(Math.abs(written - (await now())) <= 1, 'the time of the row is kept');

    await redis.del(k.pending.torrents);
    await announce('none', 0);
    assert.equal(await torrentRow(), null, 'nothing changed and the last row is recent: no row');

    assert.ok(written > 0);
    // A row 30 s after the last recorded one leaves the recorded time alone (at most once a minute).
    const recent = (await now()) - 30;
    await redis.hset(state, 'lastflush', String(recent));
    await announce('none', 1000);
    assert.equal(await torrentRow(), '1|0|1000', 'a transfer moves the balance: a row');
    assert.equal(Number(await redis.hget(state, 'lastflush')), recent, 'refreshed at most once a minute');

    // An hour without a row: the next announce writes one even though nothing changed.
    await redis.del(k.pending.torrents);
    await redis.hset(state, 'lastflush', String((await now()) - 3601));
    await announce('none', 1000);
    assert.equal(await torrentRow(), '1|0|1000', 'the hourly heartbeat');
    assert.ok(Math.abs(Number(await redis.hget(state, 'lastflush')) - (await now())) <= 1, 'and its time is kept');

    // 59 minutes: no heartbeat yet.
    await redis.del(k.pending.torrents);
    await redis.hset(state, 'lastflush', String((await now()) - 3540));
    await announce('none', 1000);
    assert.equal(await torrentRow(), null);
  } finally {
    redis.disconnect();
    await server.cleanup();
  }
});
