/**
 * The load generator, run as its own process so it does not share an event loop with the
 * tracker. Keep-alive raw sockets (the cheapest client Node has), one request in flight per
 * connection, latency measured per request. Driven over IPC by the orchestrator.
 */
import net from 'node:net';
import { makeInfoHash, makePasskey } from '@oncilla/testkit';
import { TrafficModel, benchPeerId, percentile, type AnnounceSpec, type TrafficOptions } from './traffic.js';

export type GeneratorCommand =
  | { type: 'init'; host: string; port: number; connections: number; traffic: TrafficOptions; numwant: number }
  | { type: 'retarget'; port: number }
  | { type: 'warmup' }
  | { type: 'run'; durationMs: number };

export interface PhaseResult {
  requests: number;
  ok: number;
  failures: number;
  failureSamples: Record<string, number>;
  errors: number;
  seconds: number;
  p50us: number;
  p99us: number;
  maxUs: number;
  activePeers: number;
}

function pct(b: Buffer): string {
  let s = '';
  for (const byte of b) s += '%' + (byte < 16 ? '0' : '') + byte.toString(16).toUpperCase();
  return s;
}

class Generator {
  private readonly model: TrafficModel;
  private readonly hashes: string[];
  private readonly passkeys: string[];

  constructor(private c: Extract<GeneratorCommand, { type: 'init' }>) {
    this.model = new TrafficModel(c.traffic);
    this.hashes = Array.from({ length: c.traffic.torrents }, (_, i) => pct(makeInfoHash(i + 1)));
    this.passkeys = Array.from({ length: c.traffic.users }, (_, i) => makePasskey(i + 1));
  }

  private request(s: AnnounceSpec): string {
    const event = s.event === 'none' ? '' : `&event=${s.event}`;
    return `GET /${this.passkeys[s.user]}/announce?info_hash=${this.hashes[s.torrent]}&peer_id=${benchPeerId(s.peer)}` +
      `&port=${s.port}&uploaded=${s.uploaded}&downloaded=${s.downloaded}&left=${s.left}${event}` +
      `&numwant=${this.c.numwant}&compact=1&key=8f3a2b HTTP/1.1\r\nHost: bench\r\nUser-Agent: oncilla-bench/1.0\r\n\r\n`;
  }

  /** Runs `next()` on every connection until it returns undefined. */
  async drive(next: () => AnnounceSpec | undefined): Promise<PhaseResult> {
    const latencies: number[] = [];
    const result: PhaseResult = { requests: 0, ok: 0, failures: 0, failureSamples: {}, errors: 0, seconds: 0, p50us: 0, p99us: 0, maxUs: 0, activePeers: 0 };
    const started = process.hrtime.bigint();
    const one = (): Promise<void> => new Promise((resolve) => {
      let socket = net.connect({ host: this.c.host, port: this.c.port, noDelay: true });
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0n;
      const send = (): void => {
        const spec = next();
        if (!spec) {
          socket.end();
          resolve();
          return;
        }
        buf = Buffer.alloc(0);
        sentAt = process.hrtime.bigint();
        socket.write(this.request(spec));
      };
      const onData = (chunk: Buffer): void => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1').toLowerCase();
        const m = /content-length: *(\d+)/.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len);
        latencies.push(Number(process.hrtime.bigint() - sentAt) / 1000);
        result.requests++;
        if (body[1] === 0x38 /* '8' of d8:complete */) result.ok++;
        else {
          result.failures++;
          const reason = body.toString('latin1').slice(0, 80);
          result.failureSamples[reason] = (result.failureSamples[reason] ?? 0) + 1;
        }
        if (head.includes('connection: close')) {
          socket.removeAllListeners();
          socket.destroy();
          socket = reconnect();
          return;
        }
        send();
      };
      const reconnect = (): net.Socket => {
        const s = net.connect({ host: this.c.host, port: this.c.port, noDelay: true });
        s.on('data', onData);
        s.on('error', onError);
        s.once('connect', send);
        return s;
      };
      const onError = (): void => {
        result.errors++;
        socket.destroy();
        setTimeout(() => (socket = reconnect()), 50);
      };
      socket.on('data', onData);
      socket.on('error', onError);
      socket.once('connect', send);
    });
    await Promise.all(Array.from({ length: this.c.connections }, one));
    result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const sorted = Float64Array.from(latencies).sort();
    result.p50us = percentile(sorted, 50);
    result.p99us = percentile(sorted, 99);
    result.maxUs = sorted.length ? sorted[sorted.length - 1] : 0;
    result.activePeers = this.model.activePeers;
    return result;
  }

  warmup(): Promise<PhaseResult> {
    let peer = 0;
    return this.drive(() => (peer < this.model.peerCount ? this.model.start(peer++) : undefined));
  }

  run(durationMs: number): Promise<PhaseResult> {
    const end = Date.now() + durationMs;
    return this.drive(() => (Date.now() < end ? this.model.next() : undefined));
  }

  /** The next tracker run (another worker count) keeps the simulated clients' state. */
  retarget(port: number): void {
    this.c = { ...this.c, port };
  }

  get peerCount(): number {
    return this.model.peerCount;
  }
}

let gen: Generator | undefined;
process.on('message', (m: GeneratorCommand) => {
  void (async () => {
    if (m.type === 'init') {
      gen = new Generator(m);
      process.send?.({ type: 'ready', peerCount: gen.peerCount });
    } else if (m.type === 'retarget' && gen) {
      gen.retarget(m.port);
      process.send?.({ type: 'ready', peerCount: gen.peerCount });
    } else if (m.type === 'warmup' && gen) {
      process.send?.({ type: 'result', result: await gen.warmup() });
    } else if (m.type === 'run' && gen) {
      process.send?.({ type: 'result', result: await gen.run(m.durationMs) });
    }
  })();
});
