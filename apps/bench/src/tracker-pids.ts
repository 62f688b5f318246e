/** The processes of a tracker the benchmarks started, for their /proc figures. */
import type { TrackerProcess } from '@oncilla/tracker/launcher';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The workers' pids, from their 'worker listening' lines: they may reach us after the primary's
 * 'tracker ready' (each process writes its own log lines), so wait for all of them.
 */
export async function workerPids(t: TrackerProcess, count: number): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = [...new Set(t.logs.filter((l) => l.msg === 'worker listening').map((l) => Number(l.pid)))];
    if (pids.length >= count) return pids;
    if (Date.now() > deadline) throw new Error(`${pids.length} of ${count} workers said they listen`);
    await sleep(50);
  }
}
