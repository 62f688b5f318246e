/**
 * The lists the primary loads from MySQL (users, torrents, freeleech tokens): the rows the
 * database package reads and the swarm store loads into Redis.
 */
export interface UserRow {
  id: number;
  passkey: string;
  canLeech: boolean;
  /** Visible='0' or IP='127.0.0.1' on the site: the user's IP is never written to the DB. */
  isProtected: boolean;
}

/** GazellePW's torrents.FreeTorrent values the tracker knows (anything else is normal, 0). */
export const FREE_TYPES = [0, 1, 2, 11, 12, 13] as const;
export type FreeType = (typeof FREE_TYPES)[number];

/** The free type of a site value ('11', 11, ...): anything unknown is normal (0). */
export function freeTypeOf(raw: string | number | undefined): FreeType {
  const n = typeof raw === 'number' ? raw : raw === undefined || !/^\d+$/.test(raw) ? NaN : Number(raw);
  return (FREE_TYPES as readonly number[]).includes(n) ? (n as FreeType) : 0;
}

export interface TorrentRow {
  id: number;
  infoHash: Buffer;
  freeTorrent: FreeType;
  snatched: number;
}

export interface TokenRow {
  userId: number;
  torrentId: number;
}
