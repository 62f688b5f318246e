/**
 * `npm run bench:redis`: what accounting costs Redis alone, without the HTTP side or the flush.
 * Drives the real announce script straight from this process (--in-flight calls, 64, on one connection)
 * with the benchmark's traffic model, on a throwaway Redis with AOF and `appendfsync always`
 * (automatic rewrites off, so the file's growth is exactly what the announces wrote), once in
 * readonly mode and once with accounting, and prints per announce: the AOF bytes written and
 * Redis' CPU. AOF bytes are exact and repeatable; the CPU is a measurement.
 *
 * Options: --announces N (60000), --repeat N (2), --torrents N (2000), --users N (10000), --in-flight N (64),
 * --aof always|off (always), --mode standalone|cluster (cluster: the same one Redis with
 * cluster mode on and every slot its own, to tell cluster mode's own cost from a cluster's
 * extra processes), --callgrind off|on (on: Redis runs under valgrind's callgrind and the
 * figure is the instructions Redis spends inside the announce function per announce of the
 * measured part, repeatable to a few parts in ten thousand whatever else the machine does; use
 * a small data set, e.g. --torrents 300 --users 3000 --announces 5000, as callgrind is ~50x
 * slower), --pending kept|flushed (kept: the pending rows of the warm-up are still there, so
 * every announce sums into its peer's; flushed: they are cut away just before the measured
 * part, as a flush every few seconds leaves them for peers that announce every half hour), --out
 * FILE (bench-redis-results.json).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadTorrents, RedisPeerStore, type AnnounceInput } from '@oncilla/swarm-store';
import { findBinary, makeInfoHash, startRedis } from '@oncilla/testkit';
import { parseToolArgs } from './args.js';
import { cpuSeconds, infoField, parseCommandStats } from './proc-stats.js';
import { TrafficModel, benchPeerId, type AnnounceSpec } from './traffic.js';

const parsed = parseToolArgs(process.argv.slice(2), { announces: 60000, repeat: 2, torrents: 2000, users: 10000, 'in-flight': 64 }, { aof: ['always', 'off'], mode: ['standalone', 'cluster'], callgrind: ['off', 'on'], pending: ['kept', 'flushed'] }, 'bench-redis-results.json');
const args = { ...parsed.choices, out: parsed.out };
const { announces, users, torrents } = parsed.numbers;
const IN_FLIGHT = parsed.numbers['in-flight'];

/**
 * --callgrind on: a wrapper that runs redis-server under callgrind, counting only inside the
 * announce function (FCALL); the counts are zeroed before the measured part and dumped after.
 */
const callgrind = args.callgrind === 'on' ? (() => {
  const dir = mkdtempSync(join(tmpdir(), 'oncilla-callgrind-'));
  const wrapper = join(dir, 'redis-server');
  const real = findBinary('redis-server', { debianPackage: 'redis-server', envVar: 'ONCILLA_REDIS_SERVER' });
  writeFileSync(wrapper, `#!/bin/sh\nexec valgrind --tool=callgrind --toggle-collect=fcallCommand --callgrind-out-file=${dir}/cg.%p ${real} "$@"\n`);
  chmodSync(wrapper, 0o755);
  process.env.ONCILLA_REDIS_SERVER = wrapper;
  return {
    dir,
    zero: (pid: number): void => void execFileSync('callgrind_control', ['-z', String(pid)]),
    /** The instructions counted since the last zero. */
    dump: (pid: number): number => {
      execFileSync('callgrind_control', ['-d', String(pid)]);
      const files = readdirSync(dir).filter((f) => f.startsWith(`cg.${pid}.`)).sort();
      const text = readFileSync(join(dir, files[files.length - 1]), 'utf8');
      const m = /^(?:summary|totals):\s+(\d+)/m.exec(text);
      if (!m) throw new Error('no totals in the callgrind dump');
      return Number(m[1]);
    },
  };
})() : undefined;

interface Cost {
  mode: 'readonly' | 'accounting';
  aofBytesPerAnnounce: number | null;
  redisCpuMicrosecondsPerAnnounce: number;
  /** INFO commandstats: the script's own time per call, its inner commands included */
  scriptMicrosecondsPerCall: number;
  commandsInsideScriptPerAnnounce: number;
  /** --callgrind on: instructions inside the announce function per announce */
  instructionsPerAnnounce?: number;
}

function input(s: AnnounceSpec): AnnounceInput {
  const ip = [10, (s.peer >> 16) & 255, (s.peer >> 8) & 255, s.peer & 255];
  return {
    infoHash: makeInfoHash(s.torrent + 1), user: { uid: s.user + 1, canLeech: true, isProtected: false }, error: '',
    peerId: Buffer.from(benchPeerId(s.peer), 'latin1'), event: s.event, left: s.left, uploaded: s.uploaded,
    downloaded: s.downloaded, corrupt: 0, port: s.port, ipv4: Buffer.from(ip), numwant: 50, plan: s.left > 0 ? 's4l4' : 'l4',
    withPeerIds: false, userAgent: 'qBittorrent/4.6.5',
  };
}

