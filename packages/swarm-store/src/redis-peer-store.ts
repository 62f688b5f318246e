import { keySchema, type KeySchema, type TorrentKeys } from './keys.js';
import { CANDIDATE_FIELDS, packAnnounce, type AnnounceLimits, type CandidateField } from './announce-args.js';
import { RespError, type RespValue } from './resp.js';
import { AnnounceCommand } from './announce-command.js';
import type { ScriptChannel } from './script-channel.js';
import { ClusterChannels } from './cluster-channels.js';
import { asArray, asBuffer, asNumber, FUNCTION_MISSING, Scripts, type RedisClient } from './scripts.js';
import { peerEntries, pickCompact, pickPeers, planFields } from './selection.js';
import type { AnnounceInput, AnnounceOutcome, PeerStore, ReapResult, ScrapeEntry, ScrapeOutcome } from './types.js';

/** Peers examined per list per reap call; the reaper calls again until a torrent is done. */
const REAP_PAGE = 500;
/** How long a partial candidate field lives before it is drawn afresh. */
export const CANDIDATE_TTL_SECONDS = 30;

/** A non-compact candidate record: the compact one (11 or 23 bytes) and the peer id (20). */
const listLen = (f: CandidateField): number => (f.endsWith('6') ? 23 : 11) + 20;

function endpoint(addr: Buffer | undefined, port: number): Buffer | undefined {
  if (!addr) return undefined;
  const b = Buffer.allocUnsafe(addr.length + 2);
  addr.copy(b);
  b.writeUInt16BE(port & 0xffff, addr.length);
  return b;
}

export interface PeerStoreOptions {
  /** Records per candidate field (default 100: 2 x numwant_limit). */
  candidates?: number;
  /** Record nothing for MySQL (readonly mode). */
  readonly?: boolean;
  /** Bytes per second one peer can be credited with at most (0: no limit). */
  maxRate?: number;
  /** Bytes one announce can be credited with at most (0: no limit). */
  maxTransfer?: number;
  /** Users whose peers are never handed out (removed from the site). */
  skipUser?: (uid: number) => boolean;
  /**
   * The announce's own connection (one Redis), or one per master (a cluster): its calls cost
   * the worker a third of what they cost through ioredis. Without it, the announce goes
   * through the client.
   */
  channel?: ScriptChannel | ClusterChannels;
  /**
   * The announce's time, unix seconds on Redis' clock (a RedisClock's `seconds`). Default: this
   * host's clock, right where host and Redis share one (tests, the bench's own Redis).
   */
  clock?: () => number;
}

/** Replies that mean the script did not run there (a missing script, a cluster redirection or pause). */
const RUN_ELSEWHERE = new RegExp(`${FUNCTION_MISSING.source}|^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\\b`);

type ScriptFn = (...args: (string | Buffer | number)[]) => Promise<unknown>;

const NO_FIELDS: readonly CandidateField[] = [];
// a selection plan's candidate fields in the script's order; the worker's plans are a handful
// (selectionPlan), and the cache stays small whatever a caller passes
const FIELDS_CACHED = 64;
const fieldsByPlan = new Map<string, readonly CandidateField[]>();
function fieldsOf(plan: string): readonly CandidateField[] {
  let fields = fieldsByPlan.get(plan);
  if (!fields) {
    const wanted = planFields(plan);
    fields = CANDIDATE_FIELDS.filter((f) => wanted.includes(f));
    if (fieldsByPlan.size < FIELDS_CACHED) fieldsByPlan.set(plan, fields);
  }
  return fields;
}

export class RedisPeerStore implements PeerStore {
  readonly keys: KeySchema;
  readonly scripts: Scripts;
  readonly #announce: ScriptFn;
  #limits: AnnounceLimits;
  readonly #skip?: (uid: number) => boolean;
  readonly #channel?: ScriptChannel | ClusterChannels;
  readonly #command: AnnounceCommand;
  readonly #clock: () => number;
  #loaded = false;

