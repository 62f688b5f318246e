/**
 * The pending rows a flush writes to GazellePW's tables: one batch, already coalesced in Redis
 * (one row per user, per torrent, per peer, ...), read back by the primary. The column meanings
 * are Ocelot's.
 */

/** users_main: Uploaded/Downloaded are ADDED (credited, after discounts). */
export interface UserDeltaRow {
  uid: number;
  uploaded: number;
  downloaded: number;
}

/**
 * torrents: Seeders and Leechers REPLACED; Snatched and the balance change ADDED; last_action =
 * NOW() when seeders > 0.
 */
export interface TorrentStatsRow {
  tid: number;
  seeders: number;
  leechers: number;
  snatched: number;
  /**
   * true: the torrent's swarm did not change (only transfers or completions came): Seeders and
   * Leechers stay as the table has them (`seeders`/`leechers` unused), and last_action follows
   * the table's Seeders.
   */
  noCounts?: boolean;
  /** The balance's change since the last flush (its peers' uploaded - downloaded - corrupt; default 0). */
  balanceChange?: number;
}

/**
 * xbt_files_users, keyed by (peer_id, fid, uid).
 * - heavy: insert or refresh every column, ip/ipv6/useragent included;
 * - light: insert, or refresh only timespent, announced, mtime and zero the speeds;
 * - deactivate: set active = 0 on an existing row (a reaped or removed peer); other fields unused.
 */
export interface PeerRow {
  kind: 'heavy' | 'light' | 'deactivate';
  uid: number;
  tid: number;
  peerId: Buffer;
  active: 0 | 1;
  uploaded: number;
  downloaded: number;
  upspeed: number;
  downspeed: number;
  remaining: number;
  corrupt: number;
  timespent: number;
  announced: number;
  ip: string;
  ipv6: string;
  useragent: string;
  mtime: number;
}

/** xbt_snatched: one new row per completion (the table has no unique key). */
export interface SnatchRow {
  uid: number;
  tid: number;
  time: number;
  ip: string;
  ipv6: string;
}

/** users_freeleeches: Downloaded ADDED on the existing token row. */
export interface TokenUseRow {
  uid: number;
  tid: number;
  downloaded: number;
}

/** users_freetorrents, keyed by (UserID, TorrentID, FreeTorrent): Uploaded/Downloaded ADDED, Time = NOW(). */
export interface FreeTorrentRow {
  uid: number;
  tid: number;
  freeType: 1 | 2 | 11 | 12 | 13;
  uploaded: number;
  downloaded: number;
}

/** users_torrents, keyed by (fid, uid): all ADDED; end_time = NOW(). */
export interface UserTorrentRow {
  uid: number;
  tid: number;
  seedtime: number;
  downloaded: number;
  uploaded: number;
  realDownloaded: number;
  realUploaded: number;
  snatched: number;
}

export interface FlushBatch {
  /** Unique across time (random), never reused. */
  id: string;
  users: UserDeltaRow[];
  torrents: TorrentStatsRow[];
  peers: PeerRow[];
  snatches: SnatchRow[];
  tokens: TokenUseRow[];
  freeTorrents: FreeTorrentRow[];
  userTorrents: UserTorrentRow[];
}
