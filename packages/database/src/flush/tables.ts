/**
 * How each kind of batch row is ordered, checked and written (the rows Ocelot writes,
 * with the strict-mode and junk-row fixes of compatibility F17, F18 and F31).
 */
import type { PeerRow } from '@oncilla/rows';
import type { Exec } from './exec.js';
import { bin, derivedRows, int, str, valueTuples } from './sql-literal.js';
import type { FlushTable, TableRows } from './types.js';
import { INT_MAX, UINT_MAX, allSafe, clampInt, cmp, firstProblem, fitChars, mergeBy } from './values.js';

export interface TableSpec<T extends FlushTable> {
  readonly table: T;
  /** The user the row refers to, when that user must exist for the row to be written. */
  readonly uid?: (r: TableRows[T]) => number;
  /** The torrent the row refers to, when that torrent must exist. */
  readonly tid?: (r: TableRows[T]) => number;
  /** Primary-key order (ties are broken on the whole row by the caller). */
  readonly compare: (a: TableRows[T], b: TableRows[T]) => number;
  /**
   * Optional: the row's key as `width` u32 words whose word-by-word order is exactly
   * `compare`'s. `write` returns false for a row it cannot encode (the whole table is then
   * sorted with `compare`).
   */
  readonly sortWords?: { width: number; write: (r: TableRows[T], out: Uint32Array, at: number) => boolean };
  /** Why the row cannot be written at all, before asking MySQL. */
  readonly invalid: (r: TableRows[T]) => string | undefined;
  /**
   * The table is only UPDATEd where its rows exist (joined on the user's or torrent's own row),
   * so a deleted user or torrent can never come back as a junk row through it. Its rows are
   * written without first looking their users and torrents up, and `write` tells whether every
   * row found its own: when one did not, the caller rolls back and screens the rows to set the
   * stray ones aside (nearly never: a user or torrent deleted while its rows were pending).
   */
  readonly updatesOnly?: boolean;
  /**
   * Writes the rows (already screened) inside the caller's transaction, in statements of at
   * most STATEMENT_ROWS rows. Returns false only for an updatesOnly table whose rows did not all
   * find their user's or torrent's row.
   */
  readonly write: (db: Exec, rows: readonly TableRows[T][]) => Promise<boolean>;
}

/**
 * Rows per statement. A transaction may hold many more (DEFAULT_GROUP_ROWS in flush-writer.ts):
 * the statement stays a few MB at most, under any server's max_allowed_packet.
 */
export const STATEMENT_ROWS = 5000;

/** Runs `write` on consecutive slices of at most STATEMENT_ROWS rows; returns what they return, summed. */
async function inStatements<R>(rows: readonly R[], write: (slice: readonly R[]) => Promise<number | void>): Promise<number> {
  let sum = 0;
  for (let at = 0; at < rows.length; at += STATEMENT_ROWS) {
    sum += (await write(rows.length <= STATEMENT_ROWS ? rows : rows.slice(at, at + STATEMENT_ROWS))) ?? 0;
  }
  return sum;
}

// Column widths from gazellepw-tables.md.
const IP_CHARS = 15;
const IPV6_CHARS = 45;
const USERAGENT_CHARS = 51;
const FREE_TYPES: ReadonlySet<number> = new Set([1, 2, 11, 12, 13]);

