/**
 * `npm run bench:flush`: the flush alone, without announce traffic around it. Fills the pending
 * rows in a throwaway Redis through the real announce script (a `started` and then a transfer
 * announce per peer, as the steady traffic of `npm run bench` does), then cuts, reads, parses
 * and writes batches to a throwaway MariaDB the way the primary's Flusher does, and prints the
 * CPU each stage costs per peer row: the primary's (read and parse, then the MySQL writer) and
 * MariaDB's.
 *
 * Options: --peers N per batch (15000), --batches K (4), --users N (10000), --torrents N (10000),
 * --mysql-via socket|tcp (socket), --read channel|client (channel: the batches read over a
 * connection of their own, as the primary reads them; client: through ioredis).
 * BENCH_PROFILE=dir writes a V8 CPU profile of this process there.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { applyBatches, createPool, ensureFlushLog } from '@oncilla/database';
import { channelTarget, FlushBatches, loadTorrents, readBatch, readerOf, RedisPeerStore, ScriptChannel, type AnnounceInput } from '@oncilla/swarm-store';
import { insertTorrents, insertUsers, makeInfoHash, makePasskey, startMariaDb, startRedis } from '@oncilla/testkit';
import { parseToolArgs } from './args.js';
import { cpuSeconds } from './proc-stats.js';

// --mysql-via socket: the Unix socket (what mysql_host = localhost uses), or tcp (127.0.0.1)
const parsed = parseToolArgs(process.argv.slice(2), { peers: 15000, batches: 4, users: 10000, torrents: 10000 }, { 'mysql-via': ['socket', 'tcp'], read: ['channel', 'client'] }, 'bench-flush-results.json');
const args = { 'mysql-via': parsed.choices['mysql-via'], read: parsed.choices.read, out: parsed.out };
const { peers: peersPerBatch, batches: batchCount, users, torrents } = parsed.numbers;
const log = (msg: string): void => console.log(`[bench:flush] ${msg}`);

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function fillPending(store: RedisPeerStore, batch: number): Promise<void> {
  const base = (i: number): AnnounceInput => {
    const uid = 1 + ((i * 7919) % users);
    const tid = 1 + ((i * 104_729) % torrents);
    return {
      infoHash: makeInfoHash(tid), user: { uid, canLeech: true, isProtected: false }, error: '',
      peerId: Buffer.from(`-OB0001-${String(batch).padStart(4, '0')}${String(i).padStart(8, '0')}`, 'latin1'),
      event: 'started', left: i % 2 ? 0 : 1 << 20, uploaded: 0, downloaded: 0, corrupt: 0, port: 6881,
      ipv4: Buffer.from([10, 0, (i >> 8) & 255, i & 255]), numwant: 0, plan: '', withPeerIds: false,
      userAgent: 'qBittorrent/4.6.5',
    };
  };
  const inFlight = 64;
  for (const phase of ['started', 'none'] as const) {
    for (let i = 0; i < peersPerBatch; i += inFlight) {
      const calls: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(peersPerBatch, i + inFlight); j++) {
        const a = base(j);
        if (phase === 'none') Object.assign(a, { event: 'none', uploaded: 49_152, downloaded: a.left ? 32_768 : 0 });
        calls.push(store.announce(a));
      }
      await Promise.all(calls);
    }
  }
}

async function main(): Promise<void> {
  log(`starting throwaway Redis and MariaDB; seeding ${users} users and ${torrents} torrents`);
  const [redisServer, db] = await Promise.all([startRedis({ appendonly: false }), startMariaDb({ sqlMode: 'gazelle' })]);
  const conn = await db.connect();
  await insertUsers(conn, Array.from({ length: users }, (_, i) => ({ id: i + 1, passkey: makePasskey(i + 1) })));
  await insertTorrents(conn, Array.from({ length: torrents }, (_, i) => ({ id: i + 1, infoHash: makeInfoHash(i + 1) })));
  await conn.end();
  const redis = new Redis(redisServer.url);
  const store = new RedisPeerStore(redis, 'oncilla');
  const now = Math.floor(Date.now() / 1000);
  await loadTorrents(redis, store.keys, Array.from({ length: torrents }, (_, i) => ({ id: i + 1, infoHash: makeInfoHash(i + 1), freeTorrent: 0, snatched: 0 })));
  // the batches read over a connection of their own, as the primary reads them
  const channel = new ScriptChannel(channelTarget(redisServer.url), 15_000, 'oncilla-flush-bench');
  await channel.connect();
  const batches = new FlushBatches(redis, store.keys, args.read === 'channel' ? readerOf(channel) : undefined);
  // 'localhost' means the socket, as with mysql_host
  const host = args['mysql-via'] === 'tcp' ? db.host : 'localhost';
  const pool = createPool({ host, port: db.port, socket: db.socketPath, user: db.user, password: db.password, database: db.database });
  await ensureFlushLog(pool);
  const quiet = { info: () => undefined, warn: (m: string) => log(m), error: (m: string) => log(m) };

  const perTable: Record<string, { rows: number; mysql: number; self: number }> = {};
  const totals = { rows: 0, peerRows: 0, readParse: 0, write: 0, mysql: 0, wallMs: 0 };
  for (let b = 0; b < batchCount; b++) {
    await fillPending(store, b);
    // BENCH_PROFILE=dir: a V8 CPU profile of the flush itself (the filling is left out)
    const profiler = process.env.BENCH_PROFILE ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const t0 = Date.now();
    const c0 = cpuNow();
    const m0 = cpuSeconds(db.pid);
    const cut = await batches.begin(now);
    if (cut.length === 0) throw new Error('nothing pending');
    const raws = await Promise.all(cut.map((c) => batches.read(c)));
    const cRead = cpuNow();
    const parsed = cut.map((c, i) => readBatch(c.id, raws[i]));
    const peerRows = parsed.reduce((a, x) => a + x.peers.length, 0);
    const c1 = cpuNow();
    // MariaDB's and this process's CPU per table, attributed part by part
    let mark = { mysql: cpuSeconds(db.pid), self: cpuNow() };
    const result = await applyBatches(pool, parsed, {
      log: quiet,
      afterPart: (id) => {
        const table = id.split(':')[1];
        const next = { mysql: cpuSeconds(db.pid), self: cpuNow() };
        // the warm-up batch is left out of the per-table figures too, as of the totals
        if (b === 0 && batchCount > 1) {
          mark = next;
          return;
        }
        const t = (perTable[table] ??= { rows: 0, mysql: 0, self: 0 });
        t.mysql += next.mysql - mark.mysql;
        t.self += next.self - mark.self;
        mark = next;
      },
    });
    await Promise.all(cut.map((c) => batches.end(c)));
    const c2 = cpuNow();
    const m1 = cpuSeconds(db.pid);
    const wallMs = Date.now() - t0;
    if (profiler && process.env.BENCH_PROFILE) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(join(process.env.BENCH_PROFILE, `flush-${b + 1}.cpuprofile`), JSON.stringify(profile));
      profiler.disconnect();
    }
    log(`batch ${b + 1}: ${peerRows} peer rows, ${result.rows} rows in ${result.parts} parts, ${wallMs} ms; ` +
      `primary ${(((cRead - c0) * 1e6) / peerRows).toFixed(1)} µs/peer reading, ${(((c1 - cRead) * 1e6) / peerRows).toFixed(1)} parsing, ${(((c2 - c1) * 1e6) / peerRows).toFixed(1)} µs/peer writing; ` +
      `MariaDB ${(((m1 - m0) * 1e6) / peerRows).toFixed(1)} µs/peer`);
    // the first batch warms MariaDB's buffer pool and V8's JIT: left out of the totals
    if (b === 0 && batchCount > 1) continue;
    totals.rows += result.rows;
    totals.peerRows += peerRows;
    totals.readParse += c1 - c0;
    totals.write += c2 - c1;
    totals.mysql += m1 - m0;
    totals.wallMs += wallMs;
  }
  const per = (s: number): number => Number(((s * 1e6) / totals.peerRows).toFixed(1));
  const report = {
    date: new Date().toISOString(),
    settings: { peersPerBatch, batches: batchCount, users, torrents, mysqlVia: args['mysql-via'], read: args.read },
    rowsPerPeerRow: Number((totals.rows / totals.peerRows).toFixed(2)),
    microsecondsPerPeerRow: { primaryReadParse: per(totals.readParse), primaryWrite: per(totals.write), mysql: per(totals.mysql) },
    microsecondsPerTablePart: Object.fromEntries(Object.entries(perTable).map(([t, v]) => [t, { mysql: per(v.mysql), primary: per(v.self) }])),
    rowsPerSecondWall: Math.round((totals.rows * 1000) / totals.wallMs),
  };
  console.log(JSON.stringify(report, null, 2));
  writeFileSync(args.out, JSON.stringify(report, null, 2) + '\n');
  redis.disconnect();
  await channel.close();
  await pool.end();
  await Promise.all([redisServer.cleanup(), db.cleanup()]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
