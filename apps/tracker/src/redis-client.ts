import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * One Redis connection per process. Commands fail fast while Redis is away (the announce gets
 * "temporarily unavailable") instead of piling up in memory; the client keeps reconnecting.
 */
export function createRedis(url: string, autoPipelining: boolean, log: Logger): Redis {
  const redis = new Redis(url, {
    enableAutoPipelining: autoPipelining,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: true,
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) log.warn({ err: err.message }, 'Redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('Redis connection restored');
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
      await redis.ping();
      return;
    } catch (err) {
      log.warn(`Redis not reachable (attempt ${attempt}: ${(err as Error).message}); retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
