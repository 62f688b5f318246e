/**
 * Every Redis script keeps to one Redis Cluster slot. A tour of everything the tracker does
 * (announces of every kind, scrapes over several shards, every site update action, the report,
 * a list reload, the flush and its lease, the reaper, a shutdown) runs against one Redis under
 * MONITOR; every script call seen has its declared keys checked with CLUSTER KEYSLOT (asked of a
 * cluster-enabled Redis) and with our own keySlot. The same tour then runs on a 3+3 Redis
 * Cluster, where a cross-slot script would be refused with CROSSSLOT, and every answer must be
 * a success.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { insertTokens, insertTorrents, insertUsers, makeInfoHash, startMariaDb, startRedis, type MariaDbServer, type RedisServer } from '@oncilla/testkit';
import { keySlot, loadLibrary, scriptLibrary } from '@oncilla/swarm-store';
import { REPORT_PASSWORD, SITE_PASSWORD, TrackerProcess } from '@oncilla/tracker/launcher';
import { decode, get, pct, query, text, type Params } from './support/client.js';
import { siteRequest } from './support/site-client.js';
import { TOPOLOGIES, type RedisSide } from './support/topologies.js';
import { waitUntil } from './support/wait.js';

const pk = (c: string): string => c.repeat(32);
const pid = (n: number): string => `-TS0001-${String(n).padStart(12, '0')}`;
// torrents whose info_hashes start with different bytes: different shards, so different slots
const HASHES = [1, 2, 3, 4, 5, 6].map((n) => makeInfoHash(n));

// the Redis function of each script -> the script's name
const BY_FUNCTION = new Map([...scriptLibrary().functions].map(([name, fn]) => [fn, name]));

interface ScriptCall {
  name: string;
  keys: string[];
}

/** A script call out of a MONITOR line's arguments, or undefined for any other command. */
function scriptCall(args: string[]): ScriptCall | undefined {
  const cmd = args[0]?.toLowerCase();
  // every script runs as a function: an EVAL would be code sent around the library
  if (cmd === 'eval' || cmd === 'evalsha') return { name: `unknown ${cmd}`, keys: [] };
  if (cmd !== 'fcall' && cmd !== 'fcall_ro') return undefined;
  const n = Number(args[2]);
  return { name: BY_FUNCTION.get(args[1]) ?? `unknown function ${args[1]}`, keys: args.slice(3, 3 + n) };
}

async function seed(db: MariaDbServer): Promise<void> {
  const conn = await db.connect();
  await insertUsers(conn, [{ id: 1, passkey: pk('a') }, { id: 2, passkey: pk('b') }, { id: 3, passkey: pk('c') }]);
  await insertTorrents(conn, HASHES.map((infoHash, i) => ({ id: i + 1, infoHash, freeTorrent: i === 1 ? '1' : '0' })));
  await insertTokens(conn, [{ userId: 2, torrentId: 3 }]);
  await conn.end();
}

/** Everything the tracker does through Redis, each request asserted to succeed. */
async function tour(tracker: TrackerProcess): Promise<void> {
  const announce = async (passkey: string, p: Params): Promise<void> => {
    const r = await get(tracker.url(`/${passkey}/announce?${query({ port: 6881, compact: 1, uploaded: 0, downloaded: 0, ...p })}`));
    const d = decode(r.body);
    assert.equal(d['failure reason'], undefined, `announce ${JSON.stringify(p.event ?? 'none')}: ${text(d['failure reason'] ?? '')}`);
  };
  const update = async (params: string): Promise<void> => {
    const r = await siteRequest(tracker.port, `/${SITE_PASSWORD}/update?${params}`);
    assert.equal(r.last, 'success', `update ${params.slice(0, 40)}: ${r.raw.slice(0, 200)}`);
  };
  for (const [i, ih] of HASHES.entries()) {
    await announce(pk('a'), { info_hash: ih, peer_id: pid(1), event: 'started', left: 0 });
    await announce(pk('b'), { info_hash: ih, peer_id: pid(2), event: 'started', left: 1000 });
    await announce(pk('b'), { info_hash: ih, peer_id: pid(2), left: 500, downloaded: 500, uploaded: 10 * i });
    await announce(pk('b'), { info_hash: ih, peer_id: pid(2), event: 'completed', left: 0, downloaded: 1000, compact: 0 });
    await announce(pk('c'), { info_hash: ih, peer_id: pid(3), event: 'started', left: 1000, numwant: 0 });
    await announce(pk('c'), { info_hash: ih, peer_id: pid(3), event: 'stopped', left: 1000 });
  }
  const scrape = await get(tracker.url(`/${pk('a')}/scrape?${HASHES.map((h) => `info_hash=${pct(h)}`).join('&')}`));
  assert.equal(Object.keys(decode(scrape.body).files as object).length, HASHES.length);
  const NEW = makeInfoHash(200);
  await update(`action=add_torrent&info_hash=${pct(NEW)}&id=50&freetorrent=0`);
  await update(`action=update_torrent&info_hash=${pct(NEW)}&freetorrent=1`);
  await update(`action=update_torrents&info_hashes=${pct(Buffer.concat([NEW, ...HASHES.slice(0, 3)]))}&freetorrent=2`);
  await update(`action=info_torrent&info_hash=${pct(NEW)}`);
  await update(`action=add_token&info_hash=${pct(NEW)}&userid=2`);
  await update(`action=remove_token&info_hash=${pct(NEW)}&userid=2`);
  await update(`action=delete_torrent&info_hash=${pct(NEW)}&id=50&reason=14`);
  await update(`action=add_user&passkey=${pk('d')}&id=4`);
  await update(`action=update_user&passkey=${pk('d')}&can_leech=0`);
  await update(`action=change_passkey&oldpasskey=${pk('d')}&newpasskey=${pk('e')}`);
  await update(`action=remove_user&passkey=${pk('e')}`);
  await update(`action=add_user&passkey=${pk('f')}&id=6`);
  await update(`action=remove_users&passkeys=${pk('f')}`);
  await update('action=add_whitelist&peer_id=-XX');
  await update('action=edit_whitelist&old_peer_id=-XX&new_peer_id=-YY');
  await update('action=remove_whitelist&peer_id=-YY');
  await update('action=update_announce_interval&new_announce_interval=900');
  await update('action=update_announce_jitter&new_announce_jitter=60');
  const report = await siteRequest(tracker.port, `/${REPORT_PASSWORD}/report?get=stats`);
  assert.match(report.body, /success$/);
  const from = tracker.logs.length;
  tracker.child.kill('SIGUSR1');
  await tracker.waitFor((l) => tracker.logs.indexOf(l) >= from && String(l.msg).startsWith('SIGUSR1: lists reloaded'));
}

