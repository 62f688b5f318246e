/**
 * Runs wrk with apps/bench/wrk/announce.lua and reads what it printed: the `BENCH_JSON {...}`
 * line of its done(), and its own CPU (wrk runs under a small sh wrapper that prints its
 * /proc stat once wrk is reaped, whose children's times are then wrk's).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConnectionMode } from './args.js';
import type { DataSet } from './dataset.js';
import { parseProcStat, rssMiB } from './proc-stats.js';

export const ANNOUNCE_LUA = fileURLToPath(new URL('../wrk/announce.lua', import.meta.url));

export interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

/** What announce.lua's done() prints. Latencies in ms; duration in s (the active time). */
export interface BenchJson {
  mode: 'fill' | 'steady';
  connection: ConnectionMode;
  threads: number;
  threadsSeen: number;
  slots: number;
  users: number;
  torrents: number;
  peers: number;
  seederPct: number;
  requests: number;
  responses: number;
  duration: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  non200: number;
  failure: number;
  noPeers: number;
  errors: WrkErrors;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`BENCH_JSON: ${k} is not a number (${JSON.stringify(v)})`);
  return v;
}

/** The last `BENCH_JSON {...}` line of wrk's output, checked field by field. */
export function parseBenchJson(output: string): BenchJson {
  const line = output.split('\n').reverse().find((l) => l.startsWith('BENCH_JSON '));
  if (line === undefined) throw new Error('wrk printed no BENCH_JSON line');
  const raw: unknown = JSON.parse(line.slice('BENCH_JSON '.length));
  if (!isRecord(raw)) throw new Error('BENCH_JSON is not an object');
  const mode = raw.mode;
  const connection = raw.connection;
  if (mode !== 'fill' && mode !== 'steady') throw new Error(`BENCH_JSON: mode ${JSON.stringify(mode)}`);
  if (connection !== 'new' && connection !== 'keepalive') throw new Error(`BENCH_JSON: connection ${JSON.stringify(connection)}`);
  const e = raw.errors;
  if (!isRecord(e)) throw new Error('BENCH_JSON: errors is not an object');
  const errors: WrkErrors = { connect: num(e, 'connect'), read: num(e, 'read'), write: num(e, 'write'), status: num(e, 'status'), timeout: num(e, 'timeout') };
  const n = (k: string): number => num(raw, k);
  return {
    mode, connection, threads: n('threads'), threadsSeen: n('threadsSeen'), slots: n('slots'), users: n('users'), torrents: n('torrents'),
    peers: n('peers'), seederPct: n('seederPct'), requests: n('requests'), responses: n('responses'), duration: n('duration'), rps: n('rps'),
    p50: n('p50'), p90: n('p90'), p99: n('p99'), p999: n('p999'), max: n('max'), non200: n('non200'), failure: n('failure'), noPeers: n('noPeers'), errors,
  };
}

/** Responses that were not a good announce reply, and the requests lost to socket errors. */
export function failureCount(j: BenchJson): number {
  return j.non200 + j.noPeers + j.errors.connect + j.errors.read + j.errors.write + j.errors.timeout;
}

export interface WrkOptions {
  url: string;
  mode: 'fill' | 'steady';
  connection: ConnectionMode;
  threads: number;
  connections: number;
  /** steady: seconds of load. fill: the most it may take (wrk's -d); it ends when every slot is answered. */
  seconds: number;
  dataSet: DataSet;
  userAgent: string;
  wrk: string;
  /** Run wrk on this CPU (taskset). */
  cpu?: number;
}

/** wrk's command line and the environment announce.lua reads. */
export function wrkCommand(o: WrkOptions): { args: string[]; env: Record<string, string> } {
  const args = [
    ...(o.cpu === undefined ? [] : ['taskset', '-c', String(o.cpu)]),
    o.wrk, `-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '10s', '-s', ANNOUNCE_LUA, o.url,
  ];
  const env = {
    BENCH_MODE: o.mode,
    BENCH_CONNECTION: o.connection,
    BENCH_THREADS: String(o.threads),
    BENCH_USERS: String(o.dataSet.users),
    BENCH_TORRENTS: String(o.dataSet.torrents),
    BENCH_PEERS: String(o.dataSet.peers),
    BENCH_SEEDER_PCT: String(o.dataSet.seederPct),
    BENCH_UA: o.userAgent,
  };
  return { args, env };
}

// wrk runs in the background of the shell so its pid is known (fill mode interrupts it); once
// it is reaped, the shell's own stat holds wrk's CPU as its children's
const WRAPPER = '"$@" & p=$!; echo "BENCH_WRK_PID $p"; wait "$p"; s=$?; echo "BENCH_WRAPPER_STAT $(cat /proc/$$/stat)"; exit "$s"';

export interface WrkRun {
  json: BenchJson;
  /** wrk's user + system CPU seconds. */
  cpuSeconds: number;
  /** wrk's peak RSS as last seen while it ran. */
  peakRssMiB: number;
  output: string;
}

/** Reads the wrapper's lines from wrk's output: wrk's pid, the threads done, the wrapper's stat. */
export function scanWrapperOutput(output: string): { pid: number | undefined; threadsDone: number; cpuSeconds: number | undefined } {
  let pid: number | undefined;
  let threadsDone = 0;
  let cpuSeconds: number | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('BENCH_WRK_PID ')) pid = Number(line.slice(14));
    else if (line.startsWith('BENCH_THREAD_DONE ')) threadsDone++;
    else if (line.startsWith('BENCH_WRAPPER_STAT ')) cpuSeconds = parseProcStat(line.slice(19)).children;
  }
  return { pid, threadsDone, cpuSeconds };
}

export function runWrk(o: WrkOptions): Promise<WrkRun> {
  const { args, env } = wrkCommand(o);
  const child = spawn('sh', ['-c', WRAPPER, 'sh', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  let interrupted = false;
  let peak = 0;
  let wrkPid: number | undefined;
  const sampler = setInterval(() => {
    if (wrkPid !== undefined) peak = Math.max(peak, rssMiB(wrkPid, 'VmHWM'));
  }, 500);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const seen = scanWrapperOutput(output);
    wrkPid = seen.pid;
    // fill: every thread has had its share answered; wrk would sleep out its -d, so wake it
    if (o.mode === 'fill' && !interrupted && seen.pid !== undefined && seen.threadsDone >= o.threads) {
      interrupted = true;
      process.kill(seen.pid, 'SIGINT');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(sampler);
      const seen = scanWrapperOutput(output);
      if (code !== 0) {
        reject(new Error(`wrk exited with ${code}: ${stderr.trim()}\n${output.slice(-2000)}`));
        return;
      }
      try {
        resolve({ json: parseBenchJson(output), cpuSeconds: seen.cpuSeconds ?? 0, peakRssMiB: peak, output });
      } catch (err) {
        reject(new Error(`${(err as Error).message}\nwrk's stderr: ${stderr.trim()}\n${output.slice(-2000)}`));
      }
    });
  });
}
