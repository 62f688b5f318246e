/**
 * `npm run bench` options (docs/performance.md, "How to measure"). Pure: argv and the
 * environment in, checked options out.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_SET, type DataSet } from './dataset.js';

export type ConnectionMode = 'new' | 'keepalive';

export interface BenchOptions {
  /** Seconds of steady load per run. */
  duration: number;
  /** wrk -c and -t. */
  connections: number;
  threads: number;
  /** In run order. */
  connectionModes: ConnectionMode[];
  workers: number[];
  repeat: number;
  pin: boolean;
  redisAof: 'always' | 'everysec' | 'off';
  aofRewritePercentage: number;
  autoPipelining: boolean;
  flusher: 'own' | 'separate';
  mysqlVia: 'socket' | 'tcp';
  /** How the tracker reaches Redis: loopback TCP (redis://) or its Unix socket (unix://). */
  redisVia: 'socket' | 'tcp';
  /** One Redis, or a Redis Cluster of 3 masters (redis_cluster; always over TCP). */
  redis: 'single' | 'cluster';
  /** Replicas per master on --redis cluster. */
  clusterReplicas: number;
  compareReadonly: boolean;
  out: string;
  /** Another running tracker driven with the same load (e.g. Ocelot), or undefined. */
  target: string | undefined;
  /** The target's processes, for its CPU figures (e.g. Ocelot and its MariaDB). */
  targetPids: number[];
  /** The target already holds the data set's peers: no fill for it. */
  targetFilled: boolean;
  dataSet: DataSet;
  userAgent: string;
  /** The wrk binary. */
  wrk: string;
}

function whole(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new Error(`${name} must be ${allowed.join(' or ')}, got ${JSON.stringify(value)}`);
  return found;
}

export function parseConnectionModes(value: string): ConnectionMode[] {
  if (value === 'both') return ['new', 'keepalive'];
  const modes = value.split(',').map((m) => oneOf('--connection', m.trim(), ['new', 'keepalive'] as const));
  if (new Set(modes).size !== modes.length) throw new Error(`--connection names a mode twice: ${value}`);
  return modes;
}

export function parseBenchArgs(argv: string[], env: Record<string, string | undefined> = {}): BenchOptions {
  const { values: a } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string', default: '15' },
      connections: { type: 'string', default: '64' },
      threads: { type: 'string', default: '1' },
      connection: { type: 'string', default: 'both' },
      workers: { type: 'string', default: '1,2' },
      repeat: { type: 'string', default: '1' },
      pin: { type: 'boolean', default: false },
      'redis-aof': { type: 'string', default: 'always' },
      'aof-rewrite-percentage': { type: 'string', default: '100' },
      'auto-pipelining': { type: 'boolean', default: false },
      flusher: { type: 'string', default: 'own' },
      'mysql-via': { type: 'string', default: 'socket' },
      'redis-via': { type: 'string', default: 'tcp' },
      redis: { type: 'string', default: 'single' },
      'cluster-replicas': { type: 'string', default: '0' },
      'compare-readonly': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench-results.json' },
      target: { type: 'string' },
      'target-pids': { type: 'string', default: '' },
      'target-filled': { type: 'boolean', default: false },
      users: { type: 'string', default: env.BENCH_USERS || String(DEFAULT_DATA_SET.users) },
      torrents: { type: 'string', default: env.BENCH_TORRENTS || String(DEFAULT_DATA_SET.torrents) },
      peers: { type: 'string', default: env.BENCH_PEERS || String(DEFAULT_DATA_SET.peers) },
      'seeder-pct': { type: 'string', default: env.BENCH_SEEDER_PCT || String(DEFAULT_DATA_SET.seederPct) },
      ua: { type: 'string', default: env.BENCH_UA || 'Transmission/3.00' },
      wrk: { type: 'string', default: env.BENCH_WRK || 'wrk' },
    },
  });
  const connections = whole('--connections', a.connections, 1);
  const threads = whole('--threads', a.threads, 1);
  if (connections < threads) throw new Error(`--connections (${connections}) must be at least --threads (${threads})`);
  const workers = a.workers.split(',').map((w) => whole('--workers', w, 1));
  let target: string | undefined;
  if (a.target !== undefined) {
    const u = new URL(a.target);
    if (u.protocol !== 'http:') throw new Error(`--target must be an http:// URL, got ${a.target}`);
    target = `${u.protocol}//${u.host}`;
  }
  const redis = oneOf('--redis', a.redis, ['single', 'cluster'] as const);
  const clusterReplicas = whole('--cluster-replicas', a['cluster-replicas'], 0);
  if (clusterReplicas > 0 && redis !== 'cluster') throw new Error('--cluster-replicas needs --redis cluster');
  if (redis === 'cluster' && a['redis-via'] === 'socket') throw new Error('--redis cluster is reached over TCP: leave out --redis-via socket');
  const targetPids = a['target-pids'] === '' ? [] : a['target-pids'].split(',').map((p) => whole('--target-pids', p, 1));
  if (targetPids.length > 0 && target === undefined) throw new Error('--target-pids needs --target');
  const seederPct = whole('--seeder-pct', a['seeder-pct'], 0);
  if (seederPct > 100) throw new Error(`--seeder-pct must be at most 100, got ${seederPct}`);
  const dataSet: DataSet = {
    users: whole('--users', a.users, 1),
    torrents: whole('--torrents', a.torrents, 1),
    peers: whole('--peers', a.peers, 1),
    seederPct,
  };
  if (dataSet.torrents * dataSet.peers < threads) throw new Error('fewer slots (torrents x peers) than wrk threads');
  return {
    duration: whole('--duration', a.duration, 1),
    connections,
    threads,
    connectionModes: parseConnectionModes(a.connection),
    workers,
    repeat: whole('--repeat', a.repeat, 1),
    pin: a.pin,
    redisAof: oneOf('--redis-aof', a['redis-aof'], ['always', 'everysec', 'off'] as const),
    aofRewritePercentage: whole('--aof-rewrite-percentage', a['aof-rewrite-percentage'], 0),
    autoPipelining: a['auto-pipelining'],
    flusher: oneOf('--flusher', a.flusher, ['own', 'separate'] as const),
    mysqlVia: oneOf('--mysql-via', a['mysql-via'], ['socket', 'tcp'] as const),
    redisVia: oneOf('--redis-via', a['redis-via'], ['socket', 'tcp'] as const),
    redis,
    clusterReplicas,
    compareReadonly: a['compare-readonly'],
    out: a.out,
    target,
    targetPids,
    targetFilled: a['target-filled'],
    dataSet,
    userAgent: a.ua,
    wrk: a.wrk,
  };
}