export const USERS: TableSpec<'users_main'> = {
  table: 'users_main',
  uid: (r) => r.uid,
  compare: (a, b) => cmp(a.uid, b.uid),
  invalid: (r) => (allSafe(r.uid, r.uploaded, r.downloaded) ? undefined : firstProblem({ uid: r.uid, uploaded: r.uploaded, downloaded: r.downloaded })),
  updatesOnly: true,
  async write(db, rows) {
    const merged = mergeBy(rows, (r) => r.uid, (a, b) => ({ uid: a.uid, uploaded: a.uploaded + b.uploaded, downloaded: a.downloaded + b.downloaded }));
    // (the pool's connections report rows matched, not changed, as affectedRows: FOUND_ROWS)
    const matched = await inStatements(merged, async (slice) => (await db.run(
      `UPDATE users_main AS u JOIN (${derivedRows(['ID', 'up', 'down'], slice.map((r) => [int(r.uid), int(r.uploaded), int(r.downloaded)]), db.rowsForm)}) AS v ON v.ID = u.ID ` +
        'SET u.Uploaded = u.Uploaded + v.up, u.Downloaded = u.Downloaded + v.down',
    )).affectedRows);
    return matched === merged.length;
  },
};

const SAFE = Number.MAX_SAFE_INTEGER;
const BIGINT_MIN = '-9223372036854775808';
const BIGINT_MAX = '9223372036854775807';


export const TORRENTS: TableSpec<'torrents'> = {
  table: 'torrents',
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.tid, b.tid),
  // Only what the row is for (the counts, hence last_action) can set it aside: a bad balance
  // change or snatch count is fitted instead, so one absurd value never freezes the torrent's row.
  invalid: (r) => {
    if (r.noCounts) return allSafe(r.tid) ? undefined : firstProblem({ tid: r.tid });
    if (!allSafe(r.tid, r.seeders, r.leechers)) return firstProblem({ tid: r.tid, seeders: r.seeders, leechers: r.leechers });
    return r.seeders < 0 || r.leechers < 0 ? `no counts for torrent ${r.tid}` : undefined;
  },
  updatesOnly: true,
  async write(db, rows) {
    // Seeders and Leechers are replaced (the later row with counts wins), Snatched and the
    // balance change add up.
    const merged = mergeBy(rows, (r) => r.tid, (a, b) => ({
      ...(b.noCounts && !a.noCounts ? { ...b, seeders: a.seeders, leechers: a.leechers, noCounts: false } : b),
      snatched: a.snatched + b.snatched,
      balanceChange: (a.balanceChange ?? 0) + (b.balanceChange ?? 0),
    }));
    const snatched = (n: number): number => (Number.isNaN(n) ? 0 : Math.trunc(clampInt(n, 0, UINT_MAX)));
    const change = (n: number | undefined): number => (n === undefined || Number.isNaN(n) ? 0 : Math.trunc(clampInt(n, -SAFE, SAFE)));
    // last_action tests v.s where the row has counts, not t.Seeders: the order in which a
    // multi-table UPDATE applies its assignments is not guaranteed, so no assignment may read a
    // column another one changes.
    const matched = await inStatements(merged, async (slice) => (await db.run(
      `UPDATE torrents AS t JOIN (${derivedRows(['ID', 'c', 's', 'l', 'sn', 'db'], slice.map((r) => [int(r.tid), r.noCounts ? '0' : '1', r.noCounts ? '0' : int(r.seeders), r.noCounts ? '0' : int(r.leechers), int(snatched(r.snatched)), int(change(r.balanceChange))]), db.rowsForm)}) AS v ON v.ID = t.ID ` +
        // (the sum in DECIMAL, kept within BIGINT: a balance near its end never makes the
        // statement fail)
        `SET t.Seeders = IF(v.c, v.s, t.Seeders), t.Leechers = IF(v.c, v.l, t.Leechers), t.Snatched = LEAST(t.Snatched + v.sn, ${UINT_MAX}), ` +
        `t.balance = GREATEST(${BIGINT_MIN}, LEAST(${BIGINT_MAX}, CAST(t.balance AS DECIMAL(21, 0)) + v.db)), ` +
        // (t.Seeders is read only where it is set to itself, so either order of the
        // assignments gives the same last_action)
        't.last_action = IF(IF(v.c, v.s, t.Seeders) > 0, NOW(), t.last_action)',
    )).affectedRows);
    return matched === merged.length;
  },
};

