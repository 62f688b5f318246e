/**
 * `npm run demo`: a complete local stack with nothing to set up. Starts throwaway Redis and
 * MariaDB (Debian's redis-server and mariadb-server), loads GazellePW's tracker tables with demo
 * users and torrents, runs the tracker cluster with private peers allowed, and prints an
 * announce URL. Ctrl-C stops everything and removes the temporary data.
 *
 * Options: --port N (34000), --workers N (2).
 */
import { parseArgs } from 'node:util';
import { insertTorrents, insertUsers, startMariaDb, startRedis } from '@oncilla/testkit';
import { REPORT_PASSWORD, TrackerProcess, type LogLine } from './launcher.js';

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

const pct = (b: Buffer): string => [...b].map((x) => '%' + x.toString(16).padStart(2, '0')).join('');
const say = (s = ''): void => console.log(s);

function printLog(l: LogLine): void {
  const level = l.level >= 50 ? 'ERROR' : l.level >= 40 ? 'WARN ' : 'INFO ';
  say(`  [tracker ${l.role ?? ''} ${level}] ${l.msg}`);
}

async function main(): Promise<void> {
  say('Starting a throwaway Redis and MariaDB (temporary directories, free ports)...');
  const [redis, db] = await Promise.all([startRedis({ appendonly: true }), startMariaDb({ sqlMode: 'gazelle' })]);
  const cleanup = async (): Promise<void> => {
    await Promise.all([redis.cleanup(), db.cleanup()]);
  };
  try {
    const conn = await db.connect();
    await insertUsers(conn, DEMO_USERS.map((u) => ({ id: u.id, passkey: u.passkey, username: u.username })));
    await insertTorrents(conn, DEMO_TORRENTS);
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
    say();
    say('Oncilla is running.');
    say();
    for (const u of DEMO_USERS) say(`  announce URL for ${u.username.padEnd(5)}: ${base}/${u.passkey}/announce`);
    say();
    say(`  demo torrents (info_hash): ${DEMO_TORRENTS.map((t) => `${t.id}=${t.infoHash.toString('hex')}`).join('  ')}`);
    say('  try an announce:');
    say(`    curl -s "${base}/${alice.passkey}/announce?info_hash=${pct(DEMO_TORRENTS[0].infoHash)}&peer_id=-CU0001-000000000001&port=6881&uploaded=0&downloaded=0&left=0&compact=1" | od -c`);
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
