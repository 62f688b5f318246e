/**
 * Redis Cluster failover under load (3 masters, 3 replicas, appendfsync always): a master is
 * SIGKILLed while peers on torrents spread over every master keep announcing growing counters.
 * Clients see successes or "The tracker is temporarily unavailable." and nothing else, /ready
 * says not-ready while slots have no master, announces resume once the replica is promoted, and
 * users_main is exact to the byte. A second test stops a replica, so that the flush cuts a batch
 * its replica never sees, and then kills the master: the flush must not have written that cut
 * to MySQL (it waits for the replica), or the promoted replica's rows would be credited twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis, type Cluster } from 'ioredis';
import { insertTorrents, insertUsers, makeInfoHash, makePasskey, startMariaDb, startRedisCluster, type MariaDbServer, type RedisCluster, type RedisClusterNode } from '@oncilla/testkit';
import { keySchema, keySlot } from '@oncilla/swarm-store';
import { TrackerProcess } from '@oncilla/tracker/launcher';
import { get } from './support/client.js';
import { waitFlushed } from './support/flushed.js';
import { clusterClient } from './support/topologies.js';
import { Traffic } from './support/traffic.js';
import { assertCreditedExactly, credited as creditedIn, type Credits } from './support/credited.js';
import { waitUntil } from './support/wait.js';

const UNAVAILABLE = 'The tracker is temporarily unavailable.';
const USERS = Array.from({ length: 8 }, (_, i) => ({ uid: i + 1, passkey: makePasskey(i + 1) }));
const KEYS = keySchema('oncilla:');
/**
 * How long a silent node takes to be marked failing: long enough for the second test to cut a
 * batch while its replica is cut off but still counted as the master's replica.
 */
const NODE_TIMEOUT_MS = 5000;

