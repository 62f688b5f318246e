/**
 * Loads the lists the primary reads from MySQL into Redis (at start, on SIGUSR1, and after Redis
 * lost them). Only what differs is written. Workers keep the users, removed users and whitelist
 * in memory: when those change, one feed entry tells them to read the lists again, so until
 * then they answer from the old lists whole, never from a half-written one. Torrents and tokens
 * live under their shard, written one shard at a time.
 */
import { randomBytes } from 'node:crypto';
import type { TokenRow, TorrentRow, UserRow } from '@oncilla/rows';
import type { KeySchema } from './keys.js';
import { Scripts, type RedisClient } from './scripts.js';
import { FEED_LENGTH } from './site-control.js';

const CHUNK = 500;
const SCAN_PAGE = 5000;

export function userValue(u: Pick<UserRow, 'id' | 'canLeech' | 'isProtected'>): string {
  return `${u.id}|${u.canLeech ? 1 : 0}|${u.isProtected ? 1 : 0}`;
}

async function hashEntries(client: RedisClient, key: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, flat] = await client.hscan(key, cursor, 'COUNT', SCAN_PAGE);
    cursor = next;
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i], flat[i + 1]);
  } while (cursor !== '0');
  return out;
}

async function inChunks<T>(items: readonly T[], size: number, run: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await run(items.slice(i, i + size));
}

export interface UsersLoaded {
  loaded: number;
  /** Users that were loaded before and are gone now (disabled or deleted on the site). */
  removed: number;
  /** Whether workers were told to read the lists again. */
  published: boolean;
}

/**
 * Users and whitelist. A user missing now is recorded as removed (their peers are no longer
 * handed out); a user present again is served again.
 */
export async function loadUsersAndWhitelist(client: RedisClient, keys: KeySchema, users: readonly UserRow[], whitelist: readonly Buffer[], now: number): Promise<UsersLoaded> {
  const g = keys.global;
  const current = await hashEntries(client, g.users);
  const next = new Map(users.map((u) => [u.passkey, userValue(u)]));
  const set: string[] = [];
  for (const [passkey, value] of next) if (current.get(passkey) !== value) set.push(passkey, value);
  const gone = [...current].filter(([passkey]) => !next.has(passkey));
  const removedNow = new Set((await client.zrange(g.removed, '0', '-1')).map(Number));
  const back = users.filter((u) => removedNow.has(u.id)).map((u) => String(u.id));
  const wlNow = new Set(await client.smembers(g.whitelist));
  const wlNext = new Set(whitelist.map((p) => p.toString('hex')));
  const wlChanged = wlNow.size !== wlNext.size || [...wlNext].some((p) => !wlNow.has(p));

  await inChunks(set, CHUNK * 2, (c) => client.hset(g.users, ...c));
  await inChunks(gone, CHUNK, async (c) => {
    await client.hdel(g.users, ...c.map(([passkey]) => passkey));
    await client.zadd(g.removed, ...c.flatMap(([, value]) => [now, value.split('|')[0]]));
  });
  await inChunks(back, CHUNK, (c) => client.zrem(g.removed, ...c));
  if (wlChanged) {
    const tx = client.multi().del(g.whitelist);
    if (wlNext.size) tx.sadd(g.whitelist, ...wlNext);
    await tx.exec();
  }
  const changed = set.length > 0 || gone.length > 0 || back.length > 0 || wlChanged;
  const hasGeneration = (await client.exists(g.generation)) === 1;
  if (changed || !hasGeneration) await publishReload(client, keys);
  return { loaded: users.length, removed: gone.length, published: changed || !hasGeneration };
}

/** Tells every worker to read the lists again; sets the generation if Redis had lost it. */
export async function publishReload(client: RedisClient, keys: KeySchema): Promise<string> {
  const g = keys.global;
  return String(await new Scripts(client).call('publishReload', [g.feed, g.version, g.generation], [FEED_LENGTH, randomBytes(8).toString('hex')]));
}

/** Torrents, shard by shard: new and changed ones are written, those gone are unregistered. */
export async function loadTorrents(client: RedisClient, keys: KeySchema, torrents: readonly TorrentRow[]): Promise<number> {
  const scripts = new Scripts(client);
  const byShard = new Map<number, TorrentRow[]>();
  for (const t of torrents) {
    if (t.infoHash.length === 0) continue;
    const n = keys.torrent(t.infoHash).shard.shard;
    const list = byShard.get(n);
    if (list) list.push(t);
    else byShard.set(n, [t]);
  }
  let written = 0;
  for (const s of keys.shards()) {
    const current = await hashEntries(client, s.index);
    const load: TorrentRow[] = [];
    const seen = new Set<string>();
    for (const t of byShard.get(s.shard) ?? []) {
      const hex = t.infoHash.toString('hex');
      seen.add(hex);
      if (current.get(hex) !== `${t.id}|${t.freeTorrent}`) load.push(t);
    }
    const drop = [...current.keys()].filter((hex) => !seen.has(hex));
    const items: Array<TorrentRow | string> = [...load, ...drop];
    // one call even when nothing changed: it marks the shard as loaded
    for (let at = 0; at === 0 || at < items.length; at += CHUNK) {
      const chunk = items.slice(at, at + CHUNK);
      const l = chunk.filter((x): x is TorrentRow => typeof x !== 'string');
      const d = chunk.filter((x): x is string => typeof x === 'string');
      const tkeys = [...l.map((t) => keys.torrent(t.infoHash).torrent), ...d.map((h) => keys.torrentHex(h).torrent)];
      const args: (string | number)[] = [l.length];
      for (const t of l) args.push(t.infoHash.toString('hex'), t.id, t.freeTorrent, t.snatched);
      args.push(...d);
      written += Number(await scripts.call('loadTorrents', [s.index, s.counts, ...tkeys], args));
    }
  }
  return written;
}

/** Freeleech tokens, shard by shard: added and removed to match the site's. */
export async function loadTokens(client: RedisClient, keys: KeySchema, tokens: readonly TokenRow[], torrents: readonly TorrentRow[]): Promise<number> {
  const scripts = new Scripts(client);
  const hashOf = new Map(torrents.map((t) => [t.id, t.infoHash]));
  const next = new Map<number, Set<string>>();
  for (const tk of tokens) {
    const ih = hashOf.get(tk.torrentId);
    if (!ih || ih.length === 0) continue;
    const n = keys.torrent(ih).shard.shard;
    const set = next.get(n) ?? new Set<string>();
    set.add(`${tk.torrentId}:${tk.userId}`);
    next.set(n, set);
  }
  const hexOf = new Map(torrents.map((t) => [t.id, t.infoHash.toString('hex')]));
  let changed = 0;
  for (const s of keys.shards()) {
    const now = new Set(await client.smembers(s.tokens));
    const want = next.get(s.shard) ?? new Set<string>();
    const changes: Array<['+' | '-', string]> = [];
    for (const m of want) if (!now.has(m)) changes.push(['+', m]);
    for (const m of now) if (!want.has(m)) changes.push(['-', m]);
    await inChunks(changes, CHUNK, async (c) => {
      const tkeys: string[] = [];
      const args: string[] = [];
      for (const [op, m] of c) {
        const [tid, uid] = m.split(':');
        // a token of a torrent that is gone: only its index entry is dropped
        const hex = hexOf.get(Number(tid));
        tkeys.push(hex ? keys.torrentHex(hex).torrent : `${keys.prefix}{${s.shard}}t:gone`);
        args.push(op, tid, uid);
      }
      changed += Number(await scripts.call('loadTokens', [s.tokens, ...tkeys], args));
    });
  }
  return changed;
}
