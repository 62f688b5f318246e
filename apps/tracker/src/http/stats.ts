import type { ConnectionCounts } from './front-door.js';

/** Per-worker counters; the primary adds every worker's up and sends the sums back. */
export class WorkerStats {
  requests = 0;
  announcements = 0;
  succAnnouncements = 0;
  scrapes = 0;
  errors = 0;
  /** Announces whose transfer was over the credit limits (not credited). */
  refusedTransfers = 0;
  /** Announces older than the peer's stored one (reordered or replayed; credited nothing). */
  staleAnnounces = 0;
  /** Requests waiting on Redis now, and those refused because too many were (max_inflight_requests). */
  inFlight = 0;
  shed = 0;
  private readonly doors: Array<{ counts(): ConnectionCounts }> = [];
  readonly failures = new Map<string, number>();
  /** Wrong site or report password, by route (auth-failures.ts). */
  readonly authFailures = new Map<string, number>();

  failure(reason: string): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  /** Adds a front door's connections and their bytes (Ocelot's report lines). */
  watch(door: { counts(): ConnectionCounts }): void {
    this.doors.push(door);
  }

  snapshot(): StatsSnapshot {
    let opened = 0;
    let open = 0;
    let read = 0;
    let written = 0;
    for (const d of this.doors) {
      const c = d.counts();
      opened += c.opened;
      open += c.open;
      read += c.bytesRead;
      written += c.bytesWritten;
    }
    return {
      requests: this.requests,
      announcements: this.announcements,
      succAnnouncements: this.succAnnouncements,
      scrapes: this.scrapes,
      errors: this.errors,
      openedConnections: opened,
      openConnections: open,
      refusedTransfers: this.refusedTransfers,
      staleAnnounces: this.staleAnnounces,
      inFlight: this.inFlight,
      shed: this.shed,
      bytesRead: read,
      bytesWritten: written,
      failures: Object.fromEntries(this.failures),
      authFailures: Object.fromEntries(this.authFailures),
    };
  }
}

export interface StatsSnapshot {
  requests: number;
  announcements: number;
  succAnnouncements: number;
  scrapes: number;
  errors: number;
  openedConnections: number;
  openConnections: number;
  refusedTransfers: number;
  staleAnnounces: number;
  inFlight: number;
  shed: number;
  bytesRead: number;
  bytesWritten: number;
  failures: Record<string, number>;
  authFailures: Record<string, number>;
}

/** What every worker knows about the whole cluster (sent by the primary every second). */
export interface ClusterStats {
  startedAt: number;
  totals: StatsSnapshot;
  /** Per-second averages over the last interval. */
  requestRate: number;
  connectionRate: number;
  /** Requests answered by each worker (by worker id). */
  perWorker: Record<string, number>;
  /** Times the primary found Redis without the lists (emptied) and reloaded them. */
  listLosses: number;
  flush: {
    /** 1 when this cluster's primary held the flush lease at its last attempt. */
    leader: number;
    lagSeconds: number;
    rows: number;
    batches: number;
    failures: number;
    rejected: number;
    /** Rows waiting in Redis: `pending` (not cut yet) and `batch` (being written). */
    pending: Record<string, number>;
    /** Every row not yet in MySQL (pending and batch): 0 once the flush has caught up; -1 until first counted. */
    pendingRows: number;
  };
}

export function emptySnapshot(): StatsSnapshot {
  return {
    requests: 0, announcements: 0, succAnnouncements: 0, scrapes: 0, errors: 0, openedConnections: 0, openConnections: 0,
    refusedTransfers: 0, staleAnnounces: 0, inFlight: 0, shed: 0, bytesRead: 0, bytesWritten: 0, failures: {}, authFailures: {},
  };
}

export function addSnapshots(a: StatsSnapshot, b: StatsSnapshot): StatsSnapshot {
  const failures = { ...a.failures };
  for (const [k, v] of Object.entries(b.failures)) failures[k] = (failures[k] ?? 0) + v;
  const authFailures = { ...a.authFailures };
  for (const [k, v] of Object.entries(b.authFailures)) authFailures[k] = (authFailures[k] ?? 0) + v;
  return {
    requests: a.requests + b.requests,
    announcements: a.announcements + b.announcements,
    succAnnouncements: a.succAnnouncements + b.succAnnouncements,
    scrapes: a.scrapes + b.scrapes,
    errors: a.errors + b.errors,
    openedConnections: a.openedConnections + b.openedConnections,
    openConnections: a.openConnections + b.openConnections,
    refusedTransfers: a.refusedTransfers + b.refusedTransfers,
    staleAnnounces: a.staleAnnounces + b.staleAnnounces,
    inFlight: a.inFlight + b.inFlight,
    shed: a.shed + b.shed,
    bytesRead: a.bytesRead + b.bytesRead,
    bytesWritten: a.bytesWritten + b.bytesWritten,
    failures,
    authFailures,
  };
}