describe('Redis Cluster failover and resharding', () => {
  let cluster: RedisCluster;
  let db: MariaDbServer;
  let redis: Cluster;
  let tracker: TrackerProcess;
  /** One torrent per master at the start (the first of makeInfoHash(1..) on each), its master. */
  let torrents: Array<{ id: number; infoHash: Buffer; master: RedisClusterNode }> = [];
  let tag = 0;

  const masterOf = (infoHash: Buffer): Promise<RedisClusterNode> => cluster.masterOfSlot(keySlot(KEYS.torrent(infoHash).torrent));

  before(async () => {
    [cluster, db] = await Promise.all([startRedisCluster({ nodeTimeoutMs: NODE_TIMEOUT_MS }), startMariaDb({ sqlMode: 'gazelle' })]);
    redis = clusterClient(cluster);
    const seen = new Set<number>();
    for (let n = 1; torrents.length < 3 && n < 200; n++) {
      const infoHash = makeInfoHash(n);
      const master = await masterOf(infoHash);
      if (seen.has(master.port)) continue;
      seen.add(master.port);
      torrents.push({ id: n, infoHash, master });
    }
    assert.equal(torrents.length, 3, 'a torrent on each master');
    const conn = await db.connect();
    await insertUsers(conn, USERS.map((u) => ({ id: u.uid, passkey: u.passkey })));
    await insertTorrents(conn, torrents.map((t) => ({ id: t.id, infoHash: t.infoHash })));
    await conn.end();
    tracker = await TrackerProcess.start({ redisCluster: [...cluster.seeds], mysql: db, workers: 2, conf: { schedule_interval: 1 } });
  });

  after(async () => {
    await tracker?.stop();
    redis?.disconnect();
    await Promise.all([cluster?.cleanup(), db?.cleanup()]);
  });

  const credited = (): Promise<Credits> => creditedIn(db);
  const assertExact = (baseline: Credits, traffics: Traffic[]): Promise<void> => assertCreditedExactly(db, baseline, traffics);

  const onlyUnavailable = (traffics: Traffic[]): void => {
    const reasons = new Map<string, number>();
    for (const t of traffics) for (const [why, n] of t.reasons) reasons.set(why, (reasons.get(why) ?? 0) + n);
    assert.deepEqual([...reasons.keys()].filter((why) => why !== UNAVAILABLE), [], 'every failure was the unavailable reason');
  };

  const readyStatus = async (): Promise<number> => {
    try {
      return (await get(tracker.url('/ready'))).status;
    } catch {
      return 0;
    }
  };

  /** Bytes the master has written to its replication stream beyond its replica's last acknowledgement (sent once a second unless asked). */
  const replicaLag = async (master: RedisClusterNode): Promise<number> => {
    const c = new Redis(master.url, { maxRetriesPerRequest: 0 });
    try {
      const info = await c.info('replication');
      const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? 0);
      const replica = /slave0:.*offset=(\d+)/.exec(info);
      return replica ? offset - Number(replica[1]) : NaN;
    } finally {
      c.disconnect();
    }
  };

  it('a master SIGKILLed under load: only "unavailable" answers, not ready meanwhile, exact to the byte after', async (ctx) => {
    const baseline = await credited();
    const traffics = torrents.map((t) => new Traffic(t.infoHash, USERS, ++tag));
    const urls = [tracker.url('')];
    let rounds = 0;
    let running = true;
    const stream = (async () => {
      for (; running; rounds++) await Promise.all(traffics.map((t) => t.round(urls)));
    })();
    const statuses = new Set<number>();
    let polling = true;
    const poll = (async () => {
      while (polling) {
        statuses.add(await readyStatus());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const victim = torrents[0].master;
    try {
      await waitUntil('a few rounds', async () => rounds >= 4);
      // how far the replica trails under this load (sampled; what a failover can lose)
      const lags: number[] = [];
      for (let i = 0; i < 20; i++) lags.push(await replicaLag(victim));
      const failedBefore = traffics[0].failed;
      const killedAt = Date.now();
      await victim.kill();
      const promoted = await cluster.waitForFailover(victim.port);
      const promotedAt = Date.now();
      assert.notEqual(promoted.port, victim.port);
      // every peer on the lost master announces successfully again
      const ok = traffics[0].ok;
      await waitUntil('announces on the failed-over slots to succeed again', async () => traffics[0].ok >= ok + 2 * USERS.length, 20000);
      await waitUntil('ready again', async () => (await readyStatus()) === 200, 10000);
      ctx.diagnostic(`replica's acknowledged offset behind the master under load: max ${Math.max(...lags)} bytes over ${lags.length} samples; ` +
        `promoted ${promotedAt - killedAt} ms after the kill (cluster-node-timeout ${NODE_TIMEOUT_MS} ms); ` +
        `${traffics[0].failed - failedBefore} announces on that master's torrent answered "unavailable" meanwhile; ready again ${Date.now() - killedAt} ms after the kill; ` +
        `the flush's wait for replicas took at most ${Math.max(0, ...tracker.logs.filter((l) => l.msg === 'flushed').map((l) => Number(l.replicaWaitMs ?? 0)))} ms`);
    } finally {
      running = false;
      polling = false;
      await Promise.all([stream, poll]);
    }
    assert.ok(traffics[0].failed > 0, 'the outage was seen by the clients');
    onlyUnavailable(traffics);
    assert.ok(statuses.has(503), `/ready said not-ready during the failover (saw ${[...statuses].join(', ')})`);
    await Promise.all(traffics.map((t) => t.stopAll(urls)));
    onlyUnavailable(traffics);
    await waitFlushed(redis, 30000);
    await assertExact(baseline, traffics);
    // the killed node comes back as a replica of the promoted one, for the next test
    await victim.restart();
    await cluster.waitOk();
  });

  it('the flush writes no batch to MySQL before its replica holds the cut, so a failover cannot credit it twice', async () => {
    const baseline = await credited();
    const target = torrents[1];
    const master = await masterOf(target.infoHash);
    const replica = cluster.nodes.find((n) => n.running && n.role === 'replica' && n.masterId === master.id);
    assert.ok(replica, `a replica of ${master.address}`);
    const traffic = new Traffic(target.infoHash, USERS, ++tag);
    const urls = [tracker.url('')];
    for (let i = 0; i < 3; i++) await traffic.round(urls);
    await waitFlushed(redis, 30000);
    const flushed = await credited();
    // The replica is cut off (stopped, its link closed by the master) but not yet agreed down:
    // what follows is on the master alone, and the flush's cut of it cannot be confirmed.
    replica.pause();
    const direct = new Redis(master.url);
    await direct.call('CLIENT', 'KILL', 'TYPE', 'replica');
    direct.disconnect();
    const from = tracker.logs.length;
    await traffic.round(urls);
    await tracker.waitFor((l) => tracker.logs.indexOf(l) >= from && /did not confirm them/.test(String(l.err)));
    const midway = await credited();
    assert.deepEqual(USERS.map((u) => midway.get(u.uid)), USERS.map((u) => flushed.get(u.uid)), 'nothing written while the cut is unconfirmed');
    // the master dies with that round and its cut; the replica, without them, takes over
    await master.kill();
    replica.resume();
    await cluster.waitForFailover(master.port);
    await traffic.round(urls);
    await traffic.stopAll(urls);
    await waitFlushed(redis, 30000);
    await assertExact(baseline, [traffic]);
    onlyUnavailable([traffic]);
    await master.restart();
    await cluster.waitOk();
  });

  it('a shard moved to another master under load (MIGRATE, then ASK, TRYAGAIN, MOVED): successes or "unavailable", exact after', async () => {
    const baseline = await credited();
    const target = torrents[2];
    const slot = String(keySlot(KEYS.torrent(target.infoHash).torrent));
    const src = await masterOf(target.infoHash);
    const dst = (await cluster.masters()).find((m) => m.port !== src.port);
    assert.ok(dst, 'another master');
    const traffic = new Traffic(target.infoHash, USERS, ++tag);
    const urls = [tracker.url('')];
    let rounds = 0;
    let running = true;
    const stream = (async () => {
      for (; running; rounds++) await traffic.round(urls);
    })();
    const from = new Redis(src.url);
    const to = new Redis(dst.url);
    try {
      await waitUntil('a few rounds', async () => rounds >= 3);
      await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', src.id);
      await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', dst.id);
      let moved = 0;
      for (;;) {
        // two keys at a time, a round of announces between, so they meet the shard half moved
        const keys = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, '2')) as string[];
        if (keys.length === 0) break;
        await from.call('MIGRATE', dst.host, String(dst.port), '', '0', '5000', 'KEYS', ...keys);
        moved += keys.length;
        const r = rounds;
        await waitUntil('a round with the shard half moved', async () => rounds > r);
      }
      assert.ok(moved >= 4, `the shard's keys moved (${moved})`);
      await to.call('CLUSTER', 'SETSLOT', slot, 'NODE', dst.id);
      await from.call('CLUSTER', 'SETSLOT', slot, 'NODE', dst.id);
      // the workers' announce channels to the old master now get MOVED, and the announce is
      // sent through the cluster client, which follows it: not one announce fails
      const ok = traffic.ok;
      const failed = traffic.failed;
      await waitUntil('announces to succeed on the new master', async () => traffic.ok >= ok + 2 * USERS.length, 20000);
      assert.equal(traffic.failed, failed, 'no announce failed once the shard had moved');
    } finally {
      running = false;
      await stream;
      from.disconnect();
      to.disconnect();
    }
    await cluster.waitOk();
    assert.equal((await masterOf(target.infoHash)).port, dst.port, 'the shard is on the other master');
    await traffic.stopAll(urls);
    onlyUnavailable([traffic]);
    await waitFlushed(redis, 30000);
    await assertExact(baseline, [traffic]);
  });
});
