import http from 'node:http';
import type { Config } from '@oncilla/config';
import type { KeySchema } from '@oncilla/swarm-store';
import type { Redis } from 'ioredis';
import type { Flusher } from './flush/flusher.js';
import type { Logger } from './logger.js';

/** Pairs per request: Ocelot sends a batch once its buffer passes 350 characters. */
const BATCH = 30;
const MIN_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 300_000;

/** The URL of the site's token-expiry hook (ocelot-behaviour §11). */
export function callbackUrl(c: Pick<Config, 'siteHost' | 'sitePort' | 'sitePath' | 'sitePassword'>, pairs: string[]): string {
  const host = c.siteHost.includes(':') ? `[${c.siteHost}]` : c.siteHost;
  return `http://${host}:${c.sitePort}${c.sitePath}/tools.php?key=${encodeURIComponent(c.sitePassword)}&type=expiretoken&action=ocelot&tokens=${pairs.join(',')}`;
}

/**
 * Tells the site which freeleech tokens were used up (`uid:tid` pairs queued by the announce
 * script in Redis). Sent by the flush lease holder only, in batches; a pair leaves the queue
 * only after the site answered 200, so nothing is lost across restarts (a batch may be sent
 * twice after a crash; the site's handler is idempotent). Failures back off exponentially,
 * never a tight loop (Ocelot's bug §14.25).
 */
export class TokenExpiryCallback {
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #backoff = 0;
  #nextAttempt = 0;
  sent = 0;
  failures = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySchema,
    private readonly flusher: Flusher,
    private readonly log: Logger,
    private readonly config: () => Config,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.tick(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async tick(): Promise<void> {
    if (this.#busy || !this.flusher.leader || Date.now() < this.#nextAttempt) return;
    this.#busy = true;
    try {
      for (;;) {
        const pairs = await this.redis.lrange(this.keys.tokenExpiries, 0, BATCH - 1);
        if (pairs.length === 0) break;
        const status = await get(callbackUrl(this.config(), pairs));
        if (status !== 200) throw new Error(`the site answered HTTP ${status}`);
        await this.redis.ltrim(this.keys.tokenExpiries, pairs.length, -1);
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
