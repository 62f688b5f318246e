// Shared fixtures for the flush-writer tests: a seeded GazellePW database, a batch touching
// all seven tables with its hand-computed effect, and whole-table snapshots.

import type { Connection, RowDataPacket } from 'mysql2/promise';
import { insertTokens, insertTorrents, insertUsers, makeInfoHash, makePasskey, type MariaDbServer } from '@oncilla/testkit';
import type { FlushBatch, PeerRow } from '../src/index.js';

export const TABLES = {
  users_main: 'ID',
  torrents: 'ID',
  xbt_files_users: 'peer_id, fid, uid',
  xbt_snatched: 'uid, fid, tstamp, IP, ipv6',
  users_freeleeches: 'UserID, TorrentID',
  users_freetorrents: 'UserID, TorrentID, FreeTorrent',
  users_torrents: 'fid, uid',
} as const;
export type Table = keyof typeof TABLES;

export type Row = Record<string, string | null>;
export type Snapshot = Record<Table, Row[]>;

export const PAST = '2020-01-01 00:00:00';
export const LAST_ACTION = '2021-01-01 00:00:00';

/** A connection whose values come back exact: dates as text, BIGINTs as strings. */
export function connect(db: MariaDbServer): Promise<Connection> {
  return db.connect({ dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
}

export async function withConn<T>(db: MariaDbServer, fn: (c: Connection) => Promise<T>): Promise<T> {
  const c = await connect(db);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function query(c: Connection, sql: string, values: unknown[] = []): Promise<RowDataPacket[]> {
  const [rows] = await c.query<RowDataPacket[]>(sql, values);
  return rows;
}

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return String(v);
}

/** Every row of the seven tables, every column as text (binary as hex), in key order. */
export async function snapshot(db: MariaDbServer): Promise<Snapshot> {
  return withConn(db, async (c) => {
    const out = {} as Snapshot;
    for (const [table, order] of Object.entries(TABLES) as [Table, string][]) {
      const rows = await query(c, `SELECT * FROM ${table} ORDER BY ${order}`);
      out[table] = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, text(v)])));
    }
    return out;
  });
}

export async function serverNow(db: MariaDbServer): Promise<string> {
  return withConn(db, async (c) => String((await query(c, "SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s') AS n"))[0].n));
}

/** Replaces every datetime at or after `since` with 'NOW' (set by the flush, not by the seed). */
export function normalize(s: Snapshot, since: string): Snapshot {
  const out = {} as Snapshot;
  for (const table of Object.keys(s) as Table[]) {
    out[table] = s[table].map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v !== null && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(v) && v >= since ? 'NOW' : v])),
    );
  }
  return out;
}

export function pid(tag: string): Buffer {
  return Buffer.from(`-OC0100-${tag}`.padEnd(20, '.').slice(0, 20), 'latin1');
}

const FLUSH_TABLES = [...Object.keys(TABLES), 'oncilla_flush_log'];

/**
 * Empties every table and seeds: users 1-6 (user 6 has Uploaded 0), torrents 1-4, tokens
 * (1,1) and (2,2), peers A (1,1), B (2,1), C (3,2), a free-torrent row (1,1,'1') and a
 * users_torrents row (1,1). Timestamps are in the past, so anything the flush sets is recognisable.
 */
