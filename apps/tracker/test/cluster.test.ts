/**
 * The real cluster (primary + 2 workers) against throwaway Redis and MariaDB, over HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { insertTorrents, makeInfoHash } from '@oncilla/testkit';
import { keySchema } from '@oncilla/swarm-store';
import { bytes, compactPeers, decode, get, query, text, type Params } from './support/client.js';
import type { TrackerProcess } from '@oncilla/tracker/launcher';
import { startStack, type Stack } from './support/stack.js';
import { waitUntil } from './support/wait.js';

const pk = (c: string): string => c.repeat(32);
const IH = makeInfoHash(1);
const IH_FREE = makeInfoHash(2);
/** 13 torrents whose hashes hold every byte value 0x00..0xFF between them. */
const ALL_BYTES = Array.from({ length: 13 }, (_, i) => Buffer.from(Array.from({ length: 20 }, (_, j) => (i * 20 + j) % 256)));
const peerId = (n: number): Buffer => Buffer.from(`-TS0001-${String(n).padStart(12, '0')}`, 'latin1');

describe('tracker cluster', () => {
  let stack: Stack;
  let tracker: TrackerProcess;

  before(async () => {
    stack = await startStack({
      users: [
        { id: 1, passkey: pk('a') },
        { id: 2, passkey: pk('b') },
        { id: 3, passkey: pk('c') },
        { id: 4, passkey: pk('d'), canLeech: false },
        { id: 5, passkey: pk('e'), enabled: '0' },
      ],
      torrents: [
        { id: 1, infoHash: IH, snatched: 3 },
        { id: 2, infoHash: IH_FREE, freeTorrent: '1' },
        ...ALL_BYTES.map((infoHash, i) => ({ id: 100 + i, infoHash })),
      ],
      trackers: [{ conf: { allow_client_ip: 1, numwant_limit: 5 } }],
    });
    [tracker] = stack.trackers;
  });

  after(async () => {
    if (tracker) assert.deepEqual(await tracker.stop(), { code: 0, signal: null }, 'SIGTERM stops the tracker cleanly');
    await stack?.stop();
  });

  const announce = async (passkey: string, p: Params, host = '127.0.0.1') => {
    const r = await get(tracker.url(`/${passkey}/announce?${query({ port: 6881, uploaded: 0, downloaded: 0, left: 100, compact: 1, ...p })}`, host));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain');
    return decode(r.body);
  };
  const failure = (d: Record<string, unknown>): string => text(d['failure reason']);

  it('loaded the lists and started two workers', async () => {
    const line = await tracker.waitFor((l) => l.msg === 'tracker ready');
    assert.equal(line.users, 4, 'the disabled user is not loaded');
    assert.equal(line.torrents, 15);
    // the workers' own lines come through other pipes and may arrive after the primary's
    await tracker.waitFor(() => tracker.logs.filter((l) => l.msg === 'worker listening').length >= 2);
    assert.equal(tracker.logs.filter((l) => l.msg === 'worker listening').length, 2);
  });

  it('carries every byte value of info_hash and peer_id intact', async () => {
    for (const [i, ih] of ALL_BYTES.entries()) {
      const pid = Buffer.from(ih);
      const d = await announce(pk('a'), { info_hash: ih, peer_id: pid, left: 0, port: 7000 + i });
      assert.equal(d['failure reason'], undefined, `hash ${ih.toString('hex')}: ${d['failure reason'] ? failure(d) : ''}`);
    }
    const listed = await announce(pk('b'), { info_hash: ALL_BYTES[12], peer_id: peerId(2), compact: 0 });
    const peers = listed.peers as Array<Record<string, unknown>>;
    assert.equal(peers.length, 1);
    assert.deepEqual(bytes(peers[0]['peer id']), ALL_BYTES[12]);
    assert.equal(text(peers[0].ip), '127.0.0.1');
    assert.equal(peers[0].port, 7012);
    const scrape = await get(tracker.url(`/${pk('c')}/scrape?${ALL_BYTES.map((h) => query({ info_hash: h })).join('&')}`));
    const files = decode(scrape.body).files as Record<string, Record<string, number>>;
    assert.equal(Object.keys(files).length, 13);
  });

  it('runs a swarm through every event', async () => {
    let d = await announce(pk('a'), { info_hash: IH, peer_id: peerId(1), event: 'started', port: 6001 });
    assert.deepEqual([d.complete, d.incomplete, d.downloaded], [0, 1, 3]);
    assert.deepEqual(compactPeers(d.peers, 6), []);
    d = await announce(pk('b'), { info_hash: IH, peer_id: peerId(2), event: 'started', left: 0, port: 6002 });
    assert.deepEqual([d.complete, d.incomplete], [1, 1]);
    assert.deepEqual(compactPeers(d.peers, 6), ['127.0.0.1:6001'], 'the seeder gets the leecher');
    assert.equal(d.interval, 1800 + 1, 'interval = announce_interval + min(600, seeders)');
    assert.equal(d['min interval'], 1800);
    assert.deepEqual(bytes(d['external ip']), Buffer.from([127, 0, 0, 1]));
    d = await announce(pk('a'), { info_hash: IH, peer_id: peerId(1), port: 6001 });
    assert.deepEqual(compactPeers(d.peers, 6), ['127.0.0.1:6002'], 'the leecher gets the seeder');
    d = await announce(pk('a'), { info_hash: IH, peer_id: peerId(1), event: 'completed', left: 0, port: 6001 });
    assert.deepEqual([d.complete, d.incomplete, d.downloaded], [2, 0, 4], 'completion moves the peer and counts a snatch');
    d = await announce(pk('a'), { info_hash: IH, peer_id: peerId(1), event: 'stopped', left: 0, port: 6001 });
    assert.deepEqual([d.complete, d.incomplete], [1, 0]);
    assert.deepEqual(compactPeers(d.peers, 6), []);
  });

  it('answers each failure with a bencoded reason and status 200', async () => {
    const cases: Array<[string, string]> = [
      [`/${pk('z')}/announce?${query({ info_hash: IH, peer_id: peerId(1), port: 1 })}`, 'Passkey not found'],
      [`/${pk('e')}/announce?${query({ info_hash: IH, peer_id: peerId(1), port: 1 })}`, 'Passkey not found'],
      [`/${pk('a')}/announce?${query({ info_hash: Buffer.alloc(20, 7), peer_id: peerId(1), port: 1 })}`, 'Unregistered torrent'],
      [`/${pk('a')}/announce?${query({ info_hash: IH, port: 1 })}`, 'No peer ID'],
      [`/${pk('a')}/announce?${query({ info_hash: IH, peer_id: 'short', port: 1 })}`, 'Invalid peer ID'],
      [`/${pk('a')}/announce?${query({ info_hash: IH, peer_id: peerId(1), port: 1, ipv4: '' })}`, 'Invalid IP detected'],
      [`/${pk('d')}/announce?${query({ info_hash: IH, peer_id: peerId(4), port: 1, left: 10 })}`, 'Access denied, leeching forbidden'],
      [`/short/announce?x=1`, 'Malformed announce'],
      [`/${pk('a')}/bogus?x=1`, 'Invalid action'],
      [`/${pk('a')}/update?action=x`, 'Authentication failure'],
      [`/${pk('a')}/report?get=stats`, 'Authentication failure'],
      [`/${pk('a')}/announce?${'x'.repeat(5000)}`, 'GET string too long'],
    ];
    for (const [path, reason] of cases) {
      const r = await get(tracker.url(path));
      assert.equal(r.status, 200, path);
      assert.equal(failure(decode(r.body)), reason, path);
      assert.equal(r.body.toString('latin1').endsWith('8:intervali5400e12:min intervali5400ee'), true, 'canonical key order');
    }
    const html = await get(tracker.url(`/${pk('a')}/announce`));
    assert.equal(html.status, 200);
    assert.match(html.body.toString(), /Nothing to see here/);
  });

  it('shows the deletion reason of a deleted torrent', async () => {
    const keys = keySchema('oncilla:');
    const gone = makeInfoHash(999);
    await stack.redis.hset(keys.torrent(gone).torrent, 'dr', `14|${Math.floor(Date.now() / 1000)}`);
    const d = await announce(pk('a'), { info_hash: gone, peer_id: peerId(1) });
    assert.equal(failure(d), 'Unregistered torrent: Specifically Banned');
  });

  it('serves IPv6 requesters IPv6 endpoints and IPv4-only requesters IPv4 ones', async () => {
    const ih = makeInfoHash(3);
    const conn = await stack.db.connect();
    await insertTorrents(conn, [{ id: 3, infoHash: ih }]);
    await conn.end();
    await stack.redis.hset(keySchema('oncilla:').torrent(ih).torrent, 'id', '3', 'f', '0');
    await announce(pk('b'), { info_hash: ih, peer_id: peerId(2), left: 0, port: 7002 }, '::1');
    await announce(pk('c'), { info_hash: ih, peer_id: peerId(3), left: 0, port: 7003, ipv6: '2001:4860::3' });
    const v6req = await announce(pk('a'), { info_hash: ih, peer_id: peerId(1), port: 7001 }, '::1');
    assert.deepEqual(compactPeers(v6req.peers6, 18), [
      '[00000000000000000000000000000001]:7002',
      '[20014860000000000000000000000003]:7003',
    ]);
    assert.deepEqual(compactPeers(v6req.peers, 6), []);
    assert.deepEqual(bytes(v6req['external ip']).length, 16);
    const v4req = await announce(pk('a'), { info_hash: ih, peer_id: peerId(11), port: 7011 });
    assert.deepEqual(compactPeers(v4req.peers, 6), ['127.0.0.1:7003'], 'only the dual-stack peer has IPv4');
    assert.equal(v4req.peers6, undefined);
  });

  it('clamps numwant to [0, numwant_limit]', async () => {
    const ih = ALL_BYTES[0];
    for (let i = 0; i < 8; i++) await announce(pk(i % 2 ? 'b' : 'c'), { info_hash: ih, peer_id: peerId(500 + i), left: 0, port: 8000 + i });
    const count = async (numwant: string | undefined) =>
      compactPeers((await announce(pk('a'), { info_hash: ih, peer_id: peerId(1), numwant })).peers, 6).length;
    assert.equal(await count(undefined), 5, 'default is numwant_limit');
    assert.equal(await count('3'), 3);
    assert.equal(await count('500'), 5);
    assert.equal(await count('-1'), 0, 'negative is 0, not every peer');
    assert.equal(await count('abc'), 0);
  });

  it('scrapes one or many hashes and omits unknown ones', async () => {
    const r = await get(tracker.url(`/${pk('a')}/scrape?${query({ info_hash: IH })}&${query({ info_hash: Buffer.alloc(20, 1) })}`));
    const files = decode(r.body).files as Record<string, Record<string, number>>;
    assert.deepEqual(Object.keys(files).length, 1);
    const f = Object.values(files)[0];
    // the leecher is user d's: leeching forbidden, so it is counted but never handed out
    assert.deepEqual([f.complete, f.incomplete, f.downloaded], [1, 1, 4]);
  });

  it('restarts a worker that dies', async () => {
    const died = tracker.waitFor((l) => l.msg === 'worker died; starting a new one');
    const relisten = tracker.logs.filter((l) => l.msg === 'worker listening').length;
    const pid = tracker.logs.find((l) => l.msg === 'worker listening')?.pid as number;
    process.kill(pid, 'SIGKILL');
    await died;
    await tracker.waitFor((l) => l.msg === 'worker listening' && tracker.logs.filter((x) => x.msg === 'worker listening').length > relisten);
    const d = await announce(pk('a'), { info_hash: IH, peer_id: peerId(1) });
    assert.equal(d['failure reason'], undefined);
  });
  it('answers or resets, within a second, every request in flight on a worker SIGKILLed under load', async (t) => {
    // keep-alive connections announcing in a loop; /ready on each says which worker holds it
    interface Attempt { started: number; settled?: number; outcome?: string }
    interface Line { agent: http.Agent; pid: number; current?: Attempt }
    const call = (agent: http.Agent, path: string): Promise<http.IncomingMessage> => new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: tracker.port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res));
      }).on('error', reject);
    });
    const open = async (): Promise<Line> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      return { agent, pid: Number((await call(agent, '/ready')).headers['x-oncilla-worker']) };
    };
    // Connections opened a few at a time until both workers hold several: the workers accept
    // their own (SCHED_NONE), and the first one the kernel wakes may take a whole burst.
    const lines: Line[] = [];
    const held = (): number[] => [...new Set(lines.map((l) => l.pid))].map((pid) => lines.filter((l) => l.pid === pid).length);
    while (lines.length < 96 && !(held().length === 2 && Math.min(...held()) >= 6)) lines.push(...(await Promise.all([open(), open()])));
    const pids = [...new Set(lines.map((l) => l.pid))];
    assert.equal(pids.length, 2, `the connections reach both workers (${held().join(' / ')} of ${lines.length})`);
    let running = true;
    const loops = lines.map(async (l, i) => {
      for (let n = 0; running; n++) {
        const a: Attempt = { started: Date.now() };
        l.current = a;
        const path = `/${pk('a')}/announce?${query({ info_hash: IH, peer_id: peerId(500 + i), port: 9000 + i, uploaded: n, downloaded: 0, left: 0, compact: 1 })}`;
        try {
          await call(l.agent, path);
          a.outcome = 'answer';
        } catch (err) {
          a.outcome = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        }
        a.settled = Date.now();
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const victim = pids[0];
    const count = (msg: string): number => tracker.logs.filter((l) => l.msg === msg).length;
    const [deaths, listening] = [count('worker died; starting a new one'), count('worker listening')];
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    const caught = lines.filter((l) => l.pid === victim).map((l) => l.current).filter((a): a is Attempt => a !== undefined && a.settled === undefined);
    await waitUntil('every caught request to settle', async () => caught.every((a) => a.settled !== undefined), 5000);
    running = false;
    await Promise.all(loops);
    for (const l of lines) l.agent.destroy();
    assert.ok(caught.length > 0, 'requests were in flight on the killed worker');
    t.diagnostic(`${caught.length} caught: ${caught.map((a) => `${a.outcome} after ${(a.settled ?? 0) - killedAt} ms`).join(', ')}`);
    for (const a of caught) {
      assert.ok(['answer', 'ECONNRESET', 'EPIPE'].includes(String(a.outcome)), `an answer or a reset, not ${a.outcome}`);
      assert.ok((a.settled ?? Infinity) - killedAt <= 1000, `settled ${(a.settled ?? Infinity) - killedAt} ms after the kill`);
    }
    await tracker.waitFor(() => count('worker died; starting a new one') > deaths && count('worker listening') > listening);
  });
});
