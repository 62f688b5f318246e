/**
 * End to end with real BitTorrent clients from Debian, through the real tracker cluster on
 * loopback: a private torrent, DHT, PEX and local discovery off, so the tracker is the only way
 * the clients find each other, and each user announces with its own passkey URL.
 *  - torrent 1: aria2c seeds (alice), python3-libtorrent downloads (bob);
 *  - torrent 2: python3-libtorrent seeds (carol), aria2c downloads (dave).
 * Each time the file must arrive byte for byte, and after both clients have stopped (sending
 * their final announces) the flush must have written the snatch, the traffic and both peers to
 * GazellePW's tables.
 *
 * Needs the Debian packages aria2, python3-libtorrent and mktorrent: a missing one fails the
 * test with the package's name (never a skip).
 */
import { after, before, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bencode from 'bencode';
import type { RowDataPacket } from 'mysql2/promise';
import { freePort, makePasskey } from '@oncilla/testkit';
import type { TrackerProcess } from '@oncilla/tracker/launcher';
import { hashFile, torrentFile, type TorrentInfo } from '../src/torrent-file.js';
import { decode, get, query } from './support/client.js';
import { waitFlushed } from './support/flushed.js';
import { startStack, type Stack } from './support/stack.js';
import { waitUntil } from './support/wait.js';
import { aria2Binary, aria2Options, killAll, libtorrentPython, mktorrentBinary, RealClient } from './support/real-client.js';

const LT_CLIENT = new URL('./support/lt-client.py', import.meta.url).pathname;
// A few MiB and not a whole number of 256 KiB pieces, so a short last piece is moved too.
const SIZE = 4 * 1024 * 1024 + 12_345;

interface User {
  id: number;
  username: string;
  passkey: string;
}
const user = (id: number, username: string): User => ({ id, username, passkey: makePasskey(id) });
const ALICE = user(1, 'alice');
const BOB = user(2, 'bob');
const CAROL = user(3, 'carol');
const DAVE = user(4, 'dave');

interface Swarm {
  id: number;
  /** Holds seed/payload.bin (the original) and leech/ (where the downloader saves it). */
  dir: string;
  payload: string;
  torrent: TorrentInfo;
}

let aria2c: string;
let python: string;
let mktorrent: string;
let root: string;
let stack: Stack;
let tracker: TrackerProcess;
const swarms: Swarm[] = [];

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

async function makeSwarm(id: number): Promise<Swarm> {
  const dir = join(root, `torrent${id}`);
  mkdirSync(join(dir, 'seed'), { recursive: true });
  mkdirSync(join(dir, 'leech'));
  const payload = join(dir, 'seed', 'payload.bin');
  writeFileSync(payload, randomBytes(SIZE));
  return { id, dir, payload, torrent: await hashFile(payload, { private: true }) };
}

before(async () => {
  // Fails (does not skip) naming the Debian package to install when a client is missing.
  aria2c = aria2Binary();
  python = libtorrentPython();
  mktorrent = mktorrentBinary();

  root = mkdtempSync(join(tmpdir(), 'oncilla-real-clients-'));
  swarms.push(await makeSwarm(1), await makeSwarm(2));
  stack = await startStack({
    db: { sqlMode: 'gazelle' },
    users: [ALICE, BOB, CAROL, DAVE],
    torrents: swarms.map((s) => ({ id: s.id, infoHash: s.torrent.infoHash, size: SIZE })),
    trackers: [{ conf: { allow_private_peers: 1, schedule_interval: 1 } }],
  });
  [tracker] = stack.trackers;
});

after(async () => {
  await killAll(); // no client survives the test, whatever failed
  await stack?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function rows(sql: string, values: unknown[] = []): Promise<RowDataPacket[]> {
  const conn = await stack.db.connect();
  try {
    const [r] = await conn.query<RowDataPacket[]>(sql, values);
    return r;
  } finally {
    await conn.end();
  }
}

/** [seeders, leechers] the tracker reports for a torrent (its scrape). */
async function peerCounts(s: Swarm): Promise<[number, number]> {
  const r = await get(tracker.url(`/${ALICE.passkey}/scrape?${query({ info_hash: s.torrent.infoHash })}`));
  const f = Object.values(decode(r.body).files as Record<string, Record<string, number>>)[0];
  return [f?.complete ?? 0, f?.incomplete ?? 0];
}

async function waitPeerCounts(s: Swarm, want: [number, number], what: string, clients: RealClient[], timeoutMs = 20_000): Promise<void> {
  let seen: [number, number] = [-1, -1];
  await waitUntil(what, async () => {
    const gone = clients.find((c) => !c.running && want[0] + want[1] > 0);
    if (gone) throw new Error(`${gone.name} exited before ${what}: ${gone.describe()}`);
    seen = await peerCounts(s);
    return seen[0] === want[0] && seen[1] === want[1];
  }, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message}: [seeders, leechers] = [${seen.join(', ')}], want [${want.join(', ')}]\n${clients.map((c) => c.describe()).join('\n')}`);
  });
}

/** A .torrent for one user: the swarm's info dictionary (same info_hash) with the user's passkey URL. */
function torrentFor(s: Swarm, u: User): string {
  const file = join(s.dir, `${u.username}.torrent`);
  writeFileSync(file, torrentFile(s.torrent, tracker.url(`/${u.passkey}/announce`)));
  return file;
}

async function startAria2(s: Swarm, u: User, role: 'seed' | 'leech'): Promise<RealClient> {
  const opts = aria2Options({ dir: join(s.dir, role), listenPort: await freePort(), logFile: join(s.dir, `aria2-${u.username}.log`), ownerPid: process.pid });
  // A seeder checks the file against the torrent and seeds until stopped. A leecher seeds for
  // 3 s after the download and exits: with --seed-time=0 aria2 never announces `completed`.
  const roleOpts = role === 'seed' ? ['--check-integrity=true', '--seed-ratio=0.0'] : ['--seed-time=0.05'];
  return RealClient.start(`aria2c (${u.username}, ${role}er)`, aria2c, [...opts, ...roleOpts, torrentFor(s, u)]);
}

async function startLibtorrent(s: Swarm, u: User, role: 'seed' | 'leech'): Promise<RealClient> {
  // seeds when the save dir already holds the file (it checks it on start), else downloads
  return RealClient.start(`libtorrent (${u.username}, ${role}er)`, python, [LT_CLIENT, torrentFor(s, u), join(s.dir, role), String(await freePort())]);
}

/** The libtorrent client's JSON events. */
const ltEvents = (c: RealClient): Array<Record<string, unknown>> =>
  c.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** libtorrent: stop (it announces `stopped` and exits once answered); returns its final counters. */
async function stopLibtorrent(c: RealClient): Promise<Record<string, unknown>> {
  c.send('stop');
  assert.deepEqual(await c.waitExit(15_000), { code: 0, signal: null }, c.describe());
  const exit = ltEvents(c).find((e) => e.ev === 'exit');
  assert.equal(exit?.stopped_answered, true, `the tracker answered libtorrent's \`stopped\`: ${c.describe()}`);
  return exit!;
}

/**
 * After both peers of a swarm stopped and everything was flushed: the seeder's Uploaded and the
 * leecher's Downloaded, the snatch, and one row per client in xbt_files_users.
 */
async function checkDatabase(t: TestContext, s: Swarm, seeder: User, leecher: User, agents: [RegExp, RegExp], extra: Record<string, unknown>): Promise<void> {
  const users = new Map((await rows('SELECT ID, Uploaded, Downloaded FROM users_main WHERE ID IN (?, ?)', [seeder.id, leecher.id]))
    .map((r) => [Number(r.ID), { up: Number(r.Uploaded), down: Number(r.Downloaded) }]));
  const peers = await rows('SELECT uid, active, announced, uploaded, downloaded, remaining, useragent, ip FROM xbt_files_users WHERE fid = ? ORDER BY uid', [s.id]);
  t.diagnostic(JSON.stringify({
    fileSize: SIZE,
    [`${seeder.username}.Uploaded`]: users.get(seeder.id)?.up,
    [`${leecher.username}.Downloaded`]: users.get(leecher.id)?.down,
    xbt_files_users: peers.map((r) => ({ ...r })),
    ...extra,
  }));

  // users_main. Clients announce payload counters: at least the file (every byte was moved once)
  // and possibly a little more (a block requested twice in end game, a piece sent again after a
  // failed hash check), so a range and not an exact figure.
  const aboutTheFile = (n: number | undefined): boolean => n !== undefined && n >= SIZE && n <= SIZE * 1.2;
  const up = users.get(seeder.id)?.up;
  const down = users.get(leecher.id)?.down;
  assert.ok(aboutTheFile(down), `${leecher.username}'s Downloaded ${down} is about the file size ${SIZE}`);
  assert.ok(aboutTheFile(up), `${seeder.username}'s Uploaded ${up} is about the file size ${SIZE}`);
  assert.equal(users.get(seeder.id)?.down, 0, 'the seeder downloaded nothing');

  // xbt_snatched: the leecher's completion, and the torrent's Snatched counter
  assert.deepEqual(
    (await rows('SELECT uid FROM xbt_snatched WHERE fid = ?', [s.id])).map((r) => r.uid),
    [leecher.id],
  );
  assert.equal(Number((await rows('SELECT Snatched FROM torrents WHERE ID = ?', [s.id]))[0].Snatched), 1);

  // xbt_files_users: one row per client; both stopped, so inactive; the leecher finished
  assert.deepEqual(
    peers.map((r) => [r.uid, r.active, Number(r.remaining), r.ip]),
    [[seeder.id, 0, 0, '127.0.0.1'], [leecher.id, 0, 0, '127.0.0.1']].sort((a, b) => Number(a[0]) - Number(b[0])),
  );
  const agentOf = new Map(peers.map((r) => [Number(r.uid), String(r.useragent)]));
  assert.match(agentOf.get(seeder.id) ?? '', agents[0]);
  assert.match(agentOf.get(leecher.id) ?? '', agents[1]);
}

it('makes the same info_hash as mktorrent -p', () => {
  const s = swarms[0];
  const out = join(s.dir, 'mktorrent.torrent');
  const r = spawnSync(mktorrent, ['-p', '-l', '18', '-a', tracker.url(`/${ALICE.passkey}/announce`), '-o', out, s.payload], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const info = decode(readFileSync(out)).info;
  assert.ok(info, 'mktorrent wrote an info dictionary');
  assert.equal(createHash('sha1').update(bencode.encode(info)).digest('hex'), s.torrent.infoHash.toString('hex'));
});

it('aria2c (alice) seeds, libtorrent (bob) downloads; both credited in the database', async (t) => {
  const s = swarms[0];
  const started = Date.now();
  const seeder = await startAria2(s, ALICE, 'seed');
  await waitPeerCounts(s, [1, 0], 'the tracker to count aria2c as a seeder', [seeder]);

  // bob announces `started`, gets alice's endpoint, downloads, announces `completed`
  const leecher = await startLibtorrent(s, BOB, 'leech');
  await leecher.waitForLine('libtorrent to finish the download', (l) => l.includes('"ev": "finished"'), 30_000);
  await leecher.waitForLine("the tracker's answer to libtorrent's `completed`", (l) => /"ev": "(reply|tracker_error)", "event": "completed"/.test(l), 15_000);
  const completed = ltEvents(leecher).find((e) => e.event === 'completed' && e.ev !== 'announce');
  assert.equal(completed?.ev, 'reply', `the tracker accepted the \`completed\` announce: ${leecher.describe()}`);

  // Stop both. libtorrent pauses, which announces `stopped`. aria2c shuts down gracefully on
  // SIGINT and announces `stopped` (SIGTERM is its emergency stop, which skips the announce).
  const ltFinal = await stopLibtorrent(leecher);
  assert.equal(sha256(join(s.dir, 'leech', 'payload.bin')), sha256(s.payload), "bob has alice's file, byte for byte");
  seeder.signal('SIGINT');
  assert.equal((await seeder.waitExit(15_000)).signal, null, seeder.describe());
  await waitPeerCounts(s, [0, 0], 'both peers to leave the swarm', [seeder, leecher], 10_000);
  await waitFlushed(stack.redis);

  await checkDatabase(t, s, ALICE, BOB, [/^aria2\//, /^libtorrent\//], {
    libtorrent: { total_payload_download: ltFinal.total_payload_download, total_redundant_bytes: ltFinal.total_redundant_bytes, total_failed_bytes: ltFinal.total_failed_bytes },
    seconds: (Date.now() - started) / 1000,
  });
});

it('libtorrent (carol) seeds, aria2c (dave) downloads; both credited in the database', async (t) => {
  const s = swarms[1];
  const started = Date.now();
  // carol's libtorrent checks the file it already has, then announces `started` with left=0
  const seeder = await startLibtorrent(s, CAROL, 'seed');
  await waitPeerCounts(s, [1, 0], 'the tracker to count libtorrent as a seeder', [seeder]);

  // dave's aria2c downloads, announces `completed`, seeds for 3 s, announces `stopped` and exits
  const leecher = await startAria2(s, DAVE, 'leech');
  const exit = await leecher.waitExit(40_000);
  assert.deepEqual(exit, { code: 0, signal: null }, leecher.describe());
  assert.equal(sha256(join(s.dir, 'leech', 'payload.bin')), sha256(s.payload), "dave has carol's file, byte for byte");
  const ltFinal = await stopLibtorrent(seeder);
  await waitPeerCounts(s, [0, 0], 'both peers to leave the swarm', [seeder, leecher], 10_000);
  await waitFlushed(stack.redis);

  await checkDatabase(t, s, CAROL, DAVE, [/^libtorrent\//, /^aria2\//], {
    libtorrent: { total_payload_upload: ltFinal.total_payload_upload },
    seconds: (Date.now() - started) / 1000,
  });
});
