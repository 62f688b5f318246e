/**
 * The announce script's argument, packed: one binary string instead of a score of arguments,
 * so ioredis writes and Redis parses one value. The layout is `ARGS` in redis/announce-9.lua;
 * this is its only writer. Pure, so it is unit-tested against the Lua's own reading of it.
 */
import type { AnnounceEvent, AnnounceInput } from './types.js';

export interface AnnounceLimits {
  /** Records of each candidate field (2 x numwant_limit). */
  candidates: number;
  /** Seconds before a partial candidate field is drawn afresh. */
  candidateTtl: number;
  /** Bytes per second one peer can be credited with at most (0: no limit). */
  maxRate: number;
  /** Bytes one announce can be credited with at most (0: no limit). */
  maxTransfer: number;
  /** Record nothing for MySQL. */
  readonly: boolean;
  /**
   * The flush is behind (MySQL away): most peers' rows are still pending, so the script reads
   * the peer's row first instead of trying to write a new one (optional; a hint only).
   */
  rowsPending?: boolean;
}

const EVENT: Record<AnnounceEvent, number> = { none: 0, started: 1, completed: 2, stopped: 3 };
/** The candidate fields in the script's order, as bits of `wanted`. */
export const CANDIDATE_FIELDS = ['s4', 's6', 'l4', 'l6'] as const;
export type CandidateField = (typeof CANDIDATE_FIELDS)[number];

function u56(b: Buffer, at: number, n: number): number {
  const v = Number.isSafeInteger(n) && n > 0 ? n : 0;
  b[at] = Math.floor(v / 2 ** 48);
  b.writeUIntBE(v % 2 ** 48, at + 1, 6);
  return at + 7;
}

export function wantedBits(fields: readonly CandidateField[]): number {
  let bits = 0;
  for (const f of fields) bits |= 1 << CANDIDATE_FIELDS.indexOf(f);
  return bits;
}

/** `now`: unix seconds on Redis' clock (RedisClock), the announce's time in the script. */
/** The first 255 bytes of a text's UTF-8 (no copy for the usual empty text). */
function upTo255(s: string): Buffer {
  return s === '' ? EMPTY : Buffer.from(s, 'utf8').subarray(0, 255);
}
const EMPTY = Buffer.alloc(0);

export function packAnnounce(a: AnnounceInput, fields: readonly CandidateField[], l: AnnounceLimits, now: number): Buffer {
  const ua = upTo255(a.userAgent);
  const err = upTo255(a.error);
  const addrs = (a.ipv4 ? 4 : 0) + (a.ipv6 ? 16 : 0);
  const b = Buffer.allocUnsafe(4 + 1 + 1 + 28 + 2 + 1 + addrs + 20 + 1 + 2 + 2 + 4 + 14 + 1 + ua.length + 1 + err.length);
  let at = b.writeUInt32BE(a.user.uid >>> 0, 0);
  at = b.writeUInt8((a.user.canLeech ? 1 : 0) | (a.user.isProtected ? 2 : 0) | (l.readonly ? 4 : 0) | (a.withPeerIds ? 8 : 0) | (l.rowsPending ? 16 : 0), at);
  at = b.writeUInt8(EVENT[a.event], at);
  at = u56(b, at, a.left);
  at = u56(b, at, a.uploaded);
  at = u56(b, at, a.downloaded);
  at = u56(b, at, a.corrupt);
  at = b.writeUInt16BE(a.port & 0xffff, at);
  at = b.writeUInt8(addrs, at);
  // (TypedArray#set: Node 20's Buffer#copy checks its arguments in JavaScript first, a few
  // times the cost on these short runs)
  if (a.ipv4) {
    b.set(a.ipv4, at);
    at += a.ipv4.length;
  }
  if (a.ipv6) {
    b.set(a.ipv6, at);
    at += a.ipv6.length;
  }
  if (a.peerId.length === 20) b.set(a.peerId, at);
  else b.fill(0, at, at + 20);
  at += 20;
  at = b.writeUInt8(wantedBits(fields), at);
  at = b.writeUInt16BE(Math.min(65535, l.candidates), at);
  at = b.writeUInt16BE(Math.min(65535, l.candidateTtl), at);
  at = b.writeUInt32BE(Number.isSafeInteger(now) && now > 0 ? Math.min(now, 2 ** 32 - 1) : 0, at);
  at = u56(b, at, l.maxRate);
  at = u56(b, at, l.maxTransfer);
  at = b.writeUInt8(ua.length, at);
  b.set(ua, at);
  at = b.writeUInt8(err.length, at + ua.length);
  b.set(err, at);
  return b;
}
