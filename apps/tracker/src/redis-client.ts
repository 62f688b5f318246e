import { Cluster, Redis } from 'ioredis';
import type { Config, HostPort } from '@oncilla/config';
import type { RedisClient } from '@oncilla/swarm-store';
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

/** Where Redis is: one server (redis_url) or a Redis Cluster (redis_cluster, some of its nodes). */
export type RedisTopology = Pick<Config, 'redisUrl' | 'redisCluster'>;

export const isClusterTopology = (t: RedisTopology): boolean => t.redisCluster.length > 0;

export const hostPort = (n: HostPort): string => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`);

/** For logs: host:port/db of the one Redis without credentials, or the cluster's seed nodes. */
export function describeRedis(t: RedisTopology): string {
  if (isClusterTopology(t)) return `cluster ${t.redisCluster.map(hostPort).join(',')}`;
  try {
    const u = new URL(t.redisUrl);
    if (u.protocol === 'unix:') return `unix:${u.pathname}`;
    return `${u.hostname}:${u.port || 6379}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'redis';
  }
}

/**
 * One Redis connection, or a Redis Cluster client (a connection per master, each command sent
 * to the master of its first key's slot). Commands fail at once while Redis is away, never
 * queued: an announce replayed after a reconnect could arrive after a newer one of the same
 * peer. The client keeps reconnecting in the background.
 */
export function createRedis(t: RedisTopology, log: Logger, o: RedisClientOptions): RedisClient {
  const options = {
    connectionName: o.name,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: o.commandTimeoutMs || undefined,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    lazyConnect: true,
  };
  let redis: RedisClient;
  if (isClusterTopology(t)) {
    redis = new Cluster(t.redisCluster.map((n) => ({ host: n.host, port: n.port })), {
      redisOptions: options,
      enableOfflineQueue: false,
      enableAutoPipelining: o.autoPipelining ?? false,
      lazyConnect: true,
      scaleReads: 'master',
      clusterRetryStrategy: (times: number) => Math.min(times * 100, 1000),
      // during a failover: short retries on MOVED / CLUSTERDOWN / TRYAGAIN, within the command timeout
      retryDelayOnFailover: 50,
      retryDelayOnClusterDown: 50,
      retryDelayOnTryAgain: 50,
      slotsRefreshTimeout: 1000,
    });
  } else {
    const { url: tcp, ...socket } = redisConnection(t.redisUrl);
    const single = { ...options, enableAutoPipelining: o.autoPipelining ?? false };
    redis = tcp ? new Redis(tcp, single) : new Redis({ ...socket, ...single });
  }
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

/** The Redis found is not the kind configured; the message names the key to change. */
export class RedisTopologyError extends Error {
  override name = 'RedisTopologyError';
}

/** `cluster_enabled` of INFO cluster: 1 on a Redis Cluster node. */
export function clusterEnabled(info: string): boolean {
  return /^cluster_enabled:1\s*$/m.test(info);
}

/**
 * Checks that the Redis found is the kind configured, before anything is written: a cluster
 * node behind redis_url answers MOVED for most keys, and a plain Redis behind redis_cluster
 * refuses every cluster command. Nodes that do not answer yet are skipped (Redis may start
 * after us); the connect then waits for them.
 */
export async function checkRedisTopology(t: RedisTopology): Promise<void> {
  const targets = isClusterTopology(t)
    ? t.redisCluster.map((n) => ({ url: `redis://${hostPort(n)}`, shown: hostPort(n) }))
    : [{ url: t.redisUrl, shown: describeRedis(t) }];
  for (const target of targets) {
    const { url: tcp, ...socket } = redisConnection(target.url);
    const probeOptions = { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 2000 };
    const probe = tcp ? new Redis(tcp, probeOptions) : new Redis({ ...socket, ...probeOptions });
    probe.on('error', () => undefined);
    let info: string;
    try {
      await probe.connect();
      info = await probe.info('cluster');
    } catch {
      continue;
    } finally {
      probe.disconnect();
    }
    const isCluster = clusterEnabled(info);
    if (isCluster && !isClusterTopology(t)) {
      throw new RedisTopologyError(`redis_url: ${target.shown} is a Redis Cluster node (cluster_enabled:1); list the cluster's nodes in redis_cluster instead of redis_url`);
    }
    if (!isCluster && isClusterTopology(t)) {
      throw new RedisTopologyError(`redis_cluster: ${target.shown} is not in cluster mode (cluster_enabled:0); for one Redis, set redis_url instead of redis_cluster`);
    }
  }
}

/** Waits for Redis at start, logging each failed attempt (compose starts us before Redis is up). */
export async function connectRedis(redis: RedisClient, log: Logger): Promise<void> {
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

/**
 * Resolves once the client is connected, or after `ms` whatever its state. For the site's
 * updates: after Redis comes back, this connection may reconnect up to a second after the
 * announce channel does (each backs off on its own), and an update is better late than refused.
 */
export function whenReady(client: RedisClient, ms: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once('ready', done);
  });
}
