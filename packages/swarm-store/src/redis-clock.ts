/**
 * Redis' clock, read in the worker. The announce script takes its time from its argument
 * rather than calling TIME (a command inside the script: about 6% of its instructions), so
 * every worker stamps its announces with Redis' time: its own clock plus an offset measured
 * against Redis' TIME now and then. Workers on hosts whose clocks disagree still agree on a
 * peer's announce times, its seed time and its speeds, as when the script read TIME itself.
 */
import { asArray } from './scripts.js';

/** How often the offset is measured again (a clock that was stepped is caught up within this). */
export const CLOCK_SYNC_MS = 10_000;

export interface TimeSource {
  time(): Promise<unknown>;
}

export class RedisClock {
  #offsetMs = 0;
  #timer?: NodeJS.Timeout;

  constructor(private readonly source: TimeSource, private readonly localMs: () => number = Date.now) {}

  /**
   * Measures the offset: Redis' time against the middle of the round trip. A failed read keeps
   * the offset it had (an announce meets the same Redis, and fails too).
   */
  async sync(): Promise<number> {
    const before = this.localMs();
    const [s, us] = asArray(await this.source.time()).map((v) => Number(String(v)));
    const after = this.localMs();
    if (Number.isFinite(s) && Number.isFinite(us)) this.#offsetMs = s * 1000 + us / 1000 - (before + after) / 2;
    return this.#offsetMs;
  }

  /** Syncs every `everyMs` (not keeping the process alive); `onSync` sees each new offset. */
  start(everyMs = CLOCK_SYNC_MS, onSync?: (offsetMs: number) => void): void {
    this.stop();
    this.#timer = setInterval(() => {
      this.sync().then(onSync, () => undefined);
    }, everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Redis' clock minus this host's, in ms, as last measured. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Unix seconds on Redis' clock. */
  seconds(): number {
    return Math.floor((this.localMs() + this.#offsetMs) / 1000);
  }
}
