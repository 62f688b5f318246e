import { it } from 'node:test';
import assert from 'node:assert/strict';
import { formatRatios, formatTable, throughputRatios, type RunFigures } from '../src/report.js';

const run = (n: number, p: Partial<RunFigures>): RunFigures => ({
  run: n, round: 0, tracker: 'oncilla', label: 'oncilla', connection: 'new', workers: 1, readonly: false,
  announces: 50000, durationSeconds: 10, announcesPerSecond: 5000,
  latencyMs: { p50: 10, p90: 20, p99: 30.5, p999: 40, max: 50 },
  failures: { non200: 0, failure: 0, noPeers: 0, socket: 0, total: 0 },
  cpuMicrosPerAnnounce: { 'worker:10': 90, workers: 90, primary: 20, redis: 80, mariadb: 40, tracker: 190, wrk: 30 },
  rssMiB: { primary: 80 },
  redis: { scriptCallsPerAnnounce: 1, commandsPerAnnounce: 12.34, usedMemoryBytes: 1e8, usedMemoryBytesPerPeer: 512, aofBytesPerAnnounce: null, aofRewrites: 0 },
  flush: null,
  ...p,
});

it('pairs each target run with the Oncilla accounting run before it', () => {
  const runs = [
    run(1, { announcesPerSecond: 4000 }),
    run(2, { readonly: true, announcesPerSecond: 9000 }),
    run(3, { tracker: 'target', label: 'http://t', workers: 0, announcesPerSecond: 8000, redis: null }),
    run(4, { workers: 2, announcesPerSecond: 6000 }),
    run(5, { tracker: 'target', label: 'http://t', workers: 0, announcesPerSecond: 8000, redis: null }),
    run(6, { connection: 'keepalive', round: 1, announcesPerSecond: 10000 }),
    // another mode than the Oncilla run before it: no pair
    run(7, { tracker: 'target', connection: 'new', round: 1, workers: 0, announcesPerSecond: 1, redis: null }),
  ];
  assert.deepEqual(throughputRatios(runs), [
    { round: 0, connection: 'new', workers: 1, oncilla: 4000, target: 8000, ratio: 0.5 },
    { round: 0, connection: 'new', workers: 2, oncilla: 6000, target: 8000, ratio: 0.75 },
  ]);
  assert.match(formatRatios(throughputRatios(runs)), /^round 1, new, 1 worker\(s\): Oncilla 4,000\/s \/ target 8,000\/s = 0\.50$/m);
  assert.equal(formatRatios([]), '');
});

it('prints one aligned line per run', () => {
  const lines = formatTable([run(1, {}), run(2, { tracker: 'target', workers: 0, redis: null, cpuMicrosPerAnnounce: { 'ocelot:5': 60, target: 60, wrk: 30 } })]).split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^run +tracker +conn +w +ann\/s/);
  assert.match(lines[1], /^1 +oncilla +new +1 +5,000 +10\.00 +30\.50 +0 +1\.00\/12\.3 +512 +worker:10 90, workers 90, primary 20, redis 80, mariadb 40, tracker 190, wrk 30$/);
  assert.match(lines[2], /^2 +target +new +- +5,000 .* - +- +ocelot:5 60, target 60, wrk 30$/);
  assert.equal(lines[1].indexOf('5,000'), lines[0].indexOf('ann/s'));
});
