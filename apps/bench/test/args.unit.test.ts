import { it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs, parseConnectionModes, planRuns, parseToolArgs } from '../src/args.js';

it('has the documented defaults', () => {
  const o = parseBenchArgs([]);
  assert.equal(o.duration, 15);
  assert.equal(o.connections, 64);
  assert.equal(o.threads, 1);
  assert.deepEqual(o.connectionModes, ['new', 'keepalive']);
  assert.deepEqual(o.workers, [1, 2]);
  assert.equal(o.repeat, 1);
  assert.equal(o.redisAof, 'always');
  assert.equal(o.mysqlVia, 'socket');
  assert.equal(o.redis, 'single');
  assert.equal(o.clusterReplicas, 0);
  assert.equal(o.out, 'bench-results.json');
  assert.equal(o.target, undefined);
  assert.deepEqual(o.targetPids, []);
  assert.deepEqual(o.dataSet, { users: 10000, torrents: 10000, peers: 20, seederPct: 50 });
  assert.equal(o.userAgent, 'Transmission/3.00');
  assert.equal(o.wrk, 'wrk');
});

it('reads the data set from BENCH_* unless an option says otherwise', () => {
  const env = { BENCH_USERS: '50', BENCH_TORRENTS: '60', BENCH_PEERS: '3', BENCH_SEEDER_PCT: '20', BENCH_UA: 'qBittorrent/4.6.0' };
  const o = parseBenchArgs([], env);
  assert.deepEqual(o.dataSet, { users: 50, torrents: 60, peers: 3, seederPct: 20 });
  assert.equal(o.userAgent, 'qBittorrent/4.6.0');
  assert.equal(parseBenchArgs(['--peers', '7'], env).dataSet.peers, 7);
});

it('parses the run options', () => {
  const o = parseBenchArgs(['--duration', '10', '--connection', 'keepalive', '--workers', '2', '--repeat', '3', '--pin', '--connections', '128', '--threads', '2',
    '--target', 'http://127.0.0.1:34100/', '--target-pids', '11400,11371', '--redis-aof', 'off', '--mysql-via', 'tcp', '--out', 'x.json']);
  assert.equal(o.duration, 10);
  assert.deepEqual(o.connectionModes, ['keepalive']);
  assert.deepEqual(o.workers, [2]);
  assert.equal(o.repeat, 3);
  assert.equal(o.pin, true);
  assert.equal(o.connections, 128);
  assert.equal(o.threads, 2);
  assert.equal(o.target, 'http://127.0.0.1:34100');
  assert.deepEqual(o.targetPids, [11400, 11371]);
  assert.equal(o.redisAof, 'off');
  assert.equal(o.mysqlVia, 'tcp');
  assert.equal(o.out, 'x.json');
  assert.deepEqual(parseConnectionModes('keepalive,new'), ['keepalive', 'new']);
  assert.deepEqual(parseConnectionModes('both'), ['new', 'keepalive']);
});

it('--redis cluster: three masters, replicas optional, over TCP only', () => {
  assert.equal(parseBenchArgs(['--redis', 'cluster']).redis, 'cluster');
  assert.equal(parseBenchArgs(['--redis', 'cluster', '--cluster-replicas', '1']).clusterReplicas, 1);
  assert.throws(() => parseBenchArgs(['--redis', 'sentinel']), /--redis must be single or cluster/);
  assert.throws(() => parseBenchArgs(['--cluster-replicas', '1']), /needs --redis cluster/);
  assert.throws(() => parseBenchArgs(['--redis', 'cluster', '--redis-via', 'socket']), /over TCP/);
});

it('refuses what it cannot run', () => {
  for (const argv of [
    ['--duration', '0'], ['--duration', '1.5'], ['--duration', 'x'], ['--connection', 'close'], ['--connection', 'new,new'],
    ['--connections', '1', '--threads', '2'], ['--redis-aof', 'never'], ['--mysql-via', 'pipe'], ['--flusher', 'other'],
    ['--target', 'https://example.invalid'], ['--target-pids', '12'], ['--target', 'http://127.0.0.1:1', '--target-pids', 'ocelot'],
    ['--seeder-pct', '101'], ['--workers', '1,0'], ['--nope'],
  ]) {
    assert.throws(() => parseBenchArgs(argv), `${argv.join(' ')}`);
  }
});

it('alternates Oncilla and the target, per round, connection mode and worker count', () => {
  const short = (o: Parameters<typeof planRuns>[0]): string[] => planRuns(o).map((r) => `${r.round}${r.kind[0]}${r.connection[0]}${r.workers}${r.readonly ? 'r' : ''}`);
  assert.deepEqual(short({ repeat: 1, connectionModes: ['new', 'keepalive'], workers: [1, 2], compareReadonly: false, target: undefined }), ['0on1', '0on2', '0ok1', '0ok2']);
  assert.deepEqual(short({ repeat: 2, connectionModes: ['new'], workers: [1], compareReadonly: false, target: 'http://t' }), ['0on1', '0tn0', '1on1', '1tn0']);
  assert.deepEqual(short({ repeat: 1, connectionModes: ['keepalive'], workers: [1], compareReadonly: true, target: 'http://t' }), ['0ok1', '0ok1r', '0tk0']);
});

it('the smaller tools: whole numbers and choices checked, defaults kept', () => {
  const r = parseToolArgs(['--peers', '20', '--mysql-via', 'tcp'], { peers: 15000, batches: 4 }, { 'mysql-via': ['socket', 'tcp'] }, 'x.json');
  assert.deepEqual(r, { numbers: { peers: 20, batches: 4 }, choices: { 'mysql-via': 'tcp' }, out: 'x.json' });
  assert.throws(() => parseToolArgs(['--peers', 'many'], { peers: 1 }, {}, 'x.json'), /--peers must be a whole number/);
  assert.throws(() => parseToolArgs(['--aof', 'sometimes'], {}, { aof: ['always', 'off'] }, 'x.json'), /--aof must be always or off/);
});
