import http from 'node:http';
import type { Config } from '@oncilla/config';
import type { KeySchema, RedisClient } from '@oncilla/swarm-store';
import type { Flusher } from './flush/flusher.js';
import type { Logger } from './logger.js';

/** Pairs per request: Ocelot sends a batch once its buffer passes 350 characters. */
const BATCH = 30;
const MIN_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 300_000;

/** The URL of the site's token-expiry hook. */
export function callbackUrl(c: Pick<Config, 'siteHost' | 'sitePort' | 'sitePath' | 'sitePassword'>, pairs: string[]): string {
  const host = c.siteHost.includes(':') ? `[${c.siteHost}]` : c.siteHost;
  return `http://${host}:${c.sitePort}${c.sitePath}/tools.php?key=${encodeURIComponent(c.sitePassword)}&type=expiretoken&action=ocelot&tokens=${pairs.join(',')}`;
}

/**
 * Tells the site which freeleech tokens were used up (`uid:tid` pairs queued by the announce
 * script in Redis). Sent by the flush lease holder only, in batches; a pair leaves the queue
 * only after the site answered 200, so nothing is lost across restarts (a batch may be sent
 * twice after a crash; the site's handler is idempotent). Failures back off exponentially,
 * never a tight loop (Ocelot's bug F25 in docs/ocelot-compatibility.md).
 */
export class TokenExpiryCallback {
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #backoff = 0;
  #nextAttempt = 0;
  sent = 0;
  failures = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly flusher: Flusher,
    private readonly log: Logger,
    private readonly config: () => Config,
  ) {}

  /** Every schedule_interval (Ocelot sends the callback at its scheduler's tick too): each tick reads 256 shard queues. */
  start(): void {
    this.#timer = setInterval(() => void this.tick(), Math.max(1, this.config().scheduleInterval) * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async tick(): Promise<void> {
    if (this.#busy || !this.flusher.leader || Date.now() < this.#nextAttempt) return;
    this.#busy = true;
    try {
      // each shard keeps its own queue; a batch takes from as many as it needs
      const lists = await Promise.all(this.keys.shards().map(async (s) => ({ key: s.expiries, pairs: await this.redis.lrange(s.expiries, 0, BATCH - 1) })));
      const waiting = lists.filter((l) => l.pairs.length > 0);
      while (waiting.length > 0) {
        const take: Array<{ key: string; n: number }> = [];
        const pairs: string[] = [];
        while (waiting.length > 0 && pairs.length < BATCH) {
          const l = waiting[0];
          const n = Math.min(l.pairs.length, BATCH - pairs.length);
          pairs.push(...l.pairs.splice(0, n));
          take.push({ key: l.key, n });
          if (l.pairs.length === 0) waiting.shift();
        }
        const status = await get(callbackUrl(this.config(), pairs));
        if (status !== 200) throw new Error(`the site answered HTTP ${status}`);
        for (const t of take) await this.redis.ltrim(t.key, t.n, -1);
        this.sent += pairs.length;
        this.#backoff = 0;
        this.log.info(`Expired ${pairs.length} freeleech tokens on the site`);
      }
    } catch (err) {
      this.failures++;
      this.#backoff = Math.min(Math.max(this.#backoff * 2, MIN_BACKOFF_MS), MAX_BACKOFF_MS);
      this.#nextAttempt = Date.now() + this.#backoff;
      this.log.warn(`token expiry callback failed (${(err as Error).message}); retrying in ${this.#backoff / 1000} s`);
    } finally {
      this.#busy = false;
    }
  }
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 10_000, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
