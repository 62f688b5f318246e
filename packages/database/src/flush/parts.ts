/**
 * A batch is cut into parts: each table's rows in primary-key order, in chunks of at most
 * `chunkSize`. The cut depends only on the batch's contents, so every flusher that applies
 * the same batch (a retry, or another host after the lease moved) derives the same part ids
 * and the same row positions inside each part.
 */
import type { FlushBatch } from '@oncilla/rows';
import type { Exec } from './exec.js';
import { FREE_TORRENTS, PEERS, SNATCHES, TOKENS, TORRENTS, USERS, USER_TORRENTS, type TableSpec } from './tables.js';
import type { FlushTable, RejectedRow, TableRows } from './types.js';
import { intList } from './sql-literal.js';
import { canonical } from './values.js';

/** One part's rows, with everything needed to check, write or set aside any subset of them. */
export interface Part {
  /** `${batch}:${table}:${index}`. */
  readonly id: string;
  readonly table: FlushTable;
  readonly size: number;
  readonly spec: TableSpec<FlushTable>;
  readonly rows: readonly unknown[];
  /** The user row i needs to exist (undefined: not checked for this table). */
  userOf(i: number): number | undefined;
  /** The torrent row i needs to exist (undefined: not checked for this table). */
  torrentOf(i: number): number | undefined;
  /** Why row i cannot be written whatever MySQL holds. */
  invalid(i: number): string | undefined;
  /** Writes rows `indexes` inside the caller's transaction (false: see TableSpec.write). */
  write(db: Exec, indexes: readonly number[]): Promise<boolean>;
  rejected(i: number, reason: string): RejectedRow;
}

function sortRows<T extends FlushTable>(spec: TableSpec<T>, rows: readonly TableRows[T][]): TableRows[T][] {
  // Where the table has a numeric key, it is computed once per row: comparing integers is far
  // cheaper than comparing peer-id Buffers at each of the n log n steps.
  const sw = spec.sortWords;
  if (sw) {
    const w = sw.width;
    const words = new Uint32Array(rows.length * w);
    let ok = true;
    for (let i = 0; ok && i < rows.length; i++) ok = sw.write(rows[i], words, i * w);
    if (ok) {
      const order = Array.from({ length: rows.length }, (_, i) => i);
      order.sort((a, b) => {
        for (let k = 0, oa = a * w, ob = b * w; k < w; k++) {
          const d = words[oa + k] - words[ob + k];
          if (d !== 0) return d;
        }
        return byText(rows[a], rows[b]);
      });
      return order.map((i) => rows[i]);
    }
  }
  // The canonical text is only computed for key ties (which coalescing makes rare).
  return [...rows].sort((a, b) => spec.compare(a, b) || byText(a, b));
}

