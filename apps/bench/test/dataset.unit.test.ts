import { it } from 'node:test';
import assert from 'node:assert/strict';
import {
  announceQuery, benchInfoHash, benchPasskey, counters, DEFAULT_DATA_SET, mul32, slotCount, slotOfRequest, slotPeer, stride, word,
} from '../src/dataset.js';

// the formulas again, in BigInt: nothing here can lose a bit
const M32 = 2n ** 32n;
const bigWord = (x: number, m: number): string => ((BigInt(x) * BigInt(m)) % M32).toString(16).padStart(8, '0');

it('word(x, m) is (x * m) mod 2^32 in 8 lower-case hex digits', () => {
  for (const x of [0, 1, 2, 255, 65535, 65536, 199999, 2 ** 31, 2 ** 32 - 1]) {
    for (const m of [2654435761, 2246822519, 3266489917, 668265263, 2166136261, 16777619, 1540483477, 3432918353, 461845907]) {
      assert.equal(word(x, m), bigWord(x, m), `word(${x}, ${m})`);
    }
  }
  assert.equal(word(0, 2654435761), '00000000');
  assert.equal(word(1, 16777619), '01000193');
  assert.equal(mul32(2 ** 32 - 1, 2 ** 32 - 1), 1);
});

it('makes passkeys and info hashes from the four and five words', () => {
  assert.equal(benchPasskey(1), '9e3779b185ebca77c2b2ae3d27d4eb2f');
  assert.equal(benchPasskey(10000), bigWord(10000, 2654435761) + bigWord(10000, 2246822519) + bigWord(10000, 3266489917) + bigWord(10000, 668265263));
  const ih = benchInfoHash(1);
  assert.equal(ih.length, 20);
  assert.equal(ih.toString('hex'), '811c9dc5010001935bd1e995cc9e2d511b873593');
  assert.equal(benchInfoHash(7777).toString('hex'), [2166136261, 16777619, 1540483477, 3432918353, 461845907].map((m) => bigWord(7777, m)).join(''));
  assert.equal(new Set(Array.from({ length: 10000 }, (_, i) => benchPasskey(i + 1))).size, 10000, 'passkeys unique');
  assert.equal(new Set(Array.from({ length: 10000 }, (_, i) => benchInfoHash(i + 1).toString('hex'))).size, 10000, 'info hashes unique');
});

it('walks every slot once per SLOTS requests, whatever the thread count', () => {
  assert.equal(stride(200000), 123607);
  for (const slots of [1, 2, 10, 116, 1000, 200000]) {
    const s = stride(slots);
    for (const threads of [1, 2, 3]) {
      const hit = new Uint8Array(slots);
      for (let g = 0; g < slots; g++) hit[slotOfRequest(Math.floor(g / threads), g % threads, threads, slots, s)]++;
      assert.ok(hit.every((n) => n === 1), `slots ${slots}, threads ${threads}`);
    }
  }
  // request n of thread i is g = n*THREADS + i; the walk repeats after SLOTS
  assert.equal(slotOfRequest(0, 0, 1, 200000), 12345);
  assert.equal(slotOfRequest(1, 0, 1, 200000), (123607 + 12345) % 200000);
  assert.equal(slotOfRequest(200000, 0, 1, 200000), 12345);
  assert.equal(slotOfRequest(3, 1, 2, 200000), slotOfRequest(7, 0, 1, 200000));
});

it('maps a slot to its torrent, user, role, peer_id and port', () => {
  const d = DEFAULT_DATA_SET;
  assert.equal(slotCount(d), 200000);
  const p = slotPeer(123456, d);
  assert.equal(p.torrent, 123456 % 10000 + 1);
  assert.equal(p.k, 12);
  assert.equal(p.user, Number(((123456n * 2654435761n + 7n) % M32) % 10000n) + 1);
  assert.equal(p.seeder, Number(((123456n * 2246822519n) % M32) / 65536n) % 100 < 50);
  assert.equal(p.peerId, '-TR3000-000000123456');
  assert.equal(p.port, 10000 + 1000 * 12 + (3457 % 1000));
  assert.equal(slotPeer(0, d).user, 8);
  // half seeders, and the ports stay in range
  let seeders = 0;
  for (let s = 0; s < 200000; s++) {
    const q = slotPeer(s, d);
    if (q.seeder) seeders++;
    assert.ok(q.port >= 10000 && q.port < 60000);
    assert.ok(q.user >= 1 && q.user <= 10000);
  }
  assert.equal(seeders, 100058);
  assert.equal(slotPeer(5, { ...d, seederPct: 0 }).seeder, false);
  assert.equal(slotPeer(5, { ...d, seederPct: 100 }).seeder, true);
});

it('grows the counters with time, and sends event=started only in fill', () => {
  assert.deepEqual(counters(true, 10), { uploaded: 40960, downloaded: 0, left: 0 });
  assert.deepEqual(counters(false, 10), { uploaded: 10240, downloaded: 40960, left: 536870912 });
  const d = DEFAULT_DATA_SET;
  const fill = announceQuery(42, d, 100, 'fill');
  const steady = announceQuery(42, d, 100, 'steady');
  assert.equal(fill.event, 'started');
  assert.equal(steady.event, undefined);
  assert.equal(Buffer.from(fill.info_hash, 'latin1').toString('hex'), benchInfoHash(43).toString('hex'));
  assert.equal(fill.numwant, '50');
  assert.equal(fill.compact, '1');
});
