/**
 * End to end with real BitTorrent clients from Debian: aria2c seeds a random file and
 * python3-libtorrent downloads it, each user announcing with its own passkey URL, through the real
 * tracker cluster on loopback (a private torrent; DHT, PEX and local discovery off, so the tracker
 * is the only way the two find each other). After both clients have stopped, the flush must have
 * written the snatch, the traffic and both peers to GazellePW's tables.
 *
 * Needs the Debian packages aria2, python3-libtorrent and mktorrent; a missing one fails the test
 * with the package's name (never a skip).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bencode from 'bencode';
import { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { freePort, insertTorrents, insertUsers, makePasskey, startMariaDb, startRedis, type MariaDbServer, type RedisServer } from '@oncilla/testkit';
import { TrackerProcess } from '@oncilla/tracker/launcher';
import { hashFile, torrentFile, type TorrentInfo } from '../src/torrent-file.js';
import { decode, get, query } from './support/client.js';
import { waitFlushed } from './support/flushed.js';
import { waitUntil } from './support/wait.js';
import { aria2Binary, aria2Options, killAll, libtorrentPython, mktorrentBinary, RealClient } from './support/real-client.js';

const LT_CLIENT = new URL('./support/lt-client.py', import.meta.url).pathname;
// A few MiB and not a whole number of 256 KiB pieces, so the short last piece is moved too.
const SIZE = 4 * 1024 * 1024 + 12_345;
const TORRENT_ID = 1;
const ALICE = { id: 1, username: 'alice', passkey: makePasskey(1) }; // seeds with aria2c
const BOB = { id: 2, username: 'bob', passkey: makePasskey(2) }; // downloads with libtorrent

let aria2c: string;
let python: string;
let mktorrent: string;
let dir: string;
let redisServer: RedisServer;
let db: MariaDbServer;
let tracker: TrackerProcess;
let redis: Redis;
let torrent: TorrentInfo;
let payload: string;

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

before(async () => {
  // Fails (does not skip) with the Debian package to install when a client is missing.
  aria2c = aria2Binary();
  python = libtorrentPython();
  mktorrent = mktorrentBinary();

  dir = mkdtempSync(join(tmpdir(), 'oncilla-real-clients-'));
  for (const d of ['seed', 'leech']) mkdirSync(join(dir, d));
  payload = join(dir, 'seed', 'payload.bin');
  writeFileSync(payload, randomBytes(SIZE));
  torrent = await hashFile(payload, { private: true });

  [redisServer, db] = await Promise.all([startRedis(), startMariaDb({ sqlMode: 'gazelle' })]);
  const conn = await db.connect();
  await insertUsers(conn, [ALICE, BOB]);
  await insertTorrents(conn, [{ id: TORRENT_ID, infoHash: torrent.infoHash, size: SIZE }]);
  await conn.end();
  tracker = await TrackerProcess.start({
    redisUrl: redisServer.url,
    mysql: db,
    conf: { allow_private_peers: 1, schedule_interval: 1 },
  });
  redis = new Redis(redisServer.url);
});

after(async () => {
  await killAll(); // no client survives the test, whatever failed
  redis?.disconnect();
  await tracker?.stop();
  await Promise.all([redisServer?.cleanup(), db?.cleanup()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function rows(sql: string, values: unknown[] = []): Promise<RowDataPacket[]> {
  const conn = await db.connect();
  try {
    const [r] = await conn.query<RowDataPacket[]>(sql, values);
    return r;
  } finally {
    await conn.end();
  }
}

/** [seeders, leechers] the tracker reports for the torrent (its scrape). */
async function swarm(): Promise<[number, number]> {
  const r = await get(tracker.url(`/${ALICE.passkey}/scrape?${query({ info_hash: torrent.infoHash })}`));
  const f = Object.values(decode(r.body).files as Record<string, Record<string, number>>)[0];
  return [f?.complete ?? 0, f?.incomplete ?? 0];
}

const announceUrl = (passkey: string): string => tracker.url(`/${passkey}/announce`);

