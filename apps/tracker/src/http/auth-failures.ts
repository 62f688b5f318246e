/**
 * Wrong site or report passwords: counted (oncilla_auth_failures_total) and logged, at most one
 * line per route per AUTH_LOG_EVERY_MS in each worker so a guessing client cannot flood the log.
 * The line has the count since the previous one and the client address, never the secret tried.
 */
export const AUTH_ROUTES = ['update', 'report', 'metrics'] as const;
export type AuthRoute = (typeof AUTH_ROUTES)[number];

export const AUTH_LOG_EVERY_MS = 10_000;

export interface AuthFailureLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export class AuthFailures {
  /** Per route: when the last line was written and how many failures it has not reported yet. */
  readonly #routes = new Map<AuthRoute, { loggedAt: number; unlogged: number }>();

  constructor(
    private readonly counts: Map<string, number>,
    private readonly log: AuthFailureLog | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  record(route: AuthRoute, address: string): void {
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
    const r = this.#routes.get(route) ?? { loggedAt: -Infinity, unlogged: 0 };
    this.#routes.set(route, r);
    r.unlogged++;
    const t = this.now();
    if (t - r.loggedAt < AUTH_LOG_EVERY_MS) return;
    this.log?.warn(
      { route, address, failures: r.unlogged },
      `authentication failure on /${route} from ${address} (${r.unlogged} since the last such line)`,
    );
    r.loggedAt = t;
    r.unlogged = 0;
  }
}