  constructor(readonly client: RedisClient, prefix: string, opts: PeerStoreOptions = {}) {
    this.keys = keySchema(prefix);
    this.scripts = new Scripts(client);
    this.#announce = this.scripts.fixed('announce', 9);
    this.#limits = {
      candidates: opts.candidates ?? 100,
      candidateTtl: CANDIDATE_TTL_SECONDS,
      maxRate: opts.maxRate ?? 0,
      maxTransfer: opts.maxTransfer ?? 0,
      readonly: opts.readonly ?? false,
    };
    this.#skip = opts.skipUser;
    this.#channel = opts.channel;
    this.#clock = opts.clock ?? (() => Math.floor(Date.now() / 1000));
    this.#command = new AnnounceCommand(this.keys, this.scripts.functionName('announce'));
  }

  /** The credit limits, changed on a config reload. */
  setLimits(l: { maxRate: number; maxTransfer: number }): void {
    this.#limits = { ...this.#limits, maxRate: l.maxRate, maxTransfer: l.maxTransfer };
  }

  /** Whether the flush is behind (AnnounceLimits.rowsPending), from the primary's stats. */
  setFlushBehind(behind: boolean): void {
    if (behind !== (this.#limits.rowsPending ?? false)) this.#limits = { ...this.#limits, rowsPending: behind };
  }

  /**
   * One round trip: the announce script, and right behind it an HMGET of the candidate fields
   * it left fresh (the records never pass through Lua). Non-compact announces get their
   * candidates from the script itself.
   */
  async #run(infoHash: Buffer, packed: Buffer, fields: readonly CandidateField[], withPeerIds: boolean): Promise<{ reply: unknown[]; blobs: Array<Buffer | null> }> {
    const read = fields.length > 0 && !withPeerIds;
    const fits = AnnounceCommand.fits(infoHash);
    // (a torrent's shard is the first byte of its info_hash)
    const shard = fits ? this.keys.shard(infoHash[0]) : this.keys.torrent(infoHash).shard;
    const ch = this.#channel instanceof ClusterChannels ? this.#channel.forShard(shard) : this.#channel;
    if (ch && ch.ready && fits) {
      const [script, hmget] = ch.pipelineEncoded(this.#command.encode(infoHash, packed, read ? fields : []), read ? 2 : 1);
      let reply: RespValue;
      try {
        reply = await script;
      } catch (err) {
        await hmget?.catch(() => undefined);
        if (!(err instanceof RespError) || !RUN_ELSEWHERE.test(err.message)) throw err;
        // Function not found: first use on this Redis (or after a restart without persistence):
        // the client's call loads the library, then runs it. A cluster's redirection or pause:
        // the cluster client follows it. The script did not run in either case, so running it
        // through the client is safe.
        return this.#viaClient(this.keys.torrent(infoHash), packed, fields, read);
      }
      const blobs = read ? ((await hmget) as Array<Buffer | null>) : [];
      return { reply: reply as unknown[], blobs };
    }
    return this.#viaClient(this.keys.torrent(infoHash), packed, fields, read);
  }

  async #viaClient(t: TorrentKeys, packed: Buffer, fields: readonly CandidateField[], read: boolean): Promise<{ reply: unknown[]; blobs: Array<Buffer | null> }> {
    const s = t.shard;
    const keys = [t.torrent, t.seeders, t.leechers, s.pending, s.snatches, s.expiries, s.swarms, s.counts, s.tokens];
    if (!read) return { reply: asArray(await this.#announce(...keys, packed, t.hex)), blobs: [] };
    const [reply, blobs] = await Promise.all([this.#announce(...keys, packed, t.hex), this.client.hmgetBuffer(t.torrent, ...fields)]);
    return { reply: asArray(reply), blobs };
  }

  async announce(a: AnnounceInput): Promise<AnnounceOutcome> {
    const fields = a.numwant > 0 && a.event !== 'stopped' ? fieldsOf(a.plan) : NO_FIELDS;
    const { reply, blobs: read } = await this.#run(a.infoHash, packAnnounce(a, fields, this.#limits, this.#clock()), fields, a.withPeerIds);
    const code = reply[0];
    if (code === 0) {
      const why = reply[1];
      if (why === 2) return { kind: 'failure', reason: a.error };
      if (why === 3) return { kind: 'unavailable' };
      if (reply[2] === undefined || reply[2] === null) return { kind: 'unregistered' };
      const [reason, time] = asBuffer(reply[2]).toString('latin1').split('|').map(Number);
      return { kind: 'unregistered', deletion: { reason, time } };
    }
    if (code === 2) return { kind: 'forbidden' };
    const counts = {
      seeders: asNumber(reply[1]),
      leechers: asNumber(reply[2]),
      snatched: asNumber(reply[3]),
      refusedTransfer: asNumber(reply[4]) === 1,
      stale: asNumber(reply[4]) === 2,
    };
    const blobs = new Map<CandidateField, Buffer>();
    fields.forEach((f, i) => {
      const v = a.withPeerIds ? reply[5 + i] : read[i];
      if (Array.isArray(v)) blobs.set(f, Buffer.concat(v.map(asBuffer)));
      else if (Buffer.isBuffer(v)) blobs.set(f, v);
    });
    const who = { uid: a.user.uid, own4: endpoint(a.ipv4, a.port), own6: endpoint(a.ipv6, a.port), skip: this.#skip };
    if (a.withPeerIds) {
      const picked = pickPeers(a.plan, blobs, listLen, a.numwant, who);
      return { kind: 'ok-list', ...counts, peers: [...peerEntries(picked.v4, 4), ...peerEntries(picked.v6, 16)] };
    }
    return { kind: 'ok', ...counts, ...pickCompact(a.plan, blobs, a.numwant, who) };
  }

  /** One script call per shard the hashes fall in, in parallel. */
  async scrape(infoHashes: Buffer[]): Promise<ScrapeOutcome> {
    const byShard = new Map<number, Buffer[]>();
    for (const ih of infoHashes) {
      const n = this.keys.torrent(ih).shard.shard;
      const list = byShard.get(n);
      if (list) list.push(ih);
      else byShard.set(n, [ih]);
    }
    const found = new Map<Buffer, ScrapeEntry>();
    let unavailable = false;
    await Promise.all([...byShard].map(async ([n, hashes]) => {
      const keys = [this.keys.shard(n).counts, ...hashes.map((h) => this.keys.torrent(h).torrent)];
      const r = asArray(await this.scripts.call('scrape', keys, []));
      if (asNumber(r[0]) === 0) {
        unavailable = true;
        return;
      }
      hashes.forEach((infoHash, i) => {
        const complete = asNumber(r[1 + i * 3]);
        if (complete >= 0) found.set(infoHash, { infoHash, complete, incomplete: asNumber(r[2 + i * 3]), downloaded: asNumber(r[3 + i * 3]) });
      });
    }));
    if (unavailable) return { kind: 'unavailable' };
    // in the order asked, each hash once
    const files: ScrapeEntry[] = [];
    for (const ih of infoHashes) {
      const e = found.get(ih);
      if (e) {
        files.push(e);
        found.delete(ih);
      }
    }
    return { kind: 'ok', files };
  }

  /** Walks every shard's swarm list (SSCAN) and each torrent in pages: Redis is never blocked for long. */
  async reap(cutoff: number): Promise<ReapResult> {
    const result: ReapResult = { torrents: 0, seeders: 0, leechers: 0 };
    const readonly = this.#limits.readonly ? '1' : '0';
    for (const s of this.keys.shards()) {
      let cursor = '0';
      do {
        const [next, hexes] = await this.client.sscan(s.swarms, cursor, 'COUNT', 200);
        cursor = next;
        await Promise.all(hexes.map(async (hex) => {
          const t = this.keys.torrentHex(hex);
          let cs = '0';
          let cl = '0';
          let removed = 0;
          do {
            const r = asArray(await this.scripts.call('reap', [t.torrent, t.seeders, t.leechers, s.pending, s.swarms, s.counts],
              [cutoff, hex, readonly, cs, cl, REAP_PAGE]));
            result.seeders += asNumber(r[0]);
            result.leechers += asNumber(r[1]);
            removed += asNumber(r[0]) + asNumber(r[1]);
            cs = String(r[2]);
            cl = String(r[3]);
          } while (cs !== 'done' || cl !== 'done');
          if (removed > 0) result.torrents += 1;
        }));
      } while (cursor !== '0');
    }
    return result;
  }
}
