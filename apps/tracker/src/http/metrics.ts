/**
 * Prometheus text exposition of the cluster-wide counters (pure, so it is unit-tested).
 */
import type { ClusterStats } from './stats.js';
import { AUTH_ROUTES } from './auth-failures.js';

export interface PeerGauges {
  seeders: number;
  leechers: number;
  /** Peers with an IPv4 / IPv6 endpoint (a dual-stack peer counts in both). */
  ipv4?: number;
  ipv6?: number;
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** `peers` undefined: Redis did not answer (the peer gauges are left out, the rest still shows). */
export function renderMetrics(c: ClusterStats, peers: PeerGauges | undefined, now: number): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[Record<string, string>, number]>): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${v}`);
    }
  };
  const t = c.totals;
  metric('oncilla_uptime_seconds', 'gauge', 'Seconds since the primary started.', [[{}, Math.max(0, now - c.startedAt)]]);
  metric('oncilla_requests_total', 'counter', 'HTTP requests answered, by worker.', Object.entries(c.perWorker).map(([w, n]) => [{ worker: w }, n]));
  metric('oncilla_announces_total', 'counter', 'Announces by result.', [[{ result: 'ok' }, t.succAnnouncements], [{ result: 'failed' }, t.announcements - t.succAnnouncements]]);
  metric('oncilla_announce_failures_total', 'counter', 'Failed announces and scrapes by failure reason.', Object.entries(t.failures).map(([r, n]) => [{ reason: r }, n]));
  metric('oncilla_scrapes_total', 'counter', 'Scrapes.', [[{}, t.scrapes]]);
  metric('oncilla_auth_failures_total', 'counter', 'Requests refused for a wrong site or report password, by route.',
    AUTH_ROUTES.map((r) => [{ route: r }, t.authFailures[r] ?? 0]));
  metric('oncilla_errors_total', 'counter', 'Requests that failed inside the tracker (Redis unreachable and the like).', [[{}, t.errors]]);
  metric('oncilla_refused_transfers_total', 'counter', 'Announces whose transfer was over max_credit_rate or max_announce_credit, not credited.', [[{}, t.refusedTransfers]]);
  metric('oncilla_stale_announces_total', 'counter', "Announces older than the peer's stored one (reordered or replayed), credited nothing.", [[{}, t.staleAnnounces]]);
  metric('oncilla_requests_in_flight', 'gauge', 'Requests waiting on Redis, over every worker.', [[{}, t.inFlight]]);
  metric('oncilla_requests_shed_total', 'counter', 'Requests answered "temporarily unavailable" at once because max_inflight_requests were waiting on Redis.', [[{}, t.shed]]);
  metric('oncilla_redis_list_losses_total', 'counter', 'Times the primary found Redis without the lists (emptied, restarted without persistence) and reloaded them.', [[{}, c.listLosses]]);
  metric('oncilla_connections_open', 'gauge', 'Open client connections.', [[{}, t.openConnections]]);
  metric('oncilla_connections_total', 'counter', 'Client connections accepted.', [[{}, t.openedConnections]]);
  metric('oncilla_bytes_total', 'counter', 'Bytes read from and written to clients.', [[{ direction: 'read' }, t.bytesRead], [{ direction: 'written' }, t.bytesWritten]]);
  if (peers) {
    metric('oncilla_peers', 'gauge', 'Peers in every swarm.', [[{ role: 'seeder' }, peers.seeders], [{ role: 'leecher' }, peers.leechers]]);
    metric('oncilla_peers_by_family', 'gauge', 'Peers with an endpoint in each address family (dual-stack peers count in both).', [[{ family: 'ipv4' }, peers.ipv4 ?? 0], [{ family: 'ipv6' }, peers.ipv6 ?? 0]]);
  }
  metric('oncilla_flush_leader', 'gauge', 'Whether this cluster holds the flush lease (1) or leaves the MySQL flush to another (0).', [[{}, c.flush.leader]]);
  metric('oncilla_flush_lag_seconds', 'gauge', 'How long the oldest unflushed batch has waited.', [[{}, c.flush.lagSeconds]]);
  metric('oncilla_flush_pending_rows', 'gauge', 'Rows waiting in Redis for the next flush, by kind.', Object.entries(c.flush.pending).map(([k, n]) => [{ kind: k }, n]));
  metric('oncilla_flush_rows_total', 'counter', 'Rows written to MySQL.', [[{}, c.flush.rows]]);
  metric('oncilla_flush_batches_total', 'counter', 'Flush batches completed.', [[{}, c.flush.batches]]);
  metric('oncilla_flush_failures_total', 'counter', 'Flush attempts that failed (MySQL errors).', [[{}, c.flush.failures]]);
  metric('oncilla_flush_rejected_rows_total', 'counter', 'Rows MySQL refused, set aside.', [[{}, c.flush.rejected]]);
  return out.join('\n') + '\n';
}
