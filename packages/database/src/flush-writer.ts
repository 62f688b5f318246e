/**
 * The MySQL side of the flush: writes one FlushBatch to GazellePW's tables, exactly once per
 * part however often (or from however many hosts at once) the same batch is applied.
 *
 * - Each part (one table's rows, at most chunkSize of them) is one transaction whose first
 *   statement records the part id in oncilla_flush_log. The id commits with the part's writes
 *   or not at all; a retry or a second flusher finds it and skips the part (compatibility F1, 5).
 * - Rows for users or torrents the site has deleted are set aside, never written as junk
 *   (compatibility F17). Every statement either UPDATEs existing rows or INSERTs complete rows, so it
 *   works under strict and non-strict sql_mode alike (compatibility F31).
 * - A row MySQL refuses sets only itself aside: the part is re-applied row by row, each row
 *   recorded as `${part}#${i}` (compatibility F6: no head-of-line blocking).
 * - Connection trouble makes applyBatch throw; the caller keeps the batch and retries it later.
 */
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { FlushBatch } from '@oncilla/rows';
import { asMysqlError, classifyMysqlError } from './flush/errors.js';
import { Exec } from './flush/exec.js';
import { MAX_BATCH_ID, claim, claimAll, isRecorded, mark, readApplied, recordedAmong } from './flush/log-table.js';
import { allIndexes, buildParts, joinParts, screen, screenTogether, type Part, type Screened, type ScreenMode } from './flush/parts.js';
import type { RejectedRow } from './flush/types.js';
import type { RowsForm } from './flush/sql-literal.js';
import { canonical } from './flush/values.js';

export { ensureFlushLog, pruneFlushLog } from './flush/log-table.js';
export { classifyMysqlError, isTransientMysqlError, type MysqlErrorKind } from './flush/errors.js';
export type { FlushTable, RejectedRow, TableRows } from './flush/types.js';

export interface FlushLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export type PartOutcome = 'applied' | 'skipped';

export interface ApplyOptions {
  log: FlushLogger;
  /** Called once per row set aside (after its part committed). Errors are logged, not thrown. */
  onRejected?: (r: RejectedRow) => void | Promise<void>;
  /** Rows per part (default 1000, at most 4000). */
  chunkSize?: number;
  /**
   * Per-statement timeout in ms (default 60 000): a MySQL that accepts connections but stops
   * answering makes applyBatch throw instead of hanging past the flush lease.
   */
  queryTimeoutMs?: number;
  /**
   * How derived tables of literal rows are written (default: asked of the server, `values` on
   * MariaDB 10.3.3 and later); tests set it to run the other form.
   */
  rowsForm?: RowsForm;
  /** Crash simulation for tests: return after the first N parts (applied or skipped). */
  stopAfterParts?: number;
  /** Called after each part, in order (progress, tests). */
  afterPart?: (part: string, outcome: PartOutcome) => void | Promise<void>;
}

export interface ApplyResult {
  /** Parts the batch is cut into. */
  parts: number;
  /** Parts this call committed. */
  applied: number;
  /** Parts found already committed (by an earlier attempt or a concurrent flusher). */
  skipped: number;
  /** Rows this call wrote. */
  rows: number;
  /** Rows this call set aside (reported through onRejected). */
  rejected: number;
}

export const DEFAULT_CHUNK_SIZE = 1000;
// 16 columns x 4000 rows stays under the 65 535 placeholders of a prepared statement, should
// these statements ever be sent with execute().
const MAX_CHUNK_SIZE = 4000;
const DEFAULT_QUERY_TIMEOUT_MS = 60_000;
const DEADLOCK_ATTEMPTS = 5;
const SPLIT_SUFFIX = '#split';

interface PartResult {
  outcome: PartOutcome;
  rows: number;
  rejected: number;
}

const SKIPPED: PartResult = { outcome: 'skipped', rows: 0, rejected: 0 };

