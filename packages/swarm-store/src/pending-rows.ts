/**
 * The reader of the pending rows that redis/includes/pendingRows.lua writes (the only writer):
 * a shard's batch, as Redis holds it, becomes the typed rows the MySQL writer takes. Pure, so
 * it is tested against rows written by the real script.
 */
import { formatIPv4, formatIPv6 } from '@oncilla/protocol';
import type {
  FlushBatch,
  FreeTorrentRow,
  PeerRow,
  SnatchRow,
  TokenUseRow,
  TorrentStatsRow,
  UserDeltaRow,
  UserTorrentRow,
} from '@oncilla/rows';

/** A shard's batch as read from Redis: the pending hash's fields and values, and the completions. */
export interface RawBatch {
  /** field, value, field, value, ... (HSCAN's flat form) */
  pending: Buffer[];
  snatches: Buffer[];
}

/** The accounting block at the end of a peer's pending row. */
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
/** the torrent's balance change, signed 8 bytes, between the user agent and the accounting block */
const BALANCE_LEN = 8;
/** kind .. active .. 2 x u56 .. 2 x u32 .. 2 x u56 .. 3 x u32: the fixed head of a peer row */
const PEER_HEAD = 50;

/** 7-byte big-endian unsigned (Node reads at most 6 bytes at once). */
function u56(b: Buffer, off: number): number {
  return b[off] * 2 ** 48 + b.readUIntBE(off + 1, 6);
}

function account(v: Buffer): PeerAccount | undefined {
  if (v[0] === 0x64 /* d */ || v.length < PEER_HEAD + 2 + ACCOUNT_LEN) return undefined;
  const o = v.length - ACCOUNT_LEN;
  return {
    creditedUp: u56(v, o),
    creditedDown: u56(v, o + 7),
    realUp: u56(v, o + 14),
    realDown: u56(v, o + 21),
    freeUp: u56(v, o + 28),
    freeDown: u56(v, o + 35),
    tokenDown: u56(v, o + 42),
    seedtime: v.readUInt32BE(o + 49),
    snatches: v.readUInt16BE(o + 53),
    freeType: v[o + 55],
  };
}

/** IPv4 then IPv6, as many as the length says (0, 4, 16 or 20 bytes), as the DB's texts. */
function addressTexts(b: Buffer, at: number, len: number): { ip: string; ipv6: string } {
  return {
    ip: len === 4 || len === 20 ? formatIPv4(b.subarray(at, at + 4)) : '',
    ipv6: len >= 16 ? formatIPv6(b.subarray(at + len - 16, at + len)) : '',
  };
}

/**
 * The balance change a peer's row carries for its torrent (0 for a 'd' row, or a row of an
 * older version, written before rows carried it: it then has nothing between the user agent
 * and the accounting block).
 */
export function balanceChangeOf(v: Buffer): number {
  if (v[0] === 0x64 /* d */ || v.length < PEER_HEAD + 2 + ACCOUNT_LEN) return 0;
  const uaAt = PEER_HEAD + 1 + v[PEER_HEAD];
  const at = uaAt + 1 + v[uaAt];
  if (v.length - ACCOUNT_LEN - at !== BALANCE_LEN) return 0;
  // (the script keeps it within +-(2^53 - 1), so the two halves make an exact double)
  return v.readInt32BE(at) * 2 ** 32 + v.readUInt32BE(at + 4);
}

/** A peer's row: field tid u32 .. uid u32 .. peer_id (20). */
export function readPeerRow(field: Buffer, v: Buffer): PeerRow {
  const tid = field.readUInt32BE(0);
  const uid = field.readUInt32BE(4);
  const peerId = Buffer.from(field.subarray(8, 28));
  const k = v[0];
  if (k !== 0x68 /* h */ && k !== 0x6c /* l */) {
    return {
      kind: 'deactivate', uid, tid, peerId, active: 0, uploaded: 0, downloaded: 0, upspeed: 0, downspeed: 0, remaining: 0,
      corrupt: 0, timespent: 0, announced: 0, ip: '', ipv6: '', useragent: '', mtime: 0,
    };
  }
  const addrLen = v[PEER_HEAD];
  const uaAt = PEER_HEAD + 1 + addrLen;
  const uaEnd = uaAt + 1 + v[uaAt];
  return {
    kind: k === 0x68 ? 'heavy' : 'light',
    uid,
    tid,
    peerId,
    active: v[1] === 0 ? 0 : 1,
    uploaded: u56(v, 2),
    downloaded: u56(v, 9),
    upspeed: v.readUInt32BE(16),
    downspeed: v.readUInt32BE(20),
    remaining: u56(v, 24),
    corrupt: u56(v, 31),
    timespent: v.readUInt32BE(38),
    announced: v.readUInt32BE(42),
    mtime: v.readUInt32BE(46),
    ...addressTexts(v, PEER_HEAD + 1, addrLen),
    useragent: v.toString('utf8', uaAt + 1, uaEnd),
  };
}

/** A completion: uid u32, tid u32, time u32, then the addresses as in a peer row. */
export function readSnatch(b: Buffer): SnatchRow {
  return { uid: b.readUInt32BE(0), tid: b.readUInt32BE(4), time: b.readUInt32BE(8), ...addressTexts(b, 13, b[12]) };
}

interface Sums {
  users: Map<number, UserDeltaRow>;
  userTorrents: Map<string, UserTorrentRow>;
  free: Map<string, FreeTorrentRow>;
  tokens: Map<string, TokenUseRow>;
}

