/**
 * The PeerStore conformance suite (chihaya's idea): every store implementation runs these.
 * A factory gives a fresh, empty store plus a way to load the lists.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectionPlan } from '../src/selection-plan.js';
import type { TorrentRow, UserRow } from '@oncilla/rows';
import type { AnnounceInput, AnnounceOutcome, PeerStore } from '../src/types.js';

/**
 * A store under test. Users, the whitelist and removed users live in the worker's memory, not
 * in the store: the store is given the user (input()) and told who is removed.
 */
export interface StoreHarness {
  store: PeerStore;
  reset(): Promise<void>;
  loadTorrents(torrents: TorrentRow[]): Promise<void>;
  deleteTorrent(infoHash: Buffer, reason: number, time: number): Promise<void>;
  markUserRemoved(userId: number): Promise<void>;
  close(): Promise<void>;
}

export const IH = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
export const IH2 = Buffer.from('ffeeddccbbaa99887766554433221100ffeeddcc', 'hex');
export const pk = (c: string): string => c.repeat(32);
export const pid = (n: number): Buffer => Buffer.from(`-TS0001-${String(n).padStart(12, '0')}`, 'latin1');
export const v4 = (a: number, b: number, c: number, d: number): Buffer => Buffer.from([a, b, c, d]);
export const v6 = (last: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt16BE(0x2a00, 0);
  b[15] = last;
  return b;
};

export const USERS: UserRow[] = [
  { id: 1, passkey: pk('a'), canLeech: true, isProtected: false },
  { id: 2, passkey: pk('b'), canLeech: true, isProtected: false },
  { id: 3, passkey: pk('c'), canLeech: true, isProtected: false },
  { id: 4, passkey: pk('d'), canLeech: false, isProtected: false },
  { id: 5, passkey: pk('e'), canLeech: true, isProtected: true },
];
export const TORRENTS: TorrentRow[] = [
  { id: 10, infoHash: IH, freeTorrent: 0, snatched: 7 },
  { id: 11, infoHash: IH2, freeTorrent: 1, snatched: 0 },
];

export function input(over: Partial<AnnounceInput> & { passkey: string; peerId: Buffer }): AnnounceInput {
  const left = over.left ?? 1000;
  const ipv6 = over.ipv6;
  const { passkey, ...rest } = over;
  const u = USERS.find((x) => x.passkey === passkey);
  if (!u) throw new Error(`no test user ${passkey}`);
  return {
    infoHash: IH,
    user: { uid: u.id, canLeech: u.canLeech, isProtected: u.isProtected },
    error: '',
    event: 'none',
    left,
    uploaded: 0,
    downloaded: 0,
    corrupt: 0,
    port: 6881,
    ipv4: over.ipv4 ?? (ipv6 ? undefined : v4(198, 51, 100, 7)),
    numwant: 50,
    plan: selectionPlan(left > 0, ipv6 !== undefined),
    withPeerIds: false,
    userAgent: 'conformance/1.0',
    ...rest,
  };
}

type Ok = Extract<AnnounceOutcome, { kind: 'ok' }>;
function ok(o: AnnounceOutcome): Ok {
  assert.equal(o.kind, 'ok', `expected ok, got ${JSON.stringify(o)}`);
  return o as Ok;
}
function endpoints(blob: Buffer, size: 6 | 18): string[] {
  const out: string[] = [];
  for (let i = 0; i < blob.length; i += size) out.push(blob.subarray(i, i + size).toString('hex'));
  return out.sort();
}
const ep4 = (addr: Buffer, port: number): string => Buffer.concat([addr, Buffer.from([port >> 8, port & 255])]).toString('hex');

