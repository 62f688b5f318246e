import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { applyBatches, pruneFlushLog, type Pool, type RejectedRow } from '@oncilla/database';
import { readBatch, syncReplicas, type FlushBatches, type KeySchema, type RedisClient, type ShardBatch } from '@oncilla/swarm-store';
import type { Logger } from '../logger.js';

export interface FlushStats {
  batches: number;
  rows: number;
  rejected: number;
  failures: number;
  /** Seconds the oldest unflushed batch has waited (0 when nothing waits). */
  lagSeconds: number;
  /** Rows waiting in Redis: not cut yet, and in batches being written. */
  pendingRows: number;
  batchRows: number;
  lastError: string;
}

/** Rows MySQL refused are kept here (newest last) for an operator to look at. */
const REJECTED_KEEP = 10_000;
/**
 * Retries back off up to this (or schedule_interval, if longer), and start again from
 * schedule_interval after a success: low, since a flush attempt costs MySQL little, and a
 * MySQL back from a stall should be caught up within seconds.
 */
const MAX_BACKOFF_MS = 5_000;
const PRUNE_EVERY_MS = 3_600_000;
/** How long the flush waits for replicas to confirm a cut before it gives up and retries. */
const REPLICA_WAIT_MS = 1_000;

export interface FlusherOptions {
  /** mysql_flush_timeout, in ms: one statement longer than this fails the flush. */
  queryTimeoutMs: number;
  /** flush_lag_warning: a lag past this many seconds is logged (once per minute while it lasts). */
  lagWarningSeconds: number;
}

/**
 * The primary's flush loop. Every schedule_interval, if this primary holds the flush lease:
 * finish each shard's unfinished batch or cut a new one from its pending rows, write them all
 * to MySQL together (exactly once per part, see @oncilla/database applyBatches), then end them
 * in Redis. On a MySQL failure the batches stay in Redis and the loop backs off; announces keep
 * coalescing into the pending rows meanwhile.
 */
