import type { Config } from '@oncilla/config';
import type { ClusterStats, StatsSnapshot } from './http/stats.js';

/** IPC between the primary and its workers (node:cluster's channel, JSON-serialised). */
export type PrimaryMessage =
  | { type: 'config'; config: Config }
  | { type: 'shutdown' }
  | { type: 'cluster-stats'; stats: ClusterStats };

export type WorkerMessage =
  /** Sent once the worker's module has loaded and listens for messages; the primary answers with the config. */
  | { type: 'hello' }
  | { type: 'listening' }
  | { type: 'stats'; stats: StatsSnapshot };

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
