import type { Redis } from 'ioredis';
import type { KeySchema } from './keys.js';

/**
 * The lists the primary loads from MySQL. Each is built under a temporary key and swapped in
 * with one RENAME, so an announce sees the old list or the new one, never a mix or nothing.
 */
export interface UserRow {
  id: number;
  passkey: string;
  canLeech: boolean;
  /** Visible='0' or IP='127.0.0.1' on the site: the user's IP is never written to the DB. */
  isProtected: boolean;
}

export interface TorrentRow {
  id: number;
  infoHash: Buffer;
  /** 0, 1, 2, 11, 12 or 13 (anything else is stored as 0). */
  freeTorrent: number;
  snatched: number;
  /** torrents.balance: the starting point when Redis has no balance of its own for the torrent yet. */
  balance?: number;
}

export interface TokenRow {
  userId: number;
  torrentId: number;
}

const BATCH = 1000;
const FREE_TYPES = new Set([0, 1, 2, 11, 12, 13]);

export function userValue(u: Pick<UserRow, 'id' | 'canLeech' | 'isProtected'>): string {
  return `${u.id}|${u.canLeech ? 1 : 0}|${u.isProtected ? 1 : 0}`;
}

export function torrentValue(t: Pick<TorrentRow, 'id' | 'freeTorrent' | 'snatched' | 'balance'>): string {
  return `${t.id}|${FREE_TYPES.has(t.freeTorrent) ? t.freeTorrent : 0}|${t.snatched}|${t.balance ?? 0}`;
}

export function tokenMember(t: TokenRow): string {
  return `${t.torrentId}:${t.userId}`;
}

/** Writes `entries` into `tmp` in pipelined batches, then swaps it in (or deletes the target). */
async function swapIn(redis: Redis, target: string, fill: (tmp: string) => Promise<number>): Promise<number> {
  const tmp = `${target}:loading`;
  await redis.del(tmp);
  const n = await fill(tmp);
  if (n === 0) await redis.del(target);
  else await redis.rename(tmp, target);
  return n;
}

async function fillHash(redis: Redis, tmp: string, entries: Iterable<[string | Buffer, string]>): Promise<number> {
  let n = 0;
  let batch: (string | Buffer)[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length) await redis.hset(tmp, ...batch);
    batch = [];
  };
  for (const [field, value] of entries) {
    batch.push(field, value);
    n++;
    if (batch.length >= BATCH * 2) await flush();
  }
  await flush();
  return n;
}

async function fillSet(redis: Redis, tmp: string, members: Iterable<string | Buffer>): Promise<number> {
  let n = 0;
  let batch: (string | Buffer)[] = [];
  for (const m of members) {
    batch.push(m);
    n++;
    if (batch.length >= BATCH) {
      await redis.sadd(tmp, ...batch);
      batch = [];
    }
  }
  if (batch.length) await redis.sadd(tmp, ...batch);
  return n;
}

/**
 * Replaces the user list. Users that were loaded before and are gone now (disabled or deleted on
 * the site) are recorded in the deleted-users set, so their peers are no longer handed out.
 */
export async function replaceUsers(redis: Redis, keys: KeySchema, users: UserRow[], now: number): Promise<{ loaded: number; removed: number }> {
  const next = new Map(users.map((u) => [u.passkey, u]));
  let removed = 0;
  let cursor = '0';
  do {
    const [c, flat] = await redis.hscan(keys.users, cursor, 'COUNT', BATCH);
    cursor = c;
    const gone: (string | number)[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      if (!next.has(flat[i])) gone.push(now, flat[i + 1].split('|')[0]);
    }
    if (gone.length) {
      removed += gone.length / 2;
      await redis.zadd(keys.deletedUsers, ...gone);
    }
  } while (cursor !== '0');
  const loaded = await swapIn(redis, keys.users, (tmp) =>
    fillHash(redis, tmp, users.map((u): [string, string] => [u.passkey, userValue(u)])),
  );
  // A user present again (re-enabled) must be served again.
  for (let i = 0; i < users.length; i += BATCH) {
    await redis.zrem(keys.deletedUsers, ...users.slice(i, i + BATCH).map((u) => String(u.id)));
  }
  // Their peers must vanish from every cached candidate list at once.
  if (removed > 0) await redis.incr(keys.cacheEpoch);
  return { loaded, removed };
}

export async function replaceTorrents(redis: Redis, keys: KeySchema, torrents: TorrentRow[]): Promise<number> {
  return swapIn(redis, keys.torrents, (tmp) =>
    fillHash(redis, tmp, torrents.filter((t) => t.infoHash.length > 0).map((t): [string, string] => [t.infoHash.toString('hex'), torrentValue(t)])),
  );
}

export async function replaceTokens(redis: Redis, keys: KeySchema, tokens: TokenRow[]): Promise<number> {
  return swapIn(redis, keys.tokens, (tmp) => fillSet(redis, tmp, tokens.map(tokenMember)));
}

/**
 * Prefixes are matched against the peer_id (both as hex, as the announce script sees peer ids);
 * their distinct byte lengths go in a second key.
 * Both keys are swapped in one MULTI so no announce sees one without the other.
 */
export async function replaceWhitelist(redis: Redis, keys: KeySchema, prefixes: Buffer[]): Promise<number> {
  const lens = [...new Set(prefixes.map((p) => String(Math.min(p.length, 21))))];
  const tmpList = `${keys.whitelist}:loading`;
  const tmpLens = `${keys.whitelistLens}:loading`;
  await redis.del(tmpList, tmpLens);
  const n = await fillSet(redis, tmpList, prefixes.map((p) => p.toString('hex')));
  await fillSet(redis, tmpLens, lens);
  const tx = redis.multi();
  if (n === 0) tx.del(keys.whitelist, keys.whitelistLens);
  else tx.rename(tmpList, keys.whitelist).rename(tmpLens, keys.whitelistLens);
  await tx.exec();
  return n;
}
