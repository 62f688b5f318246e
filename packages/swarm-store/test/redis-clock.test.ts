/**
 * RedisClock against a real Redis: the offset it measures, and that a worker's reading of the
 * clock follows Redis' rather than its host's.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis } from '@oncilla/testkit';
import { RedisClock } from '../src/redis-clock.js';

it('RedisClock reads Redis\' time: within the round trip on its own host, and from a host clock an hour off', async () => {
  const server = await startRedis({ appendonly: false });
  const redis = new Redis(server.url);
  const redisSeconds = async (): Promise<number> => Number((await redis.time())[0]);
  try {
    const here = new RedisClock(redis);
    const offset = await here.sync();
    assert.ok(Math.abs(offset) < 1000, `offset ${offset} ms`);
    assert.ok(Math.abs(here.seconds() - (await redisSeconds())) <= 1);

    const hourAhead = (): number => Date.now() + 3_600_000;
    const ahead = new RedisClock(redis, hourAhead);
    assert.equal(ahead.seconds(), Math.floor(hourAhead() / 1000), 'before the first sync: the host clock');
    const off = await ahead.sync();
    assert.ok(Math.abs(off + 3_600_000) < 1000, `offset ${off} ms`);
    assert.ok(Math.abs(ahead.seconds() - (await redisSeconds())) <= 1, 'Redis\' seconds, not the host\'s');
  } finally {
    redis.disconnect();
    await server.cleanup();
  }
});

it('RedisClock keeps the last offset when Redis cannot be read', async () => {
  const clock = new RedisClock({ time: () => Promise.reject(new Error('down')) }, () => 5_000);
  await assert.rejects(clock.sync(), /down/);
  assert.equal(clock.offsetMs, 0);
  assert.equal(clock.seconds(), 5);
});
