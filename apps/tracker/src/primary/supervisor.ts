import cluster, { type Worker } from 'node:cluster';
import type { Config } from '@oncilla/config';
import type { Logger } from '../logger.js';
import { isWorkerMessage, type PrimaryMessage, type WorkerMessage } from '../messages.js';

/** A worker that dies sooner than this after its start counts as a crash loop: back off. */
const CRASH_WINDOW_MS = 5000;

/**
 * Forks the workers, restarts dead ones (backing off when they keep dying), and stops them.
 * Workers accept their own connections (SCHED_NONE): the primary does no work per connection,
 * and a dying worker takes only its own connections with it.
 */
export class Supervisor {
  #stopping = false;
  readonly #started = new Map<number, number>();
  #restartDelay = 0;

  constructor(
    private readonly config: () => Config,
    private readonly log: Logger,
    private readonly onMessage: (w: Worker, m: WorkerMessage) => void,
    private readonly onExit: (w: Worker) => void,
  ) {
    // Must be set before the first fork. The round-robin default has the primary accept every
    // connection and pass it on (about 100 us of the primary's CPU per connection). Node's own
    // NODE_CLUSTER_SCHED_POLICY=rr still chooses round-robin (docs/operations.md).
    if (process.env.NODE_CLUSTER_SCHED_POLICY !== 'rr') cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.on('exit', (w, code, signal) => {
      this.onExit(w);
      const lived = Date.now() - (this.#started.get(w.id) ?? 0);
      this.#started.delete(w.id);
      if (this.#stopping) return;
      this.log.error({ pid: w.process.pid, code, signal }, 'worker died; starting a new one');
      this.#restartDelay = lived < CRASH_WINDOW_MS ? Math.min(Math.max(this.#restartDelay * 2, 500), 30000) : 0;
      setTimeout(() => this.fork(), this.#restartDelay);
    });
  }

  fork(): void {
    const w = cluster.fork();
    this.#started.set(w.id, Date.now());
    w.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'hello') send(w, { type: 'config', config: this.config() });
      else this.onMessage(w, m);
    });
  }

  /** Forks `n` workers and resolves once every one listens. */
  async startAll(n: number): Promise<void> {
    let listening = 0;
    const all = new Promise<void>((resolve) => {
      const on = (_w: Worker, m: unknown): void => {
        if (isWorkerMessage(m) && m.type === 'listening' && ++listening === n) {
          cluster.off('message', on);
          resolve();
        }
      };
      cluster.on('message', on);
    });
    for (let i = 0; i < n; i++) this.fork();
    await all;
  }

  workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  }

  broadcast(m: PrimaryMessage): void {
    for (const w of this.workers()) send(w, m);
  }

  /** Asks every worker to drain, waits (SIGKILL after `graceMs`). */
  async stopAll(graceMs: number): Promise<void> {
    this.#stopping = true;
    const workers = this.workers();
    const exited = Promise.all(workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r())))));
    for (const w of workers) send(w, { type: 'shutdown' });
    const timer = setTimeout(() => {
      this.log.warn('workers did not stop in time; killing them');
      for (const w of workers) w.process.kill('SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }
}

export function send(w: Worker, m: PrimaryMessage): void {
  if (w.isConnected()) w.send(m);
}
