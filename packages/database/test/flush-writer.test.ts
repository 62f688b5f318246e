// Integration tests of applyBatch against real MariaDB servers, one per sql_mode: MariaDB's
// default strict mode and GazellePW's non-strict one. Every scenario runs under both.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, type Pool } from 'mysql2/promise';
import { insertTorrents, insertUsers, makeInfoHash, makePasskey, startMariaDb, type MariaDbServer, type SqlModeName } from '@oncilla/testkit';
import type { PoolConnection, QueryValues, RowDataPacket } from 'mysql2/promise';
import {
  applyBatch,
  applyBatches,
  ensureFlushLog,
  isTransientMysqlError,
  pruneFlushLog,
  type ApplyOptions,
  type ApplyResult,
  type FlushBatch,
  type FreeTorrentRow,
  type RejectedRow,
} from '../src/index.js';
import {
  LAST_ACTION,
  baseBatch,
  bigBatch,
  captureLog,
  connect,
  expectedAfterBase,
  normalize,
  peer,
  pid,
  query,
  resetAndSeed,
  rowCount,
  serverNow,
  snapshot,
  withConn,
  type Snapshot,
} from './fixtures.js';
import { Exec } from '../src/flush/exec.js';
import { allIndexes, buildParts, screen, screenTogether, type ScreenMode } from '../src/flush/parts.js';

function makePool(db: MariaDbServer): Pool {
  return createPool({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database, connectionLimit: 4, connectTimeout: 2000 });
}

interface Run {
  result: ApplyResult;
  rejected: RejectedRow[];
  warn: string[];
}

async function run(pool: Pool, batch: FlushBatch, opts: Partial<ApplyOptions> = {}): Promise<Run> {
  const rejected: RejectedRow[] = [];
  const log = captureLog();
  const result = await applyBatch(pool, batch, { log: log.log, onRejected: (r) => void rejected.push(r), ...opts });
  return { result, rejected, warn: log.warn };
}

const reasons = (rs: readonly RejectedRow[]): string[] => rs.map((r) => `${r.table}: ${r.reason}`).sort();

/** Rejects with an error applyBatch's caller must treat as "retry later". */
function transient(err: unknown): boolean {
  assert.ok(isTransientMysqlError(err), `expected a transient error, got ${String(err)}`);
  return true;
}

/** `base` with rows for user 7 and torrent 9 in every table: a user and a torrent the site deleted (test d). */
function withDeletedRows(base: FlushBatch): FlushBatch {
  return {
    ...base,
    users: [...base.users, { uid: 7, uploaded: 1, downloaded: 1 }],
    torrents: [...base.torrents, { tid: 9, seeders: 1, leechers: 0, snatched: 1 }],
    peers: [
      ...base.peers,
      peer({ kind: 'heavy', uid: 7, tid: 1, peerId: pid('G'), ipv6: '::7' }),
      peer({ kind: 'light', uid: 1, tid: 9, peerId: pid('H') }),
      peer({ kind: 'deactivate', uid: 7, tid: 9, peerId: pid('I') }),
    ],
    snatches: [...base.snatches, { uid: 7, tid: 1, time: 1, ip: '', ipv6: '' }, { uid: 1, tid: 9, time: 1, ip: '', ipv6: '' }],
    tokens: [...base.tokens, { uid: 7, tid: 1, downloaded: 1 }, { uid: 1, tid: 9, downloaded: 1 }],
    freeTorrents: [...base.freeTorrents, { uid: 7, tid: 1, freeType: 1, uploaded: 1, downloaded: 1 }, { uid: 1, tid: 9, freeType: 2, uploaded: 1, downloaded: 1 }],
    userTorrents: [
      ...base.userTorrents,
      { uid: 7, tid: 1, seedtime: 1, downloaded: 1, uploaded: 1, realDownloaded: 1, realUploaded: 1, snatched: 1 },
      { uid: 1, tid: 9, seedtime: 1, downloaded: 1, uploaded: 1, realDownloaded: 1, realUploaded: 1, snatched: 1 },
    ],
  };
}

/** What withDeletedRows' rows are set aside as. */
const DELETED_ROWS_SET_ASIDE = [
  'torrents: unknown torrent 9',
  'users_freeleeches: unknown torrent 9',
  'users_freeleeches: unknown user 7',
  'users_freetorrents: unknown torrent 9',
  'users_freetorrents: unknown user 7',
  'users_main: unknown user 7',
  'users_torrents: unknown torrent 9',
  'users_torrents: unknown user 7',
  'xbt_files_users: unknown torrent 9',
  'xbt_files_users: unknown user 7',
  'xbt_files_users: unknown user 7',
  'xbt_snatched: unknown torrent 9',
  'xbt_snatched: unknown user 7',
];

