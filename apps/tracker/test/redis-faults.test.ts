/**
 * Redis trouble seen by clients, against the real cluster: Redis emptied (FLUSHALL, or a
 * restart without persistence) and Redis hanging (SIGSTOP). The tracker must answer "temporarily
 * unavailable" (never "Passkey not found" from lists it lost), say so on /ready and in its
 * metrics and log, bound what waits on Redis, and recover by itself.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeInfoHash, makePasskey } from '@oncilla/testkit';
import { REPORT_PASSWORD, TrackerProcess } from '@oncilla/tracker/launcher';
import { decode, get, query, text } from './support/client.js';
import { startStack, type Stack } from './support/stack.js';
import { waitUntil } from './support/wait.js';

const IH = makeInfoHash(1);
const USERS = Array.from({ length: 4 }, (_, i) => ({ uid: i + 1, passkey: makePasskey(i + 1) }));
const UNAVAILABLE = 'The tracker is temporarily unavailable.';

describe('Redis faults', () => {
  let stack: Stack;
  const trackers: TrackerProcess[] = [];

  before(async () => {
    stack = await startStack({
      // no persistence: a restart comes back empty, as a Redis without AOF or RDB does
      redisServer: { appendonly: false },
      redis: { maxRetriesPerRequest: null },
      users: USERS.map((u) => ({ id: u.uid, passkey: u.passkey })),
      torrents: [{ id: 1, infoHash: IH }],
    });
    stack.redis.on('error', () => undefined);
  });

  after(async () => {
    for (const t of trackers) if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
    await stack?.stop();
  });

  /** A tracker with a key prefix of its own; stopped after the test however it ends. */
  const start = async (ctx: TestContext, conf: Record<string, string | number> = {}): Promise<TrackerProcess> => {
    const t = await TrackerProcess.start({
      redisUrl: stack.redisServer.url, mysql: stack.db, workers: 2, conf: { redis_key_prefix: `rf-${randomBytes(4).toString('hex')}:`, ...conf },
    });
    trackers.push(t);
    ctx.after(async () => {
      if (stack.redisServer.paused) stack.redisServer.resume();
      await t.stop();
    });
    return t;
  };

  /** One announce on a fresh connection: its failure reason ('' for success) and how long it took. */
  const announce = async (t: TrackerProcess, n: number): Promise<{ reason: string; ms: number }> => {
    const u = USERS[n % USERS.length];
    const started = Date.now();
    const r = await get(t.url(`/${u.passkey}/announce?${query({ info_hash: IH, peer_id: `-RF0001-${String(n).padStart(12, '0')}`, port: 9000 + n, uploaded: 0, downloaded: 0, left: 0, compact: 1 })}`));
    const d = decode(r.body);
    return { reason: d['failure reason'] === undefined ? '' : text(d['failure reason']), ms: Date.now() - started };
  };
  const ready = async (t: TrackerProcess): Promise<number> => (await get(t.url('/ready'))).status;
  const metrics = async (t: TrackerProcess): Promise<string> =>
    (await get(t.url('/metrics'), { headers: { authorization: `Bearer ${REPORT_PASSWORD}` } })).body.toString();
  const metric = async (t: TrackerProcess, name: string): Promise<number> => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await metrics(t))?.[1] ?? NaN);

  for (const how of ['FLUSHALL', 'a restart without persistence'] as const) {
    it(`answers "unavailable" and not ready while Redis has lost the lists (${how}), then reloads them by itself`, async (ctx) => {
      const t = await start(ctx);
      assert.equal((await announce(t, 0)).reason, '');
      const seen = new Map<string, number>();
      const readiness = new Set<number>();
      let stop = false;
      // clients keep announcing through it all; every answer is either success or unavailable
      const clients = Promise.all([0, 1, 2].map(async (c) => {
        for (let i = 0; !stop; i++) {
          const r = await announce(t, c * 1000 + (i % 50)).catch(() => ({ reason: 'connection failed', ms: 0 }));
          seen.set(r.reason, (seen.get(r.reason) ?? 0) + 1);
        }
      }));
      const probe = (async () => {
        while (!stop) readiness.add(await ready(t).catch(() => 0));
      })();
      if (how === 'FLUSHALL') await stack.redis.flushall();
      else {
        await stack.redisServer.kill();
        await stack.redisServer.restart();
      }
      const lost = await t.waitFor((l) => String(l.msg).startsWith('Redis lost the lists'));
      assert.equal(lost.level, 50, 'logged as an error');
      await t.waitFor((l) => l.msg === 'lists lost: lists reloaded (4 users, 0 removed, 1 torrents, 0 tokens, 0 whitelist entries)');
      await waitUntil('announces to succeed and /ready to say ready again', async () => (await announce(t, 99)).reason === '' && (await ready(t)) === 200);
      stop = true;
      await Promise.all([clients, probe]);
      const other = [...seen.keys()].filter((r) => r !== '' && r !== UNAVAILABLE);
      assert.deepEqual(other, [], `only success or unavailable, never an answer from lost lists: ${JSON.stringify([...seen])}`);
      assert.ok((seen.get(UNAVAILABLE) ?? 0) > 0, `the loss was seen by the clients: ${JSON.stringify([...seen])}`);
      assert.ok(readiness.has(503), '/ready said not ready meanwhile');
      assert.ok(t.logs.some((l) => l.role === 'worker' && String(l.msg).startsWith('change feed: Redis has no lists')), 'the workers said why they refuse');
      await waitUntil('the loss in the metrics', async () => (await metric(t, 'oncilla_redis_list_losses_total')) === 1);
    });
  }

  it('answers "unavailable" within about redis_timeout while Redis hangs, bounds what waits on it, and recovers', async (ctx) => {
    const TIMEOUT_MS = 1000;
    const CAP = 4;
    const t = await start(ctx, { workers: 1, redis_timeout: TIMEOUT_MS, max_inflight_requests: CAP });
    assert.equal((await announce(t, 0)).reason, '');
    assert.equal(await ready(t), 200);
    stack.redisServer.pause();
    // A burst right away, while the worker's lists are still fresh: CAP of these wait on Redis
    // (until the timeout), the rest are refused at once.
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => announce(t, 100 + i)));
    assert.deepEqual(new Set(burst.map((r) => r.reason)), new Set([UNAVAILABLE]));
    const slowest = Math.max(...burst.map((r) => r.ms));
    assert.ok(slowest < TIMEOUT_MS + 1500, `answered within about the timeout (slowest ${slowest} ms)`);
    await waitUntil('/ready to say not ready', async () => (await ready(t)) === 503, 5000);
    // /metrics still answers (without the peer gauges, which need Redis)
    const text = await metrics(t);
    assert.doesNotMatch(text, /^oncilla_peers/m);
    await waitUntil('the shed requests in the metrics', async () => (await metric(t, 'oncilla_requests_shed_total')) >= 12 - CAP);
    assert.equal(await metric(t, 'oncilla_requests_shed_total'), 12 - CAP, `only what was over ${CAP} was shed`);
    assert.ok((await metric(t, 'oncilla_requests_in_flight')) <= CAP);
    // once the lists are stale, nothing waits on Redis any more: answers come at once
    const later = await Promise.all(Array.from({ length: 8 }, (_, i) => announce(t, 200 + i)));
    assert.deepEqual(new Set(later.map((r) => r.reason)), new Set([UNAVAILABLE]));
    assert.ok(Math.max(...later.map((r) => r.ms)) < TIMEOUT_MS, `at once: ${later.map((r) => r.ms).join(' ')} ms`);
    stack.redisServer.resume();
    await waitUntil('announces to succeed and /ready to say ready again', async () => (await announce(t, 300)).reason === '' && (await ready(t)) === 200, 10000);
    assert.equal(await metric(t, 'oncilla_requests_in_flight'), 0);
  });
});
