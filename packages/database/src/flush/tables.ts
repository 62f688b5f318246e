/**
 * How each kind of batch row is ordered, checked and written (ocelot-behaviour §10.3-§10.4,
 * with the strict-mode and junk-row fixes of §14 items 17, 18 and 31).
 */
import type { PeerRow } from '../rows.js';
import { literalRows, tuples, type Exec } from './exec.js';
import type { FlushTable, TableRows } from './types.js';
import { INT_MAX, UINT_MAX, clampInt, cmp, firstProblem, fitChars, mergeBy } from './values.js';

export interface TableSpec<T extends FlushTable> {
  readonly table: T;
  /** The user the row refers to, when that user must exist for the row to be written. */
  readonly uid?: (r: TableRows[T]) => number;
  /** The torrent the row refers to, when that torrent must exist. */
  readonly tid?: (r: TableRows[T]) => number;
  /** Primary-key order (ties are broken on the whole row by the caller). */
  readonly compare: (a: TableRows[T], b: TableRows[T]) => number;
  /** Why the row cannot be written at all, before asking MySQL. */
  readonly invalid: (r: TableRows[T]) => string | undefined;
  /** Writes the rows (already screened) inside the caller's transaction. */
  readonly write: (db: Exec, rows: readonly TableRows[T][]) => Promise<void>;
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
  invalid: (r) => firstProblem({ uid: r.uid, uploaded: r.uploaded, downloaded: r.downloaded }),
  async write(db, rows) {
    const merged = mergeBy(rows, (r) => r.uid, (a, b) => ({ uid: a.uid, uploaded: a.uploaded + b.uploaded, downloaded: a.downloaded + b.downloaded }));
    await db.run(
      `UPDATE users_main AS u JOIN (${literalRows(['ID', 'up', 'down'], merged.length)}) AS v ON v.ID = u.ID ` +
        'SET u.Uploaded = u.Uploaded + v.up, u.Downloaded = u.Downloaded + v.down',
      merged.flatMap((r) => [r.uid, r.uploaded, r.downloaded]),
    );
  },
};

export const TORRENTS: TableSpec<'torrents'> = {
  table: 'torrents',
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.tid, b.tid),
  invalid: (r) => firstProblem({ tid: r.tid, seeders: r.seeders, leechers: r.leechers, snatched: r.snatched, balance: r.balance }),
  async write(db, rows) {
    // Seeders, Leechers and balance are replaced (the later row wins), Snatched adds up.
    const merged = mergeBy(rows, (r) => r.tid, (a, b) => ({ ...b, snatched: a.snatched + b.snatched }));
    // last_action tests v.s, not t.Seeders: the order in which a multi-table UPDATE applies its
    // assignments is not guaranteed, so no assignment may read a column another one sets.
    await db.run(
      `UPDATE torrents AS t JOIN (${literalRows(['ID', 's', 'l', 'sn', 'b'], merged.length)}) AS v ON v.ID = t.ID ` +
        'SET t.Seeders = v.s, t.Leechers = v.l, t.Snatched = t.Snatched + v.sn, t.balance = v.b, ' +
        't.last_action = IF(v.s > 0, NOW(), t.last_action)',
      merged.flatMap((r) => [r.tid, r.seeders, r.leechers, r.snatched, r.balance]),
    );
  },
};

const PEER_KIND_ORDER = { heavy: 0, light: 1, deactivate: 2 } as const;

