/**
 * Redis key names. Every key has a hash tag, so the keys one script touches share a Redis
 * Cluster slot:
 * - `{g}`: the global lists (passkeys, removed users, whitelist, the site's runtime settings,
 *   their change feed, the flush lease). Only the site's update actions and the list loader
 *   write them; workers keep a copy in memory, so no announce reads them.
 * - `{<shard>}`: a torrent's keys and its shard's (pending rows, completions, swarm list,
 *   counters). A torrent's shard is the first byte of its info_hash, so the 256 shards spread
 *   over the slots, and the flush, the reaper and the loader work shard by shard.
 * The prefix (redis_key_prefix) lets several trackers share one Redis.
 */
export const SHARDS = 256;

/** The shard of a torrent: the first byte of its info_hash (SHA-1, so evenly spread). */
export function shardOf(infoHash: Buffer): number {
  return infoHash.length > 0 ? infoHash[0] : 0;
}

export interface GlobalKeys {
  /** passkey -> "uid|can_leech|protected" */
  users: string;
  /** uid -> unix time removed (their peers are never handed out) */
  removed: string;
  /** hex peer_id prefixes (empty: no whitelist) */
  whitelist: string;
  /** the site's runtime overrides: announce_interval, announce_jitter */
  settings: string;
  /** STREAM of changes to the four above (includes/feed.lua) */
  feed: string;
  /** the feed's last version */
  version: string;
  /** set while the lists are loaded; a new random id each time they are loaded into an empty Redis */
  generation: string;
  /** one flusher at a time */
  flushLease: string;
  /** rows MySQL refused, set aside (JSON lines), newest last */
  flushRejected: string;
  /** unix ms of the last flush that cut every shard's pending rows into batches */
  flushCut: string;
  /** one list reload at a time after Redis lost the lists */
  reloadLock: string;
}

export interface ShardKeys {
  shard: number;
  /** pending rows for MySQL (redis/includes/pendingRows.lua) */
  pending: string;
  /** pending completions (xbt_snatched) */
  snatches: string;
  /** the batch being flushed: renamed pending rows and completions, and its id */
  batch: string;
  batchSnatches: string;
  batchId: string;
  /** used-up freeleech tokens "uid:tid" for the site's callback */
  expiries: string;
  /** hex info_hashes that may hold peers: the reaper's work list */
  swarms: string;
  /** s, l, 4, 6: peers by list and family; ok: the shard's torrents are loaded */
  counts: string;
  /** "tid:uid" freeleech tokens (the loader's index of the torrents' k<uid> fields) */
  tokens: string;
  /** hex info_hash -> "id|free type" of the registered torrents (the loader's index) */
  index: string;
}

export interface TorrentKeys {
  shard: ShardKeys;
  hex: string;
  /** id, f, sn, b, lr, ns, nl, k<uid>, dr, candidates (redis/announce-9.lua) */
  torrent: string;
  seeders: string;
  leechers: string;
}

export interface KeySchema {
  prefix: string;
  global: GlobalKeys;
  shard(n: number): ShardKeys;
  shards(): ShardKeys[];
  torrent(infoHash: Buffer): TorrentKeys;
  /** The same from the hex form (the reaper's work list holds hex). */
  torrentHex(hex: string): TorrentKeys;
}

export function keySchema(prefix: string): KeySchema {
  const g = (name: string): string => `${prefix}{g}${name}`;
  const global: GlobalKeys = {
    users: g('users'),
    removed: g('removed'),
    whitelist: g('whitelist'),
    settings: g('settings'),
    feed: g('feed'),
    version: g('version'),
    generation: g('generation'),
    flushLease: g('flush:lease'),
    flushRejected: g('flush:rejected'),
    flushCut: g('flush:cut'),
    reloadLock: g('reload:lock'),
  };
  const shardCache: ShardKeys[] = [];
  for (let n = 0; n < SHARDS; n++) {
    const s = (name: string): string => `${prefix}{${n}}${name}`;
    shardCache.push({
      shard: n,
      pending: s('pending'),
      snatches: s('snatches'),
      batch: s('batch'),
      batchSnatches: s('batch:snatches'),
      batchId: s('batch:id'),
      expiries: s('expiries'),
      swarms: s('swarms'),
      counts: s('counts'),
      tokens: s('tokens'),
      index: s('index'),
    });
  }
  const torrentHex = (hex: string): TorrentKeys => {
    const shard = shardCache[hex.length >= 2 ? parseInt(hex.slice(0, 2), 16) || 0 : 0];
    const tag = `${prefix}{${shard.shard}}`;
    return { shard, hex, torrent: `${tag}t:${hex}`, seeders: `${tag}s:${hex}`, leechers: `${tag}l:${hex}` };
  };
  return {
    prefix,
    global,
    shard: (n) => shardCache[n],
    shards: () => shardCache,
    torrent: (infoHash) => torrentHex(infoHash.toString('hex')),
    torrentHex,
  };
}
