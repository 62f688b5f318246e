import { it } from 'node:test';
import assert from 'node:assert/strict';
import { renderMetrics } from '../src/http/metrics.js';
import { emptySnapshot, type ClusterStats } from '../src/http/stats.js';
import { statsText, uptimeLine } from '../src/http/report.js';
import { callbackUrl } from '../src/token-callback.js';
import { announceInterval } from '../src/http/interval.js';

const stats: ClusterStats = {
  startedAt: 1000,
  totals: { ...emptySnapshot(), requests: 10, announcements: 7, succAnnouncements: 5, scrapes: 2, failures: { 'Passkey not found': 2 }, openConnections: 3 },
  requestRate: 4,
  connectionRate: 1,
  perWorker: { '1': 6, '2': 4 },
  listLosses: 1,
  flush: { leader: 1, lagSeconds: 2, rows: 99, batches: 3, failures: 1, rejected: 0, pending: { pending: 5 }, pendingRows: 5 },
};

it('renders Prometheus text with labels', () => {
  const text = renderMetrics(stats, { seeders: 8, leechers: 9, ipv4: 15, ipv6: 4 }, 1100);
  assert.match(text, /^oncilla_peers_by_family\{family="ipv6"\} 4$/m);
  assert.match(text, /^# TYPE oncilla_announces_total counter$/m);
  assert.match(text, /^oncilla_announces_total\{result="failed"\} 2$/m);
  assert.match(text, /^oncilla_announce_failures_total\{reason="Passkey not found"\} 2$/m);
  assert.match(text, /^oncilla_requests_total\{worker="2"\} 4$/m);
  assert.match(text, /^oncilla_peers\{role="leecher"\} 9$/m);
  assert.match(text, /^oncilla_flush_leader 1$/m);
  assert.match(text, /^oncilla_flush_lag_seconds 2$/m);
  assert.match(text, /^oncilla_flush_pending_rows\{kind="pending"\} 5$/m);
  assert.match(text, /^oncilla_uptime_seconds 100$/m);
});

it('renders the accounting and overload counters, and everything but the peer gauges when Redis does not answer', () => {
  const text = renderMetrics({ ...stats, totals: { ...stats.totals, refusedTransfers: 3, staleAnnounces: 4, inFlight: 5, shed: 6 } }, undefined, 1100);
  assert.match(text, /^oncilla_refused_transfers_total 3$/m);
  assert.match(text, /^oncilla_stale_announces_total 4$/m);
  assert.match(text, /^# TYPE oncilla_requests_in_flight gauge$/m);
  assert.match(text, /^oncilla_requests_in_flight 5$/m);
  assert.match(text, /^oncilla_requests_shed_total 6$/m);
  assert.match(text, /^oncilla_redis_list_losses_total 1$/m);
  assert.doesNotMatch(text, /oncilla_peers/);
  assert.match(text, /^oncilla_flush_lag_seconds 2$/m);
});

it('writes the report in Ocelot\'s 13 lines and success', () => {
  assert.equal(uptimeLine(90061), 'Uptime: 1 days, 01:01:01');
  const lines = statsText(stats, { seeders: 8, leechers: 9 }, 1100).split('\n');
  assert.deepEqual(lines.slice(1, 11), [
    '0 connections opened', '3 open connections', '1 connections/s', '10 requests handled', '4 requests/s',
    '5 successful announcements', '2 failed announcements', '2 scrapes', '9 leechers tracked', '8 seeders tracked',
  ]);
  assert.equal(lines.length, 14);
  assert.equal(lines[13], 'success');
});

it('builds the token-expiry callback URL with the secret encoded', () => {
  assert.equal(
    callbackUrl({ siteHost: 'web', sitePort: 80, sitePath: '', sitePassword: 'a&b' }, ['1:2', '3:4']),
    'http://web:80/tools.php?key=a%26b&type=expiretoken&action=ocelot&tokens=1:2,3:4',
  );
});

it('computes the interval as Ocelot, or with jitter', () => {
  assert.equal(announceInterval(1800, 3, 0), 1803);
  assert.equal(announceInterval(1800, 5000, 0), 2400);
  assert.equal(announceInterval(1800, 3, 240, () => 0.999), 2040);
  assert.equal(announceInterval(1800, 3, 240, () => 0), 1800);
});