async function measure(readonly: boolean): Promise<Cost> {
  const clusterArgs = args.mode === 'cluster' ? ['--cluster-enabled', 'yes'] : [];
  const server = await startRedis(args.aof === 'off'
    ? { appendonly: false, extraArgs: clusterArgs }
    : { appendonly: true, extraArgs: ['--auto-aof-rewrite-percentage', '0', ...clusterArgs] });
  const redis = new Redis(server.url);
  try {
    if (args.mode === 'cluster') {
      // a cluster of one node holding every slot: every key is local, no redirections
      await redis.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      while (!/cluster_state:ok/.test(String(await redis.call('CLUSTER', 'INFO')))) await new Promise((r) => setTimeout(r, 50));
    }
    const store = new RedisPeerStore(redis, 'oncilla:', { readonly });
    // rows left pending are what a flush that is behind leaves: the tracker's workers then get
    // that hint from the primary's stats
    store.setFlushBehind(args.pending === 'kept');
    await loadTorrents(redis, store.keys, Array.from({ length: torrents }, (_, i) => ({ id: i + 1, infoHash: makeInfoHash(i + 1), freeTorrent: 0, snatched: 0 })));
    const model = new TrafficModel({ torrents, users, maxSwarm: 50, seed: 42 });
    const drive = async (n: number, next: (i: number) => AnnounceSpec): Promise<void> => {
      for (let i = 0; i < n; i += IN_FLIGHT) {
        const calls: Promise<unknown>[] = [];
        for (let j = i; j < Math.min(n, i + IN_FLIGHT); j++) calls.push(store.announce(input(next(j))));
        await Promise.all(calls);
      }
    };
    // every peer starts, then some steady traffic so the pending rows exist, then the measured part
    await drive(model.peerCount, (i) => model.start(i));
    await drive(20_000, () => model.next());
    if (args.pending === 'flushed') {
      for (const sh of store.keys.shards()) await redis.del(sh.pending, sh.snatches);
    }
    const aof0 = infoField(await redis.info('persistence'), 'aof_current_size');
    await redis.config('RESETSTAT');
    callgrind?.zero(server.pid);
    const cpu0 = cpuSeconds(server.pid);
    await drive(announces, () => model.next());
    const instructions = callgrind?.dump(server.pid);
    const aof1 = infoField(await redis.info('persistence'), 'aof_current_size');
    const cpu1 = cpuSeconds(server.pid);
    const stats = parseCommandStats(await redis.info('commandstats'));
    if (process.env.BENCH_REDIS_COMMANDS) console.log((await redis.info('commandstats')).split('\n').filter((l) => l.startsWith('cmdstat')).join('\n'));
    const usec = /cmdstat_fcall:calls=\d+,usec=(\d+)/.exec(await redis.info('commandstats'));
    const inner = Object.entries(stats).filter(([c]) => !['evalsha', 'eval', 'fcall', 'function|load', 'info', 'config|resetstat'].includes(c)).reduce((a, [, n]) => a + n, 0);
    return {
      mode: readonly ? 'readonly' : 'accounting',
      aofBytesPerAnnounce: args.aof === 'off' ? null : Math.round((aof1 - aof0) / announces),
      redisCpuMicrosecondsPerAnnounce: Number((((cpu1 - cpu0) * 1e6) / announces).toFixed(1)),
      scriptMicrosecondsPerCall: usec ? Number((Number(usec[1]) / announces).toFixed(1)) : 0,
      commandsInsideScriptPerAnnounce: Number((inner / announces).toFixed(2)),
      ...(instructions === undefined ? {} : { instructionsPerAnnounce: Math.round(instructions / announces) }),
    };
  } finally {
    redis.disconnect();
    await server.cleanup();
  }
}

async function main(): Promise<void> {
  const runs: Cost[] = [];
  for (let r = 0; r < parsed.numbers.repeat; r++) {
    for (const readonly of [true, false]) {
      const c = await measure(readonly);
      const counted = c.instructionsPerAnnounce === undefined ? '' : `, ${c.instructionsPerAnnounce} instructions inside the announce function per announce (callgrind; the µs are valgrind's)`;
      console.log(`[bench:redis] ${c.mode}: ${c.aofBytesPerAnnounce ?? '-'} AOF bytes, ${c.redisCpuMicrosecondsPerAnnounce} µs of Redis CPU per announce (script ${c.scriptMicrosecondsPerCall} µs, ${c.commandsInsideScriptPerAnnounce} commands)${counted}`);
      runs.push(c);
    }
  }
  const report = { date: new Date().toISOString(), settings: { announces, torrents, users, aof: args.aof, mode: args.mode, inFlight: IN_FLIGHT, callgrind: args.callgrind }, runs };
  writeFileSync(args.out, JSON.stringify(report, null, 2) + '\n');
  if (callgrind) rmSync(callgrind.dir, { recursive: true, force: true });
  console.log(`[bench:redis] wrote ${args.out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