const PEER_KIND_ORDER = { heavy: 0, light: 1, deactivate: 2 } as const;

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n < 2 ** 32;

/** PEERS.compare as words: the peer_id's 20 bytes as five big-endian u32s, then tid, uid and kind. */
function peerSortWords(r: PeerRow, out: Uint32Array, at: number): boolean {
  if (!Buffer.isBuffer(r.peerId) || r.peerId.length !== 20 || !isU32(r.tid) || !isU32(r.uid) || !(r.kind in PEER_KIND_ORDER)) return false;
  for (let k = 0; k < 5; k++) out[at + k] = r.peerId.readUInt32BE(k * 4);
  out[at + 5] = r.tid;
  out[at + 6] = r.uid;
  out[at + 7] = PEER_KIND_ORDER[r.kind];
  return true;
}

function peerProblem(r: PeerRow): string | undefined {
  if (!(r.kind in PEER_KIND_ORDER)) return `invalid peer row kind ${String(r.kind)}`;
  // binary(20) would pad a shorter id with NULs (a different key) or refuse a longer one.
  if (!Buffer.isBuffer(r.peerId) || r.peerId.length !== 20) return `invalid peer_id (${Buffer.isBuffer(r.peerId) ? r.peerId.length : 'not'} bytes)`;
  if (r.kind === 'deactivate') return allSafe(r.uid, r.tid) ? undefined : firstProblem({ uid: r.uid, tid: r.tid });
  if (allSafe(r.uid, r.tid, r.uploaded, r.downloaded, r.upspeed, r.downspeed, r.remaining, r.corrupt, r.timespent, r.announced, r.mtime)) return undefined;
  return firstProblem({
    uid: r.uid,
    tid: r.tid,
    uploaded: r.uploaded,
    downloaded: r.downloaded,
    upspeed: r.upspeed,
    downspeed: r.downspeed,
    remaining: r.remaining,
    corrupt: r.corrupt,
    timespent: r.timespent,
    announced: r.announced,
    mtime: r.mtime,
  });
}

// One string per row, built in one go: these run for every peer row of every flush.
function heavyTuple(r: PeerRow): string {
  return `(${int(r.uid)},${int(r.tid)},${r.active ? 1 : 0},${int(r.uploaded)},${int(r.downloaded)},` +
    `${int(clampInt(r.upspeed, 0, UINT_MAX))},${int(clampInt(r.downspeed, 0, UINT_MAX))},${int(r.remaining)},${int(r.corrupt)},` +
    `${int(clampInt(r.timespent, 0, UINT_MAX))},${int(clampInt(r.announced, 0, INT_MAX))},${str(fitChars(r.ip, IP_CHARS))},` +
    `${str(fitChars(r.ipv6, IPV6_CHARS))},${bin(r.peerId)},${str(fitChars(r.useragent, USERAGENT_CHARS))},${int(clampInt(r.mtime, 0, INT_MAX))})`;
}

function lightTuple(r: PeerRow): string {
  return `(${int(r.uid)},${int(r.tid)},${int(clampInt(r.timespent, 0, UINT_MAX))},${int(clampInt(r.announced, 0, INT_MAX))},` +
    `${bin(r.peerId)},${int(clampInt(r.mtime, 0, INT_MAX))},${str(fitChars(r.ip, IP_CHARS))},${str(fitChars(r.ipv6, IPV6_CHARS))})`;
}

async function writeHeavy(db: Exec, rows: readonly PeerRow[]): Promise<void> {
  // Unlike Ocelot, ip, ipv6 and useragent are refreshed on duplicate (compatibility F18).
  await db.run(
    'INSERT INTO xbt_files_users (uid,fid,active,uploaded,downloaded,upspeed,downspeed,remaining,corrupt,timespent,announced,ip,ipv6,peer_id,useragent,mtime) ' +
      `VALUES ${rows.map(heavyTuple).join(',')} ` +
      'ON DUPLICATE KEY UPDATE active=VALUES(active), uploaded=VALUES(uploaded), downloaded=VALUES(downloaded), ' +
      'upspeed=VALUES(upspeed), downspeed=VALUES(downspeed), remaining=VALUES(remaining), corrupt=VALUES(corrupt), ' +
      'timespent=VALUES(timespent), announced=VALUES(announced), ip=VALUES(ip), ipv6=VALUES(ipv6), ' +
      'useragent=VALUES(useragent), mtime=VALUES(mtime)',
  );
}

