import { it } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficModel, benchPeerId, percentile } from '../src/traffic.js';

it('builds swarms of 1..maxSwarm peers, half seeders, repeatably', () => {
  const a = new TrafficModel({ torrents: 200, users: 50, maxSwarm: 50, seed: 7 });
  const b = new TrafficModel({ torrents: 200, users: 50, maxSwarm: 50, seed: 7 });
  assert.equal(a.peerCount, b.peerCount);
  for (let t = 0; t < 200; t++) {
    const n = a.firstPeer[t + 1] - a.firstPeer[t];
    assert.ok(n >= 1 && n <= 50);
  }
  let seeders = 0;
  for (let p = 0; p < a.peerCount; p++) if (a.start(p).left === 0) seeders++;
  assert.ok(Math.abs(seeders / a.peerCount - 0.5) < 0.05, `seeders ${seeders}/${a.peerCount}`);
});

it('mixes started, none, completed and stopped announces, with counters that never go backwards', () => {
  const m = new TrafficModel({ torrents: 100, users: 10, maxSwarm: 50, seed: 1 });
  for (let p = 0; p < m.peerCount; p++) m.start(p);
  const events = new Map<string, number>();
  const last = new Map<number, number>();
  for (let i = 0; i < 20000; i++) {
    const s = m.next();
    events.set(s.event, (events.get(s.event) ?? 0) + 1);
    if (s.event === 'none') assert.ok(s.uploaded >= (last.get(s.peer) ?? 0));
    last.set(s.peer, s.uploaded);
    if (s.event === 'completed') assert.equal(s.left, 0);
  }
  for (const e of ['started', 'none', 'completed', 'stopped']) assert.ok((events.get(e) ?? 0) > 0, e);
  assert.ok((events.get('none') ?? 0) > 15000);
});

it('makes 20-byte peer ids and nearest-rank percentiles', () => {
  assert.equal(benchPeerId(42).length, 20);
  const xs = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(percentile(xs, 50), 5);
  assert.equal(percentile(xs, 99), 10);
  assert.equal(percentile(new Float64Array(0), 50), 0);
});