export class Flusher {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  // pendingRows is -1 until the backlog was first measured
  readonly stats: FlushStats = { batches: 0, rows: 0, rejected: 0, failures: 0, lagSeconds: 0, pendingRows: -1, batchRows: 0, lastError: '' };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;
  #nextAttempt = 0;
  #backoff = 0;
  #lastPrune = 0;
  #lastLagWarning = 0;
  #leader = false;
  #replicasSeen = -1;
  /** The lag of rows pending since before this primary started counts from here. */
  readonly #startedAt = Date.now();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly batches: FlushBatches,
    private readonly pool: Pool,
    private readonly log: Logger,
    private intervalSeconds: number,
    private opts: FlusherOptions = { queryTimeoutMs: 20_000, lagWarningSeconds: 30 },
  ) {}

  /** mysql_flush_timeout or flush_lag_warning changed (SIGHUP): the next flush and measure use them. */
  configure(opts: FlusherOptions): void {
    this.opts = opts;
  }

  get leaseTtlMs(): number {
    return Math.max(10_000, this.intervalSeconds * 3_000);
  }

  start(): void {
    this.#timer = setInterval(() => {
      void this.tick();
      void this.measure();
    }, this.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** schedule_interval changed (SIGHUP): re-arm the timer if it runs. */
  setInterval(seconds: number): void {
    if (seconds === this.intervalSeconds) return;
    this.intervalSeconds = seconds;
    if (this.#timer) {
      clearInterval(this.#timer);
      this.start();
    }
  }

  /** Whether this primary held the flush lease at its last attempt (the callback rides on it). */
  get leader(): boolean {
    return this.#leader;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The backlog and the lag, every tick even while a flush hangs. The lag is the age of the
   * oldest batch under way (a stuck MySQL shows), or how long rows have been pending beyond one
   * schedule_interval without any flusher cutting them into a batch (a lease holder that
   * flushes nothing shows too, on every primary).
   */
  async measure(): Promise<void> {
    try {
      const b = await this.batches.backlog();
      const now = Date.now();
      const nowS = Math.floor(now / 1000);
      this.stats.pendingRows = b.pendingRows;
      this.stats.batchRows = b.batchRows;
      const batchLag = b.oldestBatchAt === undefined ? 0 : nowS - b.oldestBatchAt;
      const pendingLag = b.pendingRows > 0 ? Math.floor((now - Math.max(b.lastCutMs ?? 0, this.#startedAt)) / 1000) - this.intervalSeconds : 0;
      this.stats.lagSeconds = Math.max(0, batchLag, pendingLag);
      if (this.stats.lagSeconds >= this.opts.lagWarningSeconds && now - this.#lastLagWarning > 60_000) {
        this.#lastLagWarning = now;
        this.log.warn({ lagSeconds: this.stats.lagSeconds, rows: b.batchRows + b.pendingRows }, `the flush is ${this.stats.lagSeconds} s behind`);
      }
    } catch {
      // Redis away: the announces say so; the figures stay as they were
    }
  }

  /** One scheduled run; never overlaps another. */
  async tick(): Promise<boolean> {
    if (this.#running) return false;
    if (Date.now() < this.#nextAttempt) return false;
    this.#running = this.#flushIfLeader();
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  /** Flushes until nothing is pending (graceful shutdown), or until the deadline. */
  async drain(deadline: number): Promise<boolean> {
    if (this.#running) await this.#running.catch(() => undefined);
    while (Date.now() < deadline) {
      this.#nextAttempt = 0;
      const did = await this.tick();
      if (!did) {
        if (this.stats.lastError) return false;
        const b = await this.batches.backlog();
        if (b.pendingRows + b.batchRows === 0) return true;
        // another primary holds the lease: it will flush what is left
        if (!(await this.batches.holdLease(this.owner, this.leaseTtlMs))) return true;
      }
    }
    return false;
  }

  async releaseLease(): Promise<void> {
    // Not fatal (the lease expires after leaseTtlMs), but another cluster waits that long: say so.
    await this.batches.releaseLease(this.owner).catch((err: Error) =>
      this.log.warn({ err: err.message, ttlMs: this.leaseTtlMs }, `could not release the flush lease; another cluster can take it when it expires in ${Math.round(this.leaseTtlMs / 1000)} s`));
  }

  async #flushIfLeader(): Promise<boolean> {
    try {
      this.#leader = await this.batches.holdLease(this.owner, this.leaseTtlMs);
      if (!this.#leader) return false;
      const did = await this.#flushOnce();
      this.#backoff = 0;
      this.stats.lastError = '';
      return did;
    } catch (err) {
      this.stats.failures++;
      this.stats.lastError = (err as Error).message;
      this.#backoff = Math.min(Math.max(this.#backoff * 2, this.intervalSeconds * 1000), Math.max(MAX_BACKOFF_MS, this.intervalSeconds * 1000));
      this.#nextAttempt = Date.now() + this.#backoff;
      await this.measure();
      this.log.error(
        { err: this.stats.lastError, lagSeconds: this.stats.lagSeconds, retryInMs: this.#backoff },
        `flush failed; pending rows stay in Redis, behind by ${this.stats.lagSeconds} s, retrying in ${Math.round(this.#backoff / 1000)} s`,
      );
      return false;
    }
  }

  async #flushOnce(): Promise<boolean> {
    const started = Date.now();
    const cut = await this.batches.begin(Math.floor(started / 1000));
    // every shard's pending rows are in a batch now (or there were none)
    await this.batches.markCut(started);
    if (cut.length === 0) return false;
    const waitStarted = Date.now();
    await this.#awaitReplicas(cut.length);
    const replicaWaitMs = Date.now() - waitStarted;
    const resumed = cut.filter((b) => !b.fresh);
    if (resumed.length) this.log.warn({ batches: resumed.map((b) => b.id) }, `resuming ${resumed.length} unfinished flush batch(es)`);
    const batches = await Promise.all(cut.map(async (b: ShardBatch) => readBatch(b.id, await this.batches.read(b))));
    const result = await applyBatches(this.pool, batches, {
      queryTimeoutMs: this.opts.queryTimeoutMs,
      log: {
        info: (m) => this.log.info(m),
        warn: (m) => this.log.warn(m),
        error: (m) => this.log.error(m),
      },
      onRejected: (r) => this.#setAside(r),
    });
    await Promise.all(cut.map((b) => this.batches.end(b)));
    this.stats.batches += cut.length;
    this.stats.rows += result.rows;
    this.stats.rejected += result.rejected;
    this.log.info(
      { shards: cut.length, rows: result.rows, parts: result.parts, skipped: result.skipped, rejected: result.rejected, replicaWaitMs, ms: Date.now() - started },
      'flushed',
    );
    if (Date.now() - this.#lastPrune > PRUNE_EVERY_MS) {
      this.#lastPrune = Date.now();
      await pruneFlushLog(this.pool, 7 * 86400, this.opts.queryTimeoutMs).catch((err: Error) => this.log.warn(`pruning oncilla_flush_log failed: ${err.message}`));
    }
    return true;
  }

  /**
   * The cut must be on the replicas before MySQL gets the rows: a replica promoted without it
   * would still hold them as pending, and they would be flushed again under a new batch id.
   */
  async #awaitReplicas(batches: number): Promise<void> {
    const sync = await syncReplicas(this.redis, REPLICA_WAIT_MS);
    if (sync.replicated !== this.#replicasSeen) {
      this.#replicasSeen = sync.replicated;
      this.log.info({ masters: sync.masters, replicated: sync.replicated }, sync.replicated
        ? `the flush waits for a replica of ${sync.replicated} of ${sync.masters} Redis master(s) to hold each cut (WAIT)`
        : `no Redis replica connected: the flush does not wait for one`);
    }
    if (sync.behind.length) {
      throw new Error(`${batches} batch(es) cut but a replica of ${sync.behind.join(', ')} did not confirm them within ${REPLICA_WAIT_MS} ms; not writing them to MySQL yet`);
    }
  }

  async #setAside(r: RejectedRow): Promise<void> {
    // Buffers (peer ids) reach a replacer already as {type:'Buffer', data}: turn them into hex.
    const json = JSON.stringify(r, (_k, v: unknown) =>
      v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v);
    this.log.warn({ table: r.table, reason: r.reason }, 'row refused by MySQL, set aside');
    const key = this.keys.global.flushRejected;
    await this.redis.multi().rpush(key, json).ltrim(key, -REJECTED_KEEP, -1).exec();
  }
}