export function peerStoreConformance(name: string, make: () => Promise<StoreHarness>): void {
  describe(`PeerStore conformance: ${name}`, () => {
    let h: StoreHarness;
    before(async () => {
      h = await make();
    });
    after(async () => {
      await h.close();
    });
    beforeEach(async () => {
      await h.reset();
      await h.loadTorrents(TORRENTS);
    });

    it('answers the torrent before the worker\'s own failure, and writes nothing for either', async () => {
      const base = { passkey: pk('a'), peerId: pid(1), error: 'Invalid peer ID' };
      let o = await h.store.announce(input({ ...base, infoHash: Buffer.alloc(20, 9) }));
      assert.deepEqual(o, { kind: 'unregistered' });
      o = await h.store.announce(input(base));
      assert.deepEqual(o, { kind: 'failure', reason: 'Invalid peer ID' });
      // none of these left a peer behind
      const s = await h.store.scrape([IH]);
      assert.deepEqual(s, { kind: 'ok', files: [{ infoHash: IH, complete: 0, incomplete: 0, downloaded: 7 }] });
    });

    it('reports the deletion reason of a deleted torrent', async () => {
      await h.deleteTorrent(IH, 14, 1700000000);
      const o = await h.store.announce(input({ passkey: pk('a'), peerId: pid(1) }));
      assert.deepEqual(o, { kind: 'unregistered', deletion: { reason: 14, time: 1700000000 } });
    });

    it('gives leechers the seeders first and never the requester itself', async () => {
      const seedAddr = v4(203, 0, 113, 5);
      ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, ipv4: seedAddr, port: 7000 })));
      const leech = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1) })));
      assert.equal(leech.seeders, 1);
      assert.equal(leech.leechers, 1);
      assert.deepEqual(endpoints(leech.peers, 6), [ep4(seedAddr, 7000)]);
      assert.equal(leech.peers6.length, 0);
      // the seeder sees the leecher
      const seed = ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, ipv4: seedAddr, port: 7000 })));
      assert.deepEqual(endpoints(seed.peers, 6), [ep4(v4(198, 51, 100, 7), 6881)]);
    });

    it('never returns the same user\'s other clients, nor seeders to seeders', async () => {
      ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1), left: 0, ipv4: v4(1, 1, 1, 1) })));
      ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, ipv4: v4(2, 2, 2, 2) })));
      const own = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(3), ipv4: v4(3, 3, 3, 3) })));
      assert.deepEqual(endpoints(own.peers, 6), [ep4(v4(2, 2, 2, 2), 6881)]);
      const seed = ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, ipv4: v4(2, 2, 2, 2) })));
      assert.deepEqual(endpoints(seed.peers, 6), [ep4(v4(3, 3, 3, 3), 6881)], 'only the leecher');
    });

    it('keeps a peer in exactly one list and counts snatches once', async () => {
      const a = { passkey: pk('a'), peerId: pid(1) };
      let o = ok(await h.store.announce(input({ ...a, event: 'started' })));
      assert.deepEqual([o.seeders, o.leechers, o.snatched], [0, 1, 7]);
      o = ok(await h.store.announce(input({ ...a, left: 0, event: 'completed' })));
      assert.deepEqual([o.seeders, o.leechers, o.snatched], [1, 0, 8]);
      o = ok(await h.store.announce(input({ ...a, left: 0, event: 'completed' })));
      assert.deepEqual([o.seeders, o.leechers, o.snatched], [1, 0, 8], 'a known seeder records no snatch');
      o = ok(await h.store.announce(input({ ...a, left: 500 })));
      assert.deepEqual([o.seeders, o.leechers], [0, 1], 'a seeder reporting left>0 moves, not duplicates');
      o = ok(await h.store.announce(input({ ...a, left: 0 })));
      assert.deepEqual([o.seeders, o.leechers, o.snatched], [1, 0, 8], 'left=0 without completed: no snatch');
      o = ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, event: 'completed' })));
      assert.deepEqual([o.seeders, o.snatched], [2, 9], 'a brand-new peer announcing completed snatches');
      o = ok(await h.store.announce(input({ ...a, left: 0, event: 'stopped' })));
      assert.deepEqual([o.seeders, o.leechers], [1, 0]);
      assert.equal(o.peers.length, 0, 'a stopping peer gets no peers');
    });

    it('follows the dual-stack rule', async () => {
      ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, ipv4: v4(2, 2, 2, 2), ipv6: v6(2) })));
      ok(await h.store.announce(input({ passkey: pk('c'), peerId: pid(3), left: 0, ipv4: v4(3, 3, 3, 3) })));
      ok(await h.store.announce(input({ passkey: pk('e'), peerId: pid(5), left: 0, ipv6: v6(5) })));
      const dual = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1), ipv4: v4(1, 1, 1, 1), ipv6: v6(1) })));
      assert.deepEqual(endpoints(dual.peers, 6), [ep4(v4(3, 3, 3, 3), 6881)], 'IPv4 only for the IPv4-only peer');
      assert.deepEqual(endpoints(dual.peers6, 18), [Buffer.concat([v6(2), Buffer.from([0x1a, 0xe1])]).toString('hex'), Buffer.concat([v6(5), Buffer.from([0x1a, 0xe1])]).toString('hex')].sort());
      const only4 = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(9), ipv4: v4(9, 9, 9, 9) })));
      assert.equal(only4.peers6.length, 0, 'IPv4-only requesters never get IPv6 endpoints');
      // pk('a') is user 1 for both, so the only IPv4 endpoints are b's and c's
      assert.deepEqual(endpoints(only4.peers, 6), [ep4(v4(2, 2, 2, 2), 6881), ep4(v4(3, 3, 3, 3), 6881)]);
    });

    it('hides peers of users who may not leech, and of deleted users', async () => {
      const f = await h.store.announce(input({ passkey: pk('d'), peerId: pid(4), ipv4: v4(4, 4, 4, 4) }));
      assert.deepEqual(f, { kind: 'forbidden' });
      ok(await h.store.announce(input({ passkey: pk('c'), peerId: pid(3), ipv4: v4(3, 3, 3, 3) })));
      await h.markUserRemoved(3);
      const o = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1) })));
      assert.equal(o.leechers, 3, 'both still count');
      assert.equal(o.peers.length, 0, 'neither is handed out');
    });

    it('returns at most numwant peers, and none for numwant 0', async () => {
      for (let i = 0; i < 12; i++) {
        const user = USERS[(i % 2) + 1];
        ok(await h.store.announce(input({ passkey: user.passkey, peerId: pid(100 + i), left: 0, ipv4: v4(10, 0, 0, i + 1) })));
      }
      const some = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1), numwant: 5 })));
      assert.equal(some.peers.length, 5 * 6);
      const none = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1), numwant: 0 })));
      assert.equal(none.peers.length, 0);
      const all = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1), numwant: 50 })));
      assert.equal(all.peers.length, 12 * 6);
    });

    it('lists peer ids in the non-compact form', async () => {
      ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, ipv4: v4(2, 2, 2, 2), ipv6: v6(2) })));
      const o = await h.store.announce(input({ passkey: pk('a'), peerId: pid(1), withPeerIds: true }));
      assert.equal(o.kind, 'ok-list');
      if (o.kind !== 'ok-list') return;
      assert.equal(o.peers.length, 1);
      assert.deepEqual(o.peers[0], { ip: v4(2, 2, 2, 2), port: 6881, peerId: pid(2) });
    });

    it('follows a changed address and port', async () => {
      ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, ipv4: v4(2, 2, 2, 2) })));
      ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0, ipv4: v4(5, 5, 5, 5), port: 9000 })));
      const o = ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1) })));
      assert.deepEqual(endpoints(o.peers, 6), [ep4(v4(5, 5, 5, 5), 9000)]);
    });

    it('scrapes known hashes and omits unknown ones', async () => {
      ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0 })));
      ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1), infoHash: IH2 })));
      const s = await h.store.scrape([IH2, Buffer.alloc(20, 1), IH]);
      assert.deepEqual(s, {
        kind: 'ok',
        files: [
          { infoHash: IH2, complete: 0, incomplete: 1, downloaded: 0 },
          { infoHash: IH, complete: 1, incomplete: 0, downloaded: 7 },
        ],
      });
    });

    it('reaps peers silent since the cutoff, and only those', async () => {
      ok(await h.store.announce(input({ passkey: pk('b'), peerId: pid(2), left: 0 })));
      ok(await h.store.announce(input({ passkey: pk('a'), peerId: pid(1), infoHash: IH2 })));
      const now = Math.floor(Date.now() / 1000);
      assert.deepEqual(await h.store.reap(now - 3600), { torrents: 0, seeders: 0, leechers: 0 });
      assert.deepEqual(await h.store.reap(now + 5), { torrents: 2, seeders: 1, leechers: 1 });
      const o = ok(await h.store.announce(input({ passkey: pk('c'), peerId: pid(3) })));
      assert.deepEqual([o.seeders, o.leechers, o.peers.length], [0, 1, 0]);
    });
  });
}
