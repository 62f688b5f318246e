/**
 * `npm run demo`: a complete local stack with nothing to set up. Starts throwaway Redis and
 * MariaDB (Debian's redis-server and mariadb-server), loads GazellePW's tracker tables with demo
 * users and torrents, runs the tracker cluster with private peers allowed, and prints an
 * announce URL. It also makes a small random file and a private .torrent of it per demo user
 * (the user's passkey URL), inserts that torrent with its real info_hash, and prints the aria2c
 * commands that seed it as alice and download it as bob. Ctrl-C stops everything and removes the
 * temporary data, the file and the .torrent files included.
 *
 * Options: --port N (34000), --workers N (2).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { insertTorrents, insertUsers, startMariaDb, startRedis } from '@oncilla/testkit';
import { REPORT_PASSWORD, TrackerProcess, type LogLine } from './launcher.js';
import { hashFile, torrentFile } from './torrent-file.js';

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: '34000' }, workers: { type: 'string', default: '2' } },
});

export const DEMO_USERS = [
  { id: 1, username: 'alice', passkey: 'a1ce0000000000000000000000000001' },
  { id: 2, username: 'bob', passkey: 'b0b00000000000000000000000000002' },
  { id: 3, username: 'carol', passkey: 'ca401000000000000000000000000003' },
];
export const DEMO_TORRENTS = [
  { id: 1, infoHash: Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex'), freeTorrent: '0' as const },
  { id: 2, infoHash: Buffer.from('89abcdef0123456789abcdef0123456789abcdef', 'hex'), freeTorrent: '1' as const },
  { id: 3, infoHash: Buffer.from('fedcba9876543210fedcba9876543210fedcba98', 'hex'), freeTorrent: '12' as const },
];

/** The torrent of a real file that aria2c can seed and download (the three above are hashes only). */
export const DEMO_FILE = { id: 4, name: 'oncilla-demo.bin', size: 4 * 1024 * 1024 };

const pct = (b: Buffer): string => [...b].map((x) => '%' + x.toString(16).padStart(2, '0')).join('');
const say = (s = ''): void => console.log(s);

function printLog(l: LogLine): void {
  const level = l.level >= 50 ? 'ERROR' : l.level >= 40 ? 'WARN ' : 'INFO ';
  say(`  [tracker ${l.role ?? ''} ${level}] ${l.msg}`);
}

async function main(): Promise<void> {
  // The demo file, its .torrent files and bob's download folder; removed on every way out.
  const dir = mkdtempSync(join(tmpdir(), 'oncilla-demo-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  // Ctrl-C before everything is up: exit at once (the exit hooks here and in the testkit remove
  // the temp dirs and kill the servers started so far).
  const early = (): never => process.exit(130);
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  const seedDir = join(dir, 'seed');
  const downloadDir = join(dir, 'bob-downloads');
  mkdirSync(seedDir);
  mkdirSync(downloadDir);
  const payload = join(seedDir, DEMO_FILE.name);
  writeFileSync(payload, randomBytes(DEMO_FILE.size));
  const torrent = await hashFile(payload, { private: true });

  say('Starting a throwaway Redis and MariaDB (temporary directories, free ports)...');
  const [redis, db] = await Promise.all([startRedis({ appendonly: true }), startMariaDb({ sqlMode: 'gazelle' })]);
  const cleanup = async (): Promise<void> => {
    await Promise.all([redis.cleanup(), db.cleanup()]);
    removeDir();
  };
  try {
    const conn = await db.connect();
    await insertUsers(conn, DEMO_USERS.map((u) => ({ id: u.id, passkey: u.passkey, username: u.username })));
    await insertTorrents(conn, [...DEMO_TORRENTS, { id: DEMO_FILE.id, infoHash: torrent.infoHash, size: DEMO_FILE.size }]);
    await conn.end();

    const tracker = await TrackerProcess.start({
      redisUrl: redis.url,
      mysql: db,
      port: Number(args.port),
      workers: Number(args.workers),
      conf: { allow_private_peers: 1, listen_host: '127.0.0.1 ::1', keepalive_timeout: 0 },
      onLog: printLog,
    });
    const base = `http://127.0.0.1:${tracker.port}`;
    const [alice] = DEMO_USERS;
    const torrentFiles = DEMO_USERS.map((u) => {
      const file = join(dir, `${u.username}.torrent`);
      writeFileSync(file, torrentFile(torrent, `${base}/${u.passkey}/announce`));
      return file;
    });
    // Private torrent, so no DHT/PEX/local discovery anyway; the flags say it for aria2c too.
    // --stop-with-process: aria2c stops when the demo does.
    const aria2 = (u: number, listenPort: number, extra: string): string =>
      'aria2c --enable-dht=false --bt-enable-lpd=false --enable-peer-exchange=false ' +
      `--listen-port=${listenPort} --stop-with-process=${process.pid} ${extra} ${torrentFiles[u]}`;
    say();
    say('Oncilla is running.');
    say();
    for (const u of DEMO_USERS) say(`  announce URL for ${u.username.padEnd(5)}: ${base}/${u.passkey}/announce`);
    say();
    say(`  demo torrents (info_hash): ${DEMO_TORRENTS.map((t) => `${t.id}=${t.infoHash.toString('hex')}`).join('  ')}`);
    say('  try an announce:');
    say(`    curl -s "${base}/${alice.passkey}/announce?info_hash=${pct(DEMO_TORRENTS[0].infoHash)}&peer_id=-CU0001-000000000001&port=6881&uploaded=0&downloaded=0&left=0&compact=1" | od -c`);
    say();
    say(`  demo file: torrent ${DEMO_FILE.id} = ${torrent.infoHash.toString('hex')}, ${DEMO_FILE.name} (${DEMO_FILE.size / 1048576} MiB) in ${seedDir}`);
    DEMO_USERS.forEach((u, i) => say(`    .torrent for ${u.username.padEnd(5)}: ${torrentFiles[i]}`));
    say('  seed it as alice with aria2c (it seeds until you stop it, or the demo stops):');
    say(`    ${aria2(0, tracker.port + 1, `--dir=${seedDir} --check-integrity=true --seed-ratio=0.0`)}`);
    say(`  then download it as bob, in another terminal (into ${downloadDir}; aria2c seeds 3 s more`);
    say('  so that it announces `completed`, then exits):');
    say(`    ${aria2(1, tracker.port + 2, `--dir=${downloadDir} --seed-time=0.05`)}`);
    say();
    say(`  report URL: ${base}/${REPORT_PASSWORD}/report?get=stats`);
    say(`  MySQL: mysql -h 127.0.0.1 -P ${db.port} -u ${db.user} -p${db.password} ${db.database}`);
    say(`  Redis: redis-cli -u ${redis.url}`);
    say();
    say('Press Ctrl-C to stop everything.');

    let stopping = false;
    const stop = async (): Promise<void> => {
      if (stopping) return;
      stopping = true;
      say('\nStopping the tracker, Redis and MariaDB...');
      await tracker.stop();
      await cleanup();
      say('Stopped; temporary data removed.');
      process.exit(0);
    };
    process.off('SIGINT', early);
    process.off('SIGTERM', early);
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
    const exit = await tracker.exited;
    if (!stopping) {
      say(`The tracker exited unexpectedly (${JSON.stringify(exit)}).`);
      await cleanup();
      process.exit(1);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
