// Seed rows for the GazellePW tracker tables. Every NOT NULL column without a default is
// given explicitly, so these work under MariaDB's strict
// sql_mode as well as the site's non-strict one. Multi-row INSERTs in chunks of 1000.

import { createHash } from 'node:crypto';

/** Anything with mysql2's promise `query(sql, values)`: a Connection, PoolConnection or Pool. */
export interface SeedConnection {
  query(sql: string, values?: unknown): Promise<unknown>;
}

export type EnabledFlag = '0' | '1' | '2';
export type FreeTorrentFlag = '0' | '1' | '2' | '11' | '12' | '13';

export interface SeedUser {
  id: number;
  /** torrent_pass: exactly 32 chars. */
  passkey: string;
  /** can_leech (default true). */
  canLeech?: boolean;
  /** Visible (default true); `Visible='0'` makes the tracker treat the user as IP-protected. */
  visible?: boolean;
  /** users_main.IP (default '0.0.0.0'); '127.0.0.1' marks the user as IP-protected. */
  ip?: string;
  /** Enabled (default '1'; the tracker loads only '1'). */
  enabled?: EnabledFlag;
  /** Username (default `user<id>`; unique, at most 20 chars). */
  username?: string;
  /** PermissionID (default 2, "User"). */
  permissionId?: number;
}

export interface SeedTorrent {
  id: number;
  /** info_hash: exactly 20 bytes. */
  infoHash: Buffer;
  /** FreeTorrent (default '0'). */
  freeTorrent?: FreeTorrentFlag;
  /** Snatched (default 0). */
  snatched?: number;
  /** GroupID (default = id). */
  groupId?: number;
  /** UserID, the uploader (default NULL). */
  userId?: number | null;
  /** Size in bytes (default 1 MiB). */
  size?: number;
}

export interface SeedToken {
  userId: number;
  torrentId: number;
  /** Expired (default false). */
  expired?: boolean;
}

export const SEED_CHUNK_SIZE = 1000;

async function insertChunked<T>(
  conn: SeedConnection,
  rows: readonly T[],
  head: string,
  tuple: string,
  values: (row: T) => unknown[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += SEED_CHUNK_SIZE) {
    const chunk = rows.slice(start, start + SEED_CHUNK_SIZE);
    const params: unknown[] = [];
    for (const row of chunk) params.push(...values(row));
    await conn.query(`${head} VALUES ${new Array(chunk.length).fill(tuple).join(',')}`, params);
  }
}

/** Rows in users_main (Enabled='1', PermissionID 2, IP '0.0.0.0' unless given). */
export async function insertUsers(conn: SeedConnection, users: readonly SeedUser[]): Promise<void> {
  for (const u of users) {
    if (u.passkey.length !== 32) throw new Error(`user ${u.id}: passkey must be 32 chars, got ${u.passkey.length}`);
    const name = u.username ?? `user${u.id}`;
    if (name.length > 20) throw new Error(`user ${u.id}: username ${JSON.stringify(name)} longer than 20 chars`);
  }
  await insertChunked(
    conn,
    users,
    'INSERT INTO users_main (ID, Username, Email, PassHash, LastLogin, LastAccess, IP, Title, Enabled, PermissionID, can_leech, torrent_pass, Visible)',
    "(?, ?, ?, '', NOW(), NOW(), ?, '', ?, ?, ?, ?, ?)",
    (u) => {
      const name = u.username ?? `user${u.id}`;
      return [
        u.id,
        name,
        `${name}@example.invalid`,
        u.ip ?? '0.0.0.0',
        u.enabled ?? '1',
        u.permissionId ?? 2,
        u.canLeech === false ? 0 : 1,
        u.passkey,
        u.visible === false ? '0' : '1',
      ];
    },
  );
}

/** Rows in torrents (zero dates where the site leaves them unset; zero dates are allowed in both sql modes). */
export async function insertTorrents(conn: SeedConnection, torrents: readonly SeedTorrent[]): Promise<void> {
  for (const t of torrents) {
    if (t.infoHash.length !== 20) throw new Error(`torrent ${t.id}: infoHash must be 20 bytes, got ${t.infoHash.length}`);
  }
  const zero = "'0000-00-00 00:00:00'";
  await insertChunked(
    conn,
    torrents,
    'INSERT INTO torrents (ID, GroupID, UserID, RemasterTitle, info_hash, FileCount, FileList, Size, last_action, `Time`,' +
      ' LastReseedRequest, Checked, dead_time, RemasterCustomTitle, Processing, ChineseDubbed, SpecialSub,' +
      ' MediaInfo, Note, SubtitleType, Slot, IsExtraSlot, FreeTorrent, Snatched)',
    `(?, ?, ?, '', ?, 1, '', ?, ${zero}, NOW(), ${zero}, 0, ${zero}, '', '', 0, 0, '', '', 1, 0, 0, ?, ?)`,
    (t) => [t.id, t.groupId ?? t.id, t.userId ?? null, t.infoHash, t.size ?? 1048576, t.freeTorrent ?? '0', t.snatched ?? 0],
  );
}

/** Rows in xbt_client_whitelist (peer_id prefix; vstring = the prefix). An empty table allows every client. */
export async function insertWhitelist(conn: SeedConnection, prefixes: readonly string[]): Promise<void> {
  await insertChunked(conn, prefixes, 'INSERT INTO xbt_client_whitelist (peer_id, vstring)', '(?, ?)', (p) => [p, p]);
}

/** Freeleech tokens: rows in users_freeleeches (Time NOW(), Uses 1). */
export async function insertTokens(conn: SeedConnection, tokens: readonly SeedToken[]): Promise<void> {
  await insertChunked(
    conn,
    tokens,
    'INSERT INTO users_freeleeches (UserID, TorrentID, `Time`, Expired, Uses)',
    '(?, ?, NOW(), ?, 1)',
    (t) => [t.userId, t.torrentId, t.expired ? 1 : 0],
  );
}

/** A deterministic passkey for user i: 32 lowercase hex chars. */
export function makePasskey(i: number): string {
  return createHash('md5').update(`oncilla-passkey-${i}`).digest('hex');
}

/** A deterministic 20-byte info_hash for torrent i. */
export function makeInfoHash(i: number): Buffer {
  return createHash('sha1').update(`oncilla-infohash-${i}`).digest();
}