/** What a transaction body decides: commit or roll back, and what to return. */
interface TxResult<T> {
  commit: boolean;
  value: T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const messageOf = (err: unknown): string => asMysqlError(err).message ?? String(err);

function checkOptions(batch: FlushBatch, chunkSize: number): void {
  // The log's columns are ASCII VARCHARs: a longer or non-ASCII id would fail every insert;
  // ':' separates the batch id from the rest of a part id.
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(batch.id) || batch.id.length > MAX_BATCH_ID) {
    throw new RangeError(`flush batch id must be 1-${MAX_BATCH_ID} printable ASCII characters other than ':', got ${JSON.stringify(batch.id)}`);
  }
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunkSize must be an integer from 1 to ${MAX_CHUNK_SIZE}, got ${chunkSize}`);
  }
}

/** Applies the parts of one batch through one connection. */
class BatchWriter {
  constructor(
    private readonly db: Exec,
    private readonly batchId: string,
    private readonly opts: ApplyOptions,
  ) {}

  /**
   * Runs `body` in a transaction. InnoDB breaks a deadlock by rolling one transaction back:
   * that one is simply run again, a few times, before giving up on the batch.
   */
  private async tx<T>(label: string, body: () => Promise<TxResult<T>>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.db.run('START TRANSACTION');
      let result: TxResult<T>;
      try {
        result = await body();
      } catch (err) {
        await this.rollbackQuietly();
        if (classifyMysqlError(err) === 'deadlock' && attempt < DEADLOCK_ATTEMPTS) {
          this.opts.log.warn(`flush ${label}: ${messageOf(err)}; retrying (attempt ${attempt + 1} of ${DEADLOCK_ATTEMPTS})`);
          await sleep(20 * attempt + Math.random() * 30);
          continue;
        }
        throw err;
      }
      await this.db.run(result.commit ? 'COMMIT' : 'ROLLBACK');
      return result.value;
    }
  }

  /** After a failed statement; if the connection is gone the original error is what matters. */
  private async rollbackQuietly(): Promise<void> {
    await this.db.run('ROLLBACK').catch(() => undefined);
  }

  /**
   * Several parts in one transaction: their ids are claimed with one insert, each table's rows
   * checked and written together (one statement per STATEMENT_ROWS), every user and torrent
   * looked up once for all of the group's tables. Anything unusual (a part already claimed by
   * another flusher, a part begun row by row, a row MySQL refuses, a row of an updatesOnly
   * table without its user or torrent) rolls the group back and applies its parts one by one
   * instead, which sorts each case out exactly once.
   */
  async applyGroup(parts: readonly Part[]): Promise<PartResult[]> {
    if (parts.length === 1) return [await this.applyPart(parts[0])];
    const ids = parts.map((p) => p.id);
    const byTable = new Map<string, Part[]>();
    for (const p of parts) {
      const list = byTable.get(p.table);
      if (list) list.push(p);
      else byTable.set(p.table, [p]);
    }
    const joined = [...byTable.values()].map((ps) => (ps.length === 1 ? ps[0] : joinParts(`${ps[0].id}+${ps.length - 1}`, ps)));
    type Whole = { kind: 'fallback'; mode: ScreenMode } | { kind: 'done'; screened: Screened[]; rows: number };
    let whole: Whole;
    try {
      whole = await this.tx<Whole>(`${ids[0]}+${ids.length - 1}`, async () => {
        if (!(await claimAll(this.db, ids, this.batchId))) return { commit: false, value: { kind: 'fallback', mode: 'trusting' } };
        if ((await recordedAmong(this.db, ids.map((id) => id + SPLIT_SUFFIX))).size > 0) return { commit: false, value: { kind: 'fallback', mode: 'trusting' } };
        const screened = await screenTogether(this.db, joined.map((part) => ({ part, indexes: allIndexes(part) })), 'trusting');
        let rows = 0;
        for (const [n, part] of joined.entries()) {
          const { keep } = screened[n];
          // a row of an updatesOnly table found no user or torrent: the parts one by one, screened
          if (keep.length && !(await part.write(this.db, keep))) return { commit: false, value: { kind: 'fallback', mode: 'full' } };
          rows += keep.length;
        }
        return { commit: true, value: { kind: 'done', screened, rows } };
      });
    } catch (err) {
      if (classifyMysqlError(err) !== 'data') throw err;
      whole = { kind: 'fallback', mode: 'trusting' };
    }
    if (whole.kind === 'fallback') {
      const out: PartResult[] = [];
      for (const p of parts) out.push(await this.applyPart(p, whole.mode));
      return out;
    }
    let rejected = 0;
    for (const [n, part] of joined.entries()) {
      await this.report(part, whole.screened[n].rejects);
      rejected += whole.screened[n].rejects.length;
    }
    const { rows } = whole;
    // the rows and rejects are the group's; the first part carries them in the totals
    return parts.map((_, i) => (i === 0 ? { outcome: 'applied', rows, rejected } : { outcome: 'applied', rows: 0, rejected: 0 }));
  }

  async applyPart(part: Part, mode: ScreenMode = 'trusting'): Promise<PartResult> {
    type Whole = { kind: 'taken' } | { kind: 'split' } | { kind: 'screen' } | { kind: 'done'; rows: number; rejects: RejectedRow[] };
    let whole: Whole;
    try {
      whole = await this.tx<Whole>(part.id, async () => {
        if (!(await claim(this.db, part.id, this.batchId))) return { commit: false, value: { kind: 'taken' } };
        // Some flusher began this part row by row (MySQL refused one of its rows): writing it
        // whole now could write again rows that were already written one by one.
        if (await isRecorded(this.db, part.id + SPLIT_SUFFIX)) return { commit: false, value: { kind: 'split' } };
        const { keep, rejects } = await screen(this.db, part, allIndexes(part), mode);
        // (after a full screen every row has its user and torrent, under lock: nothing to redo)
        if (keep.length && !(await part.write(this.db, keep)) && mode === 'trusting') return { commit: false, value: { kind: 'screen' } };
        return { commit: true, value: { kind: 'done', rows: keep.length, rejects } };
      });
    } catch (err) {
      if (classifyMysqlError(err) !== 'data') throw err;
      this.opts.log.warn(`flush ${part.id}: MySQL refused the part (${messageOf(err)}); applying its ${part.size} rows one by one`);
      return this.applyRowByRow(part);
    }
    if (whole.kind === 'taken') {
      this.opts.log.info(`flush ${part.id}: already applied by another flusher, skipped`);
      return SKIPPED;
    }
    if (whole.kind === 'split') return this.applyRowByRow(part);
    if (whole.kind === 'screen') return this.applyPart(part, 'full');
    await this.report(part, whole.rejects);
    return { outcome: 'applied', rows: whole.rows, rejected: whole.rejects.length };
  }

  /**
   * Applies a part one row per transaction. The split marker, committed first, makes every
   * later attempt of the part go row by row too; it is only set while the part itself is not
   * recorded (a locking read, so a whole-part transaction still in flight is waited for).
   */
  private async applyRowByRow(part: Part): Promise<PartResult> {
    const go = await this.tx(part.id + SPLIT_SUFFIX, async () => {
      await mark(this.db, part.id + SPLIT_SUFFIX, this.batchId);
      const applied = await isRecorded(this.db, part.id);
      return { commit: !applied, value: !applied };
    });
    if (!go) return SKIPPED;
    let rows = 0;
    let rejected = 0;
    for (let i = 0; i < part.size; i++) {
      const r = await this.applyRow(part, i);
      rows += r.rows;
      rejected += r.rejected;
    }
    const recorded = await this.tx(part.id, async () => {
      const ok = await claim(this.db, part.id, this.batchId);
      return { commit: ok, value: ok };
    });
    return { outcome: recorded ? 'applied' : 'skipped', rows, rejected };
  }

  private async applyRow(part: Part, i: number): Promise<{ rows: number; rejected: number }> {
    const id = `${part.id}#${i}`;
    try {
      const done = await this.tx(id, async () => {
        if (!(await claim(this.db, id, this.batchId))) return { commit: false, value: null };
        const s = await screen(this.db, part, [i]);
        if (s.keep.length) await part.write(this.db, s.keep);
        return { commit: true, value: s };
      });
      if (!done) return { rows: 0, rejected: 0 };
      await this.report(part, done.rejects);
      return { rows: done.keep.length, rejected: done.rejects.length };
    } catch (err) {
      if (classifyMysqlError(err) !== 'data') throw err;
      // Set the row aside for good: its id is recorded so no retry of this batch tries it again.
      const first = await this.tx(id, async () => {
        const ok = await claim(this.db, id, this.batchId);
        return { commit: ok, value: ok };
      });
      if (first) await this.report(part, [part.rejected(i, messageOf(err))]);
      return { rows: 0, rejected: first ? 1 : 0 };
    }
  }

  /** One warning per part (a deleted torrent can orphan many rows), then each row to onRejected. */
  private async report(part: Part, rejects: readonly RejectedRow[]): Promise<void> {
    if (rejects.length === 0) return;
    const reasons = new Map<string, number>();
    for (const r of rejects) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    const summary = [...reasons].slice(0, 5).map(([reason, n]) => (n > 1 ? `${reason} (x${n})` : reason));
    if (reasons.size > 5) summary.push(`${reasons.size - 5} more reasons`);
    const sample = rejects.length === 1 ? `: ${canonical(rejects[0].row)}` : '';
    this.opts.log.warn(`flush ${part.id}: ${rejects.length} ${part.table} row(s) set aside, not written: ${summary.join('; ')}${sample}`);
    for (const r of rejects) {
      try {
        await this.opts.onRejected?.(r);
      } catch (err) {
        this.opts.log.error(`flush ${part.id}: onRejected failed for a ${r.table} row (${r.reason}): ${messageOf(err)}`);
      }
    }
  }
}

