/**
 * The scripts run as one Redis function library (FCALL), loaded on first need. These tests run
 * it on a real Redis: what happens when Redis does not have it (new, flushed, restarted without
 * persistence), through ioredis and through the announce channel, and that two versions of the
 * scripts live side by side on one Redis (a rolling upgrade, two clusters).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from '@oncilla/testkit';
import { keySchema } from '../src/keys.js';
import { loadTorrents } from '../src/list-loader.js';
import { RedisPeerStore } from '../src/redis-peer-store.js';
import { channelTarget, ScriptChannel } from '../src/script-channel.js';
import { buildLibrary, DEFAULT_SCRIPTS_DIR, loadScripts, scriptLibrary, Scripts } from '../src/scripts.js';
import type { AnnounceInput } from '../src/types.js';

const INFO_HASH = Buffer.alloc(20, 3);

function input(n: number): AnnounceInput {
  return {
    infoHash: INFO_HASH, user: { uid: n, canLeech: true, isProtected: false }, error: '',
    peerId: Buffer.from(`-FL0001-${String(n).padStart(12, '0')}`), event: 'started', left: 100, uploaded: 0, downloaded: 0,
    corrupt: 0, port: 6881, ipv4: Buffer.from([10, 0, 0, n]), numwant: 50, plan: 's4l4', withPeerIds: false, userAgent: 'FL/1.0',
  };
}

async function libraries(redis: Redis): Promise<string[]> {
  const list = (await redis.call('FUNCTION', 'LIST')) as unknown[][];
  return list.map((entry) => String(entry[entry.indexOf('library_name') + 1])).sort();
}

it('a Redis without the library gets it at the first call, once for calls that meet it together, and again after FUNCTION FLUSH', async () => {
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  try {
    const store = new RedisPeerStore(redis, 'fl:');
    await loadTorrents(redis, store.keys, [{ id: 1, infoHash: INFO_HASH, freeTorrent: 0, snatched: 0 }]);
    // (loading the torrents ran a script, so the library is there: drop it)
    await redis.call('FUNCTION', 'FLUSH');
    assert.deepEqual(await libraries(redis), []);
    await redis.config('RESETSTAT');
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.announce(input(i + 1))));
    assert.deepEqual(outcomes.map((o) => o.kind), Array(20).fill('ok'));
    assert.deepEqual(await libraries(redis), [scriptLibrary().name]);
    const stats = await redis.info('commandstats');
    assert.match(stats, /cmdstat_function\|load:calls=1,/, 'twenty calls met the missing library: one load');
    assert.match(stats, /cmdstat_fcall:calls=40,/, 'each ran twice: refused, then run (nothing ran the first time)');

    await redis.call('FUNCTION', 'FLUSH');
    const again = await store.announce({ ...input(30), event: 'none' });
    assert.equal(again.kind, 'ok');
    assert.equal(again.kind === 'ok' && again.leechers, 21, 'every earlier announce counted once: 20, and this one');
  } finally {
    redis.disconnect();
    await server.cleanup();
  }
});

it('through the announce channel too: Redis restarted without persistence has lost the library, the next announce loads it', async () => {
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  const channel = new ScriptChannel(channelTarget(server.url), 1000, 'test-announce');
  await channel.connect();
  try {
    const store = new RedisPeerStore(redis, 'fl:', { channel });
    const torrents = [{ id: 1, infoHash: INFO_HASH, freeTorrent: 0 as const, snatched: 0 }];
    await loadTorrents(redis, store.keys, torrents);
    assert.equal((await store.announce(input(1))).kind, 'ok');
    await server.restart();
    await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
    assert.deepEqual(await libraries(redis), [], 'the restart lost it (and the torrents)');
    // the channel reconnects on its own; wait for it rather than for time
    while (!channel.ready) await new Promise((resolve) => setImmediate(resolve));
    // the script ran: it found the shard's lists missing
    assert.equal((await store.announce(input(2))).kind, 'unavailable');
    assert.deepEqual(await libraries(redis), [scriptLibrary().name]);
    await loadTorrents(redis, store.keys, torrents);
    assert.equal((await store.announce(input(2))).kind, 'ok');
  } finally {
    await channel.close();
    redis.disconnect();
    await server.cleanup();
  }
});

it('two versions of the scripts run side by side on one Redis, neither replacing the other', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oncilla-scripts-'));
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  try {
    cpSync(DEFAULT_SCRIPTS_DIR, dir, { recursive: true });
    // the other version: releaseLease answers 7 whatever happens
    writeFileSync(join(dir, 'releaseLease-1.lua'), 'return 7\n');
    const other = buildLibrary(loadScripts(dir), dir);
    const ours = scriptLibrary();
    assert.notEqual(other.name, ours.name);
    assert.notEqual(other.functions.get('releaseLease'), ours.functions.get('releaseLease'));
    await redis.call('FUNCTION', 'LOAD', other.code);
    const scripts = new Scripts(redis);
    assert.equal(await scripts.call('releaseLease', ['fl:{g}lease'], ['me']), 0, 'ours: no lease held, nothing released');
    assert.equal(await redis.call('FCALL', other.functions.get('releaseLease') ?? '', 1, 'fl:{g}lease', 'me'), 7, 'the other still runs its own');
    assert.deepEqual(await libraries(redis), [other.name, ours.name].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
    redis.disconnect();
    await server.cleanup();
  }
});

it('every include is defined once, at the library\'s top level; each script is a function named with the code\'s hash', () => {
  const lib = scriptLibrary();
  const hash = lib.name.replace(/^oncilla_/, '');
  assert.match(hash, /^[0-9a-f]{12}$/);
  assert.ok(lib.code.startsWith(`#!lua name=${lib.name}\n`));
  assert.equal((lib.code.match(/local function unpackPeer\(/g) ?? []).length, 1, 'announce, reap and the rest share one unpackPeer');
  const firstScript = lib.code.indexOf('local function script_');
  assert.ok(lib.code.indexOf('local function unpackPeer(') < firstScript, 'the includes come before every script');
  assert.doesNotMatch(lib.code, /@include/);
  for (const s of loadScripts()) assert.equal(lib.functions.get(s.name), `${s.name}_${hash}`);
  assert.match(lib.code, /function_name = 'scrape_[0-9a-f]{12}', callback = script_scrape, flags = \{ 'no-writes' \}/);
  assert.match(lib.code, /function_name = 'announce_[0-9a-f]{12}', callback = script_announce, flags = \{  \}/);
  // the same files give the same library; the hash follows the code
  assert.equal(buildLibrary(loadScripts()).code, lib.code);
  assert.ok(readFileSync(join(DEFAULT_SCRIPTS_DIR, 'scrape.lua'), 'utf8').includes('--- @flags no-writes'));
});
