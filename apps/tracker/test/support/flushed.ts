import type { Redis } from 'ioredis';
import { keySchema, PENDING_KINDS } from '@oncilla/swarm-store';
import { waitUntil } from './wait.js';

/** Everything announced so far has reached MySQL: no pending rows and no batch under way. */
export async function allFlushed(redis: Redis, prefix = 'oncilla:'): Promise<boolean> {
  const k = keySchema(prefix);
  const n = await redis.exists(...PENDING_KINDS.map((x) => k.pending[x]), ...PENDING_KINDS.map((x) => k.batch[x]), k.flushCurrent);
  return n === 0;
}

export function waitFlushed(redis: Redis, timeoutMs = 30000, prefix = 'oncilla:'): Promise<void> {
  return waitUntil('the flush to catch up', () => allFlushed(redis, prefix), timeoutMs);
}
