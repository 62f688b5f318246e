import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB (Linux /proc; VmHWM: its peak), 0 when it is gone. */
export function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

/** Clock ticks of /proc/<pid>/stat (Linux's USER_HZ, 100 on every Linux this runs on). */
export const TICKS_PER_SECOND = 100;

export interface ProcTimes {
  /** utime + stime, seconds. */
  self: number;
  /** cutime + cstime: the waited-for children's, seconds. */
  children: number;
}

/** The CPU times in a /proc/<pid>/stat line (the name in parentheses may hold spaces). */
export function parseProcStat(stat: string): ProcTimes {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  if (fields.length < 15) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  const t = (i: number): number => Number(fields[i]);
  return { self: (t(11) + t(12)) / TICKS_PER_SECOND, children: (t(13) + t(14)) / TICKS_PER_SECOND };
}

/** User + system CPU seconds a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).self;
}

/** The same, plus the waited-for children's (Redis' AOF rewrite and RDB children). */
export function cpuSecondsWithChildren(pid: number): number {
  const t = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return t.self + t.children;
}

/** CPU µs per announce, from two readings in seconds (0 when there were no announces). */
export function microsPerAnnounce(before: number, after: number, announces: number): number {
  return announces > 0 ? Math.round(((after - before) * 1e6) / announces) : 0;
}

/** A process' name (/proc/<pid>/comm), or '' when it is gone. */
export function procName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** `INFO commandstats` as { command: calls }. */
export function parseCommandStats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** `INFO commandstats` as { command: microseconds spent } (a script's inner commands are in its own figure too). */
export function parseCommandMicros(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=\d+,usec=(\d+)/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

export function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : 0;
}

/** Idle share of all CPUs over `ms` (Linux /proc/stat: idle + iowait over the total). */
export async function idleShare(ms: number): Promise<number> {
  const read = (): { idle: number; total: number } => {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: cpu[3] + (cpu[4] ?? 0), total: cpu.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return b.total > a.total ? (b.idle - a.idle) / (b.total - a.total) : 1;
}
