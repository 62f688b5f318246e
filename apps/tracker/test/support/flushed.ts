import type { Redis } from 'ioredis';
import { keySchema } from '@oncilla/swarm-store';
import { waitUntil } from './wait.js';

/** Everything announced so far has reached MySQL: no shard has pending rows or a batch under way. */
export async function allFlushed(redis: Redis, prefix = 'oncilla:'): Promise<boolean> {
  const shards = keySchema(prefix).shards();
  const tx = redis.multi();
  for (const s of shards) tx.exists(s.pending, s.snatches, s.batch, s.batchSnatches, s.batchId);
  const res = (await tx.exec()) ?? [];
  return res.every(([err, n]) => !err && n === 0);
}

export function waitFlushed(redis: Redis, timeoutMs = 30000, prefix = 'oncilla:'): Promise<void> {
  return waitUntil('the flush to catch up', () => allFlushed(redis, prefix), timeoutMs);
}

/** Some shard has a flush batch cut and not yet ended. */
export async function batchUnderWay(redis: Redis, prefix = 'oncilla:'): Promise<boolean> {
  const n = await Promise.all(keySchema(prefix).shards().map((s) => redis.exists(s.batchId)));
  return n.some((x) => x === 1);
}
