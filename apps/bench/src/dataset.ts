/**
 * The bench's data set, by formulas alone: the same as apps/bench/wrk/announce.lua computes, so
 * the bench seeds MariaDB with exactly the users and torrents the load announces to, and any
 * other tracker (Ocelot) seeded by the same formulas gets the same load. Pure; unit-tested
 * against the formulas and, through wrk, against the Lua script.
 */

export interface DataSet {
  users: number;
  torrents: number;
  /** Peers per torrent. */
  peers: number;
  /** Share of seeders, 0..100. */
  seederPct: number;
}

export const DEFAULT_DATA_SET: DataSet = { users: 10000, torrents: 10000, peers: 20, seederPct: 50 };
export const NUMWANT = 50;
/** ts = unix time - this: the counters grow with wall-clock time. */
export const TS_EPOCH = 1700000000;
export const LEECHER_LEFT = 536870912;
export const PEER_ID_PREFIX = '-TR3000-';
/** The client whitelist entry the load needs (xbt_client_whitelist.peer_id). */
export const WHITELIST_PREFIX = '-TR';

/** (x * m) mod 2^32, for whole x and m below 2^32 (Math.imul keeps the low 32 bits exactly). */
export function mul32(x: number, m: number): number {
  return Math.imul(x, m) >>> 0;
}

/** word(x, m): (x * m) mod 2^32 as 8 lower-case hex digits. */
export function word(x: number, m: number): string {
  return mul32(x, m).toString(16).padStart(8, '0');
}

/** The passkey (torrent_pass) of user u: 32 lower-case hex chars. */
export function benchPasskey(u: number): string {
  return word(u, 2654435761) + word(u, 2246822519) + word(u, 3266489917) + word(u, 668265263);
}

/** The 20-byte info_hash of torrent t. */
export function benchInfoHash(t: number): Buffer {
  return Buffer.from(word(t, 2166136261) + word(t, 16777619) + word(t, 1540483477) + word(t, 3432918353) + word(t, 461845907), 'hex');
}

export function slotCount(d: DataSet): number {
  return d.torrents * d.peers;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** floor(slots * 0.6180339887), bumped until coprime with slots: the slot walk is a permutation. */
export function stride(slots: number): number {
  let s = Math.floor(slots * 0.6180339887);
  while (gcd(s, slots) !== 1) s++;
  return s;
}

/** The slot of request n of thread i (of `threads`). */
export function slotOfRequest(n: number, thread: number, threads: number, slots: number, step = stride(slots)): number {
  const g = n * threads + thread;
  return ((g % slots) * step + 12345) % slots;
}

export interface Slot {
  slot: number;
  torrent: number;
  /** Which peer of its torrent (0..peers-1). */
  k: number;
  user: number;
  seeder: boolean;
  peerId: string;
  port: number;
}

export function slotPeer(s: number, d: DataSet): Slot {
  const torrent = (s % d.torrents) + 1;
  const k = Math.floor(s / d.torrents);
  return {
    slot: s,
    torrent,
    k,
    user: (((mul32(s, 2654435761) + 7) % 2 ** 32) % d.users) + 1,
    seeder: Math.floor(mul32(s, 2246822519) / 65536) % 100 < d.seederPct,
    peerId: PEER_ID_PREFIX + String(s).padStart(12, '0'),
    port: 10000 + 1000 * (k % 50) + (torrent % 1000),
  };
}

/** The counters a peer sends at ts (= unix time - TS_EPOCH). */
export function counters(seeder: boolean, ts: number): { uploaded: number; downloaded: number; left: number } {
  return seeder ? { uploaded: ts * 4096, downloaded: 0, left: 0 } : { uploaded: ts * 1024, downloaded: ts * 4096, left: LEECHER_LEFT };
}

/** The query of a slot's announce, decoded (info_hash as its bytes in latin1), as the tracker reads it. */
export function announceQuery(s: number, d: DataSet, ts: number, mode: 'fill' | 'steady'): Record<string, string> {
  const p = slotPeer(s, d);
  const c = counters(p.seeder, ts);
  return {
    info_hash: benchInfoHash(p.torrent).toString('latin1'),
    peer_id: p.peerId,
    port: String(p.port),
    uploaded: String(c.uploaded),
    downloaded: String(c.downloaded),
    left: String(c.left),
    ...(mode === 'fill' ? { event: 'started' } : {}),
    numwant: String(NUMWANT),
    compact: '1',
  };
}
