import { addSnapshots, emptySnapshot, type ClusterStats, type StatsSnapshot } from '../http/stats.js';
import type { FlushStats } from '../flush/flusher.js';

/**
 * Adds the workers' counters up: each worker reports every second, a dead worker's last
 * counts stay in the totals, and the sums go back to every worker (report and /metrics).
 */
export class ClusterStatsBook {
  readonly startedAt = Math.floor(Date.now() / 1000);
  readonly #latest = new Map<number, StatsSnapshot>();
  #retired = emptySnapshot();
  #previous = { requests: 0, connections: 0, at: Date.now() };
  last: ClusterStats | undefined;

  report(workerId: number, s: StatsSnapshot): void {
    this.#latest.set(workerId, s);
  }

  retire(workerId: number): void {
    const last = this.#latest.get(workerId);
    if (last) this.#retired = addSnapshots(this.#retired, { ...last, openConnections: 0, inFlight: 0 });
    this.#latest.delete(workerId);
  }

  build(flush: FlushStats, leader: boolean, listLosses = 0): ClusterStats {
    let totals = this.#retired;
    const perWorker: Record<string, number> = {};
    for (const [id, snap] of this.#latest) {
      totals = addSnapshots(totals, snap);
      perWorker[String(id)] = snap.requests;
    }
    const now = Date.now();
    const secs = Math.max(1, (now - this.#previous.at) / 1000);
    const stats: ClusterStats = {
      startedAt: this.startedAt,
      totals,
      requestRate: Math.floor(Math.max(0, totals.requests - this.#previous.requests) / secs),
      connectionRate: Math.floor(Math.max(0, totals.openedConnections - this.#previous.connections) / secs),
      perWorker,
      listLosses,
      flush: {
        leader: leader ? 1 : 0,
        lagSeconds: flush.lagSeconds,
        rows: flush.rows,
        batches: flush.batches,
        failures: flush.failures,
        rejected: flush.rejected,
        pending: { pending: flush.pendingRows, batch: flush.batchRows },
        pendingRows: flush.pendingRows < 0 ? -1 : flush.pendingRows + flush.batchRows,
      },
    };
    this.#previous = { requests: totals.requests, connections: totals.openedConnections, at: now };
    this.last = stats;
    return stats;
  }
}
