import { it } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_LOG_EVERY_MS, AuthFailures } from '../src/http/auth-failures.js';
import { renderMetrics } from '../src/http/metrics.js';
import { addSnapshots, emptySnapshot, type ClusterStats } from '../src/http/stats.js';

it('logs a failed login at most once per route per 10 s, with the count since the last line', () => {
  let now = 1_000_000;
  const lines: Array<Record<string, unknown>> = [];
  const counts = new Map<string, number>();
  const f = new AuthFailures(counts, { warn: (obj, msg) => lines.push({ ...obj, msg }) }, () => now);
  f.record('update', '192.0.2.1');
  now += 1000;
  f.record('update', '192.0.2.2');
  f.record('report', '192.0.2.3');
  now += AUTH_LOG_EVERY_MS - 1000 - 1;
  f.record('update', '192.0.2.4');
  assert.deepEqual(lines.map((l) => [l.route, l.failures, l.address]), [['update', 1, '192.0.2.1'], ['report', 1, '192.0.2.3']], 'the second and third update failures are only counted');
  now += 1;
  f.record('update', '192.0.2.5');
  assert.deepEqual(lines.map((l) => [l.route, l.failures, l.address]).at(-1), ['update', 3, '192.0.2.5'], 'the next line carries the two held back');
  assert.match(String(lines.at(-1)?.msg), /^authentication failure on \/update from 192\.0\.2\.5 \(3 since the last such line\)$/);
  assert.deepEqual(Object.fromEntries(counts), { update: 4, report: 1 }, 'every failure is counted');
});

it('exports the summed auth failures of every worker, each route even at 0', () => {
  const a = { ...emptySnapshot(), authFailures: { update: 2, metrics: 1 } };
  const b = { ...emptySnapshot(), authFailures: { update: 3 } };
  const stats: ClusterStats = {
    startedAt: 0, totals: addSnapshots(a, b), requestRate: 0, connectionRate: 0, perWorker: {}, listLosses: 0,
    flush: { leader: 0, lagSeconds: 0, rows: 0, batches: 0, failures: 0, rejected: 0, pending: {}, pendingRows: 0 },
  };
  const text = renderMetrics(stats, { seeders: 0, leechers: 0 }, 0);
  assert.match(text, /^# TYPE oncilla_auth_failures_total counter$/m);
  assert.match(text, /^oncilla_auth_failures_total\{route="update"\} 5$/m);
  assert.match(text, /^oncilla_auth_failures_total\{route="report"\} 0$/m);
  assert.match(text, /^oncilla_auth_failures_total\{route="metrics"\} 1$/m);
});
