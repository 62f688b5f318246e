import type { Config } from '@oncilla/config';
import type { ClusterStats, StatsSnapshot } from './http/stats.js';

/** IPC between the primary and its workers (node:cluster's channel, JSON-serialised). */
export type PrimaryMessage =
  | { type: 'config'; config: Config }
  | { type: 'shutdown' }
  | { type: 'cluster-stats'; stats: ClusterStats }
  /** The answer to a worker's user-peers question (null: unknown passkey). */
  | { type: 'user-peers'; id: number; peers: { leeching: number; seeding: number } | null; error?: string };

export type WorkerMessage =
  /** Sent once the worker's module has loaded and listens for messages; the primary answers with the config. */
  | { type: 'hello' }
  | { type: 'listening' }
  | { type: 'stats'; stats: StatsSnapshot }
  /** report?get=user: the primary asks MySQL (the workers have no connection to it). */
  | { type: 'user-peers'; id: number; passkey: string };

const PRIMARY_TYPES: ReadonlySet<string> = new Set(['config', 'shutdown', 'cluster-stats', 'user-peers']);
const WORKER_TYPES: ReadonlySet<string> = new Set(['hello', 'listening', 'stats', 'user-peers']);

function typed(m: unknown, types: ReadonlySet<string>): boolean {
  return typeof m === 'object' && m !== null && types.has(String((m as { type?: unknown }).type));
}

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typed(m, PRIMARY_TYPES);
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typed(m, WORKER_TYPES);
}
