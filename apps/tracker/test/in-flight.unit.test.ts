import { it } from 'node:test';
import assert from 'node:assert/strict';
import bencode from 'bencode';
import { SiteLists, type AnnounceOutcome, type PeerStore } from '@oncilla/swarm-store';
import { buildApp } from '../src/http/app.js';
import { REFUSED_LOG_EVERY_MS, RefusedTransfers } from '../src/http/refused-transfers.js';
import { WorkerStats } from '../src/http/stats.js';
import type { HandlerSettings } from '../src/http/settings.js';

const PASSKEY = 'p'.repeat(32);
const SETTINGS: HandlerSettings = {
  announceInterval: 1800, announceJitter: 0, numwantLimit: 50, delReasonLifetime: 86400, keepaliveTimeout: 0, maxRequestSize: 4096,
  allowPrivatePeers: true, allowClientIp: false, trustedProxies: [], sitePassword: 's'.repeat(32), reportPassword: 'r'.repeat(32),
};
const ANNOUNCE = `/${PASSKEY}/announce?info_hash=${'%01'.repeat(20)}&peer_id=-TS0001-000000000001&port=6881&uploaded=0&downloaded=0&left=1`;

/** A store whose every call waits until released: a Redis that hangs. */
function hangingStore(): { store: PeerStore; waiting: () => number; release: () => void } {
  const waiters: Array<() => void> = [];
  const hang = <T>(v: T): Promise<T> => new Promise((resolve) => waiters.push(() => resolve(v)));
  const store: PeerStore = {
    announce: () => hang<AnnounceOutcome>({ kind: 'unavailable' }),
    scrape: () => hang({ kind: 'unavailable' as const }),
    reap: () => hang({ torrents: 0, seeders: 0, leechers: 0 }),
  };
  return { store, waiting: () => waiters.length, release: () => waiters.splice(0).forEach((w) => w()) };
}

const reason = (body: string): string => Buffer.from((bencode.decode(Buffer.from(body, 'latin1')) as Record<string, Uint8Array>)['failure reason']).toString();

it('answers "unavailable" at once past max_inflight_requests, and counts it', async () => {
  const lists = new SiteLists();
  lists.setUser(PASSKEY, '1|1|0');
  const stats = new WorkerStats();
  const h = hangingStore();
  let cap = 3;
  const app = buildApp({ store: h.store, lists, listsFresh: () => true, stats, settings: () => SETTINGS, trustedProxies: () => [], maxInFlight: () => cap });
  try {
    const hanging = Array.from({ length: 3 }, () => app.inject({ method: 'GET', url: ANNOUNCE, remoteAddress: '10.0.0.1' }));
    while (h.waiting() < 3) await new Promise((r) => setImmediate(r));
    assert.equal(stats.inFlight, 3);
    for (const url of [ANNOUNCE, `/${PASSKEY}/scrape?info_hash=${'%01'.repeat(20)}`]) {
      const shed = await app.inject({ method: 'GET', url, remoteAddress: '10.0.0.1' });
      assert.equal(shed.statusCode, 200);
      assert.equal(reason(shed.body), 'The tracker is temporarily unavailable.');
    }
    assert.equal(h.waiting(), 3, 'the refused requests never reached the store');
    assert.deepEqual([stats.shed, stats.inFlight, stats.announcements], [2, 3, 4]);
    cap = 4; // max_inflight_requests is reloadable
    const fourth = app.inject({ method: 'GET', url: ANNOUNCE, remoteAddress: '10.0.0.1' });
    while (h.waiting() < 4) await new Promise((r) => setImmediate(r));
    h.release();
    for (const r of await Promise.all([...hanging, fourth])) assert.equal(reason(r.body), 'The tracker is temporarily unavailable.');
    assert.equal(stats.inFlight, 0, 'every answered request left the count');
    assert.equal(stats.snapshot().shed, 2);
  } finally {
    await app.close();
  }
});

it('logs a refused transfer at most once per 10 s, with the user, the torrent and the count since the last line', () => {
  let now = 5_000_000;
  const lines: Array<Record<string, unknown>> = [];
  const r = new RefusedTransfers({ warn: (obj, msg) => lines.push({ ...obj, msg }) }, () => now);
  const t = { uid: 7, infoHash: Buffer.alloc(20, 0xab), uploaded: Number.MAX_SAFE_INTEGER, downloaded: 0 };
  r.record(t);
  now += REFUSED_LOG_EVERY_MS - 1;
  r.record({ ...t, uid: 8 });
  assert.equal(lines.length, 1);
  now += 1;
  r.record({ ...t, uid: 9 });
  assert.deepEqual(lines.map((l) => [l.uid, l.refused]), [[7, 1], [9, 2]]);
  assert.equal(lines[1].msg, `transfer too big to credit, not credited: user 9, torrent ${'ab'.repeat(20)} (2 since the last such line)`);
  assert.equal(lines[1].uploaded, Number.MAX_SAFE_INTEGER);
});
