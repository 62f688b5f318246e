/** What a worker asks of the swarm store for one announce (already parsed and validated). */
export interface AnnounceInput {
  passkey: string;
  infoHash: Buffer;
  /** A failure found by the worker that ranks before the whitelist check ('' when none). */
  preError: string;
  /** A failure found by the worker that ranks after the whitelist check ('' when none). */
  postError: string;
  peerId: Buffer;
  event: 'started' | 'completed' | 'stopped' | 'none';
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
  /** For xbt_files_users / xbt_snatched (blanked by the script for IP-protected users). */
  ipText4: string;
  ipText6: string;
  /** User-Agent, at most 51 characters (the column's size). */
  userAgent: string;
}

export interface PeerEntry {
  /** 4 or 16 address bytes. */
  ip: Buffer;
  port: number;
  peerId: Buffer;
}

/** Runtime overrides the site set through the update API (undefined: use the config). */
export interface RuntimeSettings {
  announceInterval?: number;
  announceJitter?: number;
}

export type AnnounceOutcome =
  | { kind: 'failure'; reason: string; deletion?: { reason: number; time: number } }
  | { kind: 'forbidden'; reason: string }
  | { kind: 'ok'; seeders: number; leechers: number; snatched: number; settings: RuntimeSettings; peers: Buffer; peers6: Buffer }
  | { kind: 'ok-list'; seeders: number; leechers: number; snatched: number; settings: RuntimeSettings; peers: PeerEntry[] };

export interface ScrapeEntry {
  infoHash: Buffer;
  complete: number;
  incomplete: number;
  downloaded: number;
}

export type ScrapeOutcome = { kind: 'failure'; reason: string } | { kind: 'ok'; files: ScrapeEntry[] };

export interface ReapResult {
  torrents: number;
  seeders: number;
  leechers: number;
}

/** The narrow interface the tracker needs from swarm storage (chihaya's PeerStore idea). */
export interface PeerStore {
  announce(input: AnnounceInput): Promise<AnnounceOutcome>;
  scrape(passkey: string, infoHashes: Buffer[]): Promise<ScrapeOutcome>;
  /** Removes every peer not seen since `cutoff` (unix seconds), bounded work per call. */
  reap(cutoff: number): Promise<ReapResult>;
}
