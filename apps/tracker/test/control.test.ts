/**
 * The site's control plane against the real cluster: every update action, the report, and
 * "success" exactly as GazellePW reads it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { makeInfoHash, makePasskey } from '@oncilla/testkit';
import { REPORT_PASSWORD, SITE_PASSWORD, type TrackerProcess } from '@oncilla/tracker/launcher';
import { decode, get, pct, query, text, type Params } from './support/client.js';
import { siteRequest } from './support/site-client.js';
import { startStack, type Stack } from './support/stack.js';
import { waitFlushed } from './support/flushed.js';
import { eventually } from './support/wait.js';
import { keySchema } from '@oncilla/swarm-store';

const pk = (c: string): string => c.repeat(32);
const IH = makeInfoHash(1);
const NEW_IH = makeInfoHash(50);
const pid = (n: number): string => `-TS0001-${String(n).padStart(12, '0')}`;

describe('site control plane', () => {
  let stack: Stack;
  let tracker: TrackerProcess;
  let redis: Redis;

  before(async () => {
    stack = await startStack({
      redisServer: { appendonly: false },
      users: [{ id: 1, passkey: pk('a') }, { id: 2, passkey: pk('b') }],
      torrents: [{ id: 1, infoHash: IH }],
      trackers: [{ workers: 2 }],
    });
    ({ redis, trackers: [tracker] } = stack);
  });

  after(() => stack?.stop());

  const update = async (params: string): Promise<void> => {
    const r = await siteRequest(tracker.port, `/${SITE_PASSWORD}/update?${params}`);
    assert.equal(r.last, 'success', `update ${params.slice(0, 60)}: ${r.raw.slice(0, 200)}`);
    assert.match(r.head, /\r\nconnection: close/i);
    assert.doesNotMatch(r.head, /transfer-encoding/i);
  };
  const announce = async (passkey: string, p: Params): Promise<Record<string, unknown>> => {
    const r = await get(tracker.url(`/${passkey}/announce?${query({ port: 6881, left: 100, uploaded: 0, downloaded: 0, compact: 1, ...p })}`));
    return decode(r.body);
  };
  const reason = (d: Record<string, unknown>): string | undefined => (d['failure reason'] === undefined ? undefined : text(d['failure reason']));

  it('answers a request without a Host header, as Ocelot does', async () => {
    const r = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: tracker.port }, () => s.write(`GET /${SITE_PASSWORD}/update?action=none HTTP/1.1\r\nConnection: Close\r\n\r\n`));
      let data = '';
      s.on('data', (c: Buffer) => (data += c.toString('latin1')));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    assert.equal(r.slice(r.lastIndexOf('\n') + 1), 'success');
  });

  it('refuses a wrong secret, without a success line', async () => {
    const r = await siteRequest(tracker.port, `/${'x'.repeat(32)}/update?action=add_torrent`);
    assert.notEqual(r.last, 'success');
    assert.equal(reason(decode(Buffer.from(r.body, 'latin1'))), 'Authentication failure');
  });

  it('adds and deletes torrents; the change is seen by the next request on any worker', async () => {
    for (let i = 0; i < 4; i++) {
      const ih = makeInfoHash(100 + i);
      assert.equal(reason(await announce(pk('a'), { info_hash: ih, peer_id: pid(1) })), 'Unregistered torrent');
      await update(`action=add_torrent&info_hash=${pct(ih)}&id=${100 + i}&freetorrent=0`);
      assert.equal(reason(await announce(pk('a'), { info_hash: ih, peer_id: pid(1) })), undefined);
      await update(`action=delete_torrent&info_hash=${pct(ih)}&id=${100 + i}&reason=14`);
      assert.equal(reason(await announce(pk('a'), { info_hash: ih, peer_id: pid(1) })), 'Unregistered torrent: Specifically Banned');
    }
    const keys = keySchema('oncilla:');
    const torrent = async (ih: Buffer): Promise<string | null> => {
      const v = await redis.hmget(keys.torrent(ih).torrent, 'id', 'f', 'sn');
      return v[0] === null ? null : v.join('|');
    };
    const hasToken = async (ih: Buffer, member: string): Promise<number> => redis.sismember(keys.torrent(ih).shard.tokens, member);
    const tokenCount = async (): Promise<number> => (await Promise.all(keys.shards().map((sh) => redis.scard(sh.tokens)))).reduce((a, b) => a + b, 0);
    await update(`action=add_torrent&info_hash=${pct(NEW_IH)}&id=50&freetorrent=1`);
    assert.equal(await torrent(NEW_IH), '50|1|0');
    await update(`action=add_torrent&info_hash=${pct(NEW_IH)}&id=99&freetorrent=0`);
    assert.equal(await torrent(NEW_IH), '50|0|0', 'a known torrent keeps its id, takes the free type');
    await update(`action=update_torrent&info_hash=${pct(NEW_IH)}&freetorrent=12`);
    assert.equal(await torrent(NEW_IH), '50|12|0');
    await update(`action=update_torrent&info_hash=${pct(NEW_IH)}&freetorrent=7`);
    assert.equal(await torrent(NEW_IH), '50|0|0', 'an unknown type means normal (GazellePW mapping)');
    await update(`action=update_torrents&info_hashes=${pct(Buffer.concat([NEW_IH, IH]))}&freetorrent=2`);
    assert.equal(await torrent(NEW_IH), '50|2|0');
    assert.match(String(await torrent(IH)), /^1\|2\|/);
    await update(`action=info_torrent&info_hash=${pct(NEW_IH)}`);
    await update(`action=add_token&info_hash=${pct(NEW_IH)}&userid=2`);
    assert.equal(await hasToken(NEW_IH, '50:2'), 1);
    assert.equal(await redis.hget(keys.torrent(NEW_IH).torrent, 'k2'), '1', 'the announce reads it from the torrent');
    await update(`action=remove_token&info_hash=${pct(NEW_IH)}&userid=2`);
    assert.equal(await hasToken(NEW_IH, '50:2'), 0);
    await update(`action=add_token&info_hash=${pct(makeInfoHash(999))}&userid=2`);
    assert.equal(await tokenCount(), 0, 'a token on an unknown torrent is ignored');
    await update('action=no_such_action&x=1');
    await update('');
  });

  it('adds, changes and removes users; update_user changes only the flag it is given', async () => {
    const key = makePasskey(77);
    await eventually(async () => reason(await announce(key, { info_hash: IH, peer_id: pid(7) })), 'Passkey not found');
    await update(`action=add_user&passkey=${key}&id=77`);
    await eventually(async () => reason(await announce(key, { info_hash: IH, peer_id: pid(7) })), undefined);
    await update(`action=update_user&passkey=${key}&can_leech=0`);
    await eventually(async () => reason(await announce(key, { info_hash: IH, peer_id: pid(7) })), 'Access denied, leeching forbidden');
    await update(`action=update_user&passkey=${key}&visible=0`);
    await eventually(async () => reason(await announce(key, { info_hash: IH, peer_id: pid(7) })), 'Access denied, leeching forbidden', 'visible alone keeps can_leech=0');
    await update(`action=update_user&passkey=${key}&can_leech=1`);
    const next = makePasskey(78);
    await update(`action=change_passkey&oldpasskey=${key}&newpasskey=${key}`);
    await eventually(async () => reason(await announce(key, { info_hash: IH, peer_id: pid(7) })), undefined, 'old == new changes nothing');
    await update(`action=change_passkey&oldpasskey=${key}&newpasskey=${next}`);
    await eventually(async () => reason(await announce(key, { info_hash: IH, peer_id: pid(7) })), 'Passkey not found');
    await eventually(async () => reason(await announce(next, { info_hash: IH, peer_id: pid(7) })), undefined);
    await update(`action=remove_user&passkey=${next}`);
    await eventually(async () => reason(await announce(next, { info_hash: IH, peer_id: pid(7) })), 'Passkey not found');
  });

  it('removes 124 users in one ~4.1 KB request', async () => {
    const keys = Array.from({ length: 124 }, (_, i) => makePasskey(1000 + i));
    for (const [i, k] of keys.entries()) await update(`action=add_user&passkey=${k}&id=${1000 + i}`);
    const path = `/${SITE_PASSWORD}/update?action=remove_users&passkeys=${keys.join('')}`;
    assert.ok(path.length > 4000);
    const r = await siteRequest(tracker.port, path);
    assert.equal(r.last, 'success');
    for (const k of [keys[0], keys[61], keys[123]]) await eventually(async () => reason(await announce(k, { info_hash: IH, peer_id: pid(9) })), 'Passkey not found');
  });

  it('refuses an invalid parameter with a bencoded failure that names it, and changes nothing', async () => {
    const keys = keySchema('oncilla:');
    const fresh = makeInfoHash(60);
    const key = makePasskey(60);
    // what any of these actions would have written: the user list, the feed, the torrents' shards
    const watched = [keys.global.users, keys.global.version, keys.global.feed, ...[fresh, IH].flatMap((ih) => [keys.torrent(ih).torrent, keys.torrent(ih).shard.index])];
    const state = async (): Promise<Array<Buffer | null>> => Promise.all(watched.map((k) => redis.dumpBuffer(k)));
    const before = await state();
    const cases: Array<[string, string]> = [
      [`action=add_torrent&info_hash=${pct(fresh)}&id=-1&freetorrent=0`, 'id'],
      [`action=add_torrent&info_hash=${pct(fresh.subarray(0, 19))}&id=60&freetorrent=0`, 'info_hash'],
      [`action=add_user&passkey=${key}&id=-1`, 'id'],
      [`action=add_user&passkey=${key.slice(0, 31)}&id=60`, 'passkey'],
      [`action=add_user&passkey=${key.slice(0, 31)}%01&id=60`, 'passkey'],
      [`action=update_torrents&info_hashes=${pct(Buffer.concat([IH, fresh.subarray(0, 19)]))}&freetorrent=1`, 'info_hashes'],
      ['action=update_torrents&info_hashes=&freetorrent=1', 'info_hashes'],
    ];
    for (const [params, name] of cases) {
      const r = await siteRequest(tracker.port, `/${SITE_PASSWORD}/update?${params}`);
      assert.notEqual(r.last, 'success', params);
      assert.equal(reason(decode(Buffer.from(r.body, 'latin1'))), `Invalid parameter: ${name}`, params);
    }
    assert.deepEqual(await state(), before, 'Redis is as it was (no feed entry either, so no worker changed its lists)');
    assert.equal(reason(await announce(pk('a'), { info_hash: fresh, peer_id: pid(1) })), 'Unregistered torrent');
    assert.equal(reason(await announce(key, { info_hash: IH, peer_id: pid(1) })), 'Passkey not found');
  });

  it('applies update_torrents to every shard it names', async () => {
    const keys = keySchema('oncilla:');
    const hashes = [70, 71, 72, 73].map(makeInfoHash);
    assert.equal(new Set(hashes.map((h) => keys.torrent(h).shard.shard)).size, 4, 'four shards');
    for (const [i, ih] of hashes.entries()) await update(`action=add_torrent&info_hash=${pct(ih)}&id=${70 + i}&freetorrent=0`);
    await update(`action=update_torrents&info_hashes=${pct(Buffer.concat(hashes))}&freetorrent=13`);
    for (const [i, ih] of hashes.entries()) {
      const t = keys.torrent(ih);
      assert.equal(await redis.hget(t.torrent, 'f'), '13');
      assert.equal(await redis.hget(t.shard.index, t.hex), `${70 + i}|13`, 'and the loader\'s index');
    }
  });

  it('says how much of update_torrents was applied when Redis fails for some of its shards', async () => {
    const keys = keySchema('oncilla:');
    const [a, b, broken] = [80, 81, 82].map(makeInfoHash);
    for (const [i, ih] of [a, b].entries()) await update(`action=add_torrent&info_hash=${pct(ih)}&id=${80 + i}&freetorrent=0`);
    // the broken torrent's shard index is not a hash: that shard's call fails in Redis
    const index = keys.torrent(broken).shard.index;
    assert.ok(![a, b].some((ih) => keys.torrent(ih).shard.index === index));
    const saved = await redis.dumpBuffer(index);
    await redis.del(index);
    await redis.set(index, 'not a hash');
    try {
      const r = await siteRequest(tracker.port, `/${SITE_PASSWORD}/update?action=update_torrents&info_hashes=${pct(Buffer.concat([a, broken, b]))}&freetorrent=1`);
      assert.notEqual(r.last, 'success');
      assert.equal(reason(decode(Buffer.from(r.body, 'latin1'))), 'Partly applied: 2 of 3 torrents updated, 1 not (Redis error); send the action again');
      assert.deepEqual(await Promise.all([a, b].map((ih) => redis.hget(keys.torrent(ih).torrent, 'f'))), ['1', '1'], 'the other shards applied it');
      // and the log says so (the worker's lines come through a pipe of their own: awaited)
      await tracker.waitFor((l) => String(l.msg).startsWith('update_torrents applied in part: 2 of 3'));
    } finally {
      await redis.del(index);
      if (saved) await redis.restore(index, 0, saved);
    }
  });

  it('manages the client whitelist', async () => {
    await update('action=add_whitelist&peer_id=-XX');
    await eventually(async () => reason(await announce(pk('a'), { info_hash: IH, peer_id: pid(1) })), 'Your client is not on the whitelist');
    await update('action=edit_whitelist&old_peer_id=-XX&new_peer_id=-TS0001-');
    await eventually(async () => reason(await announce(pk('a'), { info_hash: IH, peer_id: pid(1) })), undefined);
    await update('action=remove_whitelist&peer_id=-TS0001-');
    await eventually(async () => reason(await announce(pk('a'), { info_hash: IH, peer_id: pid(1) })), undefined, 'an empty whitelist admits everyone');
  });

  it('changes the announce interval and jitter at run time', async () => {
    await update('action=update_announce_interval&new_announce_interval=900');
    await eventually(async () => (await announce(pk('b'), { info_hash: IH, peer_id: pid(2) }))['min interval'], 900);
    let d = await announce(pk('b'), { info_hash: IH, peer_id: pid(2) });
    assert.ok((d.interval as number) >= 900 && (d.interval as number) <= 1500);
    await update('action=update_announce_jitter&new_announce_jitter=60');
    await eventually(async () => { const x = (await announce(pk('b'), { info_hash: IH, peer_id: pid(2) })).interval as number; return x >= 900 && x <= 960; }, true);
    d = await announce(pk('b'), { info_hash: IH, peer_id: pid(2) });
    assert.ok((d.interval as number) >= 900 && (d.interval as number) <= 960, `interval ${d.interval}`);
  });

  it('reports stats and a user\'s peers in Ocelot\'s text', async () => {
    await announce(pk('b'), { info_hash: IH, peer_id: pid(2), left: 0 });
    const r = await siteRequest(tracker.port, `/${REPORT_PASSWORD}/report?get=stats`);
    const lines = r.body.split('\n');
    assert.equal(lines.length, 14);
    assert.match(lines[0], /^Uptime: \d+ days, \d\d:\d\d:\d\d$/);
    assert.match(lines[4], /^\d+ requests handled$/);
    assert.match(lines[9], /^\d+ leechers tracked$/);
    assert.equal(lines[10], '1 seeders tracked');
    assert.equal(r.last, 'success');
    // a user's peers come from xbt_files_users, as the last flush wrote it
    await waitFlushed(redis);
    const u = await siteRequest(tracker.port, `/${REPORT_PASSWORD}/report?get=user&key=${pk('b')}`);
    assert.equal(u.body, '0 leeching\n1 seeding\nsuccess');
    assert.equal((await siteRequest(tracker.port, `/${REPORT_PASSWORD}/report?get=user&key=${'z'.repeat(32)}`)).body, 'success');
    assert.equal((await siteRequest(tracker.port, `/${REPORT_PASSWORD}/report?get=nope`)).body, 'Invalid action\nsuccess');
    const json = JSON.parse((await siteRequest(tracker.port, `/${REPORT_PASSWORD}/report?get=stats&format=json`)).body) as Record<string, unknown>;
    assert.equal(json.seeders, 1);
    assert.ok(Number(json.ipv4) >= 1, 'peers by family');
    const flush = json.flush as { pendingRows: unknown };
    assert.equal(typeof flush.pendingRows, 'number', 'flush.pendingRows: rows not yet in MySQL');
  });
});
