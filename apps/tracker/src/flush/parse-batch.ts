/**
 * Turns a batch's raw Redis contents into typed rows for the MySQL writer. Pure: the formats are
 * the ones `redis/includes/accounting.lua` writes.
 */
import type {
  FlushBatch,
  FreeTorrentRow,
  PeerRow,
  SnatchRow,
  TokenUseRow,
  TorrentStatsRow,
  UserDeltaRow,
  UserTorrentRow,
} from '@oncilla/database';
import type { RawBatch } from '@oncilla/swarm-store';

const num = (b: Buffer | undefined): number => (b ? Number(b.toString('latin1')) : 0);

/** The accounting block at the end of a pending peer row (redis/includes/accounting.lua). */
export interface PeerAccount {
  creditedUp: number;
  creditedDown: number;
  realUp: number;
  realDown: number;
  freeUp: number;
  freeDown: number;
  tokenDown: number;
  seedtime: number;
  snatches: number;
  freeType: number;
}

const ACCOUNT_LEN = 56;

function readAccount(value: Buffer): PeerAccount | undefined {
  if (value[0] === 0x64 /* d */ || value.length < 1 + 49 + 3 + ACCOUNT_LEN) return undefined;
  const o = value.length - ACCOUNT_LEN;
  return {
    creditedUp: readU56(value, o),
    creditedDown: readU56(value, o + 7),
    realUp: readU56(value, o + 14),
    realDown: readU56(value, o + 21),
    freeUp: readU56(value, o + 28),
    freeDown: readU56(value, o + 35),
    tokenDown: readU56(value, o + 42),
    seedtime: value.readUInt32BE(o + 49),
    snatches: value.readUInt16BE(o + 53),
    freeType: value[o + 55],
  };
}

/** 7-byte big-endian unsigned (Node reads at most 6 bytes at once). */
function readU56(b: Buffer, off: number): number {
  return b[off] * 2 ** 48 + b.readUIntBE(off + 1, 6);
}

function users(raw: Map<string, Buffer>): UserDeltaRow[] {
  const rows = new Map<number, UserDeltaRow>();
  for (const [field, value] of raw) {
    const [uid, col] = field.split(':');
    const row = rows.get(Number(uid)) ?? { uid: Number(uid), uploaded: 0, downloaded: 0 };
    if (col === 'u') row.uploaded += num(value);
    else row.downloaded += num(value);
    rows.set(row.uid, row);
  }
  return [...rows.values()];
}

function torrents(raw: Map<string, Buffer>): TorrentStatsRow[] {
  const rows: TorrentStatsRow[] = [];
  for (const [field, value] of raw) {
    if (field.includes(':')) continue;
    const [seeders, leechers, balance] = value.toString('latin1').split('|').map(Number);
    rows.push({ tid: Number(field), seeders, leechers, balance, snatched: num(raw.get(`${field}:sn`)) });
  }
  return rows;
}

/** A u32 from four latin1 characters (the binary prefix of a pending peer field). */
function u32At(s: string, i: number): number {
  return s.charCodeAt(i) * 16777216 + ((s.charCodeAt(i + 1) << 16) | (s.charCodeAt(i + 2) << 8) | s.charCodeAt(i + 3));
}

/** A pending peer row: field uid u32 .. tid u32 .. hex peer_id (latin1), value as the Lua packs it. */
export function parsePeerRow(field: string, value: Buffer): PeerRow {
  const uid = u32At(field, 0);
  const tid = u32At(field, 4);
  const peerId = Buffer.from(field.substring(8), 'hex');
  const k = value[0];
  if (k !== 0x68 /* h */ && k !== 0x6c /* l */) {
    return {
      kind: 'deactivate', uid, tid, peerId, active: 0, uploaded: 0, downloaded: 0, upspeed: 0, downspeed: 0, remaining: 0,
      corrupt: 0, timespent: 0, announced: 0, ip: '', ipv6: '', useragent: '', mtime: 0,
    };
  }
  const ipEnd = 51 + value[50];
  const ip6End = ipEnd + 1 + value[ipEnd];
  const uaEnd = ip6End + 1 + value[ip6End];
  return {
    kind: k === 0x68 ? 'heavy' : 'light',
    uid,
    tid,
    peerId,
    active: value[1] === 0 ? 0 : 1,
    uploaded: readU56(value, 2),
    downloaded: readU56(value, 9),
    upspeed: value.readUInt32BE(16),
    downspeed: value.readUInt32BE(20),
    remaining: readU56(value, 24),
    corrupt: readU56(value, 31),
    timespent: value.readUInt32BE(38),
    announced: value.readUInt32BE(42),
    mtime: value.readUInt32BE(46),
    ip: value.toString('latin1', 51, ipEnd),
    ipv6: value.toString('latin1', ipEnd + 1, ip6End),
    useragent: value.toString('utf8', ip6End + 1, uaEnd),
  };
}

function snatches(raw: Buffer[]): SnatchRow[] {
  return raw.map((b) => {
    const [uid, tid, time, ip, ipv6] = b.toString('utf8').split('|');
    return { uid: Number(uid), tid: Number(tid), time: Number(time), ip, ipv6 };
  });
}

