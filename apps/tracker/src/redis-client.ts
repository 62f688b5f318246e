import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export interface RedisClientOptions {
  /** Shown in CLIENT LIST (the tests find a worker's feed connection by it). */
  name: string;
  autoPipelining?: boolean;
  /**
   * A command not answered within this many ms fails (the announce then answers "temporarily
   * unavailable") instead of waiting on a Redis that hangs. 0: no limit (blocking reads).
   */
  commandTimeoutMs?: number;
}

/**
 * One Redis connection. Commands fail at once while Redis is away, never queued: an announce
 * replayed after a reconnect could arrive after a newer one of the same peer. The client keeps
 * reconnecting in the background.
 */
/** ioredis' connection options for a redis_url: redis[s]://… as it is, unix:///path as a socket path. */
export function redisConnection(url: string): { url?: string; path?: string; db?: number; username?: string; password?: string } {
  if (!url.startsWith('unix:')) return { url };
  const u = new URL(url);
  return {
    path: decodeURIComponent(u.pathname),
    db: Number(u.searchParams.get('db') ?? 0),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
}

export function createRedis(url: string, log: Logger, o: RedisClientOptions): Redis {
  const { url: tcp, ...socket } = redisConnection(url);
  const options = {
    connectionName: o.name,
    enableAutoPipelining: o.autoPipelining ?? false,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: o.commandTimeoutMs || undefined,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    lazyConnect: true,
  };
  const redis = tcp ? new Redis(tcp, options) : new Redis({ ...socket, ...options });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) log.warn({ err: err.message, connection: o.name }, 'Redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({ connection: o.name }, 'Redis connection restored');
    down = false;
  });
  return redis;
}

/** Waits for Redis at start, logging each failed attempt (compose starts us before Redis is up). */
export async function connectRedis(redis: Redis, log: Logger): Promise<void> {
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
      else if (redis.status !== 'ready') await new Promise<void>((resolve, reject) => {
        redis.once('ready', resolve);
        redis.once('error', reject);
      });
      await redis.ping();
      return;
    } catch (err) {
      log.warn(`Redis not reachable (attempt ${attempt}: ${(err as Error).message}); retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
