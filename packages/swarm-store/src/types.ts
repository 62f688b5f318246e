import type { FreeType } from '@oncilla/rows';

export type AnnounceEvent = 'started' | 'completed' | 'stopped' | 'none';

/** The announcing user, as the worker's in-memory lists know it. */
export interface AnnounceUser {
  uid: number;
  canLeech: boolean;
  /** The user's IPs are never written to the DB. */
  isProtected: boolean;
}

/** What a worker asks of the swarm store for one announce (already parsed and validated). */
export interface AnnounceInput {
  infoHash: Buffer;
  user: AnnounceUser;
  /**
   * The worker's own failure (peer id, whitelist, address: '' when none). It ranks after the
   * torrent check, so the store answers it only once the torrent is found (Ocelot's order).
   */
  error: string;
  /** 20 bytes (anything when `error` is set). */
  peerId: Buffer;
  event: AnnounceEvent;
  left: number;
  uploaded: number;
  downloaded: number;
  corrupt: number;
  port: number;
  ipv4?: Buffer;
  ipv6?: Buffer;
  /** Already clamped to [0, numwant_limit]. */
  numwant: number;
  /** From selectionPlan(). */
  plan: string;
  /** true for compact=0 replies, which list peer ids. */
  withPeerIds: boolean;
  /** User-Agent, at most 51 characters (the column's size). */
  userAgent: string;
}

export interface PeerEntry {
  /** 4 or 16 address bytes. */
  ip: Buffer;
  port: number;
  peerId: Buffer;
}

interface Counts {
  seeders: number;
  leechers: number;
  snatched: number;
  /** The announce's transfer was bigger than the limits allow and was not credited. */
  refusedTransfer: boolean;
  /** The announce was older than the peer's stored one (reordered or replayed): it credited nothing. */
  stale: boolean;
}

export type AnnounceOutcome =
  | { kind: 'unregistered'; deletion?: { reason: number; time: number } }
  /** The worker's own failure, now that the torrent is known. */
  | { kind: 'failure'; reason: string }
  /** The torrent's lists are missing from Redis (it lost them): the tracker is unavailable. */
  | { kind: 'unavailable' }
  /** Recorded, but the user may not leech. */
  | { kind: 'forbidden' }
  | ({ kind: 'ok'; peers: Buffer; peers6: Buffer } & Counts)
  | ({ kind: 'ok-list'; peers: PeerEntry[] } & Counts);

export interface ScrapeEntry {
  infoHash: Buffer;
  complete: number;
  incomplete: number;
  downloaded: number;
}

export type ScrapeOutcome = { kind: 'unavailable' } | { kind: 'ok'; files: ScrapeEntry[] };

export interface ReapResult {
  torrents: number;
  seeders: number;
  leechers: number;
}

/** The narrow interface the tracker needs from swarm storage (chihaya's PeerStore idea). */
export interface PeerStore {
  announce(input: AnnounceInput): Promise<AnnounceOutcome>;
  scrape(infoHashes: Buffer[]): Promise<ScrapeOutcome>;
  /** Removes every peer not seen since `cutoff` (unix seconds), bounded work per call. */
  reap(cutoff: number): Promise<ReapResult>;
}

export type { FreeType };
