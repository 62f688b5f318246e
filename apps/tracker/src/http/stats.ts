/** Per-worker counters; the report endpoint and /metrics add them up across workers. */
export class WorkerStats {
  requests = 0;
  announcements = 0;
  succAnnouncements = 0;
  scrapes = 0;
  errors = 0;
  readonly failures = new Map<string, number>();

  failure(reason: string): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  snapshot(): StatsSnapshot {
    return {
      requests: this.requests,
      announcements: this.announcements,
      succAnnouncements: this.succAnnouncements,
      scrapes: this.scrapes,
      errors: this.errors,
      failures: Object.fromEntries(this.failures),
    };
  }
}

export interface StatsSnapshot {
  requests: number;
  announcements: number;
  succAnnouncements: number;
  scrapes: number;
  errors: number;
  failures: Record<string, number>;
}
