/**
 * apps/bench/wrk/announce.lua, run by the real wrk against a small capture server, sends exactly
 * the data set of src/dataset.ts: every slot once with event=started in fill mode, the same
 * walk without it in steady mode, and counts what the answers were. Skipped without wrk.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { announceQuery, benchPasskey, slotCount, slotOfRequest, TS_EPOCH, type DataSet } from '../src/dataset.js';
import { runWrk } from '../src/wrk.js';

const WRK = '/usr/bin/wrk';
const D: DataSet = { users: 37, torrents: 29, peers: 4, seederPct: 30 };

interface Seen {
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

/** The query string as bytes → latin1 strings (info_hash is binary). */
function decodeQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split('&')) {
    const eq = part.indexOf('=');
    out[part.slice(0, eq)] = Buffer.from(part.slice(eq + 1).replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('latin1');
  }
  return out;
}

describe('announce.lua under wrk', { skip: !existsSync(WRK) && 'wrk is not installed (apt-get install -y wrk)' }, () => {
  let server: Server;
  let url: string;
  const seen: Seen[] = [];
  let answer = 0;

  before(async () => {
    server = createServer((req, res) => {
      const [path, q = ''] = (req.url ?? '').split('?');
      seen.push({ path, query: decodeQuery(q), headers: req.headers, at: Math.floor(Date.now() / 1000) });
      // every 10th a failure, every 15th a 500, every 21st no peers
      const i = answer++;
      if (i % 15 === 14) res.writeHead(500).end('oops');
      else if (i % 10 === 9) res.writeHead(200).end('d14:failure reason7:no thise');
      else if (i % 21 === 20) res.writeHead(200).end('d8:intervali1800ee');
      else res.writeHead(200).end('d8:completei1e10:incompletei0e8:intervali1800e5:peers0:e');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const check = (s: Seen, slot: number, mode: 'fill' | 'steady'): void => {
    const ts = s.at - TS_EPOCH;
    // the counters are taken in the second wrk built the request: this one or the one before
    const want = [announceQuery(slot, D, ts, mode), announceQuery(slot, D, ts - 1, mode)];
    assert.ok(want.some((w) => JSON.stringify(w) === JSON.stringify(s.query)), `slot ${slot}: ${JSON.stringify(s.query)} vs ${JSON.stringify(want[0])}`);
  };

  it('fill: every slot once, with event=started, Connection: close and the user agent', async () => {
    seen.length = 0;
    answer = 0;
    const r = await runWrk({ url, mode: 'fill', connection: 'new', threads: 2, connections: 6, seconds: 60, dataSet: D, userAgent: 'Test/1.0', wrk: WRK });
    const slots = slotCount(D);
    assert.equal(seen.length, slots);
    assert.equal(r.json.requests, slots);
    assert.ok(r.json.duration < 30, `active time ${r.json.duration} s, not wrk's -d`);
    const bySlot = new Map<string, Seen>();
    for (const s of seen) bySlot.set(s.query.peer_id, s);
    assert.equal(bySlot.size, slots, 'no slot twice');
    for (let n = 0; n < slots; n++) {
      const slot = slotOfRequest(Math.floor(n / 2), n % 2, 2, slots);
      const s = bySlot.get(`-TR3000-${String(slot).padStart(12, '0')}`);
      assert.ok(s, `slot ${slot} announced`);
      check(s, slot, 'fill');
    }
    for (const s of seen) {
      assert.match(s.path, /^\/[0-9a-f]{32}\/announce$/);
      assert.equal(s.headers.connection, 'close');
      assert.equal(s.headers['user-agent'], 'Test/1.0');
    }
    // the passkey of the slot's user
    const first = seen[0];
    const passkeys = new Set(Array.from({ length: D.users }, (_, i) => benchPasskey(i + 1)));
    assert.ok(passkeys.has(first.path.slice(1, 33)));
    assert.equal(r.json.non200, Math.floor((slots + 1) / 15));
    assert.ok(r.json.failure > 0 && r.json.noPeers >= r.json.failure, JSON.stringify(r.json));
    assert.ok(r.cpuSeconds >= 0);
  });

  it('steady: the same walk without event=started, over keep-alive connections', async () => {
    seen.length = 0;
    answer = 0;
    const r = await runWrk({ url, mode: 'steady', connection: 'keepalive', threads: 1, connections: 2, seconds: 1, dataSet: D, userAgent: 'Transmission/3.00', wrk: WRK });
    assert.ok(seen.length > 0);
    assert.ok(Math.abs(r.json.requests - seen.length) <= 2, `${r.json.requests} vs ${seen.length}`);
    const slots = slotCount(D);
    // one thread: request n is the n-th the server saw, give or take the two connections' order
    for (let n = 0; n < Math.min(seen.length, 200); n++) {
      const s = seen[n];
      const slot = Number(s.query.peer_id.slice(8));
      const near = [n - 1, n, n + 1].filter((m) => m >= 0).map((m) => slotOfRequest(m, 0, 1, slots));
      assert.ok(near.includes(slot), `request ${n}: slot ${slot}, expected one of ${near.join(',')}`);
      check(s, slot, 'steady');
      assert.equal(s.headers.connection, undefined, 'no Connection header');
      assert.equal(s.headers['user-agent'], 'Transmission/3.00');
    }
    assert.ok(r.json.duration > 0.5 && r.json.duration < 3, `duration ${r.json.duration}`);
  });
});
