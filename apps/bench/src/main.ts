/**
 * `npm run bench`: starts throwaway Redis and MariaDB, seeds users and torrents, runs the real
 * tracker with 1 and then 2 workers, drives keep-alive announces from a separate process, and
 * prints and writes the figures (announces/s, latency, errors, Redis calls per announce, memory).
 *
 * Options: --duration S (15), --connections N (64), --torrents N (10000), --users N (10000),
 * --max-swarm N (50), --workers 1,2, --out FILE (bench-results.json), --auto-pipelining,
 * --redis-aof always|everysec|off (always), --aof-rewrite-percentage N (100), --flusher own|separate,
 * --repeat N (1), --pin, --mysql-via socket|tcp (socket) (see docs/performance.md).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { insertTorrents, insertUsers, makeInfoHash, makePasskey, startMariaDb, startRedis } from '@oncilla/testkit';
import { PENDING_KINDS, keySchema } from '@oncilla/swarm-store';
import { TrackerProcess } from '@oncilla/tracker/launcher';
import type { GeneratorCommand, PhaseResult } from './load-generator.js';
import { cpuSeconds, cpuSecondsWithChildren, idleShare, infoField, parseCommandStats, rssMiB } from './proc-stats.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '64' },
    torrents: { type: 'string', default: '10000' },
    users: { type: 'string', default: '10000' },
    'max-swarm': { type: 'string', default: '50' },
    workers: { type: 'string', default: '1,2' },
    out: { type: 'string', default: 'bench-results.json' },
    'auto-pipelining': { type: 'boolean', default: false },
    /** Redis persistence: always (AOF, fsync per write: what exactly-once across a Redis crash needs), everysec, or off. */
    'redis-aof': { type: 'string', default: 'always' },
    /** Redis' auto-aof-rewrite-percentage (Redis' default is 100; see docs/operations.md). */
    'aof-rewrite-percentage': { type: 'string', default: '100' },
    /** Also run each worker count in readonly mode (announces alone, no accounting) for comparison. */
    'compare-readonly': { type: 'boolean', default: true },
    /** Runs of each plan entry (accounting and readonly alternate, so drift hits both alike). */
    repeat: { type: 'string', default: '1' },
    /**
     * CPU pinning (Linux taskset): the tracker (primary, workers) and Redis on CPU 0, the load
     * generator and MariaDB on CPU 1, so the tracker's own throughput is measured as if the
     * site's database and the clients were other machines.
     */
    pin: { type: 'boolean', default: false },
    /**
     * own: the measured cluster flushes to MySQL itself. separate: it runs with flush = false and
     * a second cluster (pinned with MariaDB when --pin) holds the flush lease, as when the flush
     * runs on another host; that cluster's CPU is reported apart, not in `tracker`.
     */
    flusher: { type: 'string', default: 'own' },
    /**
     * How the tracker reaches MariaDB: socket (mysql_host = localhost, the Unix socket, as a
     * site with MySQL on the same host and Ocelot's default has it) or tcp (127.0.0.1).
     */
    'mysql-via': { type: 'string', default: 'socket' },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const torrents = Number(args.torrents);
const users = Number(args.users);
const maxSwarm = Number(args['max-swarm']);
const workerCounts = args.workers.split(',').map(Number);
const repeat = Number(args.repeat);
if (!['own', 'separate'].includes(args.flusher)) throw new Error(`--flusher must be own or separate, got ${args.flusher}`);
const separateFlusher = args.flusher === 'separate';
if (args['mysql-via'] !== 'socket' && args['mysql-via'] !== 'tcp') throw new Error('--mysql-via must be socket or tcp');
// the tracker's default redis_prefix
const KEYS = keySchema('oncilla:');

/** Pins a process and all its threads to one CPU. */
function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
}

function ask(gen: ChildProcess, cmd: GeneratorCommand): Promise<{ type: string; result?: PhaseResult; peerCount?: number }> {
  return new Promise((resolve) => {
    gen.once('message', (m) => resolve(m as { type: string; result?: PhaseResult; peerCount?: number }));
    gen.send(cmd);
  });
}

const log = (msg: string): void => console.log(`[bench] ${msg}`);