async function writeLight(db: Exec, rows: readonly PeerRow[]): Promise<void> {
  // ip and ipv6 are given so that inserting a missing row works in strict mode (ipv6 has no
  // default); an existing row keeps its addresses, as in Ocelot.
  await db.run(
    'INSERT INTO xbt_files_users (uid,fid,timespent,announced,peer_id,mtime,ip,ipv6) ' +
      `VALUES ${rows.map(lightTuple).join(',')} ` +
      'ON DUPLICATE KEY UPDATE upspeed=0, downspeed=0, timespent=VALUES(timespent), announced=VALUES(announced), mtime=VALUES(mtime)',
  );
}

async function writeDeactivate(db: Exec, rows: readonly PeerRow[]): Promise<void> {
  // A JOIN rather than `(peer_id, fid, uid) IN ((?,?,?), ...)`: on MariaDB 10.11 the IN form
  // took ~1.7 s per 1000 rows on a 100k-row table, the join (eq_ref on PRIMARY) ~25 ms.
  await db.run(
    `UPDATE xbt_files_users AS x JOIN (${derivedRows(['p', 'f', 'u'], rows.map((r) => [bin(r.peerId), int(r.tid), int(r.uid)]), db.rowsForm)}) AS v ` +
      'ON x.peer_id = v.p AND x.fid = v.f AND x.uid = v.u SET x.active = 0',
  );
}

export const PEERS: TableSpec<'xbt_files_users'> = {
  table: 'xbt_files_users',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.peerId, b.peerId) || cmp(a.tid, b.tid) || cmp(a.uid, b.uid) || PEER_KIND_ORDER[a.kind] - PEER_KIND_ORDER[b.kind],
  sortWords: { width: 8, write: peerSortWords },
  invalid: peerProblem,
  async write(db, rows) {
    const heavy = rows.filter((r) => r.kind === 'heavy');
    const light = rows.filter((r) => r.kind === 'light');
    const deactivate = rows.filter((r) => r.kind === 'deactivate');
    await inStatements(heavy, (slice) => writeHeavy(db, slice));
    await inStatements(light, (slice) => writeLight(db, slice));
    await inStatements(deactivate, (slice) => writeDeactivate(db, slice));
    return true;
  },
};

export const SNATCHES: TableSpec<'xbt_snatched'> = {
  table: 'xbt_snatched',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.uid, b.uid) || cmp(a.tid, b.tid) || cmp(a.time, b.time),
  invalid: (r) => (allSafe(r.uid, r.tid, r.time) ? undefined : firstProblem({ uid: r.uid, tid: r.tid, time: r.time })),
  async write(db, rows) {
    await inStatements(rows, async (slice) => void (await db.run(
      `INSERT INTO xbt_snatched (uid, fid, tstamp, IP, ipv6) VALUES ${valueTuples(
        slice.map((r) => [int(r.uid), int(r.tid), int(clampInt(r.time, 0, INT_MAX)), str(fitChars(r.ip, IP_CHARS)), str(fitChars(r.ipv6, IPV6_CHARS))]),
      )}`,
    )));
    return true;
  },
};

