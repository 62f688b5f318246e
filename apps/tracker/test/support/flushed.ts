import { keySchema, type RedisClient } from '@oncilla/swarm-store';
import { waitUntil } from './wait.js';

/**
 * Everything announced so far has reached MySQL: no shard has pending rows or a batch under way.
 * One EXISTS per shard (a shard's keys share a slot), so it works on a Redis Cluster too.
 */
export async function allFlushed(redis: RedisClient, prefix = 'oncilla:'): Promise<boolean> {
  const n = await Promise.all(keySchema(prefix).shards().map((s) => redis.exists(s.pending, s.snatches, s.batch, s.batchSnatches, s.batchId)));
  return n.every((x) => x === 0);
}

export function waitFlushed(redis: RedisClient, timeoutMs = 30000, prefix = 'oncilla:'): Promise<void> {
  return waitUntil('the flush to catch up', () => allFlushed(redis, prefix), timeoutMs);
}

/** Some shard has a flush batch cut and not yet ended. */
export async function batchUnderWay(redis: RedisClient, prefix = 'oncilla:'): Promise<boolean> {
  const n = await Promise.all(keySchema(prefix).shards().map((s) => redis.exists(s.batchId)));
  return n.some((x) => x === 1);
}
