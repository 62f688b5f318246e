/**
 * Exactly-once accounting under faults, with the harness's own throwaway servers: the bytes
 * credited in users_main equal the bytes the clients reported, to the byte, whatever is killed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { insertTorrents, insertUsers, makeInfoHash, makePasskey, startMariaDb, startRedis, type MariaDbServer, type RedisServer } from '@oncilla/testkit';
import { REPORT_PASSWORD, TrackerProcess } from '@oncilla/tracker/launcher';
import { get } from './support/client.js';
import { allFlushed, batchUnderWay, waitFlushed } from './support/flushed.js';
import { keySchema } from '@oncilla/swarm-store';

const LEASE = keySchema('oncilla:').global.flushLease;
import { Traffic } from './support/traffic.js';
import { waitUntil } from './support/wait.js';

const IH = makeInfoHash(1);
const USERS = Array.from({ length: 12 }, (_, i) => ({ uid: i + 1, passkey: makePasskey(i + 1) }));

describe('accounting under faults', () => {
  let redisServer: RedisServer;
  let db: MariaDbServer;
  let redis: Redis;
  const trackers: TrackerProcess[] = [];
  let tag = 0;

  before(async () => {
    [redisServer, db] = await Promise.all([startRedis({ appendonly: true }), startMariaDb({ sqlMode: 'gazelle' })]);
    const conn = await db.connect();
    await insertUsers(conn, USERS.map((u) => ({ id: u.uid, passkey: u.passkey })));
    await insertTorrents(conn, [{ id: 1, infoHash: IH }]);
    await conn.end();
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined); // the Redis test kills the server on purpose
  });

  after(async () => {
    redis?.disconnect();
    for (const t of trackers) if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
    await Promise.all([redisServer?.cleanup(), db?.cleanup()]);
  });

  const start = async (conf: Record<string, string | number> = {}): Promise<TrackerProcess> => {
    const t = await TrackerProcess.start({ redisUrl: redisServer.url, mysql: db, workers: 1, conf: { schedule_interval: 1, ...conf } });
    trackers.push(t);
    return t;
  };

  const credited = async (): Promise<Map<number, [number, number]>> => {
    const conn = await db.connect();
    try {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT ID, Uploaded, Downloaded FROM users_main');
      return new Map(rows.map((r) => [Number(r.ID), [Number(r.Uploaded), Number(r.Downloaded)] as [number, number]]));
    } finally {
      await conn.end();
    }
  };

  /** Asserts that users_main grew by exactly what the traffic reported since `before`. */
  const assertExact = async (before: Map<number, [number, number]>, traffic: Traffic): Promise<void> => {
    const now = await credited();
    for (const [uid, [up, down]] of traffic.expected()) {
      const [u0, d0] = before.get(uid) ?? [0, 0];
      const [u1, d1] = now.get(uid) ?? [0, 0];
      assert.deepEqual([uid, u1 - u0, d1 - d0], [uid, up, down], `user ${uid}: credited exactly what was reported`);
    }
  };

  it('graceful shutdown flushes everything before it exits', async () => {
    const baseline = await credited();
    const t = await start({ schedule_interval: 3600 });
    const traffic = new Traffic(IH, USERS, ++tag);
    for (let i = 0; i < 5; i++) await traffic.round([t.url('')]);
    await traffic.stopAll([t.url('')]);
    assert.deepEqual(await t.stop(), { code: 0, signal: null });
    await assertExact(baseline, traffic);
  });

  it('kill -9 of the primary in the middle of a flush', async () => {
    const baseline = await credited();
    let t = await start();
    const traffic = new Traffic(IH, USERS, ++tag);
    for (let i = 0; i < 3; i++) await traffic.round([t.url('')]);
    // Freeze MySQL so the next flush is caught with its batch cut but not committed, then kill.
    db.pause();
    await traffic.round([t.url('')]);
    await waitUntil('a flush batch to be under way', () => batchUnderWay(redis));
    t.child.kill('SIGKILL');
    await t.exited;
    db.resume();
    t = await start();
    await waitUntil('the new primary to log the resumed batch', async () => t.logs.some((l) => l.msg.startsWith('resuming')));
    for (let i = 0; i < 3; i++) await traffic.round([t.url('')]);
    await traffic.stopAll([t.url('')]);
    await waitFlushed(redis);
    await assertExact(baseline, traffic);
    await t.stop();
  });

  it('MySQL down for a while: announces go on, the flush catches up', async () => {
    const baseline = await credited();
    const t = await start();
    const traffic = new Traffic(IH, USERS, ++tag);
    await traffic.round([t.url('')]);
    await db.stop();
    const okBefore = traffic.ok;
    for (let i = 0; i < 4; i++) await traffic.round([t.url('')]);
    assert.equal(traffic.ok - okBefore, 4 * USERS.length, 'every announce succeeded while MySQL was down');
    await t.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('flush failed'));
    await db.restart();
    await traffic.stopAll([t.url('')]);
    await waitFlushed(redis, 90000);
    await assertExact(baseline, traffic);
    await t.stop();
  });

  it('Redis killed and restarted from its AOF', async () => {
    const baseline = await credited();
    const t = await start();
    const traffic = new Traffic(IH, USERS, ++tag);
    for (let i = 0; i < 3; i++) await traffic.round([t.url('')]);
    await redisServer.kill();
    await traffic.round([t.url('')]);
    await redisServer.restart();
    for (let i = 0; i < 3; i++) await traffic.round([t.url('')]);
    await traffic.stopAll([t.url('')]);
    await waitFlushed(redis);
    await assertExact(baseline, traffic);
    await t.stop();
  });

  it('two clusters share Redis and MySQL; the lease moves when its holder dies', async () => {
    const baseline = await credited();
    const a = await start();
    const b = await start();
    const traffic = new Traffic(IH, USERS, ++tag);
    const urls = [a.url(''), b.url('')];
    for (let i = 0; i < 3; i++) await traffic.round(urls);
    // the lease is taken at a primary's first flush tick (the previous test released it)
    await waitUntil('one primary to hold the flush lease', async () => (await redis.exists(LEASE)) === 1);
    const holder = String(await redis.get(LEASE));
    const [dead, alive] = holder.includes(`:${a.child.pid}:`) ? [a, b] : [b, a];
    assert.ok(holder.includes(`:${dead.child.pid}:`), `the lease names one of the primaries: ${holder}`);
    db.pause();
    await traffic.round(urls);
    await waitUntil('a flush batch to be under way', () => batchUnderWay(redis));
    dead.child.kill('SIGKILL');
    await dead.exited;
    db.resume();
    for (let i = 0; i < 3; i++) await traffic.round([alive.url('')]);
    await traffic.stopAll([alive.url('')]);
    await waitFlushed(redis, 60000);
    assert.ok(String(await redis.get(LEASE) ?? '').includes(`:${alive.child.pid}:`) || (await redis.exists(LEASE)) === 0);
    await assertExact(baseline, traffic);
    await alive.stop();
  });

  it('flush = false: a cluster records accounting but leaves the MySQL flush to another', async () => {
    const baseline = await credited();
    const recorder = await start({ flush: 0 });
    const traffic = new Traffic(IH, USERS, ++tag);
    for (let i = 0; i < 3; i++) await traffic.round([recorder.url('')]);
    await traffic.stopAll([recorder.url('')]);
    assert.ok(recorder.logs.some((l) => String(l.msg).includes('flush = false')), 'the primary says it leaves the flush to another cluster');
    const metrics = async (t: TrackerProcess): Promise<string> =>
      (await get(t.url('/metrics'), { headers: { authorization: `Bearer ${REPORT_PASSWORD}` } })).body.toString();
    const leaderGauge = async (t: TrackerProcess): Promise<string | undefined> => /^oncilla_flush_leader (\d)$/m.exec(await metrics(t))?.[1];
    assert.equal((await get(recorder.url('/metrics'))).status, 401, '/metrics wants the report password');
    // the primary's cluster-wide stats (sent every second) have counted this traffic
    await waitUntil('the recorder\'s cluster stats', async () => /^oncilla_announces_total\{result="ok"\} [1-9]/m.test(await metrics(recorder)));
    assert.equal(await leaderGauge(recorder), '0', 'a flush = false cluster says it is not the flusher');
    // A flushing primary drains everything on SIGTERM; this one leaves it all in Redis.
    await recorder.stop();
    assert.equal(await allFlushed(redis), false, 'the rows it recorded are still pending');
    assert.equal(await redis.exists(LEASE), 0, 'it never took the flush lease');
    assert.equal(await batchUnderWay(redis), false, 'nor cut a batch');
    assert.ok(!recorder.logs.some((l) => l.msg === 'flushed'), 'it never flushed');
    const flusher = await start();
    await waitFlushed(redis, 60000);
    assert.ok(flusher.logs.some((l) => l.msg === 'flushed'), 'the other cluster wrote the rows');
    await waitUntil('the flusher to report the lease', async () => (await leaderGauge(flusher)) === '1');
    await assertExact(baseline, traffic);
    await flusher.stop();
  });
});