function byText(a: object, b: object): number {
  const ta = canonical(a);
  const tb = canonical(b);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

function makePart<T extends FlushTable>(id: string, spec: TableSpec<T>, rows: readonly TableRows[T][], partOf: (i: number) => string = () => id): Part {
  return {
    id,
    table: spec.table,
    size: rows.length,
    spec: spec as unknown as TableSpec<FlushTable>,
    rows,
    userOf: (i) => spec.uid?.(rows[i]),
    torrentOf: (i) => spec.tid?.(rows[i]),
    invalid: (i) => spec.invalid(rows[i]),
    write: (db, indexes) => spec.write(db, indexes.map((i) => rows[i])),
    // The assertion only restores what TypeScript cannot correlate: `row` is a TableRows[T]
    // and `table` is T, which is exactly one member of the RejectedRow union.
    rejected: (i, reason) => ({ table: spec.table, part: partOf(i), row: rows[i], reason }) as RejectedRow,
  };
}

/**
 * Several parts of one table as one: written in one statement and one transaction (the parts
 * of many shards' batches at once), each row still set aside under its own part's id.
 */
export function joinParts(label: string, parts: readonly Part[]): Part {
  const rows: unknown[] = [];
  const owner: string[] = [];
  for (const p of parts) {
    for (const r of p.rows) {
      rows.push(r);
      owner.push(p.id);
    }
  }
  return makePart(label, parts[0].spec, rows as TableRows[FlushTable][], (i) => owner[i]);
}

function partsOf<T extends FlushTable>(batchId: string, spec: TableSpec<T>, rows: readonly TableRows[T][], chunkSize: number): Part[] {
  const sorted = sortRows(spec, rows);
  const parts: Part[] = [];
  for (let start = 0, index = 0; start < sorted.length; start += chunkSize, index++) {
    parts.push(makePart(`${batchId}:${spec.table}:${index}`, spec, sorted.slice(start, start + chunkSize)));
  }
  return parts;
}

/** The batch's parts, in table order: users, torrents, peers, snatches, tokens, free torrents, user-torrents. */
export function buildParts(batch: FlushBatch, chunkSize: number): Part[] {
  return [
    ...partsOf(batch.id, USERS, batch.users, chunkSize),
    ...partsOf(batch.id, TORRENTS, batch.torrents, chunkSize),
    ...partsOf(batch.id, PEERS, batch.peers, chunkSize),
    ...partsOf(batch.id, SNATCHES, batch.snatches, chunkSize),
    ...partsOf(batch.id, TOKENS, batch.tokens, chunkSize),
    ...partsOf(batch.id, FREE_TORRENTS, batch.freeTorrents, chunkSize),
    ...partsOf(batch.id, USER_TORRENTS, batch.userTorrents, chunkSize),
  ];
}

export interface Screened {
  /** Rows to write. */
  keep: number[];
  /** Rows set aside: invalid, or referring to a user or torrent that does not exist. */
  rejects: RejectedRow[];
}

async function existing(db: Exec, table: 'users_main' | 'torrents', ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const unique = new Set(ids);
  const list = intList(unique);
  // A locking read: the site cannot delete these rows until our transaction ends, so nothing
  // we insert in it can end up pointing at a deleted user or torrent. Counting them is enough
  // when all exist (nearly always), and saves turning a thousand ids into row objects.
  const [counted] = await db.select(`SELECT COUNT(*) AS n FROM ${table} WHERE ID IN (${list}) LOCK IN SHARE MODE`);
  if (Number(counted?.n) === unique.size) return unique;
  const rows = await db.select(`SELECT ID FROM ${table} WHERE ID IN (${list}) LOCK IN SHARE MODE`);
  return new Set(rows.map((r) => Number(r.ID)));
}

/**
 * How rows are screened: `full` looks every row's user and torrent up; `trusting` skips that
 * for an updatesOnly table (TableSpec), whose write then tells whether a lookup was needed.
 */
export type ScreenMode = 'full' | 'trusting';

/**
 * Splits rows `indexes` of a part into those to write and those to set aside. Runs inside the
 * part's transaction so the answer holds until it commits.
 */
export async function screen(db: Exec, part: Part, indexes: readonly number[], mode: ScreenMode = 'full'): Promise<Screened> {
  return (await screenTogether(db, [{ part, indexes }], mode))[0];
}

/**
 * screen() for several parts (of several tables) written in one transaction: each user and
 * torrent is looked up once for all of them, however many of their rows name it.
 */
export async function screenTogether(db: Exec, parts: readonly { part: Part; indexes: readonly number[] }[], mode: ScreenMode): Promise<Screened[]> {
  const out: Screened[] = [];
  const userIds: number[] = [];
  const torrentIds: number[] = [];
  for (const { part, indexes } of parts) {
    const rejects: RejectedRow[] = [];
    const keep: number[] = [];
    for (const i of indexes) {
      const reason = part.invalid(i);
      if (reason) rejects.push(part.rejected(i, reason));
      else keep.push(i);
    }
    out.push({ keep, rejects });
    if (mode === 'trusting' && part.spec.updatesOnly) continue;
    for (const i of keep) {
      const uid = part.userOf(i);
      const tid = part.torrentOf(i);
      if (uid !== undefined) userIds.push(uid);
      if (tid !== undefined) torrentIds.push(tid);
    }
  }
  if (userIds.length === 0 && torrentIds.length === 0) return out;
  const users = await existing(db, 'users_main', userIds);
  const torrents = await existing(db, 'torrents', torrentIds);
  for (const [n, { part }] of parts.entries()) {
    if (mode === 'trusting' && part.spec.updatesOnly) continue;
    const s = out[n];
    const keep: number[] = [];
    for (const i of s.keep) {
      const uid = part.userOf(i);
      const tid = part.torrentOf(i);
      if (uid !== undefined && !users.has(uid)) s.rejects.push(part.rejected(i, `unknown user ${uid}`));
      else if (tid !== undefined && !torrents.has(tid)) s.rejects.push(part.rejected(i, `unknown torrent ${tid}`));
      else keep.push(i);
    }
    s.keep = keep;
  }
  return out;
}

export function allIndexes(part: Part): number[] {
  return Array.from({ length: part.size }, (_, i) => i);
}
