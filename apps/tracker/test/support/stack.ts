/**
 * The servers most tracker tests run against: a throwaway Redis and MariaDB, seeded, with
 * trackers on them and an ioredis client. stop() ends it all in order: client, trackers, servers.
 */
import { Redis, type RedisOptions } from 'ioredis';
import {
  insertTokens, insertTorrents, insertUsers, insertWhitelist, startMariaDb, startRedis,
  type MariaDbServer, type MariaDbServerOptions, type RedisServer, type RedisServerOptions,
  type SeedToken, type SeedTorrent, type SeedUser,
} from '@oncilla/testkit';
import { TrackerProcess, type TrackerOptions } from '@oncilla/tracker/launcher';

/** A tracker of the stack: everything but the servers it is pointed at. */
export type TrackerSpec = Omit<TrackerOptions, 'redisUrl' | 'mysql'>;

export interface StackOptions {
  redisServer?: RedisServerOptions;
  db?: MariaDbServerOptions;
  /** Options of the `redis` client (it connects on its first command). */
  redis?: RedisOptions;
  users?: readonly SeedUser[];
  torrents?: readonly SeedTorrent[];
  tokens?: readonly SeedToken[];
  whitelist?: readonly string[];
  /** Started one after another once the rows are in; none by default. */
  trackers?: readonly TrackerSpec[];
}

export interface Stack {
  redisServer: RedisServer;
  db: MariaDbServer;
  redis: Redis;
  /** One per spec, in the same order. */
  trackers: TrackerProcess[];
  stop(): Promise<void>;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const [redisServer, db] = await Promise.all([startRedis(o.redisServer), startMariaDb(o.db)]);
  const redis = new Redis(redisServer.url, { lazyConnect: true, ...o.redis });
  const trackers: TrackerProcess[] = [];
  const stop = async (): Promise<void> => {
    redis.disconnect();
    await Promise.all(trackers.map((t) => t.stop()));
    await Promise.all([redisServer.cleanup(), db.cleanup()]);
  };
  try {
    if (o.users || o.torrents || o.tokens || o.whitelist) {
      const conn = await db.connect();
      try {
        if (o.users) await insertUsers(conn, o.users);
        if (o.torrents) await insertTorrents(conn, o.torrents);
        if (o.tokens) await insertTokens(conn, o.tokens);
        if (o.whitelist) await insertWhitelist(conn, o.whitelist);
      } finally {
        await conn.end();
      }
    }
    for (const spec of o.trackers ?? []) trackers.push(await TrackerProcess.start({ ...spec, redisUrl: redisServer.url, mysql: db }));
  } catch (err) {
    // a failed start leaves nothing running for the test's after() to miss
    await stop();
    throw err;
  }
  return { redisServer, db, redis, trackers, stop };
}
