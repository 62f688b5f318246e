import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { discount, transfer, type StoredPeer } from '../src/accounting-rules.js';

describe('discount', () => {
  it('credits everything on a normal torrent', () => {
    assert.deepEqual(discount(100, 1000, 0, false), { creditedUp: 100, creditedDown: 1000, freeUp: 0, freeDown: 0 });
  });
  it('freeleech (1): download forgiven', () => {
    assert.deepEqual(discount(100, 1000, 1, false), { creditedUp: 100, creditedDown: 0, freeUp: 0, freeDown: 1000 });
  });
  it('neutral (2): nothing counts, both recorded as forgiven', () => {
    assert.deepEqual(discount(100, 1000, 2, false), { creditedUp: 0, creditedDown: 0, freeUp: 100, freeDown: 1000 });
  });
  it('25/50/75 % off with integer truncation (§6.5 worked examples)', () => {
    assert.deepEqual(discount(0, 1000, 11, false), { creditedUp: 0, creditedDown: 750, freeUp: 0, freeDown: 250 });
    assert.deepEqual(discount(0, 1000, 12, false), { creditedUp: 0, creditedDown: 500, freeUp: 0, freeDown: 500 });
    assert.deepEqual(discount(0, 1000, 13, false), { creditedUp: 0, creditedDown: 250, freeUp: 0, freeDown: 750 });
    assert.deepEqual(discount(0, 3, 11, false), { creditedUp: 0, creditedDown: 3, freeUp: 0, freeDown: 0 }, '75 div 100 = 0');
  });
  it('a freeleech token wins over neutral and every other type', () => {
    for (const t of [0, 1, 2, 11, 12, 13] as const) {
      assert.deepEqual(discount(100, 1000, t, true), { creditedUp: 100, creditedDown: 0, freeUp: 0, freeDown: 0 });
    }
  });
});

describe('transfer', () => {
  const seeder: StoredPeer = { up: 1000, down: 500, corrupt: 0, last: 1000, seeder: true };
  const leecher: StoredPeer = { up: 0, down: 0, corrupt: 0, last: 1000, seeder: false };
  const at = (over: Partial<Parameters<typeof transfer>[1]>) => ({ event: 'none' as const, left: 10, up: 0, down: 0, corrupt: 0, now: 1600, ...over });

  it('a new peer or `started` sets the baseline and credits nothing', () => {
    const t = transfer(undefined, at({ up: 5000, down: 5000 }));
    assert.equal(t.kind, 'new-session');
    assert.deepEqual([t.du, t.dd, t.balanceDelta], [0, 0, 0]);
    assert.equal(transfer(seeder, at({ event: 'started', up: 9999, left: 0 })).du, 0);
  });

  it('counters that go backwards reset the baseline', () => {
    const t = transfer(seeder, at({ up: 10, down: 600, left: 0 }));
    assert.equal(t.kind, 'reset');
    assert.deepEqual([t.du, t.dd], [0, 0]);
  });

  it('Appendix A example 2: 600 s later, 600000 bytes down', () => {
    const t = transfer(leecher, at({ down: 600000, left: 400000 }));
    assert.deepEqual([t.kind, t.dd, t.downSpeed, t.upSpeed, t.balanceDelta, t.seedtime], ['normal', 600000, 1000, 0, -600000, 0]);
    assert.deepEqual(discount(t.du, t.dd, 12, false), { creditedUp: 0, creditedDown: 300000, freeUp: 0, freeDown: 300000 });
  });

  it('counts seed time for seeders and for a leecher that reports left=0 without `completed`', () => {
    assert.equal(transfer(seeder, at({ up: 2000, down: 500, left: 0 })).seedtime, 600);
    assert.equal(transfer(leecher, at({ left: 0 })).seedtime, 600);
    assert.equal(transfer(leecher, at({ left: 0, event: 'completed' })).seedtime, 0);
  });

  it('records a completion once: not for a known seeder, yes for a brand-new peer (§6.4)', () => {
    assert.equal(transfer(leecher, at({ left: 0, event: 'completed' })).snatch, true);
    assert.equal(transfer(seeder, at({ left: 0, event: 'completed', up: 1000, down: 500 })).snatch, false);
    assert.equal(transfer(undefined, at({ left: 0, event: 'completed' })).snatch, true);
    assert.equal(transfer(leecher, at({ left: 5, event: 'completed' })).snatch, false, 'completed with left>0 is no completion');
  });

  it('a completion after a counter reset still counts (fixes §14.13)', () => {
    const t = transfer({ ...leecher, up: 100, down: 100 }, at({ left: 0, event: 'completed', up: 0, down: 0 }));
    assert.deepEqual([t.kind, t.snatch], ['reset', true]);
  });

  it('corrupt bytes come off the balance, and may go negative', () => {
    const t = transfer(leecher, at({ down: 100, corrupt: 30 }));
    assert.deepEqual([t.dc, t.balanceDelta], [30, -130]);
    assert.equal(transfer({ ...leecher, corrupt: 50 }, at({ corrupt: 20 })).balanceDelta, 30);
  });
});