export async function resetAndSeed(db: MariaDbServer): Promise<void> {
  await withConn(db, async (c) => {
    for (const t of FLUSH_TABLES) await c.query(`TRUNCATE TABLE ${t}`);
    await insertUsers(c, [1, 2, 3, 4, 5, 6].map((id) => ({ id, passkey: makePasskey(id) })));
    await insertTorrents(c, [1, 2, 3, 4].map((id) => ({ id, infoHash: makeInfoHash(id), snatched: id * 10 })));
    await insertTokens(c, [
      { userId: 1, torrentId: 1 },
      { userId: 2, torrentId: 2 },
    ]);
    await c.query('UPDATE users_main SET Uploaded = IF(ID = 6, 0, ID * 1000), Downloaded = ID * 100, LastLogin = ?, LastAccess = ?', [PAST, PAST]);
    await c.query('UPDATE torrents SET `Time` = ?, last_action = ?, Seeders = 5, Leechers = 5, balance = 7', [PAST, LAST_ACTION]);
    await c.query('UPDATE users_freeleeches SET `Time` = ?, Downloaded = 3', [PAST]);
    await c.query(
      'INSERT INTO xbt_files_users (uid,fid,active,announced,completed,downloaded,remaining,uploaded,upspeed,downspeed,corrupt,timespent,useragent,connectable,peer_id,mtime,ip,ipv6) VALUES ' +
        "(1,1,1,5,0,100,200,300,10,20,0,60,'old/1.0',1,?,1000,'10.0.0.1','')," +
        "(2,1,1,6,0,110,0,310,11,21,0,61,'oldB/1.0',1,?,1001,'10.0.0.2','::2')," +
        "(3,2,1,7,0,120,0,320,12,22,0,62,'oldC/1.0',1,?,1002,'10.0.0.3','')",
      [pid('A'), pid('B'), pid('C')],
    );
    await c.query("INSERT INTO users_freetorrents (UserID, TorrentID, FreeTorrent, `Time`, Uploaded, Downloaded) VALUES (1, 1, '1', ?, 5, 6)", [PAST]);
    await c.query(
      'INSERT INTO users_torrents (uid, fid, seedtime, downloaded, uploaded, real_downloaded, real_uploaded, snatched, start_time, end_time) VALUES (1, 1, 100, 10, 20, 30, 40, 0, ?, ?)',
      [PAST, PAST],
    );
  });
}

export function peer(p: Partial<PeerRow> & Pick<PeerRow, 'kind' | 'uid' | 'tid' | 'peerId'>): PeerRow {
  return {
    active: 1,
    uploaded: 0,
    downloaded: 0,
    upspeed: 0,
    downspeed: 0,
    remaining: 0,
    corrupt: 0,
    timespent: 0,
    announced: 0,
    ip: '',
    ipv6: '',
    useragent: '',
    mtime: 0,
    ...p,
  };
}

export const LONG_UA = 'x'.repeat(40) + 'é'.repeat(20);

/** A batch touching all seven tables; its effect on resetAndSeed's data is expectedAfterBase. */
export function baseBatch(id: string): FlushBatch {
  return {
    id,
    users: [
      { uid: 2, uploaded: 0, downloaded: 7 },
      { uid: 1, uploaded: 100, downloaded: 50 },
    ],
    torrents: [
      { tid: 2, seeders: 0, leechers: 3, snatched: 0, balanceChange: -27 },
      { tid: 1, seeders: 2, leechers: 1, snatched: 1, balanceChange: 493 },
    ],
    peers: [
      peer({ kind: 'heavy', uid: 1, tid: 1, peerId: pid('A'), uploaded: 1000, downloaded: 2000, upspeed: 30, downspeed: 40, corrupt: 1, timespent: 120, announced: 6, ip: '10.0.0.9', ipv6: '2001:db8::9', useragent: 'new/2.0', mtime: 2000 }),
      peer({ kind: 'light', uid: 2, tid: 1, peerId: pid('B'), timespent: 121, announced: 7, mtime: 2001, ip: '10.9.9.9', ipv6: '::9', useragent: 'ignored' }),
      peer({ kind: 'deactivate', uid: 3, tid: 2, peerId: pid('C') }),
      peer({ kind: 'heavy', uid: 4, tid: 2, peerId: pid('D'), uploaded: 5, downloaded: 6, upspeed: 2 ** 33, remaining: 7, timespent: 8, announced: 1, ip: '123.123.123.123', ipv6: '2001:0db8:0000:0000:0000:ff00:0042:8329', useragent: LONG_UA, mtime: 2002 }),
      peer({ kind: 'light', uid: 5, tid: 3, peerId: pid('E'), announced: 1, mtime: 2003, ip: '10.0.0.5' }),
      peer({ kind: 'heavy', uid: 6, tid: 3, peerId: pid('F'), active: 0, ip: '1234567890123456789', mtime: 2004 }),
    ],
    snatches: [
      { uid: 5, tid: 3, time: 1_700_000_001, ip: '', ipv6: '2001:db8::5' },
      { uid: 4, tid: 2, time: 1_700_000_000, ip: '123.123.123.123', ipv6: '' },
    ],
    tokens: [
      { uid: 1, tid: 1, downloaded: 1000 },
      { uid: 2, tid: 2, downloaded: 20 },
      { uid: 3, tid: 1, downloaded: 5 }, // no such token: nothing to credit, nothing created
    ],
    freeTorrents: [
      { uid: 1, tid: 1, freeType: 1, uploaded: 10, downloaded: 20 },
      { uid: 2, tid: 3, freeType: 11, uploaded: 0, downloaded: 30 },
    ],
    userTorrents: [
      { uid: 1, tid: 1, seedtime: 60, downloaded: 1, uploaded: 2, realDownloaded: 3, realUploaded: 4, snatched: 0 },
      { uid: 4, tid: 2, seedtime: 0, downloaded: 5, uploaded: 6, realDownloaded: 7, realUploaded: 8, snatched: 1 },
    ],
  };
}