const CONF = { schedule_interval: 1, reap_peers_interval: 1, peers_timeout: 1 };

describe('every script keeps to one slot', () => {
  let redisServer: RedisServer;
  let slotServer: RedisServer;
  let db: MariaDbServer;
  const calls: ScriptCall[] = [];

  before(async () => {
    // slotServer: a cluster-enabled Redis that only answers CLUSTER KEYSLOT
    [redisServer, slotServer, db] = await Promise.all([
      startRedis({ appendonly: false }),
      startRedis({ appendonly: false, extraArgs: ['--cluster-enabled', 'yes'] }),
      startMariaDb(),
    ]);
    await seed(db);
    const monitorClient = new Redis(redisServer.url);
    await loadLibrary(monitorClient);
    const monitor = await monitorClient.monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      const call = scriptCall(args);
      if (call) calls.push(call);
    });
    const tracker = await TrackerProcess.start({ redisUrl: redisServer.url, mysql: db, workers: 1, conf: CONF });
    try {
      await tour(tracker);
      // the flush cut a batch and the reaper walked a swarm since
      await waitUntil('a flush and a reap', async () => calls.some((c) => c.name === 'endBatch') && calls.some((c) => c.name === 'reap'));
    } finally {
      await tracker.stop();
    }
    // releaseLease is the shutdown's last script: wait until MONITOR has shown it
    await waitUntil('the lease released', async () => calls.some((c) => c.name === 'releaseLease'));
    monitor.disconnect();
    monitorClient.disconnect();
  });

  after(async () => {
    await Promise.all([redisServer?.cleanup(), slotServer?.cleanup(), db?.cleanup()]);
  });

  it('every script call was one of the scripts in redis/', () => {
    assert.deepEqual(calls.filter((c) => c.name.startsWith('unknown ')).map((c) => c.name), []);
  });

  it('saw every script in redis/ at least once', () => {
    const seen = new Set(calls.map((c) => c.name));
    assert.deepEqual([...BY_FUNCTION.values()].filter((n) => !seen.has(n)), []);
  });

  it('every call names at least one key, and all its keys map to one slot (CLUSTER KEYSLOT)', async () => {
    const slotClient = new Redis(slotServer.url);
    try {
      const distinct = [...new Set(calls.flatMap((c) => c.keys))];
      const slots = new Map<string, number>();
      for (let i = 0; i < distinct.length; i += 500) {
        const page = distinct.slice(i, i + 500);
        const pipeline = slotClient.pipeline();
        for (const k of page) pipeline.cluster('KEYSLOT', k);
        const res = (await pipeline.exec()) ?? [];
        page.forEach((k, j) => slots.set(k, Number(res[j][1])));
      }
      for (const [k, slot] of slots) assert.equal(keySlot(k), slot, `keySlot(${k}) agrees with Redis`);
      const bad = calls.filter((c) => c.keys.length === 0 || new Set(c.keys.map((k) => slots.get(k))).size !== 1);
      assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${calls.length} script calls span slots or name no key`);
      // the tour did span slots, so the check above could have failed
      assert.ok(new Set(slots.values()).size >= HASHES.length + 1, 'the calls touched several slots');
    } finally {
      slotClient.disconnect();
    }
  });
});

describe('the same tour on a Redis Cluster', () => {
  let side: RedisSide;
  let db: MariaDbServer;
  let tracker: TrackerProcess;

  before(async () => {
    [side, db] = await Promise.all([TOPOLOGIES[1].start(), startMariaDb()]);
    await seed(db);
    tracker = await TrackerProcess.start({ ...side.target, mysql: db, workers: 1, conf: CONF });
  });

  after(async () => {
    await tracker?.stop();
    await Promise.all([side?.cleanup(), db?.cleanup()]);
  });

  it('answers every announce, scrape, update and report with a success', () => tour(tracker));
});
