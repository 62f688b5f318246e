/**
 * `npm run bench:idle`: what a tracker costs while nobody announces. Starts a throwaway Redis
 * (AOF always) and MariaDB with a small data set, the compiled tracker (`npm run build` first)
 * with `--workers` workers and `schedule_interval` 3, waits `--settle` seconds after it is
 * ready, then reads each process' CPU from /proc over `--seconds` and prints milliseconds of
 * CPU per second (the primary's flush ticks, the workers' change feed and stats, Redis' and
 * MariaDB's share). Writes `bench-idle-results.json`.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { insertTorrents, insertUsers, makeInfoHash, makePasskey, startMariaDb, startRedis } from '@oncilla/testkit';
import { TrackerProcess } from '@oncilla/tracker/launcher';
import { parseToolArgs } from './args.js';
import { cpuSeconds } from './proc-stats.js';
import { sleep, workerPids } from './tracker-pids.js';

const parsed = parseToolArgs(process.argv.slice(2), { seconds: 30, settle: 10, workers: 2, users: 100, torrents: 100 }, {}, 'bench-idle-results.json');
const { seconds, settle, workers, users, torrents } = parsed.numbers;
const log = (msg: string): void => console.log(`[bench:idle] ${msg}`);

const [redis, db] = await Promise.all([startRedis({ appendonly: true }), startMariaDb({ sqlMode: 'gazelle' })]);
let tracker: TrackerProcess | undefined;
try {
  const conn = await db.connect();
  await insertUsers(conn, Array.from({ length: users }, (_, i) => ({ id: i + 1, passkey: makePasskey(i + 1), username: `user${i + 1}` })));
  await insertTorrents(conn, Array.from({ length: torrents }, (_, i) => ({ id: i + 1, infoHash: makeInfoHash(i + 1), size: 1 << 20 })));
  await conn.end();
  tracker = await TrackerProcess.start({ redisUrl: redis.url, mysql: db, workers, built: true, conf: { schedule_interval: 3 } });
  log(`tracker ready (${workers} workers); settling ${settle} s, then measuring ${seconds} s`);
  await sleep(settle * 1000);
  const primary = tracker.child.pid;
  if (primary === undefined) throw new Error('the tracker has no pid');
  const pids: Record<string, number> = { primary, redis: redis.pid, mariadb: db.pid };
  for (const pid of await workerPids(tracker, workers)) pids[`worker:${pid}`] = pid;
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  await sleep(seconds * 1000);
  const msPerSecond: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) msPerSecond[k] = Math.round(((cpuSeconds(pid) - before[k]) * 1000 * 10) / seconds) / 10;
  log(Object.entries(msPerSecond).map(([k, v]) => `${k} ${v}`).join(', ') + ' (ms of CPU per second)');
  writeFileSync(parsed.out, JSON.stringify({
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version },
    settings: { seconds, settle, workers, users, torrents, scheduleInterval: 3 },
    msPerSecond,
  }, null, 1) + '\n');
  log(`wrote ${parsed.out}`);
} finally {
  await tracker?.stop();
  await Promise.all([redis.cleanup(), db.cleanup()]);
}
