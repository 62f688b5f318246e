/** Peers that stop announcing are reaped after peers_timeout (short timeouts, own cluster). */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeInfoHash } from '@oncilla/testkit';
import { decode, get, query } from './support/client.js';
import type { TrackerProcess } from '@oncilla/tracker/launcher';
import { startStack, type Stack } from './support/stack.js';

const IH = makeInfoHash(1);
let stack: Stack;
let tracker: TrackerProcess;

before(async () => {
  stack = await startStack({
    users: [{ id: 1, passkey: 'a'.repeat(32) }, { id: 2, passkey: 'b'.repeat(32) }],
    torrents: [{ id: 1, infoHash: IH }],
    trackers: [{ workers: 1, conf: { peers_timeout: 1, reap_peers_interval: 1 } }],
  });
  [tracker] = stack.trackers;
});

after(() => stack?.stop());

it('expires peers that stop announcing', async () => {
  const r = await get(tracker.url(`/${'b'.repeat(32)}/announce?${query({ info_hash: IH, peer_id: '-TS0001-000000000077', port: 7000, left: 0, compact: 1 })}`));
  assert.equal(decode(r.body).complete, 1);
  const from = tracker.logs.length;
  await tracker.waitFor((l) => tracker.logs.indexOf(l) >= from && /^Reaped 0 leechers and 1 seeders/.test(l.msg));
  const s = await get(tracker.url(`/${'a'.repeat(32)}/scrape?${query({ info_hash: IH })}`));
  const f = Object.values(decode(s.body).files as Record<string, Record<string, number>>)[0];
  assert.equal(f.complete, 0);
});
