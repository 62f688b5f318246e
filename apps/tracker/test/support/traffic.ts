/**
 * A client model for the fault tests: peers that announce growing counters and remember what
 * the tracker last accepted. After every peer has stopped, the bytes the database must have
 * credited are exactly each peer's final counters (all peers start from 0, on a normal torrent).
 */
import { decode, get, query, text } from './client.js';

export interface SimPeer {
  passkey: string;
  uid: number;
  peerId: string;
  port: number;
  up: number;
  down: number;
  started: boolean;
  stopped: boolean;
}

export class Traffic {
  readonly peers: SimPeer[] = [];
  ok = 0;
  failed = 0;
  /** Why announces failed: the failure reason, or the request's error. */
  readonly reasons = new Map<string, number>();

  constructor(private readonly infoHash: Buffer, users: Array<{ uid: number; passkey: string }>, tag: number) {
    users.forEach((u, i) => this.peers.push({
      passkey: u.passkey, uid: u.uid, peerId: `-FT${String(tag).padStart(4, '0')}-${String(i).padStart(12, '0')}`,
      port: 20000 + tag * 100 + i, up: 0, down: 0, started: false, stopped: false,
    }));
  }

  /** One announce (by default with the peer's counters now); false when the tracker is unreachable or answered a failure. */
  private async send(url: string, p: SimPeer, event?: string, counters: { up: number; down: number } = p): Promise<boolean> {
    try {
      const r = await get(`${url}/${p.passkey}/announce?${query({
        info_hash: this.infoHash, peer_id: p.peerId, port: p.port, uploaded: counters.up, downloaded: counters.down,
        left: 1_000_000_000, compact: 1, event,
      })}`);
      const reason = decode(r.body)['failure reason'];
      if (reason === undefined) {
        this.ok++;
        return true;
      }
      this.#fail(text(reason));
      return false;
    } catch (err) {
      this.#fail(`request failed: ${(err as Error).message}`);
      return false;
    }
  }

  #fail(why: string): void {
    this.failed++;
    this.reasons.set(why, (this.reasons.get(why) ?? 0) + 1);
  }

  /** Every live peer announces once, through one of the tracker URLs (round robin). */
  async round(urls: string[]): Promise<void> {
    await Promise.all(this.peers.map(async (p, i) => {
      if (p.stopped) return;
      const url = urls[i % urls.length];
      if (!p.started) {
        p.started = await this.send(url, p, 'started');
        return;
      }
      p.up += 1000 + i;
      p.down += 500 + i;
      await this.send(url, p);
    }));
  }

  /**
   * Like round(), and each peer's previous announce is sent again through the next URL (a
   * request replayed, or overtaken by the newer one): after the newer one ('newer-first'), or
   * at the same time ('together'). The tracker must credit each byte once all the same.
   */
  async replayRound(urls: string[], order: 'newer-first' | 'together'): Promise<void> {
    await Promise.all(this.peers.map(async (p, i) => {
      if (p.stopped) return;
      if (!p.started) {
        p.started = await this.send(urls[i % urls.length], p, 'started');
        return;
      }
      const previous = { up: p.up, down: p.down };
      p.up += 1000 + i;
      p.down += 500 + i;
      const replay = (): Promise<boolean> => this.send(urls[(i + 1) % urls.length], p, undefined, previous);
      if (order === 'together') {
        await Promise.all([this.send(urls[i % urls.length], p), replay()]);
      } else {
        await this.send(urls[i % urls.length], p);
        await replay();
      }
    }));
  }

  /** Stops every peer, retrying until the tracker accepts each stop. */
  async stopAll(urls: string[], attempts = 200): Promise<void> {
    for (let a = 0; a < attempts; a++) {
      const left = this.peers.filter((p) => p.started && !p.stopped);
      if (left.length === 0) return;
      await Promise.all(left.map(async (p, i) => {
        p.stopped = await this.send(urls[i % urls.length], p, 'stopped');
      }));
      if (this.peers.some((p) => p.started && !p.stopped)) await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('peers could not stop');
  }

  /** uid -> [uploaded, downloaded] the database must have credited for this traffic. */
  expected(): Map<number, [number, number]> {
    const m = new Map<number, [number, number]>();
    for (const p of this.peers) {
      if (!p.started) continue;
      const [u, d] = m.get(p.uid) ?? [0, 0];
      m.set(p.uid, [u + p.up, d + p.down]);
    }
    return m;
  }
}
