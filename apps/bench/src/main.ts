/**
 * `npm run bench`: the announce yardstick. Starts throwaway Redis and MariaDB, seeds them with
 * the formula data set (src/dataset.ts, the same as apps/bench/wrk/announce.lua announces), runs
 * the real tracker, and drives it with wrk: a fill (every peer `started` once), then steady runs
 * of --duration seconds with upload/download deltas on every announce, over new connections
 * (Connection: close) and keep-alive ones. With --target it drives another running tracker
 * (Ocelot seeded with the same data set) with the same load, alternating with Oncilla. Prints a
 * table and writes every figure to --out. Options: src/args.ts and docs/performance.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { insertTorrents, insertUsers, insertWhitelist, startMariaDb, type MariaDbServer } from '@oncilla/testkit';
import { REPORT_PASSWORD, TrackerProcess, type TrackerOptions } from '@oncilla/tracker/launcher';
import { parseBenchArgs, planRuns, type BenchOptions, type ConnectionMode, type PlannedRun } from './args.js';
import { benchInfoHash, benchPasskey, slotCount, WHITELIST_PREFIX } from './dataset.js';
import { cpuSeconds, cpuSecondsWithChildren, idleShare, infoField, microsPerAnnounce, parseCommandMicros, parseCommandStats, procName, rssMiB } from './proc-stats.js';
import { startBenchRedis, type BenchRedis } from './redis-side.js';
import { formatRatios, formatTable, throughputRatios, type RunFigures } from './report.js';
import { failureCount, runWrk, type BenchJson, type WrkRun } from './wrk.js';
import { sleep, workerPids } from './tracker-pids.js';

const log = (msg: string): void => console.log(`[bench] ${msg}`);

/** Pins a process and all its threads to one CPU. */
function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
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

