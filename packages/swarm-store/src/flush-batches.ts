import type { Redis } from 'ioredis';
import { PENDING_KINDS, type KeySchema, type PendingKind } from './keys.js';
import { defineScripts } from './redis-peer-store.js';

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

function fn(redis: Redis, name: string): ScriptFn {
  const f = (redis as unknown as Record<string, ScriptFn | undefined>)[name];
  if (typeof f !== 'function') throw new Error(`Redis script ${name} is not defined`);
  return f.bind(redis);
}

export interface BatchRef {
  id: string;
  /** Unix seconds when the batch was cut from the pending rows. */
  startedAt: number;
  /** false when an unfinished batch was picked up again. */
  fresh: boolean;
}

/** A batch's raw contents: hash fields and values as Buffers, and the snatch list. */
export type RawBatch = Record<Exclude<PendingKind, 'snatches'>, Map<string, Buffer>> & { snatches: Buffer[] };

/**
 * The Redis side of the flush: cutting a batch from the pending rows, reading it, ending it,
 * and the lease that lets one flusher run at a time among every primary sharing the Redis.
 */
export class FlushBatches {
  readonly #begin: ScriptFn;
  readonly #end: ScriptFn;
  readonly #hold: ScriptFn;
  readonly #release: ScriptFn;

  constructor(private readonly redis: Redis, private readonly keys: KeySchema) {
    defineScripts(redis);
    this.#begin = fn(redis, 'beginBatch');
    this.#end = fn(redis, 'endBatch');
    this.#hold = fn(redis, 'holdLease');
    this.#release = fn(redis, 'releaseLease');
  }

  async holdLease(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.#hold(this.keys.flushLease, owner, ttlMs)) === 1;
  }

  async releaseLease(owner: string): Promise<void> {
    await this.#release(this.keys.flushLease, owner);
  }

  /** The unfinished batch if there is one, else a new one cut from the pending rows, else null. */
  async begin(newId: string, now: number): Promise<BatchRef | null> {
    const k = this.keys;
    const r = (await this.#begin(
      ...PENDING_KINDS.map((x) => k.pending[x]), ...PENDING_KINDS.map((x) => k.batch[x]), k.flushCurrent, newId, now,
    )) as [string, number, number];
    if (!r[0]) return null;
    return { id: String(r[0]), startedAt: Number(r[1]), fresh: Number(r[2]) === 1 };
  }

  async end(id: string): Promise<boolean> {
    const k = this.keys;
    return (await this.#end(...PENDING_KINDS.map((x) => k.batch[x]), k.flushCurrent, id)) === 1;
  }

  /** Reads a batch with HSCAN/LRANGE in pages, so Redis is never blocked by one big reply. */
  async read(): Promise<RawBatch> {
    const out = {} as RawBatch;
    for (const kind of PENDING_KINDS) {
      if (kind === 'snatches') continue;
      const map = new Map<string, Buffer>();
      let cursor = '0';
      do {
        const [next, flat] = await this.redis.hscanBuffer(this.keys.batch[kind], cursor, 'COUNT', 1000);
        cursor = next.toString();
        for (let i = 0; i < flat.length; i += 2) map.set(flat[i].toString('latin1'), flat[i + 1]);
      } while (cursor !== '0');
      out[kind] = map;
    }
    const snatches: Buffer[] = [];
    for (let start = 0; ; start += 1000) {
      const page = await this.redis.lrangeBuffer(this.keys.batch.snatches, start, start + 999);
      snatches.push(...page);
      if (page.length < 1000) break;
    }
    out.snatches = snatches;
    return out;
  }

  /** How many rows wait in the pending keys (not counting a batch under way): the queue sizes. */
  async pendingSizes(): Promise<Record<PendingKind, number>> {
    return this.#sizes(this.keys.pending);
  }

  /** How many rows the batch under way holds, by kind (all 0 when no batch is under way). */
  async batchSizes(): Promise<Record<PendingKind, number>> {
    return this.#sizes(this.keys.batch);
  }

  async #sizes(keys: Record<PendingKind, string>): Promise<Record<PendingKind, number>> {
    const tx = this.redis.multi();
    for (const kind of PENDING_KINDS) {
      if (kind === 'snatches') tx.llen(keys[kind]);
      else tx.hlen(keys[kind]);
    }
    const res = (await tx.exec()) ?? [];
    return Object.fromEntries(PENDING_KINDS.map((kind, i) => [kind, Number(res[i]?.[1] ?? 0)])) as Record<PendingKind, number>;
  }

  async current(): Promise<{ id: string; startedAt: number } | null> {
    const [id, at] = await this.redis.hmget(this.keys.flushCurrent, 'id', 'at');
    return id ? { id, startedAt: Number(at) } : null;
  }
}
