import { loadTokens, loadTorrents, loadUsers, loadWhitelist, type Pool } from '@oncilla/database';
import { replaceTokens, replaceTorrents, replaceUsers, replaceWhitelist, type KeySchema } from '@oncilla/swarm-store';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export interface ListCounts {
  users: number;
  removedUsers: number;
  torrents: number;
  tokens: number;
  whitelist: number;
}

/**
 * Loads users, torrents, tokens and the client whitelist from MySQL into Redis (ocelot-behaviour
 * §10.2). Each list is swapped in whole, so announces running meanwhile see the old list or the
 * new one. Swarms are left alone: they survive restarts.
 */
export async function loadLists(pool: Pool, redis: Redis, keys: KeySchema, log: Logger): Promise<ListCounts> {
  const progress = (table: string, n: number): void => log.info(`loading ${table}: ${n} rows so far`);
  const users = await loadUsers(pool, progress);
  const u = await replaceUsers(redis, keys, users, Math.floor(Date.now() / 1000));
  log.info(`Loaded ${u.loaded} users`);
  const torrents = await loadTorrents(pool, progress);
  const t = await replaceTorrents(redis, keys, torrents);
  log.info(`Loaded ${t} torrents`);
  const tokens = await replaceTokens(redis, keys, await loadTokens(pool));
  log.info(`Loaded ${tokens} tokens`);
  const whitelist = await replaceWhitelist(redis, keys, await loadWhitelist(pool));
  log.info(whitelist ? `Loaded ${whitelist} clients into the whitelist` : 'Assuming no whitelist desired, disabling');
  return { users: u.loaded, removedUsers: u.removed, torrents: t, tokens, whitelist };
}
