/**
 * A scripted swarm through the real cluster produces exactly the expected rows in every table
 * after a flush (full table contents compared). Runs under MariaDB's strict mode, on one Redis
 * and on a Redis Cluster: the same rows either way.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { insertTokens, insertTorrents, insertUsers, makeInfoHash, startMariaDb, type MariaDbServer } from '@oncilla/testkit';
import { TrackerProcess } from '@oncilla/tracker/launcher';
import { agePeerRecord, keySchema, type RedisClient } from '@oncilla/swarm-store';
import { decode, get, query, type Params } from './support/client.js';
import { waitFlushed } from './support/flushed.js';
import { TOPOLOGIES, type RedisSide } from './support/topologies.js';

const pk = (c: string): string => c.repeat(32);
const NORMAL = makeInfoHash(1);
const FREE = makeInfoHash(2);
const NEUTRAL = makeInfoHash(3);
const HALF = makeInfoHash(4);
const pid = (n: number): string => `-TS0001-${String(n).padStart(12, '0')}`;

for (const topology of TOPOLOGIES) describe(`accounting on ${topology.name}`, () => {
  let side: RedisSide;
  let db: MariaDbServer;
  let tracker: TrackerProcess;
  let redis: RedisClient;

  before(async () => {
    [side, db] = await Promise.all([topology.start(), startMariaDb({ sqlMode: 'strict' })]);
    redis = side.client;
    const conn = await db.connect();
    await insertUsers(conn, [
      { id: 1, passkey: pk('a') },
      { id: 2, passkey: pk('b') },
      { id: 3, passkey: pk('c'), visible: false },
    ]);
    await insertTorrents(conn, [
      { id: 1, infoHash: NORMAL, snatched: 5 },
      { id: 2, infoHash: FREE, freeTorrent: '1' },
      { id: 3, infoHash: NEUTRAL, freeTorrent: '2' },
      { id: 4, infoHash: HALF, freeTorrent: '12' },
    ]);
    await insertTokens(conn, [{ userId: 2, torrentId: 4 }]);
    await conn.end();
    // mysql_host = localhost goes through the Unix socket as in Ocelot: port 1 would refuse TCP
    tracker = await TrackerProcess.start({
      ...side.target, mysql: db, conf: { schedule_interval: 1, mysql_host: 'localhost', mysql_port: 1, mysql_socket: db.socketPath },
    });
  });

  after(async () => {
    await tracker?.stop();
    await Promise.all([side?.cleanup(), db?.cleanup()]);
  });

  async function announce(passkey: string, p: Params): Promise<Record<string, unknown>> {
    const r = await get(tracker.url(`/${passkey}/announce?${query({ port: 6881, compact: 1, ...p })}`), { headers: { 'user-agent': 'TestClient/1.0' } });
    const d = decode(r.body);
    assert.equal(d['failure reason'], undefined, String(d['failure reason'] ?? ''));
    return d;
  }

  async function rows(sql: string): Promise<RowDataPacket[]> {
    const conn = await db.connect();
    try {
      const [r] = await conn.query<RowDataPacket[]>(sql);
      return r;
    } finally {
      await conn.end();
    }
  }

  /** Makes a peer's stored announce `seconds` older. */
  const ageRecord = (infoHash: Buffer, uid: number, peerId: string, seconds: number): Promise<void> =>
    agePeerRecord(redis, keySchema('oncilla:').torrent(infoHash), uid, peerId, seconds);

  it('reaches MySQL through the Unix socket when mysql_host is localhost', () => {
    const ready = tracker.logs.find((l) => l.msg === 'tracker ready');
    assert.equal(ready?.mysql, `unix:${db.socketPath}/${db.database}`);
  });

  it('writes exactly the expected rows to every table', async () => {
    // alice seeds the normal torrent; bob leeches it and completes
    await announce(pk('a'), { info_hash: NORMAL, peer_id: pid(1), event: 'started', left: 0, uploaded: 0, downloaded: 0, port: 7001 });
    await announce(pk('b'), { info_hash: NORMAL, peer_id: pid(2), event: 'started', left: 1000, uploaded: 0, downloaded: 0, port: 7002 });
    await announce(pk('a'), { info_hash: NORMAL, peer_id: pid(1), left: 0, uploaded: 1000, downloaded: 0, port: 7001 });
    await announce(pk('b'), { info_hash: NORMAL, peer_id: pid(2), event: 'completed', left: 0, uploaded: 10, downloaded: 1000, port: 7002 });
    // bob downloads a freeleech torrent, and a neutral one (his upload is not credited there)
    await announce(pk('b'), { info_hash: FREE, peer_id: pid(2), event: 'started', left: 500, uploaded: 0, downloaded: 0, port: 7002 });
    await announce(pk('b'), { info_hash: FREE, peer_id: pid(2), left: 100, uploaded: 40, downloaded: 400, port: 7002 });
    await announce(pk('b'), { info_hash: NEUTRAL, peer_id: pid(2), event: 'started', left: 500, uploaded: 0, downloaded: 0, port: 7002 });
    await announce(pk('b'), { info_hash: NEUTRAL, peer_id: pid(2), left: 300, uploaded: 70, downloaded: 200, port: 7002 });
    // bob has a token on the 50 %-off torrent: download free, upload credited; completing uses it up
    await announce(pk('b'), { info_hash: HALF, peer_id: pid(2), event: 'started', left: 1000, uploaded: 0, downloaded: 0, port: 7002 });
    await announce(pk('b'), { info_hash: HALF, peer_id: pid(2), event: 'completed', left: 0, uploaded: 5, downloaded: 1000, port: 7002 });
    // carol (IP hidden) on the 50 %-off torrent without a token: 50 % of 301 = 150 forgiven
    await announce(pk('c'), { info_hash: HALF, peer_id: pid(3), event: 'started', left: 1000, uploaded: 0, downloaded: 0, port: 7003 });
    await announce(pk('c'), { info_hash: HALF, peer_id: pid(3), left: 699, uploaded: 0, downloaded: 301, port: 7003 });
    // counters behind the stored ones within a minute: an older announce, credited nothing
    await announce(pk('c'), { info_hash: HALF, peer_id: pid(3), left: 699, uploaded: 0, downloaded: 200, port: 7003 });
    // a minute on, a counter reset (a restarted client) credits nothing either, then a stop
    await ageRecord(HALF, 3, pid(3), 61);
    await announce(pk('c'), { info_hash: HALF, peer_id: pid(3), left: 699, uploaded: 0, downloaded: 100, port: 7003 });
    await announce(pk('c'), { info_hash: HALF, peer_id: pid(3), event: 'stopped', left: 699, uploaded: 0, downloaded: 150, port: 7003 });
    await waitFlushed(redis);

    // users_main: credited after discounts. bob: 10 + 40 (free: upload counts) + 0 (neutral) + 5 (token);
    // download 1000 on the normal torrent only. carol: 301 - 150 forgiven, then 50 after her reset - 25.
    assert.deepEqual(
      (await rows('SELECT ID, Uploaded, Downloaded FROM users_main ORDER BY ID')).map((r) => [r.ID, Number(r.Uploaded), Number(r.Downloaded)]),
      [[1, 1000, 0], [2, 55, 1000], [3, 0, 176]],
    );
    const t = await rows("SELECT ID, Seeders, Leechers, Snatched, balance, last_action > '2000-01-01' AS seen FROM torrents ORDER BY ID");
    assert.deepEqual(
      t.map((r) => [r.ID, r.Seeders, r.Leechers, Number(r.Snatched), Number(r.balance), Number(r.seen)]),
      [[1, 2, 0, 6, 10, 1], [2, 0, 1, 0, -360, 0], [3, 0, 1, 0, -130, 0], [4, 1, 0, 1, -1346, 1]],
      'counts replaced, Snatched added, balance = up - down over the torrent, last_action only with seeders',
    );
    assert.deepEqual(
      (await rows('SELECT uid, fid, IP, ipv6 FROM xbt_snatched ORDER BY fid')).map((r) => [r.uid, r.fid, r.IP, r.ipv6]),
      [[2, 1, '127.0.0.1', ''], [2, 4, '127.0.0.1', '']],
    );
    assert.deepEqual(
      (await rows('SELECT UserID, TorrentID, Downloaded, Expired FROM users_freeleeches')).map((r) => [r.UserID, r.TorrentID, Number(r.Downloaded), r.Expired]),
      [[2, 4, 1000, 0]],
      'the token records what it saved; the site expires it after the callback',
    );
    assert.deepEqual(
      (await rows('SELECT UserID, TorrentID, FreeTorrent, Uploaded, Downloaded FROM users_freetorrents ORDER BY UserID, TorrentID'))
        .map((r) => [r.UserID, r.TorrentID, r.FreeTorrent, Number(r.Uploaded), Number(r.Downloaded)]),
      [[2, 2, '1', 0, 400], [2, 3, '2', 70, 200], [3, 4, '12', 0, 175]],
    );
    const ut = await rows('SELECT uid, fid, seedtime, downloaded, uploaded, real_downloaded, real_uploaded, snatched FROM users_torrents ORDER BY uid, fid');
    assert.ok(Number(ut[0].seedtime) <= 2, 'alice seeded for the seconds between her announces');
    assert.deepEqual(
      ut.map((r) => [r.uid, r.fid, Number(r.downloaded), Number(r.uploaded), Number(r.real_downloaded), Number(r.real_uploaded), r.snatched]),
      [[1, 1, 0, 1000, 0, 1000, 0], [2, 1, 1000, 10, 1000, 10, 1], [2, 2, 0, 40, 400, 40, 0], [2, 3, 0, 0, 200, 70, 0], [2, 4, 0, 5, 1000, 5, 1], [3, 4, 176, 0, 351, 0, 0]],
    );
    const peers = await rows('SELECT uid, fid, active, uploaded, downloaded, remaining, announced, ip, ipv6, useragent, HEX(peer_id) AS pid FROM xbt_files_users ORDER BY uid, fid');
    assert.deepEqual(
      peers.map((r) => [r.uid, r.fid, r.active, Number(r.uploaded), Number(r.downloaded), Number(r.remaining), r.announced, r.ip, r.useragent]),
      [
        [1, 1, 1, 1000, 0, 0, 2, '127.0.0.1', 'TestClient/1.0'],
        [2, 1, 1, 10, 1000, 0, 2, '127.0.0.1', 'TestClient/1.0'],
        [2, 2, 1, 40, 400, 100, 2, '127.0.0.1', 'TestClient/1.0'],
        [2, 3, 1, 70, 200, 300, 2, '127.0.0.1', 'TestClient/1.0'],
        [2, 4, 1, 5, 1000, 0, 2, '127.0.0.1', 'TestClient/1.0'],
        [3, 4, 0, 0, 150, 699, 5, '', 'TestClient/1.0'],
      ],
      'one row per peer; a stopped peer is active=0; an IP-protected user has no IP',
    );
    assert.equal(peers[0].pid, Buffer.from(pid(1)).toString('hex').toUpperCase());
    // the used-up token is queued for the site's expiry callback and no longer applies
    const keys = keySchema('oncilla:');
    const expiries = (await Promise.all(keys.shards().map((s) => redis.lrange(s.expiries, 0, -1)))).flat();
    assert.deepEqual(expiries, ['2:4']);
    const tokens = (await Promise.all(keys.shards().map((s) => redis.smembers(s.tokens)))).flat();
    assert.ok(!tokens.includes('4:2'));
  });
});
