import type { Redis } from 'ioredis';
import { keySchema, type KeySchema } from './keys.js';
import { compactPeers, peerEntries, pickPeers, planFields, type SetField } from './selection.js';
import { loadScripts } from './scripts.js';
import type {
  AnnounceInput,
  AnnounceOutcome,
  PeerStore,
  ReapResult,
  ScrapeEntry,
  ScrapeOutcome,
} from './types.js';

type Arg = string | Buffer | number;
type ScriptFn = (...args: Arg[]) => Promise<unknown>;

const EVENT_ARG: Record<AnnounceInput['event'], string> = {
  started: 'started',
  completed: 'completed',
  stopped: 'stopped',
  none: '',
};
/** Peers examined per torrent per reap call; the reaper loops while a batch comes back full. */
const REAP_BATCH = 500;
/** How long a torrent's cached candidate peers live before they are drawn afresh. */
export const CANDIDATE_TTL_SECONDS = 30;

/** Compact candidate records: endpoint .. dual flag .. uid; non-compact ones add the hex peer_id. */
const compactLen = (f: SetField): number => (f.endsWith('6') ? 23 : 11);
const listLen = (f: SetField): number => compactLen(f) + 40;

/** IPv6 as four u32s 'a:b:c:d', so it travels as a plain string. */
function ipv6Arg(b: Buffer | undefined): string {
  if (!b) return '';
  return `${b.readUInt32BE(0)}:${b.readUInt32BE(4)}:${b.readUInt32BE(8)}:${b.readUInt32BE(12)}`;
}

function endpoint(addr: Buffer | undefined, port: number): Buffer | undefined {
  if (!addr) return undefined;
  const b = Buffer.allocUnsafe(addr.length + 2);
  addr.copy(b);
  b.writeUInt16BE(port, addr.length);
  return b;
}

/** Registers every script in `redis/` on the connection (EVALSHA, falling back to EVAL once). */
export function defineScripts(redis: Redis, scriptsDir?: string): void {
  for (const s of loadScripts(scriptsDir)) {
    if (typeof (redis as unknown as Record<string, unknown>)[s.name] === 'function') continue;
    redis.defineCommand(s.name, s.numberOfKeys === undefined ? { lua: s.lua } : { numberOfKeys: s.numberOfKeys, lua: s.lua });
  }
}

function scriptFn(redis: Redis, name: string): ScriptFn {
  const fn = (redis as unknown as Record<string, ScriptFn | undefined>)[name];
  if (typeof fn !== 'function') throw new Error(`Redis script ${name} is not defined`);
  return fn.bind(redis);
}

function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v)) return Number(v.toString('latin1'));
  if (typeof v === 'string') return Number(v);
  throw new TypeError(`unexpected Redis reply element ${typeof v}`);
}

function asBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  throw new TypeError(`unexpected Redis reply element ${typeof v}`);
}

function asArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  throw new TypeError('unexpected Redis reply: not an array');
}

export class RedisPeerStore implements PeerStore {
  readonly keys: KeySchema;
  readonly #announce: ScriptFn;
  readonly #scrape: ScriptFn;
  readonly #reap: ScriptFn;


  readonly #readonly: boolean;
  readonly #candidateCount: number;

  constructor(private readonly redis: Redis, prefix: string, opts: { candidateCount?: number; readonly?: boolean } = {}) {
    this.#candidateCount = opts.candidateCount ?? 100;
    this.#readonly = opts.readonly ?? false;
    this.keys = keySchema(prefix);
    defineScripts(redis);
    this.#announce = scriptFn(redis, 'announceBuffer');
    this.#scrape = scriptFn(redis, 'scrapeBuffer');
    this.#reap = scriptFn(redis, 'reap');
  }