/** flush.pendingRows from the tracker's report (-1 when it does not answer or does not know yet). */
async function pendingRows(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/${REPORT_PASSWORD}/report?get=stats&format=json`);
    const body: unknown = await res.json();
    if (typeof body !== 'object' || body === null || !('flush' in body)) return -1;
    const flush: unknown = body.flush;
    if (typeof flush !== 'object' || flush === null || !('pendingRows' in flush)) return -1;
    return typeof flush.pendingRows === 'number' ? flush.pendingRows : -1;
  } catch {
    return -1;
  }
}

/**
 * Waits until the tracker's flush has written everything pending. The primary counts the rows
 * once a second and the workers hear of it a second later, so a 0 counts only from `notBefore`.
 * Returns the seconds waited.
 */
async function waitForFlush(port: number, notBefore: number, what: string): Promise<number> {
  const started = Date.now();
  const deadline = started + 600_000;
  let rows = -1;
  while (Date.now() < deadline) {
    rows = await pendingRows(port);
    if (rows === 0 && Date.now() >= notBefore) return (Date.now() - started) / 1000;
    await sleep(250);
  }
  log(`the flush did not write ${what} within 600 s (${rows} rows still pending); measuring anyway`);
  return (Date.now() - started) / 1000;
}

interface Probe {
  label: string;
  pid: number;
  /** Add the waited-for children's CPU (Redis' AOF rewrites). */
  children: boolean;
}

const readCpu = (p: Probe): number => {
  try {
    return p.children ? cpuSecondsWithChildren(p.pid) : cpuSeconds(p.pid);
  } catch {
    return 0;
  }
};

interface OncillaCluster {
  tracker: TrackerProcess;
  /** --flusher separate: the cluster that holds the flush lease. */
  flusher: TrackerProcess | undefined;
  primary: number;
  workers: number[];
  flusherPids: number[];
}

async function startOncilla(o: BenchOptions, redis: Pick<TrackerOptions, 'redisUrl' | 'redisCluster'>, db: MariaDbServer, run: PlannedRun): Promise<OncillaCluster> {
  // mysql_host = localhost means the Unix socket (mysql_socket), as in Ocelot
  const mysqlVia: Record<string, string> = o.mysqlVia === 'socket' ? { mysql_host: 'localhost', mysql_socket: db.socketPath } : {};
  const flusher = o.flusher === 'separate' && !run.readonly
    ? await TrackerProcess.start({ ...redis, mysql: db, workers: 1, built: true, conf: { log_level: 'info', listen_host: '127.0.0.1', ...mysqlVia } })
    : undefined;
  const tracker = await TrackerProcess.start({
    ...redis,
    mysql: db,
    workers: run.workers,
    // info logs only at start-up and per reap; nothing per request
    conf: {
      keepalive_timeout: run.connection === 'new' ? 0 : 60,
      numwant_limit: 50,
      log_level: 'info',
      listen_host: '127.0.0.1',
      redis_auto_pipelining: o.autoPipelining ? 1 : 0,
      readonly: run.readonly ? 1 : 0,
      flush: flusher ? 0 : 1,
      ...mysqlVia,
    },
    // BENCH_PROFILE=dir writes V8 CPU profiles of the primary and workers there; BENCH_NODE_ARGS
    // adds Node flags (space-separated) to both, for trying V8 settings
    nodeArgs: [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ],
    // what production runs (npm run bench builds first)
    built: true,
  });
  const c: OncillaCluster = {
    tracker,
    flusher,
    primary: tracker.child.pid ?? 0,
    workers: await workerPids(tracker, run.workers),
    flusherPids: flusher ? [flusher.child.pid ?? 0, ...(await workerPids(flusher, 1))] : [],
  };
  if (o.pin) {
    for (const pid of [c.primary, ...c.workers]) pin(pid, 0);
    for (const pid of c.flusherPids) pin(pid, 1);
  }
  return c;
}

async function stopOncilla(c: OncillaCluster): Promise<void> {
  await c.tracker.stop();
  await c.flusher?.stop();
}

interface Fill {
  tracker: 'oncilla' | 'target';
  connection: ConnectionMode;
  announces: number;
  durationSeconds: number;
  announcesPerSecond: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  /** Oncilla: seconds until the flush had written the fill's rows. */
  flushSeconds: number | null;
  wrk: BenchJson;
}

async function fill(o: BenchOptions, url: string, tracker: 'oncilla' | 'target', connection: ConnectionMode): Promise<{ fill: Fill; endedAt: number }> {
  const slots = slotCount(o.dataSet);
  log(`fill (${tracker}, ${connection}): ${slots} peers announce 'started' once`);
  const r = await runWrk({
    url, mode: 'fill', connection, threads: o.threads, connections: o.connections,
    // the most it may take; it ends when every peer is answered
    seconds: Math.max(600, Math.ceil(slots / 100)),
    dataSet: o.dataSet, userAgent: o.userAgent, wrk: o.wrk, cpu: o.pin ? 1 : undefined,
  });
  const j = r.json;
  if (j.requests < slots) log(`the fill got ${j.requests} of ${slots} answers (socket errors: ${JSON.stringify(j.errors)})`);
  const f: Fill = {
    tracker, connection, announces: j.requests, durationSeconds: j.duration, announcesPerSecond: Math.round(j.rps),
    failures: failureCount(j), p50Ms: j.p50, p99Ms: j.p99, flushSeconds: null, wrk: j,
  };
  log(`fill done: ${j.requests} announces in ${j.duration.toFixed(1)} s (${Math.round(j.rps)}/s), ${f.failures} failures`);
  return { fill: f, endedAt: Date.now() };
}

function steadyWrk(o: BenchOptions, url: string, connection: ConnectionMode): Promise<WrkRun> {
  return runWrk({
    url, mode: 'steady', connection, threads: o.threads, connections: o.connections, seconds: o.duration,
    dataSet: o.dataSet, userAgent: o.userAgent, wrk: o.wrk, cpu: o.pin ? 1 : undefined,
  });
}

function baseFigures(n: number, run: PlannedRun, label: string, w: WrkRun): Omit<RunFigures, 'cpuMicrosPerAnnounce' | 'rssMiB' | 'redis' | 'flush'> {
  const j = w.json;
  const socket = j.errors.connect + j.errors.read + j.errors.write + j.errors.timeout;
  return {
    run: n, round: run.round, tracker: run.kind, label, connection: run.connection, workers: run.workers, readonly: run.readonly,
    announces: j.requests, durationSeconds: j.duration, announcesPerSecond: Math.round(j.rps),
    latencyMs: { p50: j.p50, p90: j.p90, p99: j.p99, p999: j.p999, max: j.max },
    failures: { non200: j.non200, failure: j.failure, noPeers: j.noPeers, socket, total: failureCount(j) },
  };
}

/** CPU µs per announce of each probe, from readings before and after. */
function perAnnounce(probes: Probe[], before: number[], announces: number): Record<string, number> {
  return Object.fromEntries(probes.map((p, i) => [p.label, microsPerAnnounce(before[i], readCpu(p), announces)]));
}

/** Sums of per-node INFO figures (masters only: replicas answer no announce). */
async function mastersInfo(r: BenchRedis, section: string): Promise<string[]> {
  return Promise.all(r.nodes.filter((n) => n.master).map((n) => n.client.info(section)));
}
const sumField = (infos: string[], field: string): number => infos.reduce((a, i) => a + infoField(i, field), 0);
function sumRecords(records: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

const MARIADB_AS_ANCHOR = ['--innodb-buffer-pool-size=2G', '--innodb-log-file-size=1G', '--max-allowed-packet=256M', '--innodb-doublewrite=1'];

async function main(): Promise<void> {
  const o = parseBenchArgs(process.argv.slice(2), process.env);
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', o.wrk], { stdio: 'ignore' });
  } catch {
    throw new Error(`${o.wrk} not found: the bench's load comes from wrk (apt-get install -y wrk)`);
  }
  const plan = planRuns(o);
  const slots = slotCount(o.dataSet);
  const { users, torrents } = o.dataSet;

  const aof = o.redisAof;
  log(`starting a throwaway ${o.redis === 'cluster' ? `Redis Cluster (3 masters, ${o.clusterReplicas} replica(s) each)` : 'Redis'} and MariaDB; seeding ${users} users and ${torrents} torrents (${slots} peers)`);
  const [redis, db]: [BenchRedis, MariaDbServer] = await Promise.all([
    startBenchRedis({ kind: o.redis, aof, aofRewritePercentage: o.aofRewritePercentage, clusterReplicas: o.clusterReplicas }),
    // the settings the Ocelot anchor's MariaDB runs with (the site's sql_mode, a 2 GB buffer
    // pool, a 1 GB redo log, 256 MB packets, doublewrite as by default), so both sides' MariaDB
    // CPU compares
    startMariaDb({ sqlMode: 'gazelle', extraArgs: MARIADB_AS_ANCHOR }),
  ]);
  const conn = await db.connect();
  await insertUsers(conn, Array.from({ length: users }, (_, i) => ({ id: i + 1, passkey: benchPasskey(i + 1) })));
  await insertTorrents(conn, Array.from({ length: torrents }, (_, i) => ({ id: i + 1, infoHash: benchInfoHash(i + 1) })));
  await insertWhitelist(conn, [WHITELIST_PREFIX]);
  await conn.end();
  if (o.pin) {
    for (const n of redis.nodes) pin(n.pid, 0);
    pin(db.pid, 1);
  }

  const targetProbes: Probe[] = o.targetPids.map((pid) => ({ label: `${procName(pid) || 'pid'}:${pid}`, pid, children: false }));
  if (o.target) log(`target ${o.target}${targetProbes.length ? `, processes ${targetProbes.map((p) => p.label).join(', ')}` : ' (no --target-pids: no CPU figures for it)'}`);

  const fills: Fill[] = [];
  const runs: RunFigures[] = [];
  let oncillaFilled = false;
  let targetFilled = o.targetFilled;
  let memoryBaseline = 0;

  for (const [i, run] of plan.entries()) {
    const n = i + 1;
    if (run.kind === 'target' && o.target) {
      if (!targetFilled) {
        fills.push((await fill(o, o.target, 'target', run.connection)).fill);
        targetFilled = true;
      }
      await waitForIdle();
      log(`run ${n}/${plan.length}: target, ${run.connection} connections, ${o.duration} s`);
      const before = targetProbes.map(readCpu);
      const w = await steadyWrk(o, o.target, run.connection);
      const cpu = perAnnounce(targetProbes, before, w.json.requests);
      const figures: RunFigures = {
        ...baseFigures(n, run, o.target, w),
        cpuMicrosPerAnnounce: {
          ...cpu,
          ...(targetProbes.length ? { target: Object.values(cpu).reduce((a, b) => a + b, 0) } : {}),
          wrk: microsPerAnnounce(0, w.cpuSeconds, w.json.requests),
        },
        rssMiB: { ...Object.fromEntries(targetProbes.map((p) => [p.label, Number(rssMiB(p.pid).toFixed(1))])), wrk: Number(w.peakRssMiB.toFixed(1)) },
        redis: null,
        flush: null,
      };
      runs.push(figures);
      log(formatTable([figures]).split('\n')[1]);
      continue;
    }

    const c = await startOncilla(o, redis.target(o.redisVia), db, run);
    const port = c.tracker.port;
    if (!oncillaFilled) {
      // what Redis holds before any peer: the users, torrents and scripts
      memoryBaseline = sumField(await mastersInfo(redis, 'memory'), 'used_memory');
      const f = await fill(o, `http://127.0.0.1:${port}`, 'oncilla', run.connection);
      f.fill.flushSeconds = await waitForFlush(port, f.endedAt + 2500, "the fill's rows");
      log(`the flush wrote the fill's rows ${f.fill.flushSeconds.toFixed(1)} s after it ended`);
      fills.push(f.fill);
      oncillaFilled = true;
    }
    const waitBefore = run.readonly ? 0 : await waitForFlush(port, Date.now() + 2500, 'what was pending');
    await waitForIdle();
    const usedMemory = sumField(await mastersInfo(redis, 'memory'), 'used_memory');
    await Promise.all(redis.nodes.map((n) => n.client.config('RESETSTAT')));
    const aofBefore = await mastersInfo(redis, 'persistence');
    const probes: Probe[] = [
      ...c.workers.map((pid) => ({ label: `worker:${pid}`, pid, children: false })),
      { label: 'primary', pid: c.primary, children: false },
      ...redis.nodes.map((n) => ({ label: n.label, pid: n.pid, children: true })),
      { label: 'mariadb', pid: db.pid, children: false },
      ...c.flusherPids.map((pid) => ({ label: `flusher:${pid}`, pid, children: false })),
    ];
    const flushLogs = (c.flusher ?? c.tracker).logs;
    const flushedBefore = flushLogs.filter((l) => l.msg === 'flushed').length;
    log(`run ${n}/${plan.length}: oncilla, ${run.workers} worker(s), ${run.connection} connections${run.readonly ? ', readonly (no accounting)' : ''}, ${o.duration} s`);
    const before = probes.map(readCpu);
    const w = await steadyWrk(o, `http://127.0.0.1:${port}`, run.connection);
    const cpu = perAnnounce(probes, before, w.json.requests);
    const ranUntil = Date.now();
    const commandInfos = await mastersInfo(redis, 'commandstats');
    const commandStats = sumRecords(commandInfos.map(parseCommandStats));
    const commandMicros = sumRecords(commandInfos.map(parseCommandMicros));
    if (process.env.BENCH_DUMP_COMMANDSTATS) console.log(commandInfos.map(parseCommandStats));
    const aofAfter = await mastersInfo(redis, 'persistence');
    const drainAfter = run.readonly ? 0 : await waitForFlush(port, ranUntil + 2500, "the run's rows");
    const flushes = flushLogs.filter((l) => l.msg === 'flushed').slice(flushedBefore);
    const flushedRows = flushes.reduce((a, l) => a + Number(l.rows ?? 0), 0);
    const flushMs = flushes.reduce((a, l) => a + Number(l.ms ?? 0), 0);
    const rss: Record<string, number> = {
      primary: rssMiB(c.primary),
      ...Object.fromEntries(c.workers.map((pid) => [`worker:${pid}`, rssMiB(pid)])),
      ...Object.fromEntries(redis.nodes.map((n) => [n.label, rssMiB(n.pid)])),
      mariadb: rssMiB(db.pid),
      wrk: w.peakRssMiB,
    };
    await stopOncilla(c);

    const workersCpu = c.workers.reduce((a, pid) => a + (cpu[`worker:${pid}`] ?? 0), 0);
    const scriptCalls = (commandStats.evalsha ?? 0) + (commandStats.eval ?? 0) + (commandStats.fcall ?? 0);
    const commands = Object.entries(commandStats)
      .filter(([cmd]) => !['evalsha', 'eval', 'fcall', 'function|load', 'info', 'config', 'config|resetstat'].includes(cmd))
      .reduce((a, [, k]) => a + k, 0);
    const aofRewrites = sumField(aofAfter, 'aof_rewrites') - sumField(aofBefore, 'aof_rewrites');
    const redisCpu = redis.nodes.reduce((a, n) => a + (cpu[n.label] ?? 0), 0);
    // on a cluster, each node's own figure beside the sum (the per-shard cost is what scales)
    const perNode: Record<string, number> = redis.kind === 'cluster' ? Object.fromEntries(redis.nodes.map((n) => [n.label, cpu[n.label]])) : {};
    const announces = w.json.requests;
    // --flusher separate: the flushing cluster's CPU, reported apart, not in `tracker`
    const separate: Record<string, number> = c.flusherPids.length
      ? { separateFlusher: c.flusherPids.reduce((a, pid) => a + (cpu[`flusher:${pid}`] ?? 0), 0) }
      : {};
    const figures: RunFigures = {
      ...baseFigures(n, run, 'oncilla', w),
      cpuMicrosPerAnnounce: {
        ...Object.fromEntries(c.workers.map((pid) => [`worker:${pid}`, cpu[`worker:${pid}`]])),
        workers: workersCpu,
        primary: cpu.primary,
        redis: Number(redisCpu.toFixed(1)),
        ...perNode,
        mariadb: cpu.mariadb,
        ...separate,
        tracker: Number((workersCpu + cpu.primary + redisCpu).toFixed(1)),
        wrk: microsPerAnnounce(0, w.cpuSeconds, announces),
      },
      rssMiB: Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, Number(v.toFixed(1))])),
      redis: {
        scriptCallsPerAnnounce: announces ? Number((scriptCalls / announces).toFixed(3)) : 0,
        commandsPerAnnounce: announces ? Number((commands / announces).toFixed(2)) : 0,
        /** INFO commandstats' time inside the announce script per call (its inner commands included; not the network or the AOF) */
        scriptMicrosPerCall: commandStats.fcall ? Number(((commandMicros.fcall ?? 0) / commandStats.fcall).toFixed(1)) : 0,
        usedMemoryBytes: usedMemory,
        usedMemoryBytesPerPeer: Math.round((usedMemory - memoryBaseline) / slots),
        // a rewrite replaces the files, so the growth is only meaningful without one
        aofBytesPerAnnounce: aof !== 'off' && aofRewrites === 0 && announces
          ? Math.round((sumField(aofAfter, 'aof_current_size') - sumField(aofBefore, 'aof_current_size')) / announces)
          : null,
        aofRewrites,
      },
      flush: run.readonly ? null : {
        waitBeforeSeconds: Number(waitBefore.toFixed(1)),
        batches: flushes.length,
        rowsFlushed: flushedRows,
        rowsPerSecondWritten: flushMs > 0 ? Math.round((flushedRows * 1000) / flushMs) : 0,
        drainAfterSeconds: Number(drainAfter.toFixed(1)),
      },
    };
    runs.push(figures);
    log(formatTable([figures]).split('\n')[1]);
  }

  await Promise.all([redis.cleanup(), db.cleanup()]);

  const ratios = throughputRatios(runs);
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    settings: {
      duration: o.duration, connections: o.connections, threads: o.threads, connectionModes: o.connectionModes, workers: o.workers,
      repeat: o.repeat, pinned: o.pin, dataSet: o.dataSet, peers: slots, numwant: 50, userAgent: o.userAgent,
      redis: o.redis, clusterReplicas: o.clusterReplicas, redisVia: o.redisVia,
      redisAof: aof, aofRewritePercentage: o.aofRewritePercentage, autoPipelining: o.autoPipelining, flusher: o.flusher, mysqlVia: o.mysqlVia,
      target: o.target ?? null, targetProcesses: targetProbes.map((p) => p.label),
    },
    fills,
    runs,
    ratios,
  };
  writeFileSync(o.out, JSON.stringify(report, null, 2) + '\n');
  console.log('');
  console.log(formatTable(runs));
  if (ratios.length) {
    console.log('');
    console.log('throughput, Oncilla / target:');
    console.log(formatRatios(ratios));
  }
  log(`wrote ${o.out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