async function applyParts(conn: PoolConnection, batch: FlushBatch, parts: readonly Part[], opts: ApplyOptions, result: ApplyResult): Promise<void> {
  const db = await Exec.open(conn, opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, opts.rowsForm);
  const writer = new BatchWriter(db, batch.id, opts);
  // Read once up front so a retried batch skips its committed parts without a transaction
  // each; parts committed by someone else after this read are caught by the claim itself.
  const done = await readApplied(db, [batch.id]);
  let processed = 0;
  for (const part of parts) {
    if (opts.stopAfterParts !== undefined && processed >= opts.stopAfterParts) return;
    processed++;
    const r = done.has(part.id) ? SKIPPED : await writer.applyPart(part);
    if (r.outcome === 'applied') result.applied++;
    else result.skipped++;
    result.rows += r.rows;
    result.rejected += r.rejected;
    await opts.afterPart?.(part.id, r.outcome);
  }
}

/**
 * Rows per transaction when the parts of several batches are written together (in statements
 * of at most STATEMENT_ROWS). Each transaction looks up, under a shared lock, the users and
 * torrents its rows need (for the tables that INSERT): the bigger the transaction, the fewer
 * the lookups of the same user or torrent (a lookup costs MariaDB about 2 µs; at 5,000 rows of
 * one table per transaction they were a fifth of what the flush cost it), but the longer the
 * locks are held, and the site's own writes to those users' and torrents' rows wait that long:
 * about half a second at 20,000 rows (the flush wrote 28,000-41,000 rows/s under the
 * benchmark's full load on a 2-core VM).
 */