function tokens(raw: Map<string, Buffer>): TokenUseRow[] {
  return [...raw].map(([field, value]) => {
    const [uid, tid] = field.split(':').map(Number);
    return { uid, tid, downloaded: num(value) };
  });
}

function freeTorrents(raw: Map<string, Buffer>): FreeTorrentRow[] {
  const rows = new Map<string, FreeTorrentRow>();
  for (const [field, value] of raw) {
    const [uid, tid, type, col] = field.split(':');
    const key = `${uid}:${tid}:${type}`;
    const row = rows.get(key) ?? { uid: Number(uid), tid: Number(tid), freeType: Number(type) as FreeTorrentRow['freeType'], uploaded: 0, downloaded: 0 };
    if (col === 'u') row.uploaded += num(value);
    else row.downloaded += num(value);
    rows.set(key, row);
  }
  return [...rows.values()].filter((r) => r.uploaded !== 0 || r.downloaded !== 0);
}

const UT_COLUMNS = { st: 'seedtime', cd: 'downloaded', cu: 'uploaded', rd: 'realDownloaded', ru: 'realUploaded', sn: 'snatched' } as const;

function userTorrents(raw: Map<string, Buffer>): UserTorrentRow[] {
  const rows = new Map<string, UserTorrentRow>();
  for (const [field, value] of raw) {
    const [uid, tid, col] = field.split(':');
    const key = `${uid}:${tid}`;
    const row = rows.get(key) ?? { uid: Number(uid), tid: Number(tid), seedtime: 0, downloaded: 0, uploaded: 0, realDownloaded: 0, realUploaded: 0, snatched: 0 };
    const name = UT_COLUMNS[col as keyof typeof UT_COLUMNS];
    if (name) row[name] += num(value);
    rows.set(key, row);
  }
  return [...rows.values()];
}

interface Derived {
  users: Map<number, UserDeltaRow>;
  userTorrents: Map<string, UserTorrentRow>;
  free: Map<string, FreeTorrentRow>;
  tokens: Map<string, TokenUseRow>;
}

/** Adds what one peer row accumulated to the rows keyed per user, user-torrent, and so on. */
function deriveFromPeer(p: PeerRow, a: PeerAccount, into: Derived): void {
  if (a.creditedUp || a.creditedDown) {
    const u = into.users.get(p.uid) ?? { uid: p.uid, uploaded: 0, downloaded: 0 };
    u.uploaded += a.creditedUp;
    u.downloaded += a.creditedDown;
    into.users.set(p.uid, u);
  }
  const key = `${p.uid}:${p.tid}`;
  if (a.creditedUp || a.creditedDown || a.realUp || a.realDown || a.seedtime || a.snatches) {
    const ut = into.userTorrents.get(key) ?? { uid: p.uid, tid: p.tid, seedtime: 0, downloaded: 0, uploaded: 0, realDownloaded: 0, realUploaded: 0, snatched: 0 };
    ut.seedtime += a.seedtime;
    ut.downloaded += a.creditedDown;
    ut.uploaded += a.creditedUp;
    ut.realDownloaded += a.realDown;
    ut.realUploaded += a.realUp;
    ut.snatched += a.snatches;
    into.userTorrents.set(key, ut);
  }
  if (a.freeUp || a.freeDown) {
    const fkey = `${key}:${a.freeType}`;
    const f = into.free.get(fkey) ?? { uid: p.uid, tid: p.tid, freeType: a.freeType as FreeTorrentRow['freeType'], uploaded: 0, downloaded: 0 };
    f.uploaded += a.freeUp;
    f.downloaded += a.freeDown;
    into.free.set(fkey, f);
  }
  if (a.tokenDown) {
    const t = into.tokens.get(key) ?? { uid: p.uid, tid: p.tid, downloaded: 0 };
    t.downloaded += a.tokenDown;
    into.tokens.set(key, t);
  }
}

export function parseBatch(id: string, raw: RawBatch): FlushBatch {
  const into: Derived = {
    users: new Map(users(raw.users).map((r) => [r.uid, r])),
    userTorrents: new Map(userTorrents(raw.ut).map((r) => [`${r.uid}:${r.tid}`, r])),
    free: new Map(freeTorrents(raw.free).map((r) => [`${r.uid}:${r.tid}:${r.freeType}`, r])),
    tokens: new Map(tokens(raw.tokens).map((r) => [`${r.uid}:${r.tid}`, r])),
  };
  const peers: PeerRow[] = [];
  for (const [field, value] of raw.peers) {
    const row = parsePeerRow(field, value);
    peers.push(row);
    const account = readAccount(value);
    if (account) deriveFromPeer(row, account, into);
  }
  return {
    id,
    users: [...into.users.values()],
    torrents: torrents(raw.torrents),
    peers,
    snatches: snatches(raw.snatches),
    tokens: [...into.tokens.values()],
    freeTorrents: [...into.free.values()].filter((r) => r.uploaded !== 0 || r.downloaded !== 0),
    userTorrents: [...into.userTorrents.values()],
  };
}
