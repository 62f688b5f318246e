/**
 * Reloads under load: SIGHUP (config) and SIGUSR1 (lists from MySQL) while announces keep
 * coming, with not one failed request; and the token-expiry callback to a site that fails
 * first, then recovers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { insertTokens, insertTorrents, insertUsers, makeInfoHash } from '@oncilla/testkit';
import type { TrackerProcess } from '@oncilla/tracker/launcher';
import { decode, get, query, text } from './support/client.js';
import { startStack, type Stack } from './support/stack.js';
import { eventually } from './support/wait.js';

const pk = (c: string): string => c.repeat(32);
const IH = makeInfoHash(1);
const LATER = makeInfoHash(2);

describe('reloads and the site callback', () => {
  let stack: Stack;
  let tracker: TrackerProcess;
  let site: http.Server;
  const siteHits: Array<{ status: number; url: string; at: number }> = [];
  let failFirst = 2;

  before(async () => {
    site = http.createServer((req, res) => {
      const status = failFirst-- > 0 ? 500 : 200;
      siteHits.push({ status, url: req.url ?? '', at: Date.now() });
      res.writeHead(status).end();
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const sitePort = (site.address() as { port: number }).port;
    stack = await startStack({
      redisServer: { appendonly: false },
      users: [{ id: 1, passkey: pk('a') }, { id: 2, passkey: pk('b') }],
      torrents: [{ id: 1, infoHash: IH }],
      tokens: [{ userId: 2, torrentId: 1 }],
      trackers: [{ workers: 2, conf: { site_host: '127.0.0.1', site_port: sitePort, schedule_interval: 1 } }],
    });
    [tracker] = stack.trackers;
  });

  after(async () => {
    await stack?.stop();
    site?.close();
  });

  const announce = async (passkey: string, p: Record<string, string | number | Buffer>) =>
    decode((await get(tracker.url(`/${passkey}/announce?${query({ port: 6881, left: 100, uploaded: 0, downloaded: 0, compact: 1, ...p })}`))).body);

  /** Announces without pause until stopped; counts anything that is not a success. */
  function load(): { stop: () => Promise<{ ok: number; bad: string[] }> } {
    let running = true;
    const bad: string[] = [];
    let ok = 0;
    const loop = (async () => {
      for (let i = 0; running; i++) {
        try {
          const d = await announce(pk('a'), { info_hash: IH, peer_id: `-LD0001-${String(i % 20).padStart(12, '0')}` });
          if (d['failure reason'] === undefined) ok++;
          else bad.push(text(d['failure reason']));
        } catch (err) {
          bad.push((err as Error).message);
        }
      }
    })();
    return { stop: async () => { running = false; await loop; return { ok, bad }; } };
  }

  it('SIGHUP applies a new config in every worker without a failed request', async () => {
    const l = load();
    writeFileSync(tracker.configFile, readFileSync(tracker.configFile, 'utf8') + 'announce_interval = 900\n');
    const from = tracker.logs.length;
    tracker.child.kill('SIGHUP');
    await tracker.waitFor((x) => tracker.logs.indexOf(x) >= from && String(x.msg).startsWith('SIGHUP: config reloaded'));
    for (let i = 0; i < 6; i++) {
      const d = await announce(pk('b'), { info_hash: IH, peer_id: '-TS0001-000000000002' });
      assert.equal(d['min interval'], 900, 'every worker took the new interval');
    }
    const r = await l.stop();
    assert.deepEqual(r.bad, []);
    assert.ok(r.ok > 0);
  });

  it('SIGUSR1 reloads users and torrents from MySQL without a failed request', async () => {
    const conn = await stack.db.connect();
    await insertTorrents(conn, [{ id: 2, infoHash: LATER }]);
    await insertUsers(conn, [{ id: 3, passkey: pk('c') }]);
    await conn.query("UPDATE users_main SET Enabled = '0' WHERE ID = 2");
    await conn.end();
    assert.equal(text((await announce(pk('c'), { info_hash: LATER, peer_id: '-TS0001-000000000003' }))['failure reason']), 'Passkey not found');
    const l = load();
    const from = tracker.logs.length;
    tracker.child.kill('SIGUSR1');
    await tracker.waitFor((x) => tracker.logs.indexOf(x) >= from && String(x.msg).startsWith('SIGUSR1: lists reloaded'));
    const r = await l.stop();
    assert.deepEqual(r.bad, [], 'announces during the reload saw the old or the new lists, never none');
    // the primary's line comes before every worker has read the reload from the feed (within a second)
    const reason = async (passkey: string, infoHash: Buffer, peerId: string): Promise<string | undefined> => {
      const d = await announce(passkey, { info_hash: infoHash, peer_id: peerId });
      return d['failure reason'] === undefined ? undefined : text(d['failure reason']);
    };
    await eventually(() => reason(pk('c'), LATER, '-TS0001-000000000003'), undefined);
    await eventually(() => reason(pk('b'), IH, '-TS0001-000000000002'), 'Passkey not found');
  });

  it('tells the site about used-up tokens, backing off while it fails', async () => {
    // user 2 was disabled above; give the token to user 1 and let them complete
    const conn = await stack.db.connect();
    await insertTokens(conn, [{ userId: 1, torrentId: 2 }]);
    await conn.end();
    tracker.child.kill('SIGUSR1');
    await tracker.waitFor((x) => String(x.msg).startsWith('SIGUSR1: lists reloaded') && tracker.logs.filter((y) => String(y.msg).startsWith('SIGUSR1: lists reloaded')).length >= 2);
    await announce(pk('a'), { info_hash: LATER, peer_id: '-TS0001-000000000009', event: 'started', left: 10 });
    await announce(pk('a'), { info_hash: LATER, peer_id: '-TS0001-000000000009', event: 'completed', left: 0, downloaded: 10 });
    await tracker.waitFor((x) => String(x.msg).startsWith('Expired 1 freeleech tokens'));
    assert.deepEqual(siteHits.map((h) => h.status), [500, 500, 200]);
    assert.ok(siteHits[2].at - siteHits[1].at >= 4500, 'backed off instead of retrying at once');
    assert.match(siteHits[2].url, /^\/tools\.php\?key=s+S+&type=expiretoken&action=ocelot&tokens=1:2$/);
  });
});