export type RunKind = 'oncilla' | 'target';

export interface PlannedRun {
  kind: RunKind;
  connection: ConnectionMode;
  /** Oncilla's worker count (0 for the target). */
  workers: number;
  readonly: boolean;
  /** 0-based round of --repeat. */
  round: number;
}

/**
 * The runs in order: per round, per connection mode, per worker count, Oncilla then (with a
 * target) the target, so the two alternate and drift hits both alike.
 */
export function planRuns(o: Pick<BenchOptions, 'repeat' | 'connectionModes' | 'workers' | 'compareReadonly' | 'target'>): PlannedRun[] {
  const plan: PlannedRun[] = [];
  for (let round = 0; round < o.repeat; round++) {
    for (const connection of o.connectionModes) {
      for (const workers of o.workers) {
        plan.push({ kind: 'oncilla', connection, workers, readonly: false, round });
        if (o.compareReadonly) plan.push({ kind: 'oncilla', connection, workers, readonly: true, round });
        if (o.target !== undefined) plan.push({ kind: 'target', connection, workers: 0, readonly: false, round });
      }
    }
  }
  return plan;
}

/**
 * The smaller bench tools' options (bench:flush, bench:redis): whole numbers, one-of choices and
 * an output file, checked as `npm run bench`'s are.
 */
export function parseToolArgs<N extends string, C extends string>(
  argv: string[],
  numbers: Record<N, number>,
  choices: Record<C, readonly [string, ...string[]]>,
  out: string,
): { numbers: Record<N, number>; choices: Record<C, string>; out: string } {
  const options: Record<string, { type: 'string'; default: string }> = { out: { type: 'string', default: out } };
  for (const [name, d] of Object.entries(numbers) as Array<[N, number]>) options[name] = { type: 'string', default: String(d) };
  for (const [name, allowed] of Object.entries(choices) as Array<[C, readonly string[]]>) options[name] = { type: 'string', default: allowed[0] };
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options });
  const get = (name: string): string => String(values[name]);
  const n = {} as Record<N, number>;
  for (const name of Object.keys(numbers) as N[]) n[name] = whole(`--${name}`, get(name), 1);
  const c = {} as Record<C, string>;
  for (const [name, allowed] of Object.entries(choices) as Array<[C, readonly string[]]>) c[name] = oneOf(`--${name}`, get(name), allowed);
  return { numbers: n, choices: c, out: get('out') };
}
