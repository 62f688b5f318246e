import type { RowDataPacket } from 'mysql2/promise';
import { freeTypeOf, type TokenRow, type TorrentRow, type UserRow } from '@oncilla/rows';
import type { Pool } from './connection.js';

/** Rows are read in pages by primary key so a site with millions of rows shows progress. */
const PAGE = 50_000;

export type Progress = (table: string, rowsSoFar: number) => void;

async function paged<T>(pool: Pool, table: string, sql: string, map: (r: RowDataPacket) => T, progress?: Progress): Promise<T[]> {
  const out: T[] = [];
  let after = -1;
  for (;;) {
    const [rows] = await pool.query<RowDataPacket[]>(sql, [after, PAGE]);
    for (const r of rows) out.push(map(r));
    if (rows.length < PAGE) break;
    after = Number(rows[rows.length - 1].ID);
    progress?.(table, out.length);
  }
  return out;
}

/** As Ocelot loads them: enabled users only; protected = Visible='0' or IP='127.0.0.1'. */
export function loadUsers(pool: Pool, progress?: Progress): Promise<UserRow[]> {
  return paged(
    pool,
    'users_main',
    "SELECT ID, can_leech, torrent_pass, (Visible='0' OR IP='127.0.0.1') AS Protected FROM users_main WHERE Enabled='1' AND ID > ? ORDER BY ID LIMIT ?",
    (r) => ({ id: Number(r.ID), passkey: String(r.torrent_pass), canLeech: Number(r.can_leech) !== 0, isProtected: Number(r.Protected) !== 0 }),
    progress,
  );
}

export function loadTorrents(pool: Pool, progress?: Progress): Promise<TorrentRow[]> {
  return paged(
    pool,
    'torrents',
    'SELECT ID, info_hash, FreeTorrent, Snatched FROM torrents WHERE ID > ? ORDER BY ID LIMIT ?',
    (r) => ({
      id: Number(r.ID),
      infoHash: Buffer.isBuffer(r.info_hash) ? r.info_hash : Buffer.from(String(r.info_hash), 'latin1'),
      freeTorrent: freeTypeOf(String(r.FreeTorrent)),
      snatched: Number(r.Snatched),
    }),
    progress,
  );
}

export async function loadTokens(pool: Pool): Promise<TokenRow[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    "SELECT uf.UserID, uf.TorrentID FROM users_freeleeches AS uf JOIN torrents AS t ON t.ID = uf.TorrentID WHERE uf.Expired = '0'",
  );
  return rows.map((r) => ({ userId: Number(r.UserID), torrentId: Number(r.TorrentID) }));
}

export async function loadWhitelist(pool: Pool): Promise<Buffer[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT peer_id FROM xbt_client_whitelist WHERE peer_id IS NOT NULL');
  return rows.map((r) => (Buffer.isBuffer(r.peer_id) ? r.peer_id : Buffer.from(String(r.peer_id), 'utf8')));
}

/**
 * report?get=user: the user's active peers as the last flush wrote them to xbt_files_users
 * (a peer that stops or is reaped becomes active = 0 there), on torrents the site still has.
 */
export async function loadUserPeerCounts(pool: Pool, uid: number): Promise<{ leeching: number; seeding: number }> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT COALESCE(SUM(x.remaining = 0), 0) AS seeding, COALESCE(SUM(x.remaining > 0), 0) AS leeching ' +
      'FROM xbt_files_users AS x JOIN torrents AS t ON t.ID = x.fid WHERE x.uid = ? AND x.active = 1',
    [uid],
  );
  return { leeching: Number(rows[0]?.leeching ?? 0), seeding: Number(rows[0]?.seeding ?? 0) };
}
