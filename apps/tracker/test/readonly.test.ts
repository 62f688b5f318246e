/** readonly = 1: the tracker answers as usual but writes nothing to MySQL. */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { makeInfoHash } from '@oncilla/testkit';
import { keySchema } from '@oncilla/swarm-store';
import { allFlushed } from './support/flushed.js';
import type { TrackerProcess } from '@oncilla/tracker/launcher';
import { decode, get, query } from './support/client.js';
import { startStack, type Stack } from './support/stack.js';

const IH = makeInfoHash(1);
let stack: Stack;
let tracker: TrackerProcess;

before(async () => {
  stack = await startStack({
    redisServer: { appendonly: false },
    users: [{ id: 1, passkey: 'a'.repeat(32) }, { id: 2, passkey: 'b'.repeat(32) }],
    torrents: [{ id: 1, infoHash: IH }],
    trackers: [{ workers: 1, conf: { readonly: 1, schedule_interval: 1 } }],
  });
  [tracker] = stack.trackers;
});

after(() => stack?.stop());

it('answers announces but records nothing for MySQL and writes nothing there', async () => {
  const announce = async (pk: string, p: Record<string, string | number>) =>
    decode((await get(tracker.url(`/${pk.repeat(32)}/announce?${query({ info_hash: IH, port: 6881, compact: 1, ...p })}`))).body);
  await announce('a', { peer_id: '-TS0001-000000000001', event: 'started', left: 0, uploaded: 0, downloaded: 0 });
  await announce('b', { peer_id: '-TS0001-000000000002', event: 'started', left: 100, uploaded: 0, downloaded: 0 });
  const d = await announce('b', { peer_id: '-TS0001-000000000002', event: 'completed', left: 0, uploaded: 50, downloaded: 100 });
  assert.deepEqual([d.complete, d.incomplete, d.downloaded], [2, 0, 1], 'the swarm works as usual');
  assert.equal(await allFlushed(stack.redis), true, 'nothing pending');
  const expiries = await Promise.all(keySchema('oncilla:').shards().map((s) => stack.redis.exists(s.expiries)));
  assert.ok(expiries.every((n) => n === 0), 'no token to expire');
  await tracker.stop();
  const conn = await stack.db.connect();
  try {
    const [users] = await conn.query<RowDataPacket[]>('SELECT SUM(Uploaded) + SUM(Downloaded) AS n FROM users_main');
    assert.equal(Number(users[0].n), 0);
    for (const table of ['xbt_files_users', 'xbt_snatched', 'users_torrents', 'users_freetorrents']) {
      const [rows] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`);
      assert.equal(Number(rows[0].n), 0, table);
    }
    const [t] = await conn.query<RowDataPacket[]>('SELECT Seeders, Snatched FROM torrents');
    assert.deepEqual([t[0].Seeders, Number(t[0].Snatched)], [0, 0]);
    const [log] = await conn.query<RowDataPacket[]>("SHOW TABLES LIKE 'oncilla_flush_log'");
    assert.equal(log.length, 0, 'not even the tracker\'s own table is created');
  } finally {
    await conn.end();
  }
});
