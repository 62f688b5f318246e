import type { Pool, ResultSetHeader } from 'mysql2/promise';
import { isDuplicateKey } from './errors.js';
import type { Exec } from './exec.js';

/**
 * oncilla_flush_log: one row per part (and per set-aside row) of a flush batch that has been
 * committed. Inserting the part id is the first statement of the part's transaction, so the
 * row and the part's writes commit together or not at all: a retried or concurrently applied
 * batch finds the id and skips the part. A duplicate-key error on that insert is the fence
 * when the flush lease moves between hosts.
 *
 * ascii_bin: ids are compared byte for byte. The applied_at key keeps pruning from scanning
 * (and, under REPEATABLE READ, locking) the whole table.
 */
const CREATE = `CREATE TABLE IF NOT EXISTS oncilla_flush_log (
  part VARCHAR(120) NOT NULL PRIMARY KEY,
  batch VARCHAR(64) NOT NULL,
  applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY batch (batch),
  KEY applied_at (applied_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin`;

export const MAX_BATCH_ID = 64;
export const MAX_PART_ID = 120;
const PRUNE_CHUNK = 10_000;

export async function ensureFlushLog(pool: Pool): Promise<void> {
  await pool.query(CREATE);
}

/**
 * Deletes log rows older than `olderThanSeconds` (in chunks, so no long lock), returns how
 * many. Only safe for batches that can no longer be retried: keep days, not minutes.
 */
export async function pruneFlushLog(pool: Pool, olderThanSeconds: number, timeoutMs = 60_000): Promise<number> {
  if (!Number.isInteger(olderThanSeconds) || olderThanSeconds < 0) throw new RangeError(`olderThanSeconds must be a non-negative integer, got ${olderThanSeconds}`);
  let total = 0;
  for (;;) {
    // Each DELETE is bounded like the flush's own statements: the prune runs inside a flush
    // tick, and a MySQL that stops answering must fail it, not hold the next cut back.
    const [res] = await pool.query<ResultSetHeader>({
      sql: 'DELETE FROM oncilla_flush_log WHERE applied_at < NOW() - INTERVAL ? SECOND LIMIT ?',
      values: [olderThanSeconds, PRUNE_CHUNK],
      timeout: timeoutMs,
    });
    total += res.affectedRows;
    if (res.affectedRows < PRUNE_CHUNK) return total;
  }
}

/** Every id already recorded for these batches (parts, split markers and set-aside rows). */
export async function readApplied(db: Exec, batches: readonly string[]): Promise<Set<string>> {
  if (batches.length === 0) return new Set();
  const rows = await db.select('SELECT part FROM oncilla_flush_log WHERE batch IN (?)', [batches]);
  return new Set(rows.map((r) => String(r.part)));
}

/**
 * Inserts every id of a group inside the current transaction, in one statement. False when
 * one of them is already there (the caller then rolls back and goes part by part).
 */
export async function claimAll(db: Exec, ids: readonly string[], batch: string): Promise<boolean> {
  try {
    await db.run('INSERT INTO oncilla_flush_log (part, batch) VALUES ?', [ids.map((id) => [id, batchOf(id, batch)])]);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** The ids among `ids` that are recorded, as a locking read (see isRecorded). */
export async function recordedAmong(db: Exec, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.select('SELECT part FROM oncilla_flush_log WHERE part IN (?) LOCK IN SHARE MODE', [ids]);
  return new Set(rows.map((r) => String(r.part)));
}

/**
 * Inserts `id` inside the current transaction. False when it is already there: another
 * flusher committed it (if that one is still in flight, InnoDB makes this insert wait for
 * its outcome first, so the answer is final).
 */
export async function claim(db: Exec, id: string, batch: string): Promise<boolean> {
  try {
    await db.run('INSERT INTO oncilla_flush_log (part, batch) VALUES (?, ?)', [id, batchOf(id, batch)]);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Like claim, but an id that is already there is fine (markers that any flusher may set). */
export async function mark(db: Exec, id: string, batch: string): Promise<void> {
  await db.run('INSERT IGNORE INTO oncilla_flush_log (part, batch) VALUES (?, ?)', [id, batchOf(id, batch)]);
}

/**
 * Whether `id` is recorded, as a locking read: it waits for a transaction that inserted the
 * id and has not committed yet, and keeps others from inserting it until we finish.
 */
export async function isRecorded(db: Exec, id: string): Promise<boolean> {
  const rows = await db.select('SELECT part FROM oncilla_flush_log WHERE part = ? LOCK IN SHARE MODE', [id]);
  return rows.length > 0;
}

/**
 * The batch a part id belongs to: the text before its first ':' (part ids are
 * `${batch}:${table}:${n}[#...]` and batch ids never hold a ':'); `fallback` otherwise.
 */
function batchOf(id: string, fallback: string): string {
  const at = id.indexOf(':');
  return at > 0 ? id.slice(0, at) : fallback;
}