export const DEFAULT_GROUP_ROWS = 20_000;

/**
 * The batches' parts in the sequences they are grouped from: each updatesOnly table (users_main,
 * torrents) alone, since it takes exclusive locks on the very rows the others' lookups share-
 * lock (an upgrade from shared to exclusive could deadlock with the site); every other table
 * together, batch by batch (each batch in table order), so that a group holds all the tables'
 * rows of its shards and looks each of their torrents up once (a torrent is in one shard only).
 */
export function flushLanes(batches: readonly FlushBatch[], chunkSize: number): Part[][] {
  const alone = new Map<string, Part[]>();
  const together: Part[] = [];
  for (const b of batches) {
    for (const p of buildParts(b, chunkSize)) {
      if (!p.spec.updatesOnly) together.push(p);
      else {
        const list = alone.get(p.table);
        if (list) list.push(p);
        else alone.set(p.table, [p]);
      }
    }
  }
  return together.length ? [...alone.values(), together] : [...alone.values()];
}

/**
 * Writes several batches (one per shard, cut in the same flush) to MySQL: the parts of every
 * batch are written together, up to `groupRows` rows per transaction (see flushLanes), so MariaDB
 * gets a few large statements per flush rather than many small ones. Exactly once per part, as
 * applyBatch: the part ids of a group are claimed together in its transaction.
 */
