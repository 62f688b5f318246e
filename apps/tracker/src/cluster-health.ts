import type { Cluster } from 'ioredis';
import { CLUSTER_SLOTS } from '@oncilla/swarm-store';

/** How often a worker asks the cluster how it is. */
const CHECK_EVERY_MS = 500;
/** A check older than this (the cluster stopped answering) counts as failed. */
const MAX_AGE_MS = 1500;

/** The fields of CLUSTER INFO that readiness needs. */
export function parseClusterInfo(text: string): { ok: boolean; slotsOk: number } {
  const field = (name: string): string | undefined => new RegExp(`^${name}:(\\S+)`, 'm').exec(text)?.[1];
  return { ok: field('cluster_state') === 'ok', slotsOk: Number(field('cluster_slots_ok') ?? 0) };
}

/**
 * Whether a Redis Cluster can serve every announce: the cluster says ok with every slot served,
 * and every master the client knows answers. Checked in the background, so /ready is an answer
 * from memory; a cluster that stops answering goes not-ready within MAX_AGE_MS.
 */
export class ClusterHealth {
  #okAt = 0;
  #why = 'not checked yet';
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(private readonly cluster: Cluster) {}

  start(): void {
    this.#timer ??= setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.#timer.unref();
    void this.check();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  healthy(now = Date.now()): boolean {
    return now - this.#okAt <= MAX_AGE_MS;
  }

  /** Why the last check failed (for logs). */
  get why(): string {
    return this.#why;
  }

  async check(): Promise<boolean> {
    if (this.#running) return this.healthy();
    this.#running = true;
    try {
      const masters = this.cluster.nodes('master');
      if (masters.length === 0) throw new Error('no master known');
      const [info] = await Promise.all([masters[0].cluster('INFO') as Promise<string>, ...masters.map((m) => m.ping())]);
      const state = parseClusterInfo(info);
      if (!state.ok) throw new Error('cluster_state is not ok');
      if (state.slotsOk < CLUSTER_SLOTS) throw new Error(`only ${state.slotsOk} of ${CLUSTER_SLOTS} slots served`);
      this.#okAt = Date.now();
      return true;
    } catch (err) {
      this.#why = (err as Error).message;
      return false;
    } finally {
      this.#running = false;
    }
  }
}
