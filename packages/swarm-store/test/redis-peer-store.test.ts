import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { startRedis, startRedisCluster } from '@oncilla/testkit';
import { keySchema } from '../src/keys.js';
import { loadTorrents } from '../src/list-loader.js';
import { balanceChangeOf } from '../src/pending-rows.js';
import { RedisPeerStore } from '../src/redis-peer-store.js';
import { channelTarget, ScriptChannel } from '../src/script-channel.js';
import { SiteControl } from '../src/site-control.js';
import { peerStoreConformance } from './conformance.js';

for (const withChannel of [false, true]) peerStoreConformance(withChannel ? 'Redis, through the announce channel' : 'Redis, through ioredis', async () => {
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  const removed = new Set<number>();
  const channel = withChannel ? new ScriptChannel(channelTarget(server.url), 1000, 'test-announce') : undefined;
  await channel?.connect();
  const store = new RedisPeerStore(redis, 'test:', { skipUser: (uid) => removed.has(uid), channel });
  const control = new SiteControl(redis, store.keys);
  return {
    store,
    reset: async () => {
      removed.clear();
      await redis.flushall();
    },
    loadTorrents: async (t) => void (await loadTorrents(redis, store.keys, t)),
    deleteTorrent: async (ih, reason, time) => void (await control.deleteTorrent(ih, reason, time, 86400)),
    markUserRemoved: async (id) => void removed.add(id),
    close: async () => {
      await channel?.close();
      redis.disconnect();
      await server.cleanup();
    },
  };
});

// The same suite on a Redis Cluster (3 masters, 3 replicas): every script keeps to one slot, or
// the cluster refuses it with CROSSSLOT.
peerStoreConformance('Redis Cluster, through the cluster client', async () => {
  const cluster = await startRedisCluster({ appendonly: false });
  const redis = new Cluster([...cluster.seeds], { redisOptions: { maxRetriesPerRequest: 0 } });
  await new Promise((resolve) => redis.once('ready', resolve));
  const removed = new Set<number>();
  const store = new RedisPeerStore(redis, 'test:', { skipUser: (uid) => removed.has(uid) });
  const control = new SiteControl(redis, store.keys);
  return {
    store,
    reset: async () => {
      removed.clear();
      await Promise.all(redis.nodes('master').map((n) => n.flushall()));
    },
    loadTorrents: async (t) => void (await loadTorrents(redis, store.keys, t)),
    deleteTorrent: async (ih, reason, time) => void (await control.deleteTorrent(ih, reason, time, 86400)),
    markUserRemoved: async (id) => void removed.add(id),
    close: async () => {
      redis.disconnect();
      await cluster.cleanup();
    },
  };
});

it('writes a torrent row on every change, and an hourly heartbeat for a torrent that keeps announcing without one', async () => {
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  try {
    const store = new RedisPeerStore(redis, 'hb:');
    const k = keySchema('hb:');
    const infoHash = Buffer.alloc(20, 7);
    await loadTorrents(redis, k, [{ id: 9, infoHash, freeTorrent: 0, snatched: 0 }]);
    const t = k.torrent(infoHash);
    const announce = (event: 'started' | 'none', uploaded: number, left = 0) =>
      store.announce({
        infoHash, user: { uid: 1, canLeech: true, isProtected: false }, error: '', peerId: Buffer.from('-HB0001-000000000001'), event,
        left, uploaded, downloaded: 0, corrupt: 0, port: 6881, ipv4: Buffer.from([10, 0, 0, 1]), numwant: 0, plan: '',
        withPeerIds: false, userAgent: 'HB/1.0',
      });
    const tid = Buffer.from([0, 0, 0, 9]);
    const torrentRow = async (): Promise<string | null> => {
      const v = await redis.hgetBuffer(t.shard.pending, tid);
      return v === null ? null : v.toString('latin1');
    };
    const now = async (): Promise<number> => Number((await redis.time())[0]);

    await announce('started', 0);
    assert.equal(await torrentRow(), '1|0', 'a new peer changes the counts');
    const written = Number(await redis.hget(t.torrent, 'lr'));
    assert.ok(Math.abs(written - (await now())) <= 1, 'the time of the row is kept');

    await redis.del(t.shard.pending);
    await announce('none', 0);
    assert.equal(await torrentRow(), null, 'nothing changed and the last row is recent: no row');

    assert.ok(written > 0);
    // A transfer changes no counts: no torrent row; its balance change rides on the peer's row
    // (the flush writes the torrent's balance and last_action from it).
    await announce('none', 1000);
    assert.equal(await torrentRow(), null, 'a transfer alone: no torrent row');
    const peerRow = await redis.hgetBuffer(t.shard.pending, Buffer.concat([tid, Buffer.from([0, 0, 0, 1]), Buffer.from('-HB0001-000000000001')]));
    assert.equal(peerRow && balanceChangeOf(peerRow), 1000, 'the change rides on the peer\'s row');
    assert.equal(await redis.hexists(t.torrent, 'b'), 0, 'and is not written to the torrent\'s hash');

    // A row 30 s after the last recorded one leaves the recorded time alone (at most once a minute).
    const recent = (await now()) - 30;
    await redis.hset(t.torrent, 'lr', String(recent));
    await announce('none', 1000, 500);
    assert.equal(await torrentRow(), '0|1', 'the peer moved to the leechers: a row');
    assert.equal(Number(await redis.hget(t.torrent, 'lr')), recent, 'refreshed at most once a minute');

    // An hour without a row: the next announce writes one even though nothing changed.
    await redis.del(t.shard.pending);
    await redis.hset(t.torrent, 'lr', String((await now()) - 3601));
    await announce('none', 1000, 500);
    assert.equal(await torrentRow(), '0|1', 'the hourly heartbeat');
    assert.ok(Math.abs(Number(await redis.hget(t.torrent, 'lr')) - (await now())) <= 1, 'and its time is kept');

    // 59 minutes: no heartbeat yet.
    await redis.del(t.shard.pending);
    await redis.hset(t.torrent, 'lr', String((await now()) - 3540));
    await announce('none', 1000, 500);
    assert.equal(await torrentRow(), null);
  } finally {
    redis.disconnect();
    await server.cleanup();
  }
});