function peerProblem(r: PeerRow): string | undefined {
  if (!(r.kind in PEER_KIND_ORDER)) return `invalid peer row kind ${String(r.kind)}`;
  // binary(20) would pad a shorter id with NULs (a different key) or refuse a longer one.
  if (!Buffer.isBuffer(r.peerId) || r.peerId.length !== 20) return `invalid peer_id (${Buffer.isBuffer(r.peerId) ? r.peerId.length : 'not'} bytes)`;
  const ids = firstProblem({ uid: r.uid, tid: r.tid });
  if (ids || r.kind === 'deactivate') return ids;
  return firstProblem({
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

function heavyValues(r: PeerRow): (number | string | Buffer)[] {
  return [
    r.uid,
    r.tid,
    r.active ? 1 : 0,
    r.uploaded,
    r.downloaded,
    clampInt(r.upspeed, 0, UINT_MAX),
    clampInt(r.downspeed, 0, UINT_MAX),
    r.remaining,
    r.corrupt,
    clampInt(r.timespent, 0, UINT_MAX),
    clampInt(r.announced, 0, INT_MAX),
    fitChars(r.ip, IP_CHARS),
    fitChars(r.ipv6, IPV6_CHARS),
    r.peerId,
    fitChars(r.useragent, USERAGENT_CHARS),
    clampInt(r.mtime, 0, INT_MAX),
  ];
}

function lightValues(r: PeerRow): (number | string | Buffer)[] {
  return [
    r.uid,
    r.tid,
    clampInt(r.timespent, 0, UINT_MAX),
    clampInt(r.announced, 0, INT_MAX),
    r.peerId,
    clampInt(r.mtime, 0, INT_MAX),
    fitChars(r.ip, IP_CHARS),
    fitChars(r.ipv6, IPV6_CHARS),
  ];
}

async function writeHeavy(db: Exec, rows: readonly PeerRow[]): Promise<void> {
  // Unlike Ocelot, ip, ipv6 and useragent are refreshed on duplicate (§14 item 18).
  await db.run(
    'INSERT INTO xbt_files_users (uid,fid,active,uploaded,downloaded,upspeed,downspeed,remaining,corrupt,timespent,announced,ip,ipv6,peer_id,useragent,mtime) ' +
      `VALUES ${tuples('(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)', rows.length)} ` +
      'ON DUPLICATE KEY UPDATE active=VALUES(active), uploaded=VALUES(uploaded), downloaded=VALUES(downloaded), ' +
      'upspeed=VALUES(upspeed), downspeed=VALUES(downspeed), remaining=VALUES(remaining), corrupt=VALUES(corrupt), ' +
      'timespent=VALUES(timespent), announced=VALUES(announced), ip=VALUES(ip), ipv6=VALUES(ipv6), ' +
      'useragent=VALUES(useragent), mtime=VALUES(mtime)',
    rows.flatMap(heavyValues),
  );
}

async function writeLight(db: Exec, rows: readonly PeerRow[]): Promise<void> {
  // ip and ipv6 are given so that inserting a missing row works in strict mode (ipv6 has no
  // default); an existing row keeps its addresses, as in Ocelot.
  await db.run(
    'INSERT INTO xbt_files_users (uid,fid,timespent,announced,peer_id,mtime,ip,ipv6) ' +
      `VALUES ${tuples('(?,?,?,?,?,?,?,?)', rows.length)} ` +
      'ON DUPLICATE KEY UPDATE upspeed=0, downspeed=0, timespent=VALUES(timespent), announced=VALUES(announced), mtime=VALUES(mtime)',
    rows.flatMap(lightValues),
  );
}

async function writeDeactivate(db: Exec, rows: readonly PeerRow[]): Promise<void> {
  // A JOIN rather than `(peer_id, fid, uid) IN ((?,?,?), ...)`: on MariaDB 10.11 the IN form
  // took ~1.7 s per 1000 rows on a 100k-row table, the join (eq_ref on PRIMARY) ~25 ms.
  await db.run(
    `UPDATE xbt_files_users AS x JOIN (${literalRows(['p', 'f', 'u'], rows.length)}) AS v ` +
      'ON x.peer_id = v.p AND x.fid = v.f AND x.uid = v.u SET x.active = 0',
    rows.flatMap((r) => [r.peerId, r.tid, r.uid]),
  );
}

export const PEERS: TableSpec<'xbt_files_users'> = {
  table: 'xbt_files_users',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.peerId, b.peerId) || cmp(a.tid, b.tid) || cmp(a.uid, b.uid) || PEER_KIND_ORDER[a.kind] - PEER_KIND_ORDER[b.kind],
  invalid: peerProblem,
  async write(db, rows) {
    const heavy = rows.filter((r) => r.kind === 'heavy');
    const light = rows.filter((r) => r.kind === 'light');
    const deactivate = rows.filter((r) => r.kind === 'deactivate');
    if (heavy.length) await writeHeavy(db, heavy);
    if (light.length) await writeLight(db, light);
    if (deactivate.length) await writeDeactivate(db, deactivate);
  },
};

export const SNATCHES: TableSpec<'xbt_snatched'> = {
  table: 'xbt_snatched',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.uid, b.uid) || cmp(a.tid, b.tid) || cmp(a.time, b.time),
  invalid: (r) => firstProblem({ uid: r.uid, tid: r.tid, time: r.time }),
  async write(db, rows) {
    await db.run(
      `INSERT INTO xbt_snatched (uid, fid, tstamp, IP, ipv6) VALUES ${tuples('(?,?,?,?,?)', rows.length)}`,
      rows.flatMap((r) => [r.uid, r.tid, clampInt(r.time, 0, INT_MAX), fitChars(r.ip, IP_CHARS), fitChars(r.ipv6, IPV6_CHARS)]),
    );
  },
};

export const TOKENS: TableSpec<'users_freeleeches'> = {
  table: 'users_freeleeches',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.uid, b.uid) || cmp(a.tid, b.tid),
  invalid: (r) => firstProblem({ uid: r.uid, tid: r.tid, downloaded: r.downloaded }),
  async write(db, rows) {
    // An UPDATE: the token row is the site's (it sets Time, which has no default); a token the
    // site deleted meanwhile is simply not credited.
    const merged = mergeBy(rows, (r) => `${r.uid}:${r.tid}`, (a, b) => ({ ...a, downloaded: a.downloaded + b.downloaded }));
    await db.run(
      `UPDATE users_freeleeches AS f JOIN (${literalRows(['UserID', 'TorrentID', 'd'], merged.length)}) AS v ` +
        'ON v.UserID = f.UserID AND v.TorrentID = f.TorrentID SET f.Downloaded = f.Downloaded + v.d',
      merged.flatMap((r) => [r.uid, r.tid, r.downloaded]),
    );
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
    await db.run(
      'INSERT INTO users_freetorrents (UserID, TorrentID, FreeTorrent, Time, Uploaded, Downloaded) ' +
        `VALUES ${tuples('(?,?,?,NOW(),?,?)', rows.length)} ` +
        'ON DUPLICATE KEY UPDATE Uploaded = Uploaded + VALUES(Uploaded), Downloaded = Downloaded + VALUES(Downloaded), Time = VALUES(Time)',
      rows.flatMap((r) => [r.uid, r.tid, String(r.freeType), r.uploaded, r.downloaded]),
    );
  },
};

export const USER_TORRENTS: TableSpec<'users_torrents'> = {
  table: 'users_torrents',
  uid: (r) => r.uid,
  tid: (r) => r.tid,
  compare: (a, b) => cmp(a.tid, b.tid) || cmp(a.uid, b.uid),
  invalid: (r) =>
    firstProblem({
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
    await db.run(
      'INSERT INTO users_torrents (uid, fid, seedtime, downloaded, uploaded, real_downloaded, real_uploaded, snatched, end_time) ' +
        `VALUES ${tuples('(?,?,?,?,?,?,?,?,NOW())', rows.length)} ` +
        'ON DUPLICATE KEY UPDATE seedtime = seedtime + VALUES(seedtime), downloaded = downloaded + VALUES(downloaded), ' +
        'uploaded = uploaded + VALUES(uploaded), real_downloaded = real_downloaded + VALUES(real_downloaded), ' +
        'real_uploaded = real_uploaded + VALUES(real_uploaded), snatched = snatched + VALUES(snatched), end_time = NOW()',
      rows.flatMap((r) => [r.uid, r.tid, r.seedtime, r.downloaded, r.uploaded, r.realDownloaded, r.realUploaded, r.snatched]),
    );
  },
};
