/**
 * The bench's figures per run, the Oncilla/target throughput ratios, and the compact table it
 * prints. Pure.
 */
import type { ConnectionMode, RunKind } from './args.js';

export interface RunFigures {
  /** 1-based, in run order. */
  run: number;
  round: number;
  tracker: RunKind;
  /** 'oncilla', or the target's URL. */
  label: string;
  connection: ConnectionMode;
  /** Oncilla's workers (0 for the target). */
  workers: number;
  readonly: boolean;
  announces: number;
  /** The active time (first request to last response). */
  durationSeconds: number;
  announcesPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  failures: {
    non200: number;
    /** Bodies with "failure" (200 or not). */
    failure: number;
    /** 200 bodies without a peers key (failure bodies among them). */
    noPeers: number;
    /** Requests lost to socket errors (connect, read, write, timeout). */
    socket: number;
    /** non200 + noPeers + socket. */
    total: number;
  };
  /**
   * CPU µs per announce, per process and summed. Oncilla: `worker:<pid>` each, `workers`,
   * `primary`, `redis` (with its children), `mariadb`, `tracker` (workers + primary + Redis: the
   * tracker host's share), `wrk`. Target: `<name>:<pid>` each, `target` (their sum), `wrk`.
   */
  cpuMicrosPerAnnounce: Record<string, number>;
  /** RSS in MiB (wrk: its peak). */
  rssMiB: Record<string, number>;
  /** Oncilla only. */
  redis: null | {
    scriptCallsPerAnnounce: number;
    scriptMicrosPerCall?: number;
    /** Every command Redis counted (those run inside scripts too), but the bench's own INFO/CONFIG. */
    commandsPerAnnounce: number;
    usedMemoryBytes: number;
    /** used_memory growth since before the fill, per peer of the data set. */
    usedMemoryBytesPerPeer: number;
    aofBytesPerAnnounce: number | null;
    aofRewrites: number;
  };
  /** Oncilla with accounting only. */
  flush: null | {
    /** Seconds waited before the run for flush.pendingRows === 0. */
    waitBeforeSeconds: number;
    batches: number;
    rowsFlushed: number;
    rowsPerSecondWritten: number;
    /** Seconds after the run until flush.pendingRows was 0 again (the flush catching up). */
    drainAfterSeconds: number;
  };
}

export interface Ratio {
  round: number;
  connection: ConnectionMode;
  workers: number;
  oncilla: number;
  target: number;
  /** Oncilla's announces/s over the target's. */
  ratio: number;
}

/** Each target run against the Oncilla accounting run just before it (same round and connection mode). */
export function throughputRatios(runs: readonly RunFigures[]): Ratio[] {
  const out: Ratio[] = [];
  let last: RunFigures | undefined;
  for (const r of runs) {
    if (r.tracker === 'oncilla') {
      if (!r.readonly) last = r;
      continue;
    }
    if (!last || last.round !== r.round || last.connection !== r.connection) continue;
    out.push({
      round: r.round, connection: r.connection, workers: last.workers, oncilla: last.announcesPerSecond, target: r.announcesPerSecond,
      ratio: r.announcesPerSecond > 0 ? Number((last.announcesPerSecond / r.announcesPerSecond).toFixed(3)) : 0,
    });
  }
  return out;
}

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** One line per run; CPU in µs per announce. */
export function formatTable(runs: readonly RunFigures[]): string {
  const rows = [['run', 'tracker', 'conn', 'w', 'ann/s', 'p50 ms', 'p99 ms', 'fail', 'redis calls/cmds', 'B/peer', 'CPU µs/announce']];
  for (const r of runs) {
    rows.push([
      String(r.run),
      r.tracker === 'target' ? 'target' : r.readonly ? 'oncilla ro' : 'oncilla',
      r.connection,
      r.tracker === 'target' ? '-' : String(r.workers),
      fmt(r.announcesPerSecond),
      r.latencyMs.p50.toFixed(2),
      r.latencyMs.p99.toFixed(2),
      String(r.failures.total),
      r.redis ? `${r.redis.scriptCallsPerAnnounce.toFixed(2)}/${r.redis.commandsPerAnnounce.toFixed(1)}${r.redis.scriptMicrosPerCall ? ` (${r.redis.scriptMicrosPerCall} µs)` : ''}` : '-',
      r.redis ? String(r.redis.usedMemoryBytesPerPeer) : '-',
      Object.entries(r.cpuMicrosPerAnnounce).map(([k, v]) => `${k} ${v}`).join(', '),
    ]);
  }
  return pad(rows);
}

export function formatRatios(ratios: readonly Ratio[]): string {
  if (ratios.length === 0) return '';
  return ratios
    .map((r) => `round ${r.round + 1}, ${r.connection}, ${r.workers} worker(s): Oncilla ${fmt(r.oncilla)}/s / target ${fmt(r.target)}/s = ${r.ratio.toFixed(2)}`)
    .join('\n');
}
