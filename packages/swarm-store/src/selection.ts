/**
 * Picking the peers to hand out, from the candidate records the announce script returns.
 * Pure: the rules live here (tested without Redis), the script only supplies candidates.
 *
 * A record is  endpoint (6 bytes IPv4 / 18 bytes IPv6) .. dual-stack flag (1) .. uid (4, BE)
 * [.. peer_id (20), in the non-compact form] (redis/includes/candidates.lua).
 */
import type { PeerEntry } from './types.js';

export type SetField = 's4' | 's6' | 'l4' | 'l6';


/** The distinct endpoint sets a plan reads, in plan order (`o` reads the IPv4 set). */
export function planFields(plan: string): SetField[] {
  const out: SetField[] = [];
  for (let i = 0; i + 1 < plan.length; i += 2) {
    const f = `${plan[i]}${plan[i + 1] === '6' ? '6' : '4'}` as SetField;
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

export interface Requester {
  uid: number;
  /** Own IPv4 endpoint (6 bytes) and IPv6 endpoint (18 bytes), to skip. */
  own4?: Buffer;
  own6?: Buffer;
  /** Users whose peers are never handed out (removed from the site). */
  skip?: (uid: number) => boolean;
}

export interface Picked {
  /** Records chosen for `peers` (IPv4) and `peers6`. */
  v4: Buffer[];
  v6: Buffer[];
}

// Byte loops, not Buffer#compare/#copy: on these 6- and 18-byte runs (once per candidate) Node
// 20's Buffer methods cost 100-140 ns a call in argument checks, a loop 10-20 ns.

/** Whether blob[off, off + len) equals own[0, len). */
function sameBytes(blob: Buffer, off: number, own: Buffer, len: number): boolean {
  for (let k = 0; k < len; k++) if (blob[off + k] !== own[k]) return false;
  return true;
}

function copyBytes(from: Buffer, off: number, to: Buffer, at: number, len: number): number {
  for (let k = 0; k < len; k++) to[at + k] = from[off + k];
  return len;
}

/**
 * Follows the plan (see selectionPlan): from each source, walk its records from a random
 * start (wrapping), skipping the requester's own user and endpoints and, for `o` sources, peers
 * that also have IPv6; stop at numwant. `take` gets each chosen record's blob and offset.
 */
function walk(
  plan: string,
  blobs: Map<SetField, Buffer>,
  recordLen: (f: SetField) => number,
  numwant: number,
  who: Requester,
  random: () => number,
  take: (blob: Buffer, off: number, len: number, v6: boolean) => void,
): void {
  let found = 0;
  for (let i = 0; i + 1 < plan.length && found < numwant; i += 2) {
    const fam = plan[i + 1];
    const field = `${plan[i]}${fam === '6' ? '6' : '4'}` as SetField;
    const blob = blobs.get(field);
    if (!blob || blob.length === 0) continue;
    const len = recordLen(field);
    const v6 = fam === '6';
    const epLen = v6 ? 18 : 6;
    const own = v6 ? who.own6 : who.own4;
    const n = Math.floor(blob.length / len);
    const start = Math.floor(random() * n);
    for (let k = 0; k < n && found < numwant; k++) {
      const off = ((start + k) % n) * len;
      const uid = blob.readUInt32BE(off + epLen + 1);
      if (uid === who.uid || who.skip?.(uid)) continue;
      if (fam === 'o' && blob[off + epLen] === 1) continue;
      if (own && sameBytes(blob, off, own, epLen)) continue;
      take(blob, off, len, v6);
      found++;
    }
  }
}

export function pickPeers(
  plan: string,
  blobs: Map<SetField, Buffer>,
  recordLen: (f: SetField) => number,
  numwant: number,
  who: Requester,
  random: () => number = Math.random,
): Picked {
  const picked: Picked = { v4: [], v6: [] };
  walk(plan, blobs, recordLen, numwant, who, random, (blob, off, len, v6) => (v6 ? picked.v6 : picked.v4).push(blob.subarray(off, off + len)));
  return picked;
}

/**
 * The compact strings straight from the records (the announce's usual reply): the chosen
 * endpoints are copied into the two reply strings, with no Buffer made per peer.
 */
export function pickCompact(
  plan: string,
  blobs: Map<SetField, Buffer>,
  numwant: number,
  who: Requester,
  random: () => number = Math.random,
): { peers: Buffer; peers6: Buffer } {
  const peers = Buffer.allocUnsafe(numwant * 6);
  const peers6 = Buffer.allocUnsafe(numwant * 18);
  let n4 = 0;
  let n6 = 0;
  walk(plan, blobs, (f) => (f.endsWith('6') ? 23 : 11), numwant, who, random, (blob, off, _len, v6) => {
    if (v6) n6 += copyBytes(blob, off, peers6, n6, 18);
    else n4 += copyBytes(blob, off, peers, n4, 6);
  });
  return { peers: peers.subarray(0, n4), peers6: peers6.subarray(0, n6) };
}

/** The compact strings: endpoints only. */
export function compactPeers(records: Buffer[], epLen: 6 | 18): Buffer {
  const out = Buffer.allocUnsafe(records.length * epLen);
  records.forEach((r, i) => r.copy(out, i * epLen, 0, epLen));
  return out;
}

/** The non-compact form: address, port and peer id of each record (which carry the peer id). */
export function peerEntries(records: Buffer[], addrLen: 4 | 16): PeerEntry[] {
  return records.map((r) => ({
    ip: r.subarray(0, addrLen),
    port: r.readUInt16BE(addrLen),
    peerId: r.subarray(addrLen + 7),
  }));
}
