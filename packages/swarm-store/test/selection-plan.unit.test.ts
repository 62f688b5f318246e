import { it } from 'node:test';
import assert from 'node:assert/strict';
import { selectionPlan } from '../src/selection-plan.js';
import { keySchema } from '../src/keys.js';
import { DEFAULT_SCRIPTS_DIR, loadScripts, resolveIncludes } from '../src/scripts.js';

it('leechers get seeders first, then leechers; seeders get leechers only', () => {
  assert.equal(selectionPlan(true, false), 's4l4');
  assert.equal(selectionPlan(false, false), 'l4');
});

it('requesters with IPv6 get IPv6 endpoints, then IPv4 endpoints of IPv4-only peers', () => {
  assert.equal(selectionPlan(true, true), 's6sol6lo');
  assert.equal(selectionPlan(false, true), 'l6lo');
});

it('keeps a torrent\'s keys and its shard\'s under one hash tag, the first byte of the info_hash', () => {
  const k = keySchema('x:');
  const t = k.torrent(Buffer.from('ab' + '00'.repeat(19), 'hex'));
  assert.equal(t.shard.shard, 0xab);
  for (const key of [t.torrent, t.seeders, t.leechers, ...Object.values(t.shard).filter((v) => typeof v === 'string')]) {
    assert.match(String(key), /^x:\{171\}/);
  }
  for (const key of Object.values(k.global)) assert.match(key, /^x:\{g\}/);
});

it('names scripts after their job and key count, and inlines includes once', () => {
  const scripts = loadScripts();
  const announce = scripts.find((s) => s.name === 'announce');
  assert.equal(announce?.numberOfKeys, 9);
  assert.equal(scripts.find((s) => s.name === 'scrape')?.numberOfKeys, undefined);
  assert.deepEqual(announce?.includes, ['includes/peerRecord.lua', 'includes/candidates.lua', 'includes/pendingRows.lua']);
  assert.doesNotMatch(announce?.body ?? '', /@include/);
  // candidates.lua includes peerRecord.lua itself: inlined once all the same
  const inlined = resolveIncludes(announce?.includes.map((i) => `--- @include "${i}"`).join('\n') ?? '', DEFAULT_SCRIPTS_DIR);
  assert.equal((inlined.match(/local function unpackPeer\(/g) ?? []).length, 1);
  assert.throws(() => resolveIncludes('--- @include "nope"', '/nonexistent'));
});
