import { it } from 'node:test';
import assert from 'node:assert/strict';
import { compactPeers, peerEntries, pickCompact, pickPeers, planFields, type SetField } from '../src/selection.js';

const rec4 = (ip: number, port: number, uid: number, dual = 0): Buffer => {
  const b = Buffer.alloc(11);
  b.writeUInt32BE(ip, 0);
  b.writeUInt16BE(port, 4);
  b[6] = dual;
  b.writeUInt32BE(uid, 7);
  return b;
};
const rec6 = (last: number, port: number, uid: number): Buffer => {
  const b = Buffer.alloc(23);
  b[0] = 0x2a;
  b[15] = last;
  b.writeUInt16BE(port, 16);
  b.writeUInt32BE(uid, 19);
  return b;
};
const len = (f: SetField): number => (f.endsWith('6') ? 23 : 11);
const first = (): number => 0;

it('reads each endpoint set once, in plan order', () => {
  assert.deepEqual(planFields('s6sol6lo'), ['s6', 's4', 'l6', 'l4']);
  assert.deepEqual(planFields('l4'), ['l4']);
});

it('takes seeders before leechers and stops at numwant', () => {
  const blobs = new Map<SetField, Buffer>([
    ['s4', Buffer.concat([rec4(1, 1, 10), rec4(2, 2, 11)])],
    ['l4', Buffer.concat([rec4(3, 3, 12), rec4(4, 4, 13)])],
  ]);
  const p = pickPeers('s4l4', blobs, len, 3, { uid: 99 }, first);
  assert.deepEqual(p.v4.map((r) => r.readUInt32BE(0)), [1, 2, 3]);
  assert.equal(pickPeers('s4l4', blobs, len, 0, { uid: 99 }, first).v4.length, 0);
});

it('skips the requester\'s own user and own endpoint', () => {
  const own4 = Buffer.from([0, 0, 0, 2, 0, 2]);
  const blobs = new Map<SetField, Buffer>([['s4', Buffer.concat([rec4(1, 1, 7), rec4(2, 2, 11), rec4(3, 3, 12)])]]);
  const p = pickPeers('s4', blobs, len, 50, { uid: 7, own4 }, first);
  assert.deepEqual(p.v4.map((r) => r.readUInt32BE(0)), [3]);
});

it('gives IPv6 requesters the IPv6 endpoint of dual-stack peers and IPv4 of the rest', () => {
  const blobs = new Map<SetField, Buffer>([
    ['s6', rec6(5, 5, 20)],
    ['s4', Buffer.concat([rec4(5, 5, 20, 1), rec4(6, 6, 21, 0)])],
  ]);
  const p = pickPeers('s6so', blobs, len, 50, { uid: 1 }, first);
  assert.equal(p.v6.length, 1);
  assert.deepEqual(p.v4.map((r) => r.readUInt32BE(0)), [6]);
  assert.deepEqual(compactPeers(p.v4, 6), Buffer.from([0, 0, 0, 6, 0, 6]));
});

it('starts at a random record and wraps around', () => {
  const blobs = new Map<SetField, Buffer>([['l4', Buffer.concat([rec4(1, 1, 1), rec4(2, 2, 2), rec4(3, 3, 3)])]]);
  const p = pickPeers('l4', blobs, len, 3, { uid: 9 }, () => 0.5);
  assert.deepEqual(p.v4.map((r) => r.readUInt32BE(0)), [2, 3, 1]);
});

it('decodes non-compact records with their peer ids', () => {
  const pid = Buffer.from('-TS0001-000000000042');
  const r = Buffer.concat([rec4(0x7f000001, 6881, 5), pid]);
  assert.deepEqual(peerEntries([r], 4), [{ ip: Buffer.from([127, 0, 0, 1]), port: 6881, peerId: pid }]);
});

it('pickCompact writes what pickPeers picks, endpoint by endpoint', () => {
  const blobs = new Map<SetField, Buffer>([
    ['s4', Buffer.concat([rec4(1, 1, 10, 1), rec4(2, 2, 11), rec4(5, 5, 99)])],
    ['s6', Buffer.concat([rec6(1, 1, 10), rec6(7, 7, 12)])],
    ['l4', Buffer.concat([rec4(3, 3, 12), rec4(4, 4, 13)])],
    ['l6', rec6(8, 8, 13)],
  ]);
  for (const plan of ['s4l4', 's6sol6lo', 'l6lo', 'l4']) {
    for (const numwant of [0, 1, 2, 3, 50]) {
      for (const r of [0, 0.4, 0.99]) {
        const who = { uid: 99, own4: Buffer.from([0, 0, 0, 2, 0, 2]) };
        const p = pickPeers(plan, blobs, len, numwant, who, () => r);
        const c = pickCompact(plan, blobs, numwant, who, () => r);
        assert.deepEqual(c, { peers: compactPeers(p.v4, 6), peers6: compactPeers(p.v6, 18) }, `${plan} ${numwant} ${r}`);
      }
    }
  }
});
