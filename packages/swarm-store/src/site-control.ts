import type { Redis } from 'ioredis';
import type { KeySchema } from './keys.js';
import { defineScripts } from './redis-peer-store.js';

type ScriptFn = (...args: (string | number | Buffer)[]) => Promise<unknown>;

/** Free types the site may set; anything else is normal (GazellePW's mapping, §8). */
export function freeTypeOf(raw: string | undefined): 0 | 1 | 2 | 11 | 12 | 13 {
  switch (raw) {
    case '1': return 1;
    case '2': return 2;
    case '11': return 11;
    case '12': return 12;
    case '13': return 13;
    default: return 0;
  }
}

/**
 * The site's changes to the lists (update API, ocelot-behaviour §8), each one atomic in Redis, so
 * the next request to any worker on any host sees it.
 */
export class SiteControl {
  readonly #s: Record<string, ScriptFn> = {};

  constructor(private readonly redis: Redis, private readonly keys: KeySchema) {
    defineScripts(redis);
    for (const name of ['addTorrent', 'setFreeType', 'deleteTorrent', 'setToken', 'addUser', 'removeUsers', 'updateUser', 'changePasskey', 'editWhitelist']) {
      const f = (redis as unknown as Record<string, ScriptFn | undefined>)[name];
      if (typeof f !== 'function') throw new Error(`Redis script ${name} is not defined`);
      this.#s[name] = f.bind(redis);
    }
  }

  async addTorrent(infoHash: Buffer, id: number, free: number): Promise<boolean> {
    return (await this.#s.addTorrent(this.keys.torrents, infoHash.toString('hex'), id, free)) === 1;
  }

  async setFreeType(infoHashes: Buffer[], free: number): Promise<number> {
    if (infoHashes.length === 0) return 0;
    return Number(await this.#s.setFreeType(this.keys.torrents, free, ...infoHashes.map((h) => h.toString('hex'))));
  }

  /** Returns the torrent id, or 0 when the torrent was unknown. */
  async deleteTorrent(infoHash: Buffer, reason: number, now: number): Promise<number> {
    const k = this.keys;
    const hex = infoHash.toString('hex');
    const t = k.torrent(hex);
    return Number(await this.#s.deleteTorrent(
      k.torrents, k.delReasons, k.swarms, t.state, t.peers, t.seeders, t.leechers,
      t.seeders4, t.seeders6, t.leechers4, t.leechers6, t.candidates, k.peerCounts, hex, reason, now,
    ));
  }

  async setToken(infoHash: Buffer, userId: number, on: boolean): Promise<boolean> {
    return (await this.#s.setToken(this.keys.torrents, this.keys.tokens, infoHash.toString('hex'), userId, on ? '1' : '0')) === 1;
  }

  async addUser(passkey: string, id: number, isProtected: boolean): Promise<boolean> {
    return (await this.#s.addUser(this.keys.users, this.keys.deletedUsers, passkey, id, isProtected ? '1' : '0')) === 1;
  }

  async removeUsers(passkeys: string[], now: number): Promise<number> {
    if (passkeys.length === 0) return 0;
    return Number(await this.#s.removeUsers(this.keys.users, this.keys.deletedUsers, this.keys.cacheEpoch, now, ...passkeys));
  }

  /** undefined leaves a flag as it is. */
  async updateUser(passkey: string, canLeech: boolean | undefined, isProtected: boolean | undefined): Promise<boolean> {
    const flag = (v: boolean | undefined): string => (v === undefined ? '' : v ? '1' : '0');
    return (await this.#s.updateUser(this.keys.users, passkey, flag(canLeech), flag(isProtected))) === 1;
  }

  async changePasskey(oldKey: string, newKey: string): Promise<boolean> {
    return (await this.#s.changePasskey(this.keys.users, oldKey, newKey)) === 1;
  }

  /** Removes `remove` (if given) and adds `add` (if given); prefixes are raw peer_id bytes. */
  async editWhitelist(remove: Buffer | undefined, add: Buffer | undefined): Promise<number> {
    return Number(await this.#s.editWhitelist(
      this.keys.whitelist, this.keys.whitelistLens, remove ? remove.toString('hex') : '-', add ? add.toString('hex') : '-',
    ));
  }

  async setSetting(name: 'announce_interval' | 'announce_jitter', value: number): Promise<void> {
    await this.redis.hset(this.keys.settings, name, String(value));
  }

  /** A config reload (SIGHUP) drops the site's runtime overrides, as Ocelot does. */
  async clearSettings(): Promise<void> {
    await this.redis.del(this.keys.settings);
  }

  async torrentInfo(infoHash: Buffer): Promise<{ id: number; free: number } | undefined> {
    const v = await this.redis.hget(this.keys.torrents, infoHash.toString('hex'));
    if (!v) return undefined;
    const [id, free] = v.split('|').map(Number);
    return { id, free };
  }

  /** The user's peers, for report?get=user (undefined: unknown passkey). */
  async userCounts(passkey: string): Promise<{ leeching: number; seeding: number } | undefined> {
    const v = await this.redis.hget(this.keys.users, passkey);
    if (!v) return undefined;
    const uid = v.split('|')[0];
    const [l, s] = await this.redis.hmget(this.keys.peerCounts, `${uid}:l`, `${uid}:s`);
    return { leeching: Math.max(0, Number(l ?? 0)), seeding: Math.max(0, Number(s ?? 0)) };
  }

  async peerCounts(): Promise<{ seeders: number; leechers: number; ipv4: number; ipv6: number }> {
    const [s, l, v4, v6] = await this.redis.hmget(this.keys.peerCounts, 'seeders', 'leechers', 'v4', 'v6');
    const n = (x: string | null): number => Math.max(0, Number(x ?? 0));
    return { seeders: n(s), leechers: n(l), ipv4: n(v4), ipv6: n(v6) };
  }
}
