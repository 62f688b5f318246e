import type { RedisPeerStore, SiteControl } from '@oncilla/swarm-store';
import type { Logger } from '../logger.js';

/** Every reap_peers_interval: drop peers silent for longer than peers_timeout. */
export class Reaper {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly store: RedisPeerStore,
    private readonly control: SiteControl,
    private readonly log: Logger,
    /** Unix seconds on the clock the announces are stamped with (Redis'). */
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  start(intervalSeconds: number, peersTimeout: number): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.run(peersTimeout, intervalSeconds), intervalSeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async run(peersTimeout: number, intervalSeconds: number): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const cutoff = this.now() - peersTimeout;
      const r = await this.store.reap(cutoff);
      this.log.info(`Reaped ${r.leechers} leechers and ${r.seeders} seeders from ${r.torrents} torrents`);
      // a user removed before the previous reap has no peers left
      await this.control.pruneRemovedUsers(cutoff - intervalSeconds);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'reaper failed');
    } finally {
      this.#running = false;
    }
  }
}
