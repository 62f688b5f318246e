import { it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuSeconds, cpuSecondsWithChildren, infoField, microsPerAnnounce, parseCommandStats, parseProcStat, procName, rssMiB } from '../src/proc-stats.js';

it('reads utime+stime and the children\'s times from a stat line, a name with spaces and parentheses too', () => {
  const line = '123 (Web (Content) 1) S 1 123 123 0 -1 4194560 5000 0 0 0 250 50 7 3 20 0 12 0 100 1000000 2000';
  assert.deepEqual(parseProcStat(line), { self: 3, children: 0.1 });
  assert.throws(() => parseProcStat('123 (x) S 1 2'));
});

it('reads this very process', () => {
  const self = cpuSeconds(process.pid);
  assert.ok(self > 0, `cpu ${self}`);
  assert.ok(cpuSecondsWithChildren(process.pid) >= self);
  const rss = rssMiB(process.pid);
  assert.ok(rss > 10, `rss ${rss}`);
  assert.ok(rssMiB(process.pid, 'VmHWM') >= rss);
  assert.equal(procName(process.pid), 'node');
  assert.equal(procName(2 ** 22 + 1), '');
  assert.equal(rssMiB(2 ** 22 + 1), 0);
});

it('turns CPU seconds into µs per announce', () => {
  assert.equal(microsPerAnnounce(10, 15, 50000), 100);
  assert.equal(microsPerAnnounce(1.5, 1.5, 1000), 0);
  assert.equal(microsPerAnnounce(1, 2, 0), 0);
  assert.equal(microsPerAnnounce(0, 0.01, 3), 3333);
});

it('reads INFO fields and commandstats', () => {
  assert.equal(infoField('# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n', 'used_memory'), 1048576);
  assert.deepEqual(parseCommandStats('# Commandstats\r\ncmdstat_evalsha:calls=5000,usec=1,usec_per_call=0.00\r\ncmdstat_hset:calls=7,usec=1\r\n'), { evalsha: 5000, hset: 7 });
});
