import type { FreeType } from '@oncilla/rows';
import type { KeySchema } from './keys.js';
import { asNumber, Scripts, type RedisClient } from './scripts.js';

/** Feed entries kept (about): a worker further behind than this reloads the lists whole. */
export const FEED_LENGTH = 10_000;

export interface PeerCounts {
  seeders: number;
  leechers: number;
  ipv4: number;
  ipv6: number;
}

/**
 * The site's changes (the update API), each one atomic in Redis. A torrent's change touches
 * that torrent's shard; a change to the lists workers keep in memory (passkeys, removed users,
 * whitelist, runtime settings) also writes the change feed, which every worker of every host
 * follows (feed.ts).
 */
export class SiteControl {
  readonly #s: Scripts;

  constructor(private readonly client: RedisClient, private readonly keys: KeySchema) {
    this.#s = new Scripts(client);
  }

  async addTorrent(infoHash: Buffer, id: number, free: FreeType): Promise<boolean> {
    const t = this.keys.torrent(infoHash);
    return (await this.#s.call('addTorrent', [t.torrent, t.shard.index], [t.hex, id, free])) === 1;
  }

  /**
   * Sets the free type of the known torrents among `infoHashes`, one call per shard (each shard
   * all or nothing). Every shard is tried even when one fails: `changed` counts the torrents
   * changed, `failed` the hashes whose shard's call failed (Redis error), `error` the first error.
   */
  async setFreeType(infoHashes: Buffer[], free: FreeType): Promise<{ changed: number; failed: number; error?: Error }> {
    const byShard = new Map<number, string[]>();
    for (const ih of infoHashes) {
      const hex = ih.toString('hex');
      const n = this.keys.torrent(ih).shard.shard;
      byShard.set(n, [...(byShard.get(n) ?? []), hex]);
    }
    const shards = [...byShard];
    const results = await Promise.allSettled(shards.map(async ([n, hexes]) => {
      const keys = [this.keys.shard(n).index, ...hexes.map((h) => this.keys.torrentHex(h).torrent)];
      return asNumber(await this.#s.call('setFreeType', keys, [free, ...hexes]));
    }));
    const out: { changed: number; failed: number; error?: Error } = { changed: 0, failed: 0 };
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') out.changed += r.value;
      else {
        out.failed += shards[i][1].length;
        out.error ??= r.reason instanceof Error ? r.reason : new Error(String(r.reason));
      }
    });
    return out;
  }

  /** Returns the torrent id, or 0 when the torrent was unknown. */
  async deleteTorrent(infoHash: Buffer, reason: number, now: number, reasonLifetime: number): Promise<number> {
    const t = this.keys.torrent(infoHash);
    const s = t.shard;
    return asNumber(await this.#s.call('deleteTorrent', [t.torrent, t.seeders, t.leechers, s.swarms, s.counts, s.tokens, s.index],
      [t.hex, reason, now, reasonLifetime]));
  }

  async setToken(infoHash: Buffer, userId: number, on: boolean): Promise<boolean> {
    const t = this.keys.torrent(infoHash);
    return (await this.#s.call('setToken', [t.torrent, t.shard.tokens], [userId, on ? '1' : '0'])) === 1;
  }

  async addUser(passkey: string, id: number, isProtected: boolean): Promise<boolean> {
    const g = this.keys.global;
    return (await this.#s.call('addUser', [g.users, g.removed, g.feed, g.version], [passkey, id, isProtected ? '1' : '0', FEED_LENGTH])) === 1;
  }

  async removeUsers(passkeys: string[], now: number): Promise<number> {
    if (passkeys.length === 0) return 0;
    const g = this.keys.global;
    return asNumber(await this.#s.call('removeUsers', [g.users, g.removed, g.feed, g.version], [now, FEED_LENGTH, ...passkeys]));
  }

  /** undefined leaves a flag as it is. */
  async updateUser(passkey: string, canLeech: boolean | undefined, isProtected: boolean | undefined): Promise<boolean> {
    const flag = (v: boolean | undefined): string => (v === undefined ? '' : v ? '1' : '0');
    const g = this.keys.global;
    return (await this.#s.call('updateUser', [g.users, g.feed, g.version], [passkey, flag(canLeech), flag(isProtected), FEED_LENGTH])) === 1;
  }

  async changePasskey(oldKey: string, newKey: string): Promise<boolean> {
    const g = this.keys.global;
    return (await this.#s.call('changePasskey', [g.users, g.feed, g.version], [oldKey, newKey, FEED_LENGTH])) === 1;
  }

  /** Removes `remove` (if given) and adds `add` (if given); prefixes are raw peer_id bytes. Returns the size. */
  async editWhitelist(remove: Buffer | undefined, add: Buffer | undefined): Promise<number> {
    const g = this.keys.global;
    return asNumber(await this.#s.call('editWhitelist', [g.whitelist, g.feed, g.version],
      [remove ? remove.toString('hex') : '-', add ? add.toString('hex') : '-', FEED_LENGTH]));
  }

  async setSetting(name: 'announce_interval' | 'announce_jitter', value: number): Promise<void> {
    const g = this.keys.global;
    await this.#s.call('setSetting', [g.settings, g.feed, g.version], [name, String(value), FEED_LENGTH]);
  }

  /** A config reload (SIGHUP) drops the site's runtime overrides, as Ocelot does. */
  async clearSettings(): Promise<void> {
    const g = this.keys.global;
    await this.#s.call('setSetting', [g.settings, g.feed, g.version], ['', '', FEED_LENGTH]);
  }

  /** The change feed's version now: a change written before this call has this version or a lower one. */
  async feedVersion(): Promise<number> {
    return Number((await this.client.get(this.keys.global.version)) ?? 0);
  }

  async torrentInfo(infoHash: Buffer): Promise<{ id: number; free: number } | undefined> {
    const [id, free] = await this.client.hmget(this.keys.torrent(infoHash).torrent, 'id', 'f');
    return id === null ? undefined : { id: Number(id), free: Number(free ?? 0) };
  }

  /**
   * Removed users whose peers must all have been reaped by now need no remembering. Workers may
   * keep them in memory a while longer: harmless, they have no peers left to hide.
   */
  async pruneRemovedUsers(before: number): Promise<number> {
    return this.client.zremrangebyscore(this.keys.global.removed, '-inf', `(${before}`);
  }

  /** The user id of a passkey (the report's get=user asks MySQL for the counts). */
  async userId(passkey: string): Promise<number | undefined> {
    const v = await this.client.hget(this.keys.global.users, passkey);
    return v === null ? undefined : Number(v.split('|')[0]);
  }

  /** Peers over every swarm: the sum of the shards' counters. */
  async peerCounts(): Promise<PeerCounts> {
    const all = await Promise.all(this.keys.shards().map((s) => this.client.hmget(s.counts, 's', 'l', '4', '6')));
    const out: PeerCounts = { seeders: 0, leechers: 0, ipv4: 0, ipv6: 0 };
    for (const [s, l, v4, v6] of all) {
      out.seeders += Number(s ?? 0);
      out.leechers += Number(l ?? 0);
      out.ipv4 += Number(v4 ?? 0);
      out.ipv6 += Number(v6 ?? 0);
    }
    // a counter briefly below zero (never expected) must not show as a negative count
    return { seeders: Math.max(0, out.seeders), leechers: Math.max(0, out.leechers), ipv4: Math.max(0, out.ipv4), ipv6: Math.max(0, out.ipv6) };
  }
}
