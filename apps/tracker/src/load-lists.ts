import { loadTokens as readTokens, loadTorrents as readTorrents, loadUsers as readUsers, loadWhitelist as readWhitelist, type Pool } from '@oncilla/database';
import { loadTokens, loadTorrents, loadUsersAndWhitelist, type KeySchema, type RedisClient } from '@oncilla/swarm-store';
import type { Logger } from './logger.js';

export interface ListCounts {
  users: number;
  removedUsers: number;
  torrents: number;
  tokens: number;
  whitelist: number;
}

/**
 * Loads users, torrents, tokens and the client whitelist from MySQL into Redis (start, SIGUSR1,
 * reload_interval, and after Redis lost them). Only what changed is written; workers swap
 * their in-memory lists whole, so announces meanwhile see the old lists or the new ones.
 * Swarms are left alone: they survive restarts.
 */
export async function loadLists(pool: Pool, redis: RedisClient, keys: KeySchema, log: Logger): Promise<ListCounts> {
  const progress = (table: string, n: number): void => log.info(`loading ${table}: ${n} rows so far`);
  const [users, whitelist] = [await readUsers(pool, progress), await readWhitelist(pool)];
  const torrents = await readTorrents(pool, progress);
  const tokens = await readTokens(pool);
  // torrents first: a worker told to reread the users must find their torrents already there
  const written = await loadTorrents(redis, keys, torrents);
  const tokenChanges = await loadTokens(redis, keys, tokens, torrents);
  const u = await loadUsersAndWhitelist(redis, keys, users, whitelist, Math.floor(Date.now() / 1000));
  log.info(`Loaded ${u.loaded} users, ${torrents.length} torrents (${written} written), ${tokens.length} tokens (${tokenChanges} changed)`);
  log.info(whitelist.length ? `Loaded ${whitelist.length} clients into the whitelist` : 'Assuming no whitelist desired, disabling');
  return { users: u.loaded, removedUsers: u.removed, torrents: torrents.length, tokens: tokens.length, whitelist: whitelist.length };
}
