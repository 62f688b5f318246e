/**
 * The announce script's accounting rules against a real Redis, read back the way the flush
 * reads them (readBatch): what a peer's announces credit, in whatever order they arrive, and
 * that no sum ever leaves the range a double holds exactly.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '@oncilla/testkit';
import type { FlushBatch } from '@oncilla/rows';
import { keySchema } from '../src/keys.js';
import { loadTorrents } from '../src/list-loader.js';
import { balanceChangeOf, readBatch } from '../src/pending-rows.js';
import { agePeerRecord } from '../src/peer-record.js';
import { RedisPeerStore, type PeerStoreOptions } from '../src/redis-peer-store.js';
import type { AnnounceOutcome } from '../src/types.js';
import { IH, IH2, input, pid, pk, TORRENTS, v4, v6 } from './conformance.js';

const PREFIX = 'acc:';
const k = keySchema(PREFIX);
const MAX = Number.MAX_SAFE_INTEGER;

type Ok = Extract<AnnounceOutcome, { kind: 'ok' }>;
function ok(o: AnnounceOutcome): Ok {
  assert.equal(o.kind, 'ok', `expected ok, got ${JSON.stringify(o)}`);
  return o as Ok;
}

describe('accounting rules of the announce script', () => {
  let server: RedisServer;
  let redis: Redis;

  before(async () => {
    server = await startRedis({ appendonly: false });
    redis = new Redis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    await server?.cleanup();
  });
  beforeEach(async () => {
    await redis.flushall();
    await loadTorrents(redis, k, TORRENTS);
  });

  const store = (o: PeerStoreOptions = {}): RedisPeerStore => new RedisPeerStore(redis, PREFIX, o);
  const alice = { passkey: pk('a'), peerId: pid(1) };
  const counters = (uploaded: number, downloaded: number, event: 'started' | 'stopped' | 'none' = 'none') => input({ ...alice, uploaded, downloaded, event });

  /** Every shard's pending rows as the flush would read them. */
  async function pending(): Promise<FlushBatch> {
    const flat: Buffer[] = [];
    for (const s of k.shards()) {
      const h = await redis.hgetallBuffer(s.pending);
      for (const [f, v] of Object.entries(h)) flat.push(Buffer.from(f, 'latin1'), v);
    }
    return readBatch('test', { pending: flat, snatches: [] });
  }
  const credited = async (uid = 1): Promise<[number, number]> => {
    const u = (await pending()).users.find((r) => r.uid === uid);
    return [u?.uploaded ?? 0, u?.downloaded ?? 0];
  };

  /** Makes the peer's stored announce `seconds` older (the record's first and last announce times). */
  const age = (seconds: number, peerId = alice.peerId, uid = 1, infoHash = IH): Promise<void> => agePeerRecord(redis, k.torrent(infoHash), uid, peerId, seconds);

  it('credits nothing for an announce older than the stored one, and keeps the baseline', async () => {
    const s = store();
    ok(await s.announce(counters(0, 0, 'started')));
    ok(await s.announce(counters(2000, 1000)));
    // the announce sent before the one above arrives after it (another worker, a retry)
    const late = ok(await s.announce(counters(1000, 500)));
    assert.equal(late.stale, true, 'seen as older than the stored announce');
    ok(await s.announce(counters(3000, 1500)));
    assert.deepEqual(await credited(), [3000, 1500], 'exactly the final counters (Ocelot\'s reset would credit 4000 / 2000)');
  });

  it('a replayed started or stopped changes nothing', async () => {
    const s = store();
    ok(await s.announce(counters(0, 0, 'started')));
    ok(await s.announce(counters(1000, 100)));
    assert.equal(ok(await s.announce(counters(0, 0, 'started'))).stale, true);
    ok(await s.announce(counters(2000, 200)));
    const stop = ok(await s.announce(counters(1500, 150, 'stopped')));
    assert.equal(stop.stale, true);
    assert.equal(stop.leechers, 1, 'the peer is still in the swarm: its stored announce is newer than that stop');
    assert.deepEqual(await credited(), [2000, 200]);
    ok(await s.announce(counters(2500, 250, 'stopped')));
    assert.deepEqual(await credited(), [2500, 250]);
  });

  it('resets the baseline when the counters are behind after a long gap (a restarted client), as Ocelot', async () => {
    const s = store();
    ok(await s.announce(counters(0, 0, 'started')));
    ok(await s.announce(counters(5000, 500)));
    await age(59);
    assert.equal(ok(await s.announce(counters(100, 10))).stale, true, 'within a minute: still an older announce');
    assert.deepEqual(await credited(), [5000, 500]);
    await age(2);
    assert.equal(ok(await s.announce(counters(100, 10))).stale, false, 'a minute on: a restarted client');
    ok(await s.announce(counters(300, 30)));
    assert.deepEqual(await credited(), [5200, 520], 'the reset credits nothing, the next announce its delta');
  });

  it('takes the address of an older announce (the other family of a dual-stack client)', async () => {
    const s = store();
    const dual = { ...alice, left: 0 };
    ok(await s.announce(input({ ...dual, event: 'started', ipv4: v4(1, 1, 1, 1) })));
    ok(await s.announce(input({ ...dual, uploaded: 1000, ipv4: v4(1, 1, 1, 1) })));
    // the IPv6 announce was sent a moment earlier, with smaller counters
    assert.equal(ok(await s.announce(input({ ...dual, uploaded: 990, ipv6: v6(1) }))).stale, true);
    const on4 = ok(await s.announce(input({ passkey: pk('b'), peerId: pid(2), ipv4: v4(2, 2, 2, 2) })));
    const on6 = ok(await s.announce(input({ passkey: pk('c'), peerId: pid(3), ipv6: v6(3) })));
    assert.equal(on4.peers.subarray(0, 4).toString('hex'), '01010101', 'alice on IPv4');
    assert.equal(on6.peers6.subarray(0, 16).toString('hex'), v6(1).toString('hex'), 'and on IPv6');
    assert.deepEqual(await credited(), [1000, 0]);
  });

  it('does not credit a transfer over the limits', async () => {
    const s = store({ maxRate: 1000, maxTransfer: 10_000 });
    ok(await s.announce(counters(0, 0, 'started')));
    const huge = ok(await s.announce(counters(MAX, 0)));
    assert.equal(huge.refusedTransfer, true);
    assert.deepEqual(await credited(), [0, 0]);
    await age(100);
    const fine = ok(await s.announce(counters(MAX, 5000)));
    assert.equal(fine.refusedTransfer, false, '5000 bytes in 100 s is under both limits');
    await age(100);
    assert.equal(ok(await s.announce(counters(MAX, 15_001))).refusedTransfer, true, 'over the 10 000 bytes of one announce');
    await age(100);
    assert.equal(ok(await s.announce(counters(MAX, 25_001))).refusedTransfer, false, 'the baseline moved with the refused announce');
    assert.deepEqual(await credited(), [0, 15_000]);
    s.setLimits({ maxRate: 0, maxTransfer: 0 });
    assert.equal(ok(await s.announce(counters(MAX, 10 ** 12))).refusedTransfer, false, 'limits can be lifted');
  });

  it('stops every sum at 2^53 - 1, so the flush reads exact values', async () => {
    const s = store();
    // one absurd counter, twice in one pending row (a reset between), on two torrents
    for (const [infoHash, downloaded] of [[IH, MAX], [IH2, 0]] as const) {
      ok(await s.announce(input({ ...alice, infoHash, event: 'started' })));
      ok(await s.announce(input({ ...alice, infoHash, uploaded: MAX, downloaded })));
      await age(120, alice.peerId, 1, infoHash);
      ok(await s.announce(input({ ...alice, infoHash })));
      ok(await s.announce(input({ ...alice, infoHash, uploaded: MAX, downloaded })));
    }
    const b = await pending();
    assert.deepEqual(b.users, [{ uid: 1, uploaded: MAX, downloaded: MAX }], 'summed over both torrents, capped');
    const ut = (tid: number) => b.userTorrents.find((r) => r.tid === tid);
    assert.deepEqual([ut(10)?.uploaded, ut(10)?.downloaded, ut(10)?.realUploaded, ut(10)?.realDownloaded], [MAX, MAX, MAX, MAX]);
    assert.deepEqual([ut(11)?.uploaded, ut(11)?.realUploaded], [MAX, MAX]);
    assert.equal(b.torrents.find((t) => t.tid === 11)?.balanceChange, MAX, 'the balance change is capped too');
    for (const p of b.peers) assert.ok(p.upspeed <= 2 ** 32 - 1 && p.downspeed <= 2 ** 32 - 1);
  });

  it('takes its time from the worker: seed time and speeds follow it, and never run backwards for a clock behind', async () => {
    let now = 1_800_000_000;
    const s = store({ clock: () => now });
    ok(await s.announce(input({ ...alice, event: 'started', left: 0 })));
    now += 100;
    ok(await s.announce(input({ ...alice, left: 0, uploaded: 5000 })));
    const first = await pending();
    const ut = (b: FlushBatch) => b.userTorrents.find((r) => r.uid === 1 && r.tid === 10);
    assert.equal(ut(first)?.seedtime, 100, 'seed time is the gap between the two times given');
    assert.equal(first.peers[0].upspeed, 50, '5000 bytes in 100 s');
    assert.equal(first.peers[0].mtime, now, 'the row carries the time given');
    for (const sh of k.shards()) await redis.del(sh.pending);
    // another worker whose reading of the clock is 3 s behind the one that stored the record
    const behind = store({ clock: () => now - 3 });
    ok(await behind.announce(input({ ...alice, left: 0, uploaded: 6000 })));
    const second = await pending();
    assert.equal(ut(second)?.seedtime ?? 0, 0, 'no negative seed time');
    assert.equal(second.peers[0].mtime, now, 'the stored time does not go back');
    assert.deepEqual(await credited(), [1000, 0], 'the bytes are credited all the same');
  });

  it('the torrent\'s balance change is its peers\' uploaded - downloaded - corrupt, carried on their rows', async () => {
    const s = store();
    const bob = { passkey: pk('b'), peerId: pid(2) };
    ok(await s.announce(input({ ...alice, event: 'started' })));
    ok(await s.announce(input({ ...bob, event: 'started' })));
    ok(await s.announce(input({ ...alice, uploaded: 5000, downloaded: 1000, corrupt: 100 })));
    ok(await s.announce(input({ ...alice, uploaded: 6000, downloaded: 1000, corrupt: 100 })));
    ok(await s.announce(input({ ...bob, downloaded: 3000 })));
    const t = (await pending()).torrents.find((r) => r.tid === 10);
    assert.equal(t?.balanceChange, 6000 - 1000 - 100 - 3000);
    assert.equal(await redis.hexists(k.torrent(IH).torrent, 'b'), 0, 'Redis keeps no balance');
  });

  it('after a flush, a transfer writes its peer\'s row whole and no torrent row; the flush reads the torrent as touched, without counts', async () => {
    const s = store();
    ok(await s.announce(input({ ...alice, event: 'started' })));
    ok(await s.announce(input({ ...alice, uploaded: 1000, downloaded: 200 })));
    const first = await pending();
    assert.equal(first.torrents.find((r) => r.tid === 10)?.noCounts, false, 'the new peer changed the counts');
    for (const sh of k.shards()) await redis.del(sh.pending);
    ok(await s.announce(input({ ...alice, uploaded: 1500, downloaded: 300 })));
    const b = await pending();
    assert.deepEqual(b.users, [{ uid: 1, uploaded: 500, downloaded: 100 }], 'only what came after the flush');
    assert.deepEqual(b.torrents, [{ tid: 10, seeders: 0, leechers: 0, noCounts: true, balanceChange: 400, snatched: 0 }]);
    assert.equal(b.peers.length, 1);
    assert.equal(b.peers[0].uploaded, 1500);
    ok(await s.announce(input({ ...alice, uploaded: 1700, downloaded: 300 })));
    const again = await pending();
    assert.deepEqual(again.users, [{ uid: 1, uploaded: 700, downloaded: 100 }], 'a second announce sums into the row the first left');
    assert.equal(again.torrents[0].balanceChange, 600);
  });

  it('while the flush is behind, a peer\'s pending row is read first, not found by an HSETNX; the sums are the same', async () => {
    const hsetnx = async (): Promise<number> => Number(/cmdstat_hsetnx:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const s = store();
    ok(await s.announce(input({ ...alice, event: 'started' })));
    ok(await s.announce(input({ ...alice, uploaded: 1000 })));
    await redis.config('RESETSTAT');
    ok(await s.announce(input({ ...alice, uploaded: 1500 })));
    assert.equal(await hsetnx(), 1, 'not told: an HSETNX that finds the row');
    s.setFlushBehind(true);
    await redis.config('RESETSTAT');
    ok(await s.announce(input({ ...alice, uploaded: 1800 })));
    assert.equal(await hsetnx(), 0, 'told: the row is read first');
    assert.deepEqual(await credited(), [1800, 0], 'every transfer credited once');
    for (const sh of k.shards()) await redis.del(sh.pending);
    s.setFlushBehind(false);
    await redis.config('RESETSTAT');
    ok(await s.announce(input({ ...alice, uploaded: 1900 })));
    assert.equal(await hsetnx(), 1, 'caught up, nothing pending: one HSETNX writes the row');
    assert.deepEqual(await credited(), [100, 0]);
  });

  it('reads and extends a pending row written before rows carried the balance change (a rolling upgrade)', async () => {
    const s = store();
    ok(await s.announce(input({ ...alice, event: 'started' })));
    ok(await s.announce(input({ ...alice, uploaded: 4000, downloaded: 1000 })));
    const shard = k.torrent(IH).shard.pending;
    const field = Buffer.concat([Buffer.from([0, 0, 0, 10, 0, 0, 0, 1]), alice.peerId]);
    const row = await redis.hgetBuffer(shard, field);
    assert.ok(row);
    assert.equal(balanceChangeOf(row), 3000);
    // the same row as the version before wrote it: nothing between the user agent and the accounting block
    const at = row.length - 56 - 8;
    const old = Buffer.concat([row.subarray(0, at), row.subarray(at + 8)]);
    await redis.hset(shard, field, old);
    const before = await pending();
    assert.equal(balanceChangeOf(old), 0);
    assert.deepEqual(before.users, [{ uid: 1, uploaded: 4000, downloaded: 1000 }], 'its accounting reads as before');
    assert.equal(before.peers[0].useragent, 'conformance/1.0');
    ok(await s.announce(input({ ...alice, uploaded: 4500, downloaded: 1000 })));
    const after = await pending();
    assert.deepEqual(after.users, [{ uid: 1, uploaded: 4500, downloaded: 1000 }], 'the new announce adds to it');
    assert.equal(after.torrents.find((r) => r.tid === 10)?.balanceChange, 500, 'the change from here on');
  });
});