export async function applyBatches(pool: Pool, batches: readonly FlushBatch[], opts: ApplyOptions & { groupRows?: number }): Promise<ApplyResult> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  for (const b of batches) checkOptions(b, chunkSize);
  const result: ApplyResult = { parts: 0, applied: 0, skipped: 0, rows: 0, rejected: 0 };
  if (batches.length === 0) return result;
  const lanes = flushLanes(batches, chunkSize);
  const conn = await pool.getConnection();
  try {
    const db = await Exec.open(conn, opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, opts.rowsForm);
    const done = await readApplied(db, batches.map((b) => b.id));
    const writer = new BatchWriter(db, batches.length === 1 ? batches[0].id : 'many', opts);
    const groupRows = opts.groupRows ?? DEFAULT_GROUP_ROWS;
    const count = (r: PartResult): void => {
      if (r.outcome === 'applied') result.applied++;
      else result.skipped++;
      result.rows += r.rows;
      result.rejected += r.rejected;
    };
    for (const parts of lanes) {
      result.parts += parts.length;
      let group: Part[] = [];
      let rows = 0;
      const flushGroup = async (): Promise<void> => {
        if (group.length) {
          const results = await writer.applyGroup(group);
          for (const [i, r] of results.entries()) {
            count(r);
            await opts.afterPart?.(group[i].id, r.outcome);
          }
        }
        group = [];
        rows = 0;
      };
      for (const p of parts) {
        if (done.has(p.id)) {
          count(SKIPPED);
          await opts.afterPart?.(p.id, 'skipped');
          continue;
        }
        if (rows + p.size > groupRows) await flushGroup();
        group.push(p);
        rows += p.size;
      }
      await flushGroup();
    }
  } catch (err) {
    conn.destroy();
    throw err;
  }
  conn.release();
  return result;
}

/**
 * Writes `batch` to MySQL. Safe to call again with the same batch after any failure, and
 * concurrently from several processes: every part, and every row, is applied exactly once.
 * Throws when MySQL is unreachable, times out, keeps deadlocking, or fails in a way that is
 * not about a row's data (schema, privileges); the caller should retry the same batch later.
 */
export async function applyBatch(pool: Pool, batch: FlushBatch, opts: ApplyOptions): Promise<ApplyResult> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  checkOptions(batch, chunkSize);
  const parts = buildParts(batch, chunkSize);
  const result: ApplyResult = { parts: parts.length, applied: 0, skipped: 0, rows: 0, rejected: 0 };
  if (parts.length === 0) return result;
  const conn = await pool.getConnection();
  try {
    await applyParts(conn, batch, parts, opts, result);
  } catch (err) {
    // The connection may be dead or mid-transaction: never hand it back to the pool.
    conn.destroy();
    throw err;
  }
  conn.release();
  return result;
}
