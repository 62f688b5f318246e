/**
 * The lists a worker keeps in memory (passkeys, removed users, the whitelist, the site's runtime
 * settings) and the follower that keeps them current from Redis' change feed
 * (redis/includes/feed.lua writes it; this module is its one reader).
 *
 * A worker answers an announce from these lists only while they are known to be current: the
 * follower's blocking read returns within `blockMs` when nothing changed, and each completed
 * read confirms every change written before it was sent. `fresh()` says whether that last
 * confirmation is recent enough; when it is not (the feed's connection is down, Redis hangs)
 * the worker answers "temporarily unavailable" rather than from lists that may be stale.
 */
import type { GlobalKeys } from './keys.js';
import type { AnnounceUser } from './types.js';
import type { RedisClient } from './scripts.js';

export interface RuntimeSettings {
  announceInterval?: number;
  announceJitter?: number;
}

/** passkey -> uid * 4 + can_leech + 2 * protected: a number per user keeps a million users small. */
function packUser(value: string): number | undefined {
  const m = /^(\d+)\|(\d)\|(\d)/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * 4 + (m[2] === '1' ? 1 : 0) + (m[3] === '1' ? 2 : 0);
}

/** The in-memory lists. Pure: the follower fills them, the announce path reads them. */
export class SiteLists {
  #users = new Map<string, number>();
  #removed = new Set<number>();
  #prefixes = new Set<string>();
  #lengths: number[] = [];
  settings: RuntimeSettings = {};

  get userCount(): number {
    return this.#users.size;
  }

  get whitelistSize(): number {
    return this.#prefixes.size;
  }

  user(passkey: string): AnnounceUser | undefined {
    const v = this.#users.get(passkey);
    if (v === undefined) return undefined;
    return { uid: Math.floor(v / 4), canLeech: (v & 1) === 1, isProtected: (v & 2) === 2 };
  }

  isRemoved(uid: number): boolean {
    return this.#removed.has(uid);
  }

  /** With no whitelist every client is admitted; otherwise the peer_id must start with a listed prefix. */
  whitelisted(peerId: Buffer): boolean {
    if (this.#prefixes.size === 0) return true;
    for (const len of this.#lengths) {
      if (len <= peerId.length && this.#prefixes.has(peerId.toString('latin1', 0, len))) return true;
    }
    return false;
  }

  setUser(passkey: string, value: string): void {
    const v = packUser(value);
    if (v === undefined) this.#users.delete(passkey);
    else this.#users.set(passkey, v);
  }

  deleteUser(passkey: string): void {
    this.#users.delete(passkey);
  }

  markRemoved(uid: number): void {
    this.#removed.add(uid);
  }

  restore(uid: number): void {
    this.#removed.delete(uid);
  }

  /** Prefixes as Redis holds them (hex). */
  setWhitelist(hexPrefixes: readonly string[]): void {
    this.#prefixes = new Set(hexPrefixes.map((h) => Buffer.from(h, 'hex').toString('latin1')));
    this.#lengths = [...new Set([...this.#prefixes].map((p) => p.length))].sort((a, b) => a - b);
  }

  setSettings(hash: Record<string, string>): void {
    const n = (v: string | undefined): number | undefined => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
    this.settings = { announceInterval: n(hash.announce_interval), announceJitter: n(hash.announce_jitter) };
  }

  /** Replaces the users and removed users at once (a full read of the lists). */
  replace(users: Map<string, number>, removed: Set<number>): void {
    this.#users = users;
    this.#removed = removed;
  }

  static packUser = packUser;
}

export interface FeedEntry {
  id: string;
  version: number;
  op: string;
  a: string;
  b: string;
  c: string;
}

/** XREAD's reply for one stream, as entries. */
export function parseEntries(raw: Array<[string, string[]]>): FeedEntry[] {
  return raw.map(([id, flat]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]] = flat[i + 1];
    return { id, version: Number(f.v), op: f.o ?? '', a: f.a ?? '', b: f.b ?? '', c: f.c ?? '' };
  });
}

/** What an entry asks for beyond the change it applies itself. */
export type Followup = 'none' | 'whitelist' | 'settings' | 'everything';

/** Applies one entry to the lists (entries set absolute values, so one applied twice is harmless). */
export function applyEntry(lists: SiteLists, e: FeedEntry): Followup {
  switch (e.op) {
    case 'u':
      lists.setUser(e.a, e.b);
      return 'none';
    case 'c':
      lists.deleteUser(e.a);
      lists.setUser(e.b, e.c);
      return 'none';
    case 'a':
      lists.setUser(e.a, e.b);
      lists.restore(Number(e.c));
      return 'none';
    case 'r':
      for (let i = 0; i < e.a.length; i += 32) lists.deleteUser(e.a.slice(i, i + 32));
      for (const uid of e.b.split(',')) if (uid !== '') lists.markRemoved(Number(uid));
      return 'none';
    case 'w':
      return 'whitelist';
    case 's':
      return 'settings';
    default:
      // 'L' (the lists were reloaded in bulk) and anything this version does not know
      return 'everything';
  }
}

export interface FeedLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface FollowerOptions {
  /** How long one blocking read waits for a change (ms). */
  blockMs?: number;
}

const SCAN_PAGE = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Keeps `lists` current from Redis. Give it a connection of its own: its reads block.
 */