  async announce(a: AnnounceInput): Promise<AnnounceOutcome> {
    const k = this.keys;
    const hex = a.infoHash.toString('hex');
    const t = k.torrent(hex);
    const fields = a.numwant > 0 ? planFields(a.plan) : [];
    // Every argument is a string: ioredis then writes the command without a Buffer pass.
    const reply = asArray(
      await this.#announce(
        k.users, k.torrents, k.whitelist, k.whitelistLens, k.delReasons, k.deletedUsers, k.swarms,
        t.state, t.peers, t.seeders, t.leechers, t.seeders4, t.seeders6, t.leechers4, t.leechers6,
        t.candidates, k.cacheEpoch, k.tokens,
        k.pending.torrents, k.pending.peers, k.pending.snatches, k.pending.free,
        k.tokenExpiries, k.settings, k.peerCounts,
        a.passkey, hex, a.preError, a.postError, a.peerId.toString('hex'), EVENT_ARG[a.event],
        String(a.left), String(a.uploaded), String(a.downloaded), String(a.corrupt), String(a.port),
        a.ipv4 ? String(a.ipv4.readUInt32BE(0)) : '', ipv6Arg(a.ipv6),
        fields.join(''), a.withPeerIds ? 'd' : 'c', String(this.#candidateCount), String(CANDIDATE_TTL_SECONDS),
        a.ipText4, a.ipText6, a.userAgent, this.#readonly ? '1' : '0',
      ),
    );
    const code = asNumber(reply[0]);
    if (code === 0) {
      const reason = asBuffer(reply[1]).toString('utf8');
      const extra = reply[2] === undefined ? '' : asBuffer(reply[2]).toString('latin1');
      if (extra) {
        const [r, time] = extra.split('|');
        return { kind: 'failure', reason, deletion: { reason: Number(r), time: Number(time) } };
      }
      return { kind: 'failure', reason };
    }
    if (code === 2) return { kind: 'forbidden', reason: asBuffer(reply[1]).toString('utf8') };
    const seeders = asNumber(reply[1]);
    const leechers = asNumber(reply[2]);
    const snatched = asNumber(reply[3]);
    const uid = asNumber(reply[4]);
    const override = (v: unknown): number | undefined => {
      const s = v === undefined ? '' : asBuffer(v).toString('latin1');
      return s === '' ? undefined : Number(s);
    };
    const settings = { announceInterval: override(reply[5]), announceJitter: override(reply[6]) };
    const blobs = new Map<SetField, Buffer>();
    fields.forEach((f, i) => {
      const v = reply[7 + i];
      blobs.set(f, Array.isArray(v) ? Buffer.concat(v.map(asBuffer)) : v === undefined ? Buffer.alloc(0) : asBuffer(v));
    });
    const who = { uid, own4: endpoint(a.ipv4, a.port), own6: endpoint(a.ipv6, a.port) };
    const picked = pickPeers(a.plan, blobs, a.withPeerIds ? listLen : compactLen, a.numwant, who);
    if (a.withPeerIds) {
      return { kind: 'ok-list', seeders, leechers, snatched, settings, peers: [...peerEntries(picked.v4, 4), ...peerEntries(picked.v6, 16)] };
    }
    return { kind: 'ok', seeders, leechers, snatched, settings, peers: compactPeers(picked.v4, 6), peers6: compactPeers(picked.v6, 18) };
  }

  async scrape(passkey: string, infoHashes: Buffer[]): Promise<ScrapeOutcome> {
    const k = this.keys;
    const keys: string[] = [k.users, k.torrents];
    for (const ih of infoHashes) {
      const t = k.torrent(ih.toString('hex'));
      keys.push(t.state, t.seeders, t.leechers);
    }
    const reply = asArray(await this.#scrape(keys.length, ...keys, passkey, ...infoHashes.map((h) => h.toString('hex'))));
    if (asNumber(reply[0]) === 0) return { kind: 'failure', reason: asBuffer(reply[1]).toString('utf8') };
    const files: ScrapeEntry[] = [];
    infoHashes.forEach((infoHash, i) => {
      const complete = asNumber(reply[1 + i * 3]);
      if (complete < 0) return;
      files.push({ infoHash, complete, incomplete: asNumber(reply[2 + i * 3]), downloaded: asNumber(reply[3 + i * 3]) });
    });
    return { kind: 'ok', files };
  }

  /** Deletion reasons older than `lifetime` seconds are forgotten (HSCAN: bounded steps). */
  async pruneDeletionReasons(now: number, lifetime: number): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.delReasons, cursor, 'COUNT', 500);
      cursor = next;
      const old: string[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        if (now - Number(flat[i + 1].split('|')[1]) >= lifetime) old.push(flat[i]);
      }
      if (old.length) removed += await this.redis.hdel(this.keys.delReasons, ...old);
    } while (cursor !== '0');
    return removed;
  }

  /** Removed users whose peers must all have been reaped by now need no remembering. */
  async pruneDeletedUsers(before: number): Promise<number> {
    return this.redis.zremrangebyscore(this.keys.deletedUsers, '-inf', `(${before}`);
  }

  /** Walks the set of torrents that may hold peers (SSCAN, so Redis is never blocked for long). */
  async reap(cutoff: number): Promise<ReapResult> {
    const k = this.keys;
    const result: ReapResult = { torrents: 0, seeders: 0, leechers: 0 };
    let cursor = '0';
    do {
      const [next, hexes] = await this.redis.sscan(k.swarms, cursor, 'COUNT', 200);
      cursor = next;
      await Promise.all(hexes.map(async (hex) => {
        const t = k.torrent(hex);
        for (;;) {
          const r = asArray(await this.#reap(
            k.swarms, t.state, t.peers, t.seeders, t.leechers, t.seeders4, t.seeders6, t.leechers4, t.leechers6,
            t.candidates, k.torrents, k.pending.torrents, k.pending.peers, k.peerCounts,
            cutoff, REAP_BATCH, hex, this.#readonly ? '1' : '0',
          ));
          const seeders = asNumber(r[0]);
          const leechers = asNumber(r[1]);
          result.seeders += seeders;
          result.leechers += leechers;
          if (seeders + leechers > 0) result.torrents += 1;
          if (seeders < REAP_BATCH && leechers < REAP_BATCH) break;
        }
      }));
    } while (cursor !== '0');
    return result;
  }
}
