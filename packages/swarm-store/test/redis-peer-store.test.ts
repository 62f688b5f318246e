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