function edit(rows: Row[], match: (r: Row) => boolean, changes: Row): void {
  const row = rows.find(match);
  if (!row) throw new Error(`fixture: no row matches for ${JSON.stringify(changes)}`);
  Object.assign(row, changes);
}

function newPeer(p: Row): Row {
  return {
    uid: null, active: '1', announced: '0', completed: '0', downloaded: '0', remaining: '0', uploaded: '0', upspeed: '0',
    downspeed: '0', corrupt: '0', timespent: '0', useragent: '', connectable: '1', peer_id: null, fid: null, mtime: '0',
    ip: '', ipv6: '', ...p,
  };
}

const hexOf = (tag: string): string => pid(tag).toString('hex');

/** What baseBatch does to `before` (a normalized snapshot of resetAndSeed's data). Hand-computed. */
export function expectedAfterBase(before: Snapshot): Snapshot {
  const s = structuredClone(before);
  const id = (n: number) => (r: Row) => r.ID === String(n);
  edit(s.users_main, id(1), { Uploaded: '1100', Downloaded: '150' });
  edit(s.users_main, id(2), { Uploaded: '2000', Downloaded: '207' });
  edit(s.torrents, id(1), { Seeders: '2', Leechers: '1', Snatched: '11', balance: '500', last_action: 'NOW' });
  // No seeders: last_action is left alone.
  edit(s.torrents, id(2), { Seeders: '0', Leechers: '3', Snatched: '20', balance: '-20' });
  const byPeer = (tag: string) => (r: Row) => r.peer_id === hexOf(tag);
  // Heavy: everything refreshed, ip/ipv6/useragent included (unlike Ocelot).
  edit(s.xbt_files_users, byPeer('A'), {
    active: '1', announced: '6', downloaded: '2000', remaining: '0', uploaded: '1000', upspeed: '30', downspeed: '40',
    corrupt: '1', timespent: '120', useragent: 'new/2.0', mtime: '2000', ip: '10.0.0.9', ipv6: '2001:db8::9',
  });
  // Light: timing refreshed, speeds zeroed, addresses and user agent kept.
  edit(s.xbt_files_users, byPeer('B'), { upspeed: '0', downspeed: '0', timespent: '121', announced: '7', mtime: '2001' });
  edit(s.xbt_files_users, byPeer('C'), { active: '0' });
  s.xbt_files_users.push(
    newPeer({
      uid: '4', fid: '2', peer_id: hexOf('D'), uploaded: '5', downloaded: '6', upspeed: String(2 ** 32 - 1), remaining: '7',
      timespent: '8', announced: '1', ip: '123.123.123.123', ipv6: '2001:0db8:0000:0000:0000:ff00:0042:8329',
      useragent: LONG_UA.slice(0, 51), mtime: '2002',
    }),
    newPeer({ uid: '5', fid: '3', peer_id: hexOf('E'), announced: '1', mtime: '2003', ip: '10.0.0.5' }),
    newPeer({ uid: '6', fid: '3', peer_id: hexOf('F'), active: '0', ip: '123456789012345', mtime: '2004' }),
  );
  s.xbt_files_users.sort((a, b) => (String(a.peer_id) < String(b.peer_id) ? -1 : 1)); // binary order = hex order
  s.xbt_snatched.push(
    { uid: '4', tstamp: '1700000000', fid: '2', IP: '123.123.123.123', seedtime: '0', ipv6: '' },
    { uid: '5', tstamp: '1700000001', fid: '3', IP: '', seedtime: '0', ipv6: '2001:db8::5' },
  );
  edit(s.users_freeleeches, (r) => r.UserID === '1' && r.TorrentID === '1', { Downloaded: '1003' });
  edit(s.users_freeleeches, (r) => r.UserID === '2' && r.TorrentID === '2', { Downloaded: '23' });
  edit(s.users_freetorrents, (r) => r.UserID === '1' && r.TorrentID === '1', { Time: 'NOW', Uploaded: '15', Downloaded: '26' });
  s.users_freetorrents.push({ UserID: '2', TorrentID: '3', FreeTorrent: '11', Time: 'NOW', Uploaded: '0', Downloaded: '30' });
  edit(s.users_torrents, (r) => r.uid === '1' && r.fid === '1', {
    seedtime: '160', downloaded: '11', uploaded: '22', real_downloaded: '33', real_uploaded: '44', end_time: 'NOW',
  });
  s.users_torrents.push({
    uid: '4', fid: '2', seedtime: '0', downloaded: '5', uploaded: '6', real_downloaded: '7', real_uploaded: '8',
    snatched: '1', start_time: 'NOW', end_time: 'NOW',
  });
  // Key order, as snapshot() reads them (rows added by other fixtures sit in between).
  const num = (r: Row, k: string): number => Number(r[k]);
  s.xbt_snatched.sort((a, b) => num(a, 'uid') - num(b, 'uid') || num(a, 'fid') - num(b, 'fid') || num(a, 'tstamp') - num(b, 'tstamp'));
  s.users_freetorrents.sort((a, b) => num(a, 'UserID') - num(b, 'UserID') || num(a, 'TorrentID') - num(b, 'TorrentID'));
  s.users_torrents.sort((a, b) => num(a, 'fid') - num(b, 'fid') || num(a, 'uid') - num(b, 'uid'));
  return s;
}

