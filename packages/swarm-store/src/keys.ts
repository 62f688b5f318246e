/**
 * Redis key names. Global lists are plain keys; one torrent's keys share the hash tag
 * `{<hex info_hash>}` so they live in one slot. The prefix lets several trackers share a Redis.
 */
export interface TorrentKeys {
  state: string;
  peers: string;
  seeders: string;
  leechers: string;
  seeders4: string;
  seeders6: string;
  leechers4: string;
  leechers6: string;
  candidates: string;
}

/** Pending rows for MySQL (written by announces) and the batch being flushed (their renamed copy). */
export const PENDING_KINDS = ['users', 'torrents', 'peers', 'snatches', 'tokens', 'free', 'ut'] as const;
export type PendingKind = (typeof PENDING_KINDS)[number];

export interface KeySchema {
  prefix: string;
  users: string;
  torrents: string;
  tokens: string;
  whitelist: string;
  whitelistLens: string;
  delReasons: string;
  deletedUsers: string;
  swarms: string;
  cacheEpoch: string;
  /** Runtime overrides the site sets (update_announce_interval / _jitter); dropped on SIGHUP. */
  settings: string;
  /** seeders / leechers over every swarm, for the report. */
  peerCounts: string;
  pending: Record<PendingKind, string>;
  /** "uid:tid" of tokens used up by a completion, for the site's token-expiry callback. */
  tokenExpiries: string;
  batch: Record<PendingKind, string>;
  /** The id of the batch being flushed (set while its keys exist). */
  flushCurrent: string;
  flushLease: string;
  /** Rows MySQL refused, set aside (JSON lines), newest last. */
  flushRejected: string;
  torrent(hex: string): TorrentKeys;
}

export function keySchema(prefix: string): KeySchema {
  return {
    prefix,
    users: `${prefix}users`,
    torrents: `${prefix}torrents`,
    tokens: `${prefix}tokens`,
    whitelist: `${prefix}whitelist`,
    whitelistLens: `${prefix}whitelist:lens`,
    delReasons: `${prefix}delreasons`,
    deletedUsers: `${prefix}deleted-users`,
    swarms: `${prefix}swarms`,
    cacheEpoch: `${prefix}cache-epoch`,
    settings: `${prefix}settings`,
    peerCounts: `${prefix}peer-counts`,
    pending: Object.fromEntries(PENDING_KINDS.map((k) => [k, `${prefix}pend:${k}`])) as Record<PendingKind, string>,
    batch: Object.fromEntries(PENDING_KINDS.map((k) => [k, `${prefix}batch:${k}`])) as Record<PendingKind, string>,
    tokenExpiries: `${prefix}token-expiries`,
    flushCurrent: `${prefix}flush:current`,
    flushLease: `${prefix}flush:lease`,
    flushRejected: `${prefix}flush:rejected`,
    torrent(hex: string): TorrentKeys {
      const tag = `{${hex}}`;
      return {
        state: `${prefix}t:${tag}`,
        peers: `${prefix}p:${tag}`,
        seeders: `${prefix}s:${tag}`,
        leechers: `${prefix}l:${tag}`,
        seeders4: `${prefix}s4:${tag}`,
        seeders6: `${prefix}s6:${tag}`,
        leechers4: `${prefix}l4:${tag}`,
        leechers6: `${prefix}l6:${tag}`,
        candidates: `${prefix}c:${tag}`,
      };
    },
  };
}