export class FeedFollower {
  /** ms timestamp at which the last completed read was sent: every change before it is applied. */
  confirmedAt = 0;
  /** Redis has no lists (its generation is gone): nothing can be answered until they are loaded. */
  missing = false;
  /** Lists read in full (the first time, after a gap, after a reload) */
  resyncs = 0;
  #generation: string | null = null;
  #version = 0;
  #lastId = '0-0';
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #blockMs: number;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: GlobalKeys,
    readonly lists: SiteLists,
    private readonly log: FeedLog,
    opts: FollowerOptions = {},
  ) {
    this.#blockMs = opts.blockMs ?? 200;
  }

  /** The feed version applied so far. */
  get version(): number {
    return this.#version;
  }

  /**
   * Resolves once this follower has applied the feed up to `version` (the site's change a
   * worker just wrote), or after `timeoutMs`: then the change is at least in Redis, and every
   * worker applies it within its own next read.
   */
  async caughtUp(version: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#version < version) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  #waiters: Array<() => void> = [];

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }

  /** Whether the lists are current enough to answer from (their last confirmation is younger than maxAgeMs). */
  fresh(now: number, maxAgeMs: number): boolean {
    return !this.missing && this.confirmedAt > 0 && now - this.confirmedAt <= maxAgeMs;
  }

  /** Reads the lists, then follows the feed in the background. Resolves once the lists are read. */
  async start(): Promise<void> {
    this.#running = true;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        await this.#resync();
        break;
      } catch (err) {
        if (!this.#running) return;
        this.log.warn(`reading the lists from Redis failed (${(err as Error).message}); retrying in ${delay} ms`);
        await sleep(delay);
      }
    }
    this.#loop = this.#follow();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #follow(): Promise<void> {
    let failing = false;
    while (this.#running) {
      try {
        const sentAt = Date.now();
        const g = this.keys;
        const res = await this.client.pipeline()
          .get(g.generation)
          .xread('COUNT', 1000, 'BLOCK', this.#blockMs, 'STREAMS', g.feed, this.#lastId)
          .exec();
        if (!res) throw new Error('no reply');
        for (const [err] of res) if (err) throw err;
        const generation = res[0][1] as string | null;
        const streams = res[1][1] as Array<[string, Array<[string, string[]]>]> | null;
        if (failing) this.log.info('change feed: reading again');
        failing = false;
        if (generation === null) {
          if (!this.missing) this.log.warn('change feed: Redis has no lists (was it emptied?); answering "unavailable" until they are loaded again');
          this.missing = true;
          continue;
        }
        if (generation !== this.#generation) {
          await this.#resync();
          continue;
        }
        if (streams && !(await this.#apply(parseEntries(streams[0][1])))) {
          await this.#resync();
          continue;
        }
        this.confirmedAt = sentAt;
        this.#wake();
      } catch (err) {
        if (!this.#running) return;
        this.#wake();
        if (!failing) this.log.warn(`change feed: ${(err as Error).message}; retrying`);
        failing = true;
        await sleep(100);
      }
    }
  }

  /** Applies entries in order; false when one is missing (a gap: the lists must be read whole). */
  async #apply(entries: FeedEntry[]): Promise<boolean> {
    for (const e of entries) {
      if (e.version !== this.#version + 1) return false;
      const next = applyEntry(this.lists, e);
      if (next === 'everything') return false;
      if (next === 'whitelist') this.lists.setWhitelist(await this.client.smembers(this.keys.whitelist));
      if (next === 'settings') this.lists.setSettings(await this.client.hgetall(this.keys.settings));
      this.#version = e.version;
      this.#lastId = e.id;
    }
    return true;
  }

  /** Reads the lists whole, then the feed from where the read began. */
  async #resync(): Promise<void> {
    const sentAt = Date.now();
    const g = this.keys;
    const head = await this.client.multi().get(g.generation).get(g.version).xrevrange(g.feed, '+', '-', 'COUNT', 1).exec();
    if (!head) throw new Error('no reply');
    for (const [err] of head) if (err) throw err;
    const generation = head[0][1] as string | null;
    if (generation === null) {
      this.missing = true;
      this.#generation = null;
      return;
    }
    const version = Number(head[1][1] ?? 0);
    const last = head[2][1] as Array<[string, string[]]>;
    const users = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, flat] = await this.client.hscan(g.users, cursor, 'COUNT', SCAN_PAGE);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const v = SiteLists.packUser(flat[i + 1]);
        if (v !== undefined) users.set(flat[i], v);
      }
    } while (cursor !== '0');
    const removed = new Set((await this.client.zrange(g.removed, '0', '-1')).map(Number));
    this.lists.replace(users, removed);
    this.lists.setWhitelist(await this.client.smembers(g.whitelist));
    this.lists.setSettings(await this.client.hgetall(g.settings));
    this.#generation = generation;
    this.#version = version;
    this.#lastId = last.length ? last[0][0] : '0-0';
    this.missing = false;
    this.resyncs++;
    // what changed while the lists were read is in the feed after #lastId
    for (;;) {
      const r = (await this.client.xread('COUNT', 1000, 'STREAMS', g.feed, this.#lastId)) as Array<[string, Array<[string, string[]]>]> | null;
      if (!r || r[0][1].length === 0) break;
      if (!(await this.#apply(parseEntries(r[0][1])))) throw new Error('the feed changed too much while the lists were read');
    }
    this.confirmedAt = sentAt;
    this.#wake();
  }
}
