import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ANNOUNCE_LUA, failureCount, parseBenchJson, scanWrapperOutput, wrkCommand } from '../src/wrk.js';

const LINE = 'BENCH_JSON {"mode":"steady","connection":"new","threads":1,"threadsSeen":1,"slots":200000,"users":10000,"torrents":10000,"peers":20,"seederPct":50,' +
  '"requests":51234,"responses":51234,"duration":10.012,"rps":5117.3,"p50":11.250,"p90":14.100,"p99":30.125,"p999":41.000,"max":52.500,' +
  '"non200":1,"failure":2,"noPeers":3,"errors":{"connect":4,"read":5,"write":0,"status":1,"timeout":6}}';

it('reads the BENCH_JSON line among wrk\'s own output', () => {
  const j = parseBenchJson(`Running 10s test @ http://127.0.0.1:1\n  1 threads and 64 connections\nRequests/sec: 5117.30\n${LINE}\nBENCH_WRAPPER_STAT 1 (sh) S\n`);
  assert.equal(j.mode, 'steady');
  assert.equal(j.connection, 'new');
  assert.equal(j.requests, 51234);
  assert.equal(j.duration, 10.012);
  assert.equal(j.p99, 30.125);
  assert.equal(j.p999, 41);
  assert.deepEqual(j.errors, { connect: 4, read: 5, write: 0, status: 1, timeout: 6 });
  // 200s without peers (failures among them) + non-200 + requests lost to socket errors
  assert.equal(failureCount(j), 1 + 3 + 4 + 5 + 0 + 6);
});

it('refuses a missing or malformed line', () => {
  assert.throws(() => parseBenchJson('Requests/sec: 1\n'), /no BENCH_JSON/);
  assert.throws(() => parseBenchJson(LINE.replace('"rps":5117.3', '"rps":"fast"')), /rps is not a number/);
  assert.throws(() => parseBenchJson(LINE.replace('"mode":"steady"', '"mode":"burst"')), /mode/);
  assert.throws(() => parseBenchJson(LINE.replace(',"errors":{"connect":4,"read":5,"write":0,"status":1,"timeout":6}', '')), /errors/);
  assert.throws(() => parseBenchJson('BENCH_JSON {"mode":'), SyntaxError);
});

it('reads the wrapper\'s lines: wrk\'s pid, finished threads, and wrk\'s CPU as the shell\'s children\'s', () => {
  const stat = '4242 (sh) S 1 2 3 0 -1 4194304 128 553 0 0 3 1 125 84 20 0 1 0 241767 2654208 364';
  const s = scanWrapperOutput(`BENCH_WRK_PID 4243\nRunning\nBENCH_THREAD_DONE 0\nBENCH_THREAD_DONE 1\n${LINE}\nBENCH_WRAPPER_STAT ${stat}\n`);
  assert.equal(s.pid, 4243);
  assert.equal(s.threadsDone, 2);
  assert.equal(s.cpuSeconds, 2.09);
  assert.deepEqual(scanWrapperOutput('Running'), { pid: undefined, threadsDone: 0, cpuSeconds: undefined });
});

it('builds the wrk command and the environment the Lua script reads', () => {
  const dataSet = { users: 10, torrents: 20, peers: 3, seederPct: 40 };
  const c = wrkCommand({ url: 'http://127.0.0.1:5', mode: 'fill', connection: 'new', threads: 2, connections: 64, seconds: 600, dataSet, userAgent: 'UA', wrk: '/usr/bin/wrk', cpu: 1 });
  assert.deepEqual(c.args, ['taskset', '-c', '1', '/usr/bin/wrk', '-t2', '-c64', '-d600s', '--timeout', '10s', '-s', ANNOUNCE_LUA, 'http://127.0.0.1:5']);
  assert.deepEqual(c.env, { BENCH_MODE: 'fill', BENCH_CONNECTION: 'new', BENCH_THREADS: '2', BENCH_USERS: '10', BENCH_TORRENTS: '20', BENCH_PEERS: '3', BENCH_SEEDER_PCT: '40', BENCH_UA: 'UA' });
  assert.equal(wrkCommand({ url: 'u', mode: 'steady', connection: 'keepalive', threads: 1, connections: 1, seconds: 5, dataSet, userAgent: 'UA', wrk: 'wrk' }).args[0], 'wrk');
  assert.match(ANNOUNCE_LUA, /apps\/bench\/wrk\/announce\.lua$/);
});
