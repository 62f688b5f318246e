/**
 * FlushBatches.read against a real Redis: over the flush's own connection (a ScriptChannel)
 * it reads exactly what the client reads, across pages, and it falls back to the client when
 * the channel fails mid-read.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis } from '@oncilla/testkit';
import { FlushBatches, readerOf } from '../src/flush-batches.js';
import { loadTorrents } from '../src/list-loader.js';
import { RedisPeerStore } from '../src/redis-peer-store.js';
import { channelTarget, ScriptChannel } from '../src/script-channel.js';
import type { ScriptChannel as Channel } from '../src/script-channel.js';
import { input, IH, pk, TORRENTS } from './conformance.js';

it('a batch read over the flush\'s own connection equals the client\'s, pages and completions included; a failing channel falls back', async () => {
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  const channel = new ScriptChannel(channelTarget(server.url), 5000, 'flush-batches-test');
  try {
    await channel.connect();
    const store = new RedisPeerStore(redis, 'fb:');
    await loadTorrents(redis, store.keys, TORRENTS);
    // more peer rows than one HSCAN page (2000), and one completion
    const peers = 2300;
    for (let i = 0; i < peers; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, peers - i) }, (_, j) => {
        const peerId = Buffer.from(`-FB0001-${String(i + j).padStart(12, '0')}`);
        return store.announce(input({ passkey: pk('a'), peerId, event: 'started', port: 1024 + ((i + j) % 60000) }));
      }));
    }
    await store.announce(input({ passkey: pk('b'), peerId: Buffer.from('-FB0001-completes0001'.slice(0, 20)), event: 'completed', left: 0 }));

    const viaClient = new FlushBatches(redis, store.keys);
    const cut = await viaClient.begin(Math.floor(Date.now() / 1000));
    const batch = cut.find((b) => b.shard.shard === store.keys.torrent(IH).shard.shard);
    assert.ok(batch, 'the torrent\'s shard was cut');
    const expected = await viaClient.read(batch);
    assert.ok(expected.pending.length / 2 > 2000, `more than a page: ${expected.pending.length / 2} fields`);
    assert.equal(expected.snatches.length, 1);

    const viaChannel = new FlushBatches(redis, store.keys, readerOf(channel));
    assert.deepEqual(await viaChannel.read(batch), expected, 'the same fields, values and completions');

    let calls = 0;
    const failing = { call: () => (++calls === 2 ? Promise.reject(new Error('connection lost')) : channel.call(['HSCAN', batch.shard.batch, '0', 'COUNT', '10'])) } as unknown as Channel;
    const fallback = new FlushBatches(redis, store.keys, { forShard: () => failing });
    assert.deepEqual(await fallback.read(batch), expected, 'read again through the client, whole');
    assert.equal(calls, 2, 'the channel failed on its second page');

    await channel.close();
    assert.deepEqual(await viaChannel.read(batch), expected, 'a closed channel: the client');
  } finally {
    await channel.close();
    redis.disconnect();
    await server.cleanup();
  }
});