function freeRow(sums: Sums, uid: number, tid: number, freeType: number): FreeTorrentRow {
  const key = `${uid}:${tid}:${freeType}`;
  let f = sums.free.get(key);
  if (!f) {
    f = { uid, tid, freeType: freeType as FreeTorrentRow['freeType'], uploaded: 0, downloaded: 0 };
    sums.free.set(key, f);
  }
  return f;
}

/**
 * Sums stop at 2^53 - 1, as the script's do: an exact, if capped, value is written, where an
 * inexact one would set the user's whole row aside.
 */
const add = (a: number, b: number): number => Math.min(Number.MAX_SAFE_INTEGER, a + b);
const clampSafe = (v: number): number => Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, v));

/** Adds what one peer row accumulated to the rows keyed per user, user-torrent, and so on. */
function addAccount(p: PeerRow, a: PeerAccount, sums: Sums): void {
  if (a.creditedUp || a.creditedDown) {
    const u = sums.users.get(p.uid) ?? { uid: p.uid, uploaded: 0, downloaded: 0 };
    u.uploaded = add(u.uploaded, a.creditedUp);
    u.downloaded = add(u.downloaded, a.creditedDown);
    sums.users.set(p.uid, u);
  }
  const key = `${p.uid}:${p.tid}`;
  if (a.creditedUp || a.creditedDown || a.realUp || a.realDown || a.seedtime || a.snatches) {
    const ut = sums.userTorrents.get(key) ?? { uid: p.uid, tid: p.tid, seedtime: 0, downloaded: 0, uploaded: 0, realDownloaded: 0, realUploaded: 0, snatched: 0 };
    ut.seedtime = add(ut.seedtime, a.seedtime);
    ut.downloaded = add(ut.downloaded, a.creditedDown);
    ut.uploaded = add(ut.uploaded, a.creditedUp);
    ut.realDownloaded = add(ut.realDownloaded, a.realDown);
    ut.realUploaded = add(ut.realUploaded, a.realUp);
    ut.snatched = add(ut.snatched, a.snatches);
    sums.userTorrents.set(key, ut);
  }
  if (a.freeUp || a.freeDown) {
    const f = freeRow(sums, p.uid, p.tid, a.freeType);
    f.uploaded = add(f.uploaded, a.freeUp);
    f.downloaded = add(f.downloaded, a.freeDown);
  }
  if (a.tokenDown) {
    const t = sums.tokens.get(key) ?? { uid: p.uid, tid: p.tid, downloaded: 0 };
    t.downloaded = add(t.downloaded, a.tokenDown);
    sums.tokens.set(key, t);
  }
}

const num = (b: Buffer): number => Number(b.toString('latin1'));

/** A shard's batch as the MySQL writer's rows. */
export function readBatch(id: string, raw: RawBatch): FlushBatch {
  const sums: Sums = { users: new Map(), userTorrents: new Map(), free: new Map(), tokens: new Map() };
  const torrents = new Map<number, TorrentStatsRow>();
  const torrent = (tid: number): TorrentStatsRow => {
    let t = torrents.get(tid);
    if (!t) {
      // Without a row of its own (a transfer, which changes no counts) the torrent's Seeders
      // and Leechers stay as they are; its balance change and last_action are written.
      t = { tid, seeders: 0, leechers: 0, noCounts: true, balanceChange: 0, snatched: 0 };
      torrents.set(tid, t);
    }
    return t;
  };
  const peers: PeerRow[] = [];
  const f = raw.pending;
  for (let i = 0; i + 1 < f.length; i += 2) {
    const field = f[i];
    const value = f[i + 1];
    switch (field.length) {
      case 28: {
        const row = readPeerRow(field, value);
        peers.push(row);
        const a = account(value);
        if (a) addAccount(row, a, sums);
        const change = balanceChangeOf(value);
        // a transfer touches the torrent's row as in Ocelot (its balance, last_action)
        if (change !== 0 || (a && (a.realUp || a.realDown))) {
          const t = torrent(row.tid);
          t.balanceChange = clampSafe((t.balanceChange ?? 0) + change);
        }
        break;
      }
      case 4: {
        // "seeders|leechers". An older version's rows add "|balance", a whole balance kept in
        // Redis: not taken, so that a rolling upgrade never resets the column to what an older
        // worker found there
        const [seeders, leechers] = value.toString('latin1').split('|').map(Number);
        Object.assign(torrent(field.readUInt32BE(0)), { seeders, leechers, noCounts: false });
        break;
      }
      case 5: {
        const t = torrent(field.readUInt32BE(0));
        t.snatched = add(t.snatched, num(value));
        break;
      }
      case 11: {
        const row = freeRow(sums, field.readUInt32BE(5), field.readUInt32BE(1), field[9]);
        if (field[10] === 0x75 /* u */) row.uploaded = add(row.uploaded, num(value));
        else row.downloaded = add(row.downloaded, num(value));
        break;
      }
      default:
        // not a field this version writes: left for the operator to see in the log
        throw new Error(`unknown pending field of ${field.length} bytes in batch ${id}`);
    }
  }
  return {
    id,
    users: [...sums.users.values()],
    // a row with only a snatch count has no counts to write: Seeders/Leechers stay as they are
    torrents: [...torrents.values()],
    peers,
    snatches: raw.snatches.map(readSnatch),
    tokens: [...sums.tokens.values()],
    freeTorrents: [...sums.free.values()].filter((r) => r.uploaded !== 0 || r.downloaded !== 0),
    userTorrents: [...sums.userTorrents.values()],
  };
}
