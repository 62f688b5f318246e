/**
 * The benchmark's simulated clients: `torrents` swarms of 1..maxSwarm peers (half of them
 * seeders at the start), each peer a (user, peer_id, port) that announces with a realistic
 * event mix. Pure and seeded, so a run is repeatable and the model is unit-tested.
 */
import { seededRandom } from '@oncilla/testkit';

export interface TrafficOptions {
  torrents: number;
  users: number;
  maxSwarm: number;
  seed: number;
}

export type BenchEvent = 'started' | 'none' | 'completed' | 'stopped';

export interface AnnounceSpec {
  torrent: number;
  peer: number;
  user: number;
  event: BenchEvent;
  left: number;
  uploaded: number;
  downloaded: number;
  port: number;
}

const SIZE = 1 << 30;

export const rng = seededRandom;

export class TrafficModel {
  readonly peerCount: number;
  /** First peer index of each torrent (prefix sums), plus a final entry = peerCount. */
  readonly firstPeer: Uint32Array;
  private readonly torrentOf: Uint32Array;
  private readonly userOf: Uint32Array;
  private readonly active: Uint8Array;
  private readonly seeding: Uint8Array;
  private readonly uploaded: Float64Array;
  private readonly downloaded: Float64Array;
  private readonly random: () => number;
  activePeers = 0;

  constructor(readonly o: TrafficOptions) {
    this.random = rng(o.seed);
    this.firstPeer = new Uint32Array(o.torrents + 1);
    for (let t = 0; t < o.torrents; t++) {
      this.firstPeer[t + 1] = this.firstPeer[t] + 1 + Math.floor(this.random() * o.maxSwarm);
    }
    this.peerCount = this.firstPeer[o.torrents];
    this.torrentOf = new Uint32Array(this.peerCount);
    this.userOf = new Uint32Array(this.peerCount);
    this.active = new Uint8Array(this.peerCount);
    this.seeding = new Uint8Array(this.peerCount);
    this.uploaded = new Float64Array(this.peerCount);
    this.downloaded = new Float64Array(this.peerCount);
    for (let t = 0; t < o.torrents; t++) {
      const first = this.firstPeer[t];
      const n = this.firstPeer[t + 1] - first;
      for (let i = 0; i < n; i++) {
        const p = first + i;
        this.torrentOf[p] = t;
        this.userOf[p] = Math.floor(this.random() * o.users);
        this.seeding[p] = i < n / 2 ? 1 : 0;
      }
    }
  }

  /** The warm-up: every peer's first announce, in order. */
  start(peer: number): AnnounceSpec {
    this.active[peer] = 1;
    this.activePeers++;
    return this.spec(peer, 'started');
  }

  /** A steady-state announce of a random peer: mostly plain updates, some starts, completions and stops. */
  next(): AnnounceSpec {
    const peer = Math.floor(this.random() * this.peerCount);
    if (!this.active[peer]) return this.start(peer);
    const r = this.random();
    if (r < 0.03) {
      this.active[peer] = 0;
      this.activePeers--;
      const spec = this.spec(peer, 'stopped');
      // a seeder that leaves may come back as a new leecher, keeping about half seeders
      if (this.seeding[peer] && this.random() < 0.5) {
        this.seeding[peer] = 0;
        this.uploaded[peer] = this.downloaded[peer] = 0;
      }
      return spec;
    }
    if (r < 0.06 && !this.seeding[peer]) {
      this.seeding[peer] = 1;
      return this.spec(peer, 'completed');
    }
    this.uploaded[peer] += Math.floor(this.random() * 4) * 16384;
    if (!this.seeding[peer]) this.downloaded[peer] += Math.floor(this.random() * 4) * 16384;
    return this.spec(peer, 'none');
  }

  private spec(peer: number, event: BenchEvent): AnnounceSpec {
    return {
      torrent: this.torrentOf[peer],
      peer,
      user: this.userOf[peer],
      event,
      left: this.seeding[peer] ? 0 : SIZE - (this.downloaded[peer] % SIZE) || 1,
      uploaded: this.uploaded[peer],
      downloaded: this.downloaded[peer],
      port: 10000 + (peer % 50000),
    };
  }
}

/** peer_id of a simulated peer: printable, so it needs no escaping in the URL. */
export function benchPeerId(peer: number): string {
  return `-BN0001-${String(peer).padStart(12, '0')}`;
}

/** Percentiles of a list of latencies (microseconds), nearest-rank. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
