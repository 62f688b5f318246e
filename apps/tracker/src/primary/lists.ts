import type { Pool } from '@oncilla/database';
import type { KeySchema, RedisClient } from '@oncilla/swarm-store';
import { loadLists, type ListCounts } from '../load-lists.js';
import type { Logger } from '../logger.js';

/** How often the primary checks that Redis still holds the lists. */
const GUARD_MS = 2000;
/** One primary reloads lost lists at a time (the others find the lock taken). */
const RELOAD_LOCK_MS = 120_000;

/**
 * The lists from MySQL: reloaded on SIGUSR1 and every reload_interval, and again as soon as
 * Redis turns out to have lost them (a restart without persistence, a FLUSHALL, a failover to
 * an empty replica): the generation key or a shard's loaded mark is gone. Until then workers
 * answer "temporarily unavailable" and /ready says not ready.
 */
export class ListKeeper {
  #reloading = false;
  #periodic: NodeJS.Timeout | undefined;
  #guard: NodeJS.Timeout | undefined;
  /** Times Redis was found without its lists (a metric). */
  losses = 0;
  /** What the last reload loaded. */
  counts: ListCounts | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly log: Logger,
    private readonly owner: string,
  ) {}

  async reload(why: string): Promise<boolean> {
    if (this.#reloading) return false;
    this.#reloading = true;
    try {
      const c = await loadLists(this.pool, this.redis, this.keys, this.log);
      this.counts = c;
      this.log.info({ ...c }, `${why}: lists reloaded (${c.users} users, ${c.removedUsers} removed, ${c.torrents} torrents, ${c.tokens} tokens, ${c.whitelist} whitelist entries)`);
      return true;
    } catch (err) {
      this.log.error({ err: (err as Error).message }, `${why}: reload failed; the previous lists stay`);
      return false;
    } finally {
      this.#reloading = false;
    }
  }

  setPeriodic(seconds: number): void {
    clearInterval(this.#periodic);
    this.#periodic = seconds > 0 ? setInterval(() => void this.reload('periodic reload'), seconds * 1000) : undefined;
    this.#periodic?.unref();
  }

  startGuard(): void {
    this.#guard = setInterval(() => void this.check(), GUARD_MS);
    this.#guard.unref();
  }

  stop(): void {
    clearInterval(this.#periodic);
    clearInterval(this.#guard);
  }

  /** Whether Redis holds the lists: the generation and every shard's loaded mark. */
  async present(): Promise<boolean> {
    const [gen, ...shards] = await Promise.all([
      this.redis.exists(this.keys.global.generation),
      ...this.keys.shards().map((s) => this.redis.hexists(s.counts, 'ok')),
    ]);
    return gen === 1 && shards.every((x) => x === 1);
  }

  async check(): Promise<void> {
    if (this.#reloading) return;
    let present: boolean;
    try {
      present = await this.present();
    } catch {
      return; // Redis away: nothing to decide until it answers
    }
    if (present) return;
    const g = this.keys.global;
    const locked = await this.redis.set(g.reloadLock, this.owner, 'PX', RELOAD_LOCK_MS, 'NX').catch(() => null);
    if (locked !== 'OK') return;
    this.losses++;
    this.log.error('Redis lost the lists (restarted empty, flushed or failed over to an empty replica); reloading them from MySQL');
    try {
      await this.reload('lists lost');
    } finally {
      await this.redis.del(g.reloadLock).catch(() => undefined);
    }
  }
}
