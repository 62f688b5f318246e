/**
 * What TypeScript knows of a peer's swarm record (redis/includes/peerRecord.lua packs it):
 * the field that names it and where its announce times sit. Only tests use it, to make a
 * stored announce older without waiting for the clock.
 */
import type { TorrentKeys } from './keys.js';
import type { RedisClient } from './scripts.js';

/** First and last announce: u32 seconds after the four 7-byte counters. */
const FIRST_ANNOUNCE_AT = 28;
const LAST_ANNOUNCE_AT = 32;

/** The record's field in the seeders and leechers hashes: the user id (u32) and the peer_id. */
export function peerField(uid: number, peerId: Buffer | string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(uid);
  return Buffer.concat([head, typeof peerId === 'string' ? Buffer.from(peerId, 'latin1') : peerId]);
}

/** Makes a stored peer's first and last announce `seconds` older, in whichever list holds it. */
export async function agePeerRecord(redis: RedisClient, keys: Pick<TorrentKeys, 'seeders' | 'leechers'>, uid: number, peerId: Buffer | string, seconds: number): Promise<void> {
  const field = peerField(uid, peerId);
  for (const key of [keys.seeders, keys.leechers]) {
    const rec = await redis.hgetBuffer(key, field);
    if (!rec) continue;
    rec.writeUInt32BE(rec.readUInt32BE(FIRST_ANNOUNCE_AT) - seconds, FIRST_ANNOUNCE_AT);
    rec.writeUInt32BE(rec.readUInt32BE(LAST_ANNOUNCE_AT) - seconds, LAST_ANNOUNCE_AT);
    await redis.hset(key, field, rec);
  }
}