export const TOKENS: TableSpec<'users_freeleeches'> = {
  table: 'users_freeleeches',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.uid, b.uid) || cmp(a.tid, b.tid),
  invalid: (r) => (allSafe(r.uid, r.tid, r.downloaded) ? undefined : firstProblem({ uid: r.uid, tid: r.tid, downloaded: r.downloaded })),
  async write(db, rows) {
    // An UPDATE: the token row is the site's (it sets Time, which has no default); a token the
    // site deleted meanwhile is simply not credited.
    const merged = mergeBy(rows, (r) => `${r.uid}:${r.tid}`, (a, b) => ({ ...a, downloaded: a.downloaded + b.downloaded }));
    await inStatements(merged, async (slice) => void (await db.run(
      `UPDATE users_freeleeches AS f JOIN (${derivedRows(['UserID', 'TorrentID', 'd'], slice.map((r) => [int(r.uid), int(r.tid), int(r.downloaded)]), db.rowsForm)}) AS v ` +
        'ON v.UserID = f.UserID AND v.TorrentID = f.TorrentID SET f.Downloaded = f.Downloaded + v.d',
    )));
    return true;
  },
};

export const FREE_TORRENTS: TableSpec<'users_freetorrents'> = {
  table: 'users_freetorrents',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.uid, b.uid) || cmp(a.tid, b.tid) || cmp(a.freeType, b.freeType),
  // Non-strict MySQL would store an unknown enum value as '' (a junk key), so check it here.
  invalid: (r) => (FREE_TYPES.has(r.freeType) ? firstProblem({ uid: r.uid, tid: r.tid, uploaded: r.uploaded, downloaded: r.downloaded }) : `invalid FreeTorrent ${String(r.freeType)}`),
  async write(db, rows) {
    // FreeTorrent is an ENUM: bound as its text ('11'), since a number would mean the 11th member.
    await inStatements(rows, async (slice) => void (await db.run(
      'INSERT INTO users_freetorrents (UserID, TorrentID, FreeTorrent, Time, Uploaded, Downloaded) ' +
        `VALUES ${valueTuples(slice.map((r) => [int(r.uid), int(r.tid), str(String(r.freeType)), 'NOW()', int(r.uploaded), int(r.downloaded)]))} ` +
        'ON DUPLICATE KEY UPDATE Uploaded = Uploaded + VALUES(Uploaded), Downloaded = Downloaded + VALUES(Downloaded), Time = VALUES(Time)',
    )));
    return true;
  },
};

export const USER_TORRENTS: TableSpec<'users_torrents'> = {
  table: 'users_torrents',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.tid, b.tid) || cmp(a.uid, b.uid),
  invalid: (r) =>
    allSafe(r.uid, r.tid, r.seedtime, r.downloaded, r.uploaded, r.realDownloaded, r.realUploaded, r.snatched)
      ? undefined
      : firstProblem({
      uid: r.uid,
      tid: r.tid,
      seedtime: r.seedtime,
      downloaded: r.downloaded,
      uploaded: r.uploaded,
      realDownloaded: r.realDownloaded,
      realUploaded: r.realUploaded,
      snatched: r.snatched,
    }),
  async write(db, rows) {
    await inStatements(rows, async (slice) => void (await db.run(
      'INSERT INTO users_torrents (uid, fid, seedtime, downloaded, uploaded, real_downloaded, real_uploaded, snatched, end_time) ' +
        `VALUES ${slice.map((r) => `(${int(r.uid)},${int(r.tid)},${int(r.seedtime)},${int(r.downloaded)},${int(r.uploaded)},${int(r.realDownloaded)},${int(r.realUploaded)},${int(r.snatched)},NOW())`).join(',')} ` +
        'ON DUPLICATE KEY UPDATE seedtime = seedtime + VALUES(seedtime), downloaded = downloaded + VALUES(downloaded), ' +
        'uploaded = uploaded + VALUES(uploaded), real_downloaded = real_downloaded + VALUES(real_downloaded), ' +
        'real_uploaded = real_uploaded + VALUES(real_uploaded), snatched = snatched + VALUES(snatched), end_time = NOW()',
    )));
    return true;
  },
};
