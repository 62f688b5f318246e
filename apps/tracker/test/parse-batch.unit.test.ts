import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { RawBatch } from '@oncilla/swarm-store';
import { parseBatch, parsePeerRow } from '../src/flush/parse-batch.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The packed row the Lua writes: kind, then '>BI7I7I4I4I7I7I4I4I4', then 3 length-prefixed strings. */
function packedRow(kind: string, v: number[], ip: string, ip6: string, ua: string): Buffer {
  const out = Buffer.alloc(50);
  out.write(kind, 0, 'latin1');
  out[1] = v[0];
  const u56 = (n: number, at: number) => { out[at] = Math.floor(n / 2 ** 48); out.writeUIntBE(n % 2 ** 48, at + 1, 6); };
  u56(v[1], 2); u56(v[2], 9); out.writeUInt32BE(v[3], 16); out.writeUInt32BE(v[4], 20);
  u56(v[5], 24); u56(v[6], 31); out.writeUInt32BE(v[7], 38); out.writeUInt32BE(v[8], 42); out.writeUInt32BE(v[9], 46);
  const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
  return Buffer.concat([out, str(ip), str(ip6), str(ua)]);
}

it('reads the peer rows the announce script packs', () => {
  const field = Buffer.concat([Buffer.from([0, 0, 0, 7, 0, 0, 0, 9]), Buffer.from(Buffer.from('-AB0001-000000000001').toString('hex'))]);
  const row = parsePeerRow(field.toString('latin1'), packedRow('h', [1, 2 ** 40 + 5, 300, 12, 34, 999, 0, 600, 3, 1700000000], '1.2.3.4', '2001:db8::1', 'UA/1'));
  assert.deepEqual(row, {
    kind: 'heavy', uid: 7, tid: 9, peerId: Buffer.from('-AB0001-000000000001'), active: 1, uploaded: 2 ** 40 + 5, downloaded: 300,
    upspeed: 12, downspeed: 34, remaining: 999, corrupt: 0, timespent: 600, announced: 3, ip: '1.2.3.4', ipv6: '2001:db8::1',
    useragent: 'UA/1', mtime: 1700000000,
  });
  assert.equal(parsePeerRow(field.toString('latin1'), b('d')).kind, 'deactivate');
});

it('adds up the coalesced counters per row', () => {
  const raw: RawBatch = {
    users: new Map([['5:u', b('100')], ['5:d', b('40')], ['6:d', b('7')]]),
    torrents: new Map([['9', b('3|2|-500')], ['9:sn', b('2')]]),
    peers: new Map(),
    snatches: [b('5|9|1700000000|1.2.3.4|')],
    tokens: new Map([['5:9', b('4096')]]),
    free: new Map([['5:9:12:d', b('50')], ['5:9:12:u', b('0')]]),
    ut: new Map([['5:9:st', b('60')], ['5:9:sn', b('1')], ['5:9:rd', b('100')]]),
  };
  const batch = parseBatch('x', raw);
  assert.deepEqual(batch.users, [{ uid: 5, uploaded: 100, downloaded: 40 }, { uid: 6, uploaded: 0, downloaded: 7 }]);
  assert.deepEqual(batch.torrents, [{ tid: 9, seeders: 3, leechers: 2, balance: -500, snatched: 2 }]);
  assert.deepEqual(batch.snatches, [{ uid: 5, tid: 9, time: 1700000000, ip: '1.2.3.4', ipv6: '' }]);
  assert.deepEqual(batch.tokens, [{ uid: 5, tid: 9, downloaded: 4096 }]);
  assert.deepEqual(batch.freeTorrents, [{ uid: 5, tid: 9, freeType: 12, uploaded: 0, downloaded: 50 }]);
  assert.deepEqual(batch.userTorrents, [{ uid: 5, tid: 9, seedtime: 60, downloaded: 0, uploaded: 0, realDownloaded: 100, realUploaded: 0, snatched: 1 }]);
});

it('sums each peer row\'s accounting into users_main, users_torrents, users_freetorrents and users_freeleeches rows', () => {
  const account = (v: number[]): Buffer => {
    const b = Buffer.alloc(56);
    const u56 = (n: number, at: number) => { b[at] = Math.floor(n / 2 ** 48); b.writeUIntBE(n % 2 ** 48, at + 1, 6); };
    for (let i = 0; i < 7; i++) u56(v[i], i * 7);
    b.writeUInt32BE(v[7], 49);
    b.writeUInt16BE(v[8], 53);
    b[55] = v[9];
    return b;
  };
  const field = (uid: number, tid: number, n: number): string =>
    Buffer.concat([Buffer.from([0, 0, 0, uid, 0, 0, 0, tid]), Buffer.from(Buffer.from(`-AB0001-00000000000${n}`).toString('hex'))]).toString('latin1');
  const row = (acc: number[]): Buffer => Buffer.concat([packedRow('h', [1, 0, 0, 0, 0, 0, 0, 0, 1, 1], '', '', ''), account(acc)]);
  const raw: RawBatch = {
    users: new Map([['5:u', b('1')]]), torrents: new Map(), snatches: [], tokens: new Map(), free: new Map(), ut: new Map(),
    peers: new Map([
      // user 5's two clients on torrent 9 (12 = 50 % off): credited 100/50, real 100/100, forgiven 0/50
      [field(5, 9, 1), row([100, 50, 100, 100, 0, 50, 0, 60, 1, 12])],
      [field(5, 9, 2), row([10, 0, 10, 0, 0, 0, 0, 30, 0, 12])],
      // user 6 on a token: download free, recorded against the token
      [field(6, 9, 3), row([7, 0, 7, 40, 0, 0, 40, 0, 0, 0])],
    ]),
  };
  const batch = parseBatch('y', raw);
  assert.deepEqual(batch.users.sort((a, c) => a.uid - c.uid), [{ uid: 5, uploaded: 111, downloaded: 50 }, { uid: 6, uploaded: 7, downloaded: 0 }]);
  assert.deepEqual(batch.userTorrents.sort((a, c) => a.uid - c.uid), [
    { uid: 5, tid: 9, seedtime: 90, downloaded: 50, uploaded: 110, realDownloaded: 100, realUploaded: 110, snatched: 1 },
    { uid: 6, tid: 9, seedtime: 0, downloaded: 0, uploaded: 7, realDownloaded: 40, realUploaded: 7, snatched: 0 },
  ]);
  assert.deepEqual(batch.freeTorrents, [{ uid: 5, tid: 9, freeType: 12, uploaded: 0, downloaded: 50 }]);
  assert.deepEqual(batch.tokens, [{ uid: 6, tid: 9, downloaded: 40 }]);
  assert.equal(batch.peers.length, 3);
  assert.equal('account' in batch.peers[0], false);
});
