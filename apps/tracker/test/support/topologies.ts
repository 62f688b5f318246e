/**
 * The two Redis topologies the tracker runs on, for tests that must hold on both: one Redis
 * (redis_url) and a Redis Cluster of 3 masters and 3 replicas (redis_cluster).
 */
import { Cluster, Redis } from 'ioredis';
import { startRedis, startRedisCluster, type RedisCluster, type RedisServer } from '@oncilla/testkit';
import type { RedisClient } from '@oncilla/swarm-store';
import type { TrackerOptions } from '@oncilla/tracker/launcher';

export interface RedisSide {
  /** What TrackerProcess.start needs to reach it. */
  target: Pick<TrackerOptions, 'redisUrl' | 'redisCluster'>;
  /** A client for the test's own reads (a Cluster client on the cluster). */
  client: RedisClient;
  server?: RedisServer;
  cluster?: RedisCluster;
  cleanup(): Promise<void>;
}

export const TOPOLOGIES: ReadonlyArray<{ name: string; start: () => Promise<RedisSide> }> = [
  {
    name: 'one Redis',
    start: async () => {
      const server = await startRedis();
      const client = new Redis(server.url);
      return { target: { redisUrl: server.url }, client, server, cleanup: async () => { client.disconnect(); await server.cleanup(); } };
    },
  },
  {
    name: 'a Redis Cluster (3 masters, 3 replicas)',
    start: async () => {
      const cluster = await startRedisCluster();
      const client = clusterClient(cluster);
      return { target: { redisCluster: cluster.seeds }, client, cluster, cleanup: async () => { client.disconnect(); await cluster.cleanup(); } };
    },
  },
];

/** A Cluster client for a test: no retries of its own, errors swallowed (nodes get killed under it). */
export function clusterClient(cluster: RedisCluster): Cluster {
  const client = new Cluster([...cluster.seeds], { redisOptions: { maxRetriesPerRequest: 1 }, retryDelayOnFailover: 100 });
  client.on('error', () => undefined);
  return client;
}
