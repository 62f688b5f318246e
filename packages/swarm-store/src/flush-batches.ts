import { randomBytes } from 'node:crypto';
import type { KeySchema, ShardKeys } from './keys.js';
import type { RawBatch } from './pending-rows.js';
import { asArray, asNumber, Scripts, type RedisClient } from './scripts.js';
import type { RespValue } from './resp.js';
import type { ScriptChannel } from './script-channel.js';

/** A shard's batch under way. */
export interface ShardBatch {
  shard: ShardKeys;
  /** Unique across time (random), never reused: the exactly-once key in MySQL. */
  id: string;
  /** Unix seconds when it was cut from the pending rows. */
  cutAt: number;
  /** false when an unfinished batch was picked up again. */
  fresh: boolean;
}

const PAGE = 2000;

/**
 * Where a shard's batch can be read over a raw connection of its own (a ClusterChannels, or a
 * ScriptChannel wrapped by `readerOf`): its replies cost the primary a fraction of what
 * ioredis' decoder does on the thousands of rows a flush reads.
 */
export interface BatchReader {
  forShard(shard: ShardKeys): ScriptChannel | undefined;
}

/** A BatchReader of one Redis' channel (ready or not). */
export function readerOf(ch: ScriptChannel): BatchReader {
  return { forShard: () => (ch.ready ? ch : undefined) };
}

/** A batch's two reads, page by page, whichever connection they go over. */
interface BatchPages {
  /** One HSCAN page of the batch's hash: the next cursor and the fields and values. */
  hscan(cursor: string): Promise<[string, Buffer[]]>;
  /** LRANGE of the batch's completions. */
  lrange(start: number, stop: number): Promise<Buffer[]>;
}

async function readPages(p: BatchPages): Promise<RawBatch> {
  const pending: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, flat] = await p.hscan(cursor);
    cursor = next;
    for (const x of flat) pending.push(x);
  } while (cursor !== '0');
  const snatches: Buffer[] = [];
  for (let start = 0; ; start += PAGE) {
    const page = await p.lrange(start, start + PAGE - 1);
    for (const x of page) snatches.push(x);
    if (page.length < PAGE) break;
  }
  return { pending, snatches };
}

function buffers(v: RespValue): Buffer[] {
  if (!Array.isArray(v) || !v.every(Buffer.isBuffer)) throw new Error('unexpected reply to a batch read');
  return v;
}

/**
 * The Redis side of the flush: cutting each shard's batch from its pending rows, reading it,
 * ending it, and the lease that lets one flusher run at a time among every primary sharing the
 * Redis. Every call touches one shard's keys (one slot), so it runs on Redis Cluster as is.
 */
export class FlushBatches {
  readonly #scripts: Scripts;

  constructor(private readonly client: RedisClient, private readonly keys: KeySchema, private readonly reader?: BatchReader) {
    this.#scripts = new Scripts(client);
  }

  async holdLease(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.#scripts.call('holdLease', [this.keys.global.flushLease], [owner, ttlMs])) === 1;
  }

  async releaseLease(owner: string): Promise<boolean> {
    return (await this.#scripts.call('releaseLease', [this.keys.global.flushLease], [owner])) === 1;
  }

  /** Every shard's unfinished batch, or a new one cut from its pending rows (shards with neither are left out). */
  async begin(now: number): Promise<ShardBatch[]> {
    const prefix = randomBytes(9).toString('base64url');
    const out = await Promise.all(this.keys.shards().map(async (s): Promise<ShardBatch | undefined> => {
      const r = asArray(await this.#scripts.call('beginBatch', [s.pending, s.snatches, s.batch, s.batchSnatches, s.batchId], [`${prefix}.${s.shard}`, now]));
      if (!r[0]) return undefined;
      return { shard: s, id: String(r[0]), cutAt: asNumber(r[1]), fresh: asNumber(r[2]) === 1 };
    }));
    return out.filter((b): b is ShardBatch => b !== undefined);
  }

  /**
   * Reads a batch in pages (HSCAN, LRANGE), so Redis is never blocked by one big reply: over
   * the reader's channel when it has one ready, else (or when it fails mid-read: a channel
   * lost, a cluster's redirection) through the client, from the start. A batch does not
   * change while it is read, so reading it again is safe.
   */
  async read(b: ShardBatch): Promise<RawBatch> {
    const ch = this.reader?.forShard(b.shard);
    if (ch) {
      try {
        return await this.#readVia(ch, b);
      } catch {
        // read again below
      }
    }
    return this.#readViaClient(b);
  }

  #readVia(ch: ScriptChannel, b: ShardBatch): Promise<RawBatch> {
    return readPages({
      hscan: async (cursor) => {
        const reply = await ch.call(['HSCAN', b.shard.batch, cursor, 'COUNT', String(PAGE)]);
        if (!Array.isArray(reply) || !Buffer.isBuffer(reply[0])) throw new Error('unexpected reply to HSCAN');
        return [reply[0].toString('latin1'), buffers(reply[1])];
      },
      lrange: async (start, stop) => buffers(await ch.call(['LRANGE', b.shard.batchSnatches, String(start), String(stop)])),
    });
  }

  #readViaClient(b: ShardBatch): Promise<RawBatch> {
    return readPages({
      hscan: async (cursor) => {
        const [next, flat] = await this.client.hscanBuffer(b.shard.batch, cursor, 'COUNT', PAGE);
        return [next.toString(), flat];
      },
      lrange: (start, stop) => this.client.lrangeBuffer(b.shard.batchSnatches, start, stop),
    });
  }

  async end(b: ShardBatch): Promise<boolean> {
    const s = b.shard;
    return (await this.#scripts.call('endBatch', [s.batch, s.batchSnatches, s.batchId], [b.id])) === 1;
  }

  /** Records that every shard's pending rows were cut into batches at `nowMs`, for the lag of every primary. */
  async markCut(nowMs: number): Promise<void> {
    await this.client.set(this.keys.global.flushCut, String(nowMs));
  }

  /**
   * Rows waiting per shard (pending hash fields and completions, plus a batch under way), the
   * oldest batch (unix seconds), and when pending rows were last cut into batches (ms; undefined:
   * never, here).
   */
  async backlog(): Promise<{ pendingRows: number; batchRows: number; oldestBatchAt: number | undefined; lastCutMs: number | undefined }> {
    let pendingRows = 0;
    let batchRows = 0;
    let oldest: number | undefined;
    // one Promise.all, so a failing Redis rejects once (no promise left unhandled)
    const [at] = await Promise.all([this.client.get(this.keys.global.flushCut), ...this.keys.shards().map(async (s) => {
      const [waiting, inBatch, cutAt] = asArray(await this.#scripts.call('backlog', [s.pending, s.snatches, s.batch, s.batchSnatches, s.batchId], [])).map(asNumber);
      pendingRows += waiting;
      batchRows += inBatch;
      if (cutAt > 0 && (oldest === undefined || cutAt < oldest)) oldest = cutAt;
    })]);
    return { pendingRows, batchRows, oldestBatchAt: oldest, lastCutMs: at === null ? undefined : Number(at) };
  }
}