it('makes the same info_hash as mktorrent -p', () => {
  const out = join(dir, 'mktorrent.torrent');
  const r = spawnSync(mktorrent, ['-p', '-l', '18', '-a', announceUrl(ALICE.passkey), '-o', out, payload], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const info = decode(readFileSync(out)).info;
  assert.ok(info, 'mktorrent wrote an info dictionary');
  const theirs = createHash('sha1').update(bencode.encode(info)).digest();
  assert.equal(theirs.toString('hex'), torrent.infoHash.toString('hex'));
});

it('moves a file from aria2c (alice) to libtorrent (bob) and credits both in the database', async (t) => {
  const started = Date.now();
  // One .torrent per user: same info dictionary (same info_hash), each with the user's own passkey URL.
  const aliceTorrent = join(dir, 'alice.torrent');
  const bobTorrent = join(dir, 'bob.torrent');
  writeFileSync(aliceTorrent, torrentFile(torrent, announceUrl(ALICE.passkey)));
  writeFileSync(bobTorrent, torrentFile(torrent, announceUrl(BOB.passkey)));
  const [seedPort, leechPort] = [await freePort(), await freePort()];

  // alice seeds: checks the file against the torrent, announces `started` with left=0, seeds until stopped
  const seeder = RealClient.start('aria2c (alice, seeder)', aria2c, [
    ...aria2Options({ dir: join(dir, 'seed'), listenPort: seedPort, logFile: join(dir, 'aria2-seed.log'), ownerPid: process.pid }),
    '--check-integrity=true',
    '--seed-ratio=0.0',
    aliceTorrent,
  ]);
  await waitUntil('the tracker to count aria2c as a seeder', async () => {
    if (!seeder.running) throw new Error(`aria2c exited: ${seeder.describe()}\n${readLog('aria2-seed.log')}`);
    return (await swarm())[0] === 1;
  }, 20_000);

  // bob downloads with libtorrent: announces `started`, gets alice's endpoint, downloads, announces `completed`
  const leecher = RealClient.start('libtorrent (bob, leecher)', python, [LT_CLIENT, bobTorrent, join(dir, 'leech'), String(leechPort)]);
  const finished = JSON.parse(await leecher.waitForLine('libtorrent to finish the download', (l) => l.includes('"ev": "finished"'), 30_000)) as Record<string, number>;
  await leecher.waitForLine('the tracker to answer libtorrent\'s `completed`', (l) => /"ev": "(reply|tracker_error)", "event": "completed"/.test(l), 15_000);
  const completedReply = leecher.lines.find((l) => /"event": "completed"/.test(l) && /"ev": "(reply|tracker_error)"/.test(l));
  assert.match(completedReply ?? '', /"ev": "reply"/, `the tracker accepted the completed announce: ${leecher.describe()}`);

  // Stop both: libtorrent pauses (announces `stopped`), aria2c shuts down gracefully on SIGINT (SIGTERM is its emergency stop, which skips the announce)
  // (announces `stopped`); each exits once its tracker request is done.
  leecher.send('stop');
  const leecherExit = await leecher.waitExit(15_000);
  assert.deepEqual(leecherExit, { code: 0, signal: null }, leecher.describe());
  const exitLine = JSON.parse(leecher.lines.find((l) => l.includes('"ev": "exit"')) ?? '{}') as Record<string, number | boolean>;
  assert.equal(exitLine.stopped_answered, true, `the tracker answered libtorrent's \`stopped\`: ${leecher.describe()}`);
  assert.equal(sha256(join(dir, 'leech', 'payload.bin')), sha256(payload), 'bob has alice\'s file, byte for byte');

  seeder.signal('SIGINT');
  const seederExit = await seeder.waitExit(15_000);
  assert.equal(seederExit.signal, null, seeder.describe());
  let left: [number, number] = [-1, -1];
  await waitUntil('both peers to leave the swarm', async () => (left = await swarm()).join() === '0,0', 10_000)
    .catch((err: Error) => {
      throw new Error(`${err.message}: [seeders, leechers] = [${left.join(', ')}]\n${seeder.describe()}\n${readLog('aria2-seed.log')}\n${leecher.describe()}`);
    });
  await waitFlushed(redis);

  // users_main: clients announce payload counters, which are at least the file (every byte was
  // moved once) but may include a little more (a piece requested twice in end game, a piece
  // re-sent after a hash failure), so a range and not an exact figure.
  const users = await rows('SELECT ID, Uploaded, Downloaded FROM users_main ORDER BY ID');
  const credited = new Map(users.map((r) => [Number(r.ID), { up: Number(r.Uploaded), down: Number(r.Downloaded) }]));
  const inRange = (n: number): boolean => n >= SIZE && n <= SIZE * 1.2;
  const peers = await rows('SELECT uid, active, announced, uploaded, downloaded, remaining, useragent, ip FROM xbt_files_users WHERE fid = ? ORDER BY uid', [TORRENT_ID]);
  const report = {
    fileSize: SIZE,
    aliceUploaded: credited.get(ALICE.id)?.up,
    bobDownloaded: credited.get(BOB.id)?.down,
    libtorrentFinished: finished,
    xbt_files_users: peers.map((r) => ({ ...r })),
    seconds: (Date.now() - started) / 1000,
  };
  t.diagnostic(JSON.stringify(report));
  assert.ok(inRange(credited.get(BOB.id)!.down), `bob's Downloaded ${credited.get(BOB.id)!.down} is about the file size ${SIZE}`);
  assert.ok(inRange(credited.get(ALICE.id)!.up), `alice's Uploaded ${credited.get(ALICE.id)!.up} is about the file size ${SIZE}`);
  assert.equal(credited.get(ALICE.id)!.down, 0, 'the seeder downloaded nothing');

  // xbt_snatched: bob's completion of the torrent
  assert.deepEqual(
    (await rows('SELECT uid, fid FROM xbt_snatched')).map((r) => [r.uid, r.fid]),
    [[BOB.id, TORRENT_ID]],
  );
  assert.equal(Number((await rows('SELECT Snatched FROM torrents WHERE ID = ?', [TORRENT_ID]))[0].Snatched), 1);

  // xbt_files_users: one row per client on the torrent; both stopped, so inactive; bob finished
  assert.deepEqual(
    peers.map((r) => [r.uid, r.active, Number(r.remaining)]),
    [[ALICE.id, 0, 0], [BOB.id, 0, 0]],
  );
  assert.match(String(peers[0].useragent), /^aria2\//);
  assert.match(String(peers[1].useragent), /^libtorrent\//);
});

function readLog(name: string): string {
  try {
    return readFileSync(join(dir, name), 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}
