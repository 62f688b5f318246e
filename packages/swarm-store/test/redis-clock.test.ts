/**
 * RedisClock against a real Redis: the offset it measures, and that a worker's reading of the
 * clock follows Redis' rather than its host's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '@oncilla/testkit';
import { RedisClock } from '../src/redis-clock.js';

describe('RedisClock', () => {
  let server: RedisServer;
  let redis: Redis;

  before(async () => {
    server = await startRedis({ appendonly: false });
    redis = new Redis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    await server?.cleanup();
  });

  it('on the host Redis runs on, the offset is within the round trip', async () => {
    const clock = new RedisClock(redis);
    const offset = await clock.sync();
    assert.ok(Math.abs(offset) < 1000, `offset ${offset} ms`);
    const [s] = await redis.time();
    assert.ok(Math.abs(clock.seconds() - Number(s)) <= 1);
  });

  it('a host clock an hour off still reads Redis\' time', async () => {
    const hourAhead = (): number => Date.now() + 3_600_000;
    const clock = new RedisClock(redis, hourAhead);
    assert.equal(clock.seconds(), Math.floor(hourAhead() / 1000), 'before the first sync: the host clock');
    const offset = await clock.sync();
    assert.ok(Math.abs(offset + 3_600_000) < 1000, `offset ${offset} ms`);
    const [s] = await redis.time();
    assert.ok(Math.abs(clock.seconds() - Number(s)) <= 1, 'Redis\' seconds, not the host\'s');
  });

  it('keeps the last offset when Redis cannot be read', async () => {
    const clock = new RedisClock({ time: () => Promise.reject(new Error('down')) }, () => 5_000);
    await assert.rejects(clock.sync(), /down/);
    assert.equal(clock.offsetMs, 0);
    assert.equal(clock.seconds(), 5);
  });
});