/** An Exec on the real connection `conn` that records the screen's locking lookups (users, torrents). */
/** A batch of torrent rows alone (the other tables empty), on baseBatch's id. */
function torrentsOnly(id: string, torrents: FlushBatch['torrents']): FlushBatch {
  return { ...baseBatch(id), users: [], peers: [], snatches: [], tokens: [], freeTorrents: [], userTorrents: [], torrents };
}

async function countingLookups(conn: PoolConnection): Promise<{ exec: Exec; lookups: string[] }> {
  const { rowsForm } = await Exec.open(conn, 5000);
  const lookups: string[] = [];
  const exec = new (class extends Exec {
    override async select(sql: string, values: QueryValues = []): Promise<RowDataPacket[]> {
      if (sql.includes('LOCK IN SHARE MODE')) lookups.push(sql);
      return super.select(sql, values);
    }
  })(conn, 5000, rowsForm);
  return { exec, lookups };
}

for (const mode of ['strict', 'gazelle'] as const satisfies readonly SqlModeName[]) {
  describe(`applyBatch, ${mode} sql_mode`, () => {
    let db: MariaDbServer;
    let pool: Pool;

    before(async () => {
      db = await startMariaDb({ sqlMode: mode });
      pool = makePool(db);
      await ensureFlushLog(pool);
      await ensureFlushLog(pool); // idempotent
    });
    after(async () => {
      await pool.end();
      await db.cleanup();
    });

    /** Seeds, applies `batch` once cleanly, returns the normalized result: what "each row exactly once" looks like. */
    async function reference(batch: FlushBatch, opts: Partial<ApplyOptions> = {}): Promise<{ snap: Snapshot; run: Run }> {
      await resetAndSeed(db);
      const t0 = await serverNow(db);
      const r = await run(pool, batch, opts);
      return { snap: normalize(await snapshot(db), t0), run: r };
    }

    it('runs in the intended sql_mode', async () => {
      const [row] = await withConn(db, (c) => query(c, 'SELECT @@GLOBAL.sql_mode AS m'));
      assert.equal(String(row.m).includes('STRICT_TRANS_TABLES'), mode === 'strict');
    });

    it('(a) writes a batch touching all seven tables exactly as expected, whole rows compared', async () => {
      await resetAndSeed(db);
      const t0 = await serverNow(db);
      const before = normalize(await snapshot(db), t0);
      const { result, rejected } = await run(pool, baseBatch('a-batch'));
      assert.deepEqual(result, { parts: 7, applied: 7, skipped: 0, rows: 19, rejected: 0 });
      assert.deepEqual(rejected, []);
      assert.deepEqual(normalize(await snapshot(db), t0), expectedAfterBase(before));
      const parts = await withConn(db, (c) => query(c, "SELECT part FROM oncilla_flush_log WHERE batch = 'a-batch' ORDER BY part"));
      assert.deepEqual(
        parts.map((p) => p.part),
        ['torrents', 'users_freeleeches', 'users_freetorrents', 'users_main', 'users_torrents', 'xbt_files_users', 'xbt_snatched'].map((t) => `a-batch:${t}:0`),
      );
    });

    it('(a) the portable derived tables (one SELECT per row) write exactly what table value constructors do', async () => {
      const conn = await pool.getConnection();
      try {
        // this server is a MariaDB 10.11: asked once, it takes VALUES (...),(...)
        assert.equal((await Exec.open(conn, 5000)).rowsForm, 'values');
      } finally {
        conn.release();
      }
      const batch = baseBatch('form-batch');
      const values = await reference(batch, { rowsForm: 'values' });
      const select = await reference(batch, { rowsForm: 'select' });
      assert.deepEqual(select.run.result, values.run.result);
      assert.deepEqual(select.snap, values.snap);
    });

    it('users_main and torrents rows are written without looking their users and torrents up; a row MySQL leaves as it was still counts as found', async () => {
      await resetAndSeed(db);
      const conn = await pool.getConnection();
      try {
        const { exec, lookups } = await countingLookups(conn);
        const batch = (users: FlushBatch['users'], torrents: FlushBatch['torrents']): FlushBatch => ({
          id: 'trust-batch', users, torrents, peers: [], snatches: [], tokens: [], freeTorrents: [], userTorrents: [],
        });
        const writeAll = async (b: FlushBatch, screenMode: ScreenMode): Promise<Array<{ table: string; written: boolean; rejects: string[] }>> => {
          const out = [];
          for (const part of buildParts(b, 1000)) {
            const s = await screen(exec, part, allIndexes(part), screenMode);
            out.push({ table: part.table, written: await part.write(exec, s.keep), rejects: s.rejects.map((r) => r.reason) });
          }
          return out;
        };
        // seeders 0: last_action stays, so the second write changes nothing at all
        const same = batch([{ uid: 1, uploaded: 5, downloaded: 0 }], [{ tid: 1, seeders: 0, leechers: 1, snatched: 0 }]);
        const found = [{ table: 'users_main', written: true, rejects: [] }, { table: 'torrents', written: true, rejects: [] }];
        assert.deepEqual(await writeAll(same, 'trusting'), found);
        assert.deepEqual(await writeAll(same, 'trusting'), found, 'an unchanged row is found (the connection reports rows matched)');
        assert.equal(lookups.length, 0, `no user or torrent looked up: ${lookups.join('; ')}`);
        // a user and a torrent the site deleted: the write says so, and only a full screen names them
        const gone = batch([{ uid: 1, uploaded: 5, downloaded: 0 }, { uid: 99, uploaded: 1, downloaded: 1 }], [{ tid: 98, seeders: 1, leechers: 0, snatched: 0 }]);
        assert.deepEqual(await writeAll(gone, 'trusting'), [{ table: 'users_main', written: false, rejects: [] }, { table: 'torrents', written: false, rejects: [] }]);
        assert.deepEqual(await writeAll(gone, 'full'), [
          { table: 'users_main', written: true, rejects: ['unknown user 99'] },
          { table: 'torrents', written: true, rejects: ['unknown torrent 98'] },
        ]);
        assert.ok(lookups.some((q) => q.includes('FROM users_main')) && lookups.some((q) => q.includes('FROM torrents')), lookups.join('\n'));
      } finally {
        conn.release();
      }
    });

    it('(d) through applyBatches, one part per row (groups of parts of several tables): the same rows set aside once, the rest applied', async () => {
      await resetAndSeed(db);
      const t0 = await serverNow(db);
      const before = normalize(await snapshot(db), t0);
      const batch = withDeletedRows(baseBatch('d-group'));
      const apply = async (): Promise<{ result: ApplyResult; rejected: RejectedRow[] }> => {
        const rejected: RejectedRow[] = [];
        const result = await applyBatches(pool, [batch], { log: captureLog().log, chunkSize: 1, onRejected: (r) => void rejected.push(r) });
        return { result, rejected };
      };
      const first = await apply();
      assert.deepEqual(reasons(first.rejected), DELETED_ROWS_SET_ASIDE);
      assert.equal(first.result.rejected, DELETED_ROWS_SET_ASIDE.length);
      assert.deepEqual(normalize(await snapshot(db), t0), expectedAfterBase(before));
      const again = await apply();
      assert.deepEqual(again.rejected, [], 'reported once, not on every retry');
      assert.equal(again.result.skipped, again.result.parts);
      assert.deepEqual(normalize(await snapshot(db), t0), expectedAfterBase(before));
    });

    it('parts of several tables screened together look each user and torrent up once', async () => {
      await resetAndSeed(db);
      const conn = await pool.getConnection();
      try {
        const { exec, lookups } = await countingLookups(conn);
        const batch = withDeletedRows(baseBatch('together'));
        const parts = buildParts(batch, 1000).filter((p) => !p.spec.updatesOnly);
        const screened = await screenTogether(exec, parts.map((part) => ({ part, indexes: allIndexes(part) })), 'full');
        assert.equal(lookups.length, 4, `one count and one list of each (user 7 and torrent 9 are missing): ${lookups.join('; ')}`);
        const separately = [];
        for (const part of parts) separately.push(await screen(exec, part, allIndexes(part), 'full'));
        assert.deepEqual(screened, separately, 'the same rows kept and set aside as one part at a time');
        assert.ok(lookups.length > 4 + parts.length, 'one at a time looks them up per part');
      } finally {
        conn.release();
      }
    });

    it('(b) applying the same batch again changes nothing', async () => {
      await resetAndSeed(db);
      const batch = baseBatch('b-batch');
      await run(pool, batch);
      const first = await snapshot(db);
      await sleep(1100); // a second NOW() would now differ
      const again = await run(pool, batch);
      assert.deepEqual(again.result, { parts: 7, applied: 0, skipped: 7, rows: 0, rejected: 0 });
      assert.deepEqual(await snapshot(db), first);
      // Same rows listed in a different order: same parts, still nothing to do.
      const shuffled = { ...batch, users: [...batch.users].reverse(), peers: [...batch.peers].reverse() };
      assert.equal((await run(pool, shuffled)).result.applied, 0);
      assert.deepEqual(await snapshot(db), first);
    });

    it('(c) two concurrent applyBatch calls of the same batch apply each row once', async (t) => {
      const batch = bigBatch('c-batch');
      const ref = await reference(batch, { chunkSize: 3 });
      assert.ok(ref.run.result.parts >= 20, `only ${ref.run.result.parts} parts`);
      const other = makePool(db);
      try {
        for (let round = 0; round < 3; round++) {
          await resetAndSeed(db);
          const t0 = await serverNow(db);
          const [r1, r2] = await Promise.all([run(pool, batch, { chunkSize: 3 }), run(other, batch, { chunkSize: 3 })]);
          t.diagnostic(`round ${round}: parts applied ${r1.result.applied} + ${r2.result.applied}, deadlock retries ${[...r1.warn, ...r2.warn].filter((w) => w.includes('retrying')).length}`);
          const parts = ref.run.result.parts;
          assert.equal(r1.result.applied + r2.result.applied, parts);
          assert.equal(r1.result.applied + r1.result.skipped, parts);
          assert.equal(r2.result.applied + r2.result.skipped, parts);
          assert.equal(r1.result.rows + r2.result.rows, rowCount(batch));
          assert.deepEqual(normalize(await snapshot(db), t0), ref.snap);
        }
      } finally {
        await other.end();
      }
    });

    it('(c) ... also when a part has to be applied row by row (poison row) by both at once', async (t) => {
      const batch = bigBatch('c-poison');
      batch.users = batch.users.map((u) => (u.uid === 6 ? { ...u, uploaded: -1 } : u)); // user 6 has Uploaded 0
      const ref = await reference(batch, { chunkSize: 3 });
      assert.deepEqual(reasons(ref.run.rejected).map((r) => r.replace(/ in .*/, '')), ['users_main: BIGINT UNSIGNED value is out of range']);
      const other = makePool(db);
      try {
        for (let round = 0; round < 3; round++) {
          await resetAndSeed(db);
          const t0 = await serverNow(db);
          const [r1, r2] = await Promise.all([run(pool, batch, { chunkSize: 3 }), run(other, batch, { chunkSize: 3 })]);
          t.diagnostic(`round ${round}: rows written ${r1.result.rows} + ${r2.result.rows}, deadlock retries ${[...r1.warn, ...r2.warn].filter((w) => w.includes('retrying')).length}`);
          assert.equal(r1.rejected.length + r2.rejected.length, 1, 'the poison row is reported once');
          assert.equal(r1.result.rows + r2.result.rows, rowCount(batch) - 1);
          assert.deepEqual(normalize(await snapshot(db), t0), ref.snap);
        }
      } finally {
        await other.end();
      }
    });

    it('(d) rows for a deleted user or torrent create nothing anywhere, are reported, and the rest is applied', async () => {
      await resetAndSeed(db);
      await withConn(db, async (c) => {
        // The site deletes user 7 and torrent 9 after the tracker saw them.
        await insertUsers(c, [{ id: 7, passkey: makePasskey(7) }]);
        await insertTorrents(c, [{ id: 9, infoHash: makeInfoHash(9) }]);
        await c.query('DELETE FROM users_main WHERE ID = 7');
        await c.query('DELETE FROM torrents WHERE ID = 9');
      });
      const t0 = await serverNow(db);
      const before = normalize(await snapshot(db), t0);
      const batch = withDeletedRows(baseBatch('d-batch'));
      const first = await run(pool, batch);
      assert.deepEqual(reasons(first.rejected), DELETED_ROWS_SET_ASIDE);
      const heavy7 = first.rejected.find((r): r is Extract<RejectedRow, { table: 'xbt_files_users' }> => r.table === 'xbt_files_users' && r.row.kind === 'heavy');
      assert.equal(heavy7?.row.ipv6, '::7', 'the rejected row is handed over whole');
      assert.deepEqual(first.result, { parts: 7, applied: 7, skipped: 0, rows: 19, rejected: 13 });
      assert.ok(first.warn.some((w) => w.includes('unknown user 7')), first.warn.join('\n'));
      const after = normalize(await snapshot(db), t0);
      assert.deepEqual(after, expectedAfterBase(before));
      for (const [table, rows] of Object.entries(after)) {
        for (const r of rows) {
          const ids = [r.ID, r.uid, r.UserID].filter((x) => x !== undefined);
          const tids = [r.fid, r.TorrentID].filter((x) => x !== undefined);
          assert.ok(!ids.includes('7') || table === 'torrents', `${table} has a row for user 7: ${JSON.stringify(r)}`);
          assert.ok(!tids.includes('9') && !(table === 'torrents' && r.ID === '9'), `${table} has a row for torrent 9`);
        }
      }
      const again = await run(pool, batch);
      assert.deepEqual(again.rejected, [], 'reported once, not on every retry');
      assert.deepEqual(normalize(await snapshot(db), t0), expectedAfterBase(before));
    });

    it('(e) a torrent row with an absurd balance or snatch count still writes its counts and last_action', async () => {
      await resetAndSeed(db);
      const r = await run(pool, torrentsOnly('e-torrent', [
        { tid: 1, seeders: 3, leechers: 4, snatched: 2 ** 60, balanceChange: Number.NaN },
        { tid: 2, seeders: 0, leechers: 2, snatched: 1, balanceChange: 2 ** 60 },
        { tid: 3, seeders: 1, leechers: 0, snatched: 0, balanceChange: -(2 ** 60) },
      ]));
      assert.deepEqual(r.rejected, [], 'nothing set aside');
      const rows = await withConn(db, (c) => query(c, 'SELECT ID, Seeders, Leechers, Snatched, balance, last_action > ? AS fresh FROM torrents WHERE ID <= 3 ORDER BY ID', [LAST_ACTION]));
      assert.deepEqual(rows.map((t) => [t.ID, t.Seeders, t.Leechers, Number(t.Snatched), String(t.balance), Number(t.fresh)]), [
        [1, 3, 4, 2 ** 32 - 1, '7', 1],
        [2, 0, 2, 21, String(7 + Number.MAX_SAFE_INTEGER), 0],
        [3, 1, 0, 30, String(7 - Number.MAX_SAFE_INTEGER), 1],
      ], 'counts replaced, Snatched capped at its column, a change that is no number ignored, others clamped to 2^53 - 1');
    });

    it('(e) balance changes are added to the column (summed over rows), within BIGINT', async () => {
      await resetAndSeed(db);
      await withConn(db, (c) => c.query('UPDATE torrents SET balance = 9223372036854775000 WHERE ID = 3'));
      const r = await run(pool, torrentsOnly('e-balance', [
        { tid: 1, seeders: 1, leechers: 0, snatched: 0, balanceChange: 100 },
        { tid: 1, seeders: 2, leechers: 0, snatched: 0, balanceChange: -30 },
        { tid: 2, seeders: 1, leechers: 0, snatched: 0, balanceChange: -10 },
        { tid: 3, seeders: 1, leechers: 0, snatched: 0, balanceChange: Number.MAX_SAFE_INTEGER },
        { tid: 4, seeders: 1, leechers: 0, snatched: 0 },
      ]));
      assert.deepEqual(r.rejected, [], 'nothing set aside');
      const rows = await withConn(db, (c) => query(c, 'SELECT ID, Seeders, CAST(balance AS CHAR) AS b FROM torrents WHERE ID <= 4 ORDER BY ID'));
      assert.deepEqual(rows.map((t) => [t.ID, t.Seeders, t.b]), [
        [1, 2, '77'],
        [2, 1, '-3'],
        [3, 1, '9223372036854775807'],
        [4, 1, '7'],
      ], 'the seeded 7 plus the changes; stopped at BIGINT\'s end; no change kept');
    });

    it('(e) a torrent row without counts (transfers only) keeps Seeders and Leechers and refreshes last_action by them', async () => {
      await resetAndSeed(db);
      await withConn(db, (c) => c.query('UPDATE torrents SET Seeders = IF(ID = 1, 4, 0), Leechers = 2 WHERE ID <= 2'));
      const r = await run(pool, torrentsOnly('e-nocounts', [
        { tid: 1, seeders: 0, leechers: 0, noCounts: true, balanceChange: 50, snatched: 1 },
        { tid: 2, seeders: 0, leechers: 0, noCounts: true, balanceChange: -5, snatched: 0 },
        { tid: 3, seeders: 0, leechers: 0, noCounts: true, balanceChange: 1, snatched: 0 },
        { tid: 3, seeders: 6, leechers: 1, noCounts: false, balanceChange: 1, snatched: 0 },
      ]));
      assert.deepEqual(r.rejected, [], 'nothing set aside');
      const rows = await withConn(db, (c) => query(c, 'SELECT ID, Seeders, Leechers, Snatched, CAST(balance AS CHAR) AS b, last_action > ? AS fresh FROM torrents WHERE ID <= 3 ORDER BY ID', [LAST_ACTION]));
      assert.deepEqual(rows.map((t) => [t.ID, t.Seeders, t.Leechers, Number(t.Snatched), t.b, Number(t.fresh)]), [
        [1, 4, 2, 11, '57', 1],
        [2, 0, 2, 20, '2', 0],
        [3, 6, 1, 30, '9', 1],
      ], 'counts kept, Snatched and balance added, last_action refreshed only with seeders; a row with counts wins over one without');
    });

    it('(e) a poison row is set aside once and the rest of its part is applied', async () => {
      await resetAndSeed(db);
      // users_torrents(5, 4) is near the BIGINT limit: adding to it overflows in any sql_mode.
      await withConn(db, (c) => c.query("INSERT INTO users_torrents (uid, fid, seedtime, start_time, end_time) VALUES (5, 4, 9223372036854775000, '2020-01-01', '2020-01-01')"));
      const t0 = await serverNow(db);
      const before = normalize(await snapshot(db), t0);
      const base = baseBatch('e-batch');
      const batch: FlushBatch = {
        ...base,
        // User 6 has Uploaded 0 (unsigned): -1 is refused by MySQL in both modes (error 1690).
        users: [...base.users, { uid: 6, uploaded: -1, downloaded: 5 }],
        // Not a FreeTorrent value: non-strict MySQL would store '' (a junk key), strict would refuse it.
        freeTorrents: [...base.freeTorrents, { uid: 3, tid: 4, freeType: 99, uploaded: 1, downloaded: 1 } as unknown as FreeTorrentRow],
        userTorrents: [...base.userTorrents, { uid: 5, tid: 4, seedtime: 2 ** 40, downloaded: 0, uploaded: 0, realDownloaded: 0, realUploaded: 0, snatched: 0 }],
      };
      const first = await run(pool, batch);
      assert.deepEqual(
        reasons(first.rejected).map((r) => r.replace(/ in '.*$/, '')),
        ['users_freetorrents: invalid FreeTorrent 99', 'users_main: BIGINT UNSIGNED value is out of range', 'users_torrents: BIGINT value is out of range'],
      );
      assert.deepEqual(first.result, { parts: 7, applied: 7, skipped: 0, rows: 19, rejected: 3 });
      assert.ok(first.warn.some((w) => w.includes('users_main:0: MySQL refused the part')), first.warn.join('\n'));
      // Everything else in those parts (users 1 and 2, users_torrents (1,1) and (4,2)) went in.
      assert.deepEqual(normalize(await snapshot(db), t0), expectedAfterBase(before));
      const log = await withConn(db, (c) => query(c, "SELECT part FROM oncilla_flush_log WHERE part LIKE 'e-batch:users_main:%' ORDER BY part"));
      assert.deepEqual(
        log.map((r) => r.part),
        ['e-batch:users_main:0', 'e-batch:users_main:0#0', 'e-batch:users_main:0#1', 'e-batch:users_main:0#2', 'e-batch:users_main:0#split'],
      );
      const again = await run(pool, batch);
      assert.deepEqual(again.rejected, [], 'a poison row is set aside once, not retried forever');
      assert.deepEqual(again.result, { parts: 7, applied: 0, skipped: 7, rows: 0, rejected: 0 });
      assert.deepEqual(normalize(await snapshot(db), t0), expectedAfterBase(before));
    });

    it('(e) a part interrupted while being applied row by row is finished row by row, even once it would apply whole', async () => {
      const base = baseBatch('e-resume');
      const batch: FlushBatch = { ...base, users: [...base.users, { uid: 6, uploaded: -1, downloaded: 5 }] };
      await resetAndSeed(db);
      // A flusher found user 6's -1 refused (Uploaded was 0), split the part, committed row 0
      // (user 1: +100/+50) and crashed. Then the site credited user 6, so the whole part would
      // now succeed: applying it whole would credit user 1 a second time.
      await withConn(db, async (c) => {
        await c.query("INSERT INTO oncilla_flush_log (part, batch) VALUES ('e-resume:users_main:0#split', 'e-resume'), ('e-resume:users_main:0#0', 'e-resume')");
        await c.query('UPDATE users_main SET Uploaded = Uploaded + 100, Downloaded = Downloaded + 50 WHERE ID = 1');
        await c.query('UPDATE users_main SET Uploaded = 10 WHERE ID = 6');
      });
      const resumed = await run(pool, batch);
      assert.deepEqual(resumed.rejected, []);
      assert.equal(resumed.result.applied, 7);
      const users = await withConn(db, (c) => query(c, 'SELECT ID, Uploaded, Downloaded FROM users_main WHERE ID IN (1, 2, 6) ORDER BY ID'));
      assert.deepEqual(
        users.map((u) => [u.ID, Number(u.Uploaded), Number(u.Downloaded)]),
        [
          [1, 1100, 150],
          [2, 2000, 207],
          [6, 9, 605],
        ],
      );
    });

    it('(f) a batch bigger than chunkSize is split into parts; stopping after some parts then applying again applies each row once', async () => {
      const batch = bigBatch('f-batch');
      const ref = await reference(batch, { chunkSize: 3 });
      const parts = ref.run.result.parts;
      await resetAndSeed(db);
      const t0 = await serverNow(db);
      const seeded = normalize(await snapshot(db), t0);
      const partial = await run(pool, batch, { chunkSize: 3, stopAfterParts: 5 });
      // users 6 rows (2 parts), torrents 4 (2 parts), the first 3 peers.
      assert.deepEqual(partial.result, { parts, applied: 5, skipped: 0, rows: 13, rejected: 0 });
      const mid = normalize(await snapshot(db), t0);
      assert.notDeepEqual(mid.users_main, seeded.users_main);
      assert.deepEqual(mid.xbt_snatched, [], 'parts after the fifth were not applied');
      const rest = await run(pool, batch, { chunkSize: 3 });
      assert.deepEqual(rest.result, { parts, applied: parts - 5, skipped: 5, rows: rowCount(batch) - 13, rejected: 0 });
      assert.deepEqual(normalize(await snapshot(db), t0), ref.snap);
    });

    it('(f) MySQL killed (SIGKILL) mid-batch: the retry after restart applies each row once', async () => {
      const batch = bigBatch('f-kill');
      const ref = await reference(batch, { chunkSize: 3 });
      await resetAndSeed(db);
      const t0 = await serverNow(db);
      let seen = 0;
      await assert.rejects(
        run(pool, batch, {
          chunkSize: 3,
          afterPart: async () => {
            if (++seen === 4) await db.kill();
          },
        }),
        transient,
      );
      await db.restart();
      const retry = await run(pool, batch, { chunkSize: 3 });
      assert.equal(retry.result.skipped, 4, 'the four parts committed before the crash survived it');
      assert.equal(retry.result.applied, ref.run.result.parts - 4);
      assert.deepEqual(normalize(await snapshot(db), t0), ref.snap);
    });

    it('(g) MySQL down: applyBatch rejects with a transient error; after restart the batch applies fully once', async () => {
      const batch = bigBatch('g-down');
      const ref = await reference(batch, { chunkSize: 3 });
      await resetAndSeed(db);
      const t0 = await serverNow(db);
      await db.stop();
      await assert.rejects(run(pool, batch, { chunkSize: 3 }), transient);
      await db.restart();
      const retry = await run(pool, batch, { chunkSize: 3 });
      assert.deepEqual(retry.result, { ...ref.run.result });
      assert.deepEqual(normalize(await snapshot(db), t0), ref.snap);
    });

    it('(g) MySQL stops answering mid-batch (SIGSTOP): the statement timeout rejects; after resume the batch applies once', async () => {
      const batch = bigBatch('g-pause');
      const ref = await reference(batch, { chunkSize: 3 });
      await resetAndSeed(db);
      const t0 = await serverNow(db);
      let seen = 0;
      const started = Date.now();
      try {
        await assert.rejects(
          run(pool, batch, {
            chunkSize: 3,
            queryTimeoutMs: 1000,
            afterPart: () => {
              if (++seen === 3) db.pause();
            },
          }),
          transient,
        );
      } finally {
        if (db.paused) db.resume();
      }
      assert.ok(Date.now() - started < 10_000);
      const retry = await run(pool, batch, { chunkSize: 3 });
      assert.equal(retry.result.skipped, 3);
      assert.deepEqual(normalize(await snapshot(db), t0), ref.snap);
    });

    it('a part chosen as deadlock victim is retried and applied once', async () => {
      await resetAndSeed(db);
      const t0 = await serverNow(db);
      const before = normalize(await snapshot(db), t0);
      const blocker = await connect(db);
      try {
        // A heavier transaction (InnoDB rolls back the lighter one) that holds user 1...
        await blocker.query('START TRANSACTION');
        await blocker.query(`INSERT INTO xbt_snatched (uid, fid, tstamp, IP, ipv6) VALUES ${Array.from({ length: 200 }, () => "(99, 99, 1, '', '')").join(',')}`);
        await blocker.query("UPDATE users_main SET Title = CONCAT(Title, '') WHERE ID = 1");
        const applying = run(pool, baseBatch('dl-batch'));
        await sleep(300); // the users part has claimed its log row and waits for user 1
        // ...then waits for the part's log row: a cycle, and the part's transaction is the victim.
        await blocker.query("SELECT part FROM oncilla_flush_log WHERE part = 'dl-batch:users_main:0' FOR UPDATE");
        await sleep(100);
        await blocker.query('ROLLBACK');
        const r = await applying;
        assert.ok(r.warn.some((w) => w.includes('dl-batch:users_main:0') && w.includes('Deadlock') && w.includes('retrying')), r.warn.join('\n'));
        assert.deepEqual(r.result, { parts: 7, applied: 7, skipped: 0, rows: 19, rejected: 0 });
      } finally {
        await blocker.end();
      }
      assert.deepEqual(normalize(await snapshot(db), t0), expectedAfterBase(before));
    });

    it('pruneFlushLog deletes only entries older than the given age', async () => {
      await resetAndSeed(db);
      await run(pool, baseBatch('p-old'));
      await run(pool, baseBatch('p-new'));
      await withConn(db, (c) => c.query("UPDATE oncilla_flush_log SET applied_at = NOW() - INTERVAL 2 DAY WHERE batch = 'p-old'"));
      assert.equal(await pruneFlushLog(pool, 86_400), 7);
      const left = await withConn(db, (c) => query(c, 'SELECT DISTINCT batch FROM oncilla_flush_log'));
      assert.deepEqual(left.map((r) => r.batch), ['p-new']);
    });

    it('pruneFlushLog gives up within its timeout when MySQL stops answering (SIGSTOP)', async () => {
      await pruneFlushLog(pool, 86_400); // a pooled connection exists: the timeout is the statement's
      const started = Date.now();
      db.pause();
      try {
        // (raced against 5 s, so that a prune without its timeout fails here instead of hanging)
        const stuck = sleep(5000).then(() => {
          throw new Error('pruneFlushLog still waiting after 5 s');
        });
        await assert.rejects(Promise.race([pruneFlushLog(pool, 86_400, 500), stuck]), transient);
      } finally {
        db.resume();
      }
      assert.ok(Date.now() - started < 5000, `gave up after ${Date.now() - started} ms`);
    });

    it('timing: 10,000 users + 10,000 peers rows', async (t) => {
      await resetAndSeed(db);
      const n = 10_000;
      await withConn(db, async (c) => {
        await insertUsers(c, Array.from({ length: n - 6 }, (_, i) => ({ id: i + 7, passkey: makePasskey(i + 7) })));
        await insertTorrents(c, Array.from({ length: 96 }, (_, i) => ({ id: i + 5, infoHash: makeInfoHash(i + 5) })));
      });
      const peerId = (i: number): Buffer => {
        const b = Buffer.alloc(20, 0x2d);
        b.writeUInt32BE(i, 16);
        return b;
      };
      const users = Array.from({ length: n }, (_, i) => ({ uid: i + 1, uploaded: 1000, downloaded: 10 }));
      const mk = (id: string, kind: 'heavy' | 'light'): FlushBatch => ({
        id,
        users,
        torrents: [],
        peers: Array.from({ length: n }, (_, i) =>
          peer({ kind, uid: i + 1, tid: (i % 100) + 1, peerId: peerId(i), uploaded: i, timespent: 60, announced: 2, mtime: 1_700_000_000, ip: '10.3.0.1', ipv6: '', useragent: 'qBittorrent/4.6.0' }),
        ),
        snatches: [],
        tokens: [],
        freeTorrents: [],
        userTorrents: [],
      });
      let started = Date.now();
      const inserts = await run(pool, mk('t-heavy', 'heavy'));
      const insertMs = Date.now() - started;
      started = Date.now();
      const updates = await run(pool, mk('t-light', 'light'));
      const updateMs = Date.now() - started;
      // the same again through applyBatches: each table's 10 parts in one transaction, its rows
      // in two statements (STATEMENT_ROWS)
      started = Date.now();
      const grouped = await applyBatches(pool, [mk('t-group', 'heavy')], { log: captureLog().log });
      const groupMs = Date.now() - started;
      t.diagnostic(`${mode}: 10k users + 10k new heavy peers: ${insertMs} ms; 10k users + 10k light peer updates: ${updateMs} ms; the heavy ones again as one group: ${groupMs} ms`);
      assert.equal(inserts.result.rows, 2 * n);
      assert.equal(updates.result.rows, 2 * n);
      assert.deepEqual(grouped, { parts: 20, applied: 20, skipped: 0, rows: 2 * n, rejected: 0 });
      const [sums] = await withConn(db, (c) =>
        query(c, 'SELECT (SELECT SUM(Uploaded) FROM users_main WHERE ID > 6) AS up, (SELECT COUNT(*) FROM xbt_files_users) AS peers'),
      );
      assert.equal(String(sums.up), String((n - 6) * 3000));
      assert.equal(Number(sums.peers), n + 3);
    });
  });
}