/**
 * Waits until the flush has written everything pending (the warm-up's rows, or what an earlier
 * run left), so a measured run pays only for its own accounting.
 */
async function drainFlush(redis: Redis): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const [current, ...pending] = await Promise.all([redis.exists(KEYS.flushCurrent), ...PENDING_KINDS.map((k) => redis.exists(KEYS.pending[k]))]);
    if (current === 0 && pending.every((n) => n === 0)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the flush did not drain within 120 s');
}

/**
 * An idle gate: waits (up to 30 s) until the machine is at least 85% idle, so a run does not
 * start while something else (MariaDB's purge, a finished run's teardown) still works.
 */
async function waitForIdle(): Promise<void> {
  const deadline = Date.now() + 30_000;
  let idle = 0;
  while (Date.now() < deadline) {
    idle = await idleShare(1000);
    if (idle >= 0.85) return;
  }
  log(`the machine did not get idle (last second ${Math.round(idle * 100)}% idle); measuring anyway`);
}

async function main(): Promise<void> {
  log(`starting throwaway Redis and MariaDB; seeding ${users} users and ${torrents} torrents`);
  const aof = args['redis-aof'];
  const [redisServer, db] = await Promise.all([
    startRedis(aof === 'off'
      ? { appendonly: false }
      : { appendonly: true, extraArgs: [...(aof === 'everysec' ? ['--appendfsync', 'everysec'] : []), '--auto-aof-rewrite-percentage', args['aof-rewrite-percentage']] }),
    startMariaDb({ sqlMode: 'gazelle' }),
  ]);
  const redis = new Redis(redisServer.url);
  const conn = await db.connect();
  await insertUsers(conn, Array.from({ length: users }, (_, i) => ({ id: i + 1, passkey: makePasskey(i + 1) })));
  await insertTorrents(conn, Array.from({ length: torrents }, (_, i) => ({ id: i + 1, infoHash: makeInfoHash(i + 1) })));
  await conn.end();

  const gen = fork(new URL('./load-generator.ts', import.meta.url).pathname, [], { execArgv: ['--conditions=development', '--import', 'tsx'] });
  const runs: Array<Record<string, unknown>> = [];
  let warmedUp = false;
  let peerCount = 0;
  const memoryBefore = infoField(await redis.info('memory'), 'used_memory');

  if (args.pin) {
    pin(redisServer.pid, 0);
    pin(db.pid, 1);
    pin(gen.pid ?? 0, 1);
  }
  // mysql_host = localhost means the Unix socket (mysql_socket), as in Ocelot
  const mysqlVia: Record<string, string> = args['mysql-via'] === 'socket' ? { mysql_host: 'localhost', mysql_socket: db.socketPath } : {};
  const plan: Array<{ workers: number; readonly: boolean }> = [];
  for (const w of workerCounts) {
    for (let i = 0; i < repeat; i++) {
      plan.push({ workers: w, readonly: false });
      if (args['compare-readonly']) plan.push({ workers: w, readonly: true });
    }
  }
  for (const { workers, readonly } of plan) {
    // --flusher separate: the cluster that holds the flush lease, started first so that it takes it
    const flusher = separateFlusher && !readonly
      ? await TrackerProcess.start({ redisUrl: redisServer.url, mysql: db, workers: 1, conf: { log_level: 'info', listen_host: '127.0.0.1', ...mysqlVia } })
      : undefined;
    const tracker = await TrackerProcess.start({
      redisUrl: redisServer.url,
      mysql: db,
      workers,
      // info logs only at start-up and per reap; nothing per request
      conf: {
        keepalive_timeout: 60, numwant_limit: 50, log_level: 'info', listen_host: '127.0.0.1',
        redis_auto_pipelining: args['auto-pipelining'] ? 1 : 0,
        readonly: readonly ? 1 : 0,
        flush: flusher ? 0 : 1,
        ...mysqlVia,
      },
      // BENCH_PROFILE=dir writes V8 CPU profiles of the primary and workers there
      nodeArgs: process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
    });
    const ready = warmedUp
      ? await ask(gen, { type: 'retarget', port: tracker.port })
      : await ask(gen, { type: 'init', host: '127.0.0.1', port: tracker.port, connections, traffic: { torrents, users, maxSwarm, seed: 42 }, numwant: 50 });
    peerCount = ready.peerCount ?? 0;
    if (!warmedUp) {
      log(`warm-up: ${peerCount} peers announce 'started'`);
      const w = (await ask(gen, { type: 'warmup' })).result as PhaseResult;
      log(`warm-up done: ${w.requests} announces in ${w.seconds.toFixed(1)} s, ${w.failures} failures, ${w.errors} errors`);
      warmedUp = true;
    }
    const memInfo = await redis.info('memory');
    const usedMemory = infoField(memInfo, 'used_memory');
    const workerPids = tracker.logs.filter((l) => l.msg === 'worker listening').map((l) => l.pid as number);
    const pids = { primary: tracker.child.pid ?? 0, workers: workerPids, redis: redisServer.pid };
    if (args.pin) for (const pid of [pids.primary, ...workerPids]) pin(pid, 0);
    const flusherPids = flusher ? [flusher.child.pid ?? 0, ...flusher.logs.filter((l) => l.msg === 'worker listening').map((l) => l.pid as number)] : [];
    if (args.pin) for (const pid of flusherPids) pin(pid, 1);
    const flushLogs = (flusher ?? tracker).logs;
    if (!readonly) await drainFlush(redis);
    await waitForIdle();
    await redis.config('RESETSTAT');
    const aofBefore = await redis.info('persistence');
    const cpuBefore = { flusher: flusherPids.map(cpuSeconds), workers: workerPids.map(cpuSeconds), redis: cpuSecondsWithChildren(redisServer.pid), primary: cpuSeconds(pids.primary), mysql: cpuSeconds(db.pid), generator: cpuSeconds(gen.pid ?? 0) };
    log(`${workers} worker(s)${readonly ? ', readonly (no accounting)' : ''}: ${duration} s of steady traffic over ${connections} keep-alive connections`);
    const flushedBefore = flushLogs.filter((l) => l.msg === 'flushed').length;
    const lagSamples: number[] = [];
    const lagTimer = setInterval(() => {
      void redis.hget(KEYS.flushCurrent, 'at').then((at) => lagSamples.push(at ? Math.floor(Date.now() / 1000) - Number(at) : 0));
    }, 1000);
    const r = (await ask(gen, { type: 'run', durationMs: duration * 1000 })).result as PhaseResult;
    clearInterval(lagTimer);
    const flushes = flushLogs.filter((l) => l.msg === 'flushed').slice(flushedBefore);
    const flushedRows = flushes.reduce((a, l) => a + Number(l.rows ?? 0), 0);
    const flushMs = flushes.reduce((a, l) => a + Number(l.ms ?? 0), 0);
    const aofAfter = await redis.info('persistence');
    const aofRewrites = infoField(aofAfter, 'aof_rewrites') - infoField(aofBefore, 'aof_rewrites');
    const commandInfo = await redis.info('commandstats');
    const stats = parseCommandStats(commandInfo);
    if (process.env.BENCH_DUMP_COMMANDSTATS) console.log(commandInfo);
    const cpuWorkers = workerPids.map(cpuSeconds).reduce((a, b, i) => a + b - cpuBefore.workers[i], 0);
    const cpuRedis = cpuSecondsWithChildren(redisServer.pid) - cpuBefore.redis;
    const cpuPrimary = cpuSeconds(pids.primary) - cpuBefore.primary;
    const cpuMysql = cpuSeconds(db.pid) - cpuBefore.mysql;
    const cpuGenerator = cpuSeconds(gen.pid ?? 0) - cpuBefore.generator;
    const cpuFlusher = flusherPids.map(cpuSeconds).reduce((a, b, i) => a + b - cpuBefore.flusher[i], 0);
    const scriptCalls = (stats.evalsha ?? 0) + (stats.eval ?? 0);
    const clientCalls = scriptCalls + Object.entries(stats)
      .filter(([cmd]) => !['evalsha', 'eval', 'info', 'config|resetstat', 'config'].includes(cmd))
      .reduce((a, [, n]) => a + n, 0);
    const run = {
      workers,
      accounting: !readonly,
      connections,
      durationSeconds: Number(r.seconds.toFixed(2)),
      announces: r.requests,
      announcesPerSecond: Math.round(r.requests / r.seconds),
      p50Ms: Number((r.p50us / 1000).toFixed(3)),
      p99Ms: Number((r.p99us / 1000).toFixed(3)),
      maxMs: Number((r.maxUs / 1000).toFixed(3)),
      failures: r.failures,
      failureSamples: r.failureSamples,
      errors: r.errors,
      flush: readonly ? null : {
        batches: flushes.length,
        rowsFlushed: flushedRows,
        rowsPerSecondWritten: flushMs > 0 ? Math.round((flushedRows * 1000) / flushMs) : 0,
        rowsPerSecondOfTraffic: Math.round(flushedRows / r.seconds),
        maxLagSeconds: lagSamples.length ? Math.max(...lagSamples) : 0,
      },
      aof: aof === 'off' ? null : {
        rewritesDuringRun: aofRewrites,
        // a rewrite replaces the files, so the growth is only meaningful without one
        bytesPerAnnounce: aofRewrites === 0 ? Math.round((infoField(aofAfter, 'aof_current_size') - infoField(aofBefore, 'aof_current_size')) / r.requests) : null,
      },
      redisScriptCallsPerAnnounce: Number((scriptCalls / r.requests).toFixed(3)),
      redisCommandsInsideScriptsPerAnnounce: Number((Object.entries(stats).filter(([c]) => !['evalsha', 'eval', 'info'].includes(c)).reduce((a, [, n]) => a + n, 0) / r.requests).toFixed(2)),
      note: 'commands run inside scripts are counted by Redis too; the round trips per announce are the script calls',
      redisCallsUpperBoundPerAnnounce: Number((clientCalls / r.requests).toFixed(3)),
      cpuMicrosecondsPerAnnounce: {
        workers: Math.round((cpuWorkers * 1e6) / r.requests),
        redis: Math.round((cpuRedis * 1e6) / r.requests),
        primary: Math.round((cpuPrimary * 1e6) / r.requests),
        mysql: Math.round((cpuMysql * 1e6) / r.requests),
        loadGenerator: Math.round((cpuGenerator * 1e6) / r.requests),
        /** --flusher separate: the flushing cluster (primary and its idle worker), elsewhere */
        ...(flusher ? { separateFlusher: Math.round((cpuFlusher * 1e6) / r.requests) } : {}),
        /** workers + primary + Redis: what the tracker's own host spends on one announce */
        tracker: Math.round(((cpuWorkers + cpuPrimary + cpuRedis) * 1e6) / r.requests),
      },
      memory: {
        rssMiB: {
          primary: Number(rssMiB(pids.primary).toFixed(1)),
          workers: workerPids.map((p) => Number(rssMiB(p).toFixed(1))),
          redis: Number(rssMiB(redisServer.pid).toFixed(1)),
        },
        redisUsedMemoryBytes: usedMemory,
        activePeers: r.activePeers,
        redisBytesPerPeer: Math.round((usedMemory - memoryBefore) / Math.max(1, r.activePeers)),
      },
    };
    runs.push(run);
    console.log(JSON.stringify(run, null, 2));
    await tracker.stop();
    await flusher?.stop();
  }
  gen.kill();
  redis.disconnect();
  await Promise.all([redisServer.cleanup(), db.cleanup()]);

  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    settings: { pinned: args.pin, repeat, duration, connections, torrents, users, maxSwarm, peers: peerCount, numwant: 50, autoPipelining: args['auto-pipelining'], redisAof: aof, flusher: args.flusher, mysqlVia: args['mysql-via'], aofRewritePercentage: Number(args['aof-rewrite-percentage']) },
    runs,
  };
  writeFileSync(args.out, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${args.out}`);
  for (const r of runs) {
    const f = r.flush as { rowsFlushed: number; rowsPerSecondWritten: number; maxLagSeconds: number } | null;
    log(`${r.workers} worker(s)${r.accounting ? '' : ' readonly'}: ${r.announcesPerSecond} announces/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.failures} failures, ${r.errors} errors, ${r.redisScriptCallsPerAnnounce} Redis calls/announce${f ? `, ${f.rowsFlushed} rows flushed (${f.rowsPerSecondWritten}/s while writing), max flush lag ${f.maxLagSeconds} s` : ''}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