/**
 * A bigger batch on the same seed (every row refers to users 1-6 and torrents 1-4): with
 * chunkSize 3 it makes about 25 parts across all seven tables.
 */
export function bigBatch(id: string): FlushBatch {
  const users = [1, 2, 3, 4, 5, 6].map((uid) => ({ uid, uploaded: uid * 11, downloaded: uid * 3 }));
  const torrents = [1, 2, 3, 4].map((tid) => ({ tid, seeders: tid % 2, leechers: tid, snatched: 1, balanceChange: tid * 100 }));
  const peers: PeerRow[] = [];
  const kinds = ['heavy', 'light', 'deactivate'] as const;
  for (let uid = 1; uid <= 6; uid++) {
    for (let tid = 1; tid <= 4; tid++) {
      const kind = kinds[(uid + tid) % 3];
      peers.push(peer({ kind, uid, tid, peerId: pid(`U${uid}T${tid}`), uploaded: uid * tid, timespent: tid, announced: uid, mtime: 3000 + uid, ip: `10.1.${uid}.${tid}`, ipv6: '', useragent: `ua ${uid}` }));
    }
  }
  peers.push(peer({ kind: 'deactivate', uid: 3, tid: 2, peerId: pid('C') }));
  const snatches = Array.from({ length: 7 }, (_, i) => ({ uid: (i % 6) + 1, tid: (i % 4) + 1, time: 1_700_000_000 + i, ip: `10.2.0.${i}`, ipv6: '' }));
  const tokens = [
    { uid: 1, tid: 1, downloaded: 9 },
    { uid: 2, tid: 2, downloaded: 8 },
    { uid: 3, tid: 3, downloaded: 7 },
    { uid: 4, tid: 4, downloaded: 6 },
  ];
  const freeTypes = [1, 2, 11, 12, 13] as const;
  const freeTorrents = freeTypes.map((freeType, i) => ({ uid: 1 + (i % 2), tid: 1, freeType, uploaded: i, downloaded: i * 2 }));
  const userTorrents = Array.from({ length: 8 }, (_, i) => ({
    uid: (i % 6) + 1, tid: (i % 4) + 1, seedtime: 60, downloaded: i, uploaded: i * 2, realDownloaded: i * 3, realUploaded: i * 4, snatched: i % 2,
  }));
  return { id, users, torrents, peers, snatches, tokens, freeTorrents, userTorrents };
}

export function rowCount(b: FlushBatch): number {
  return b.users.length + b.torrents.length + b.peers.length + b.snatches.length + b.tokens.length + b.freeTorrents.length + b.userTorrents.length;
}

export interface CapturedLog {
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  info: string[];
  warn: string[];
  error: string[];
}

export function captureLog(): CapturedLog {
  const c: CapturedLog = {
    info: [],
    warn: [],
    error: [],
    log: {
      info: (m) => void c.info.push(m),
      warn: (m) => void c.warn.push(m),
      error: (m) => void c.error.push(m),
    },
  };
  return c;
}
