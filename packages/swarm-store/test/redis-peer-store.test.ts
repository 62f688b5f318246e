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
