/**
 * The bench's Redis: one server (--redis single) or a Redis Cluster of 3 masters (--redis
 * cluster, --cluster-replicas per master), each node with its own INFO connection, so every
 * figure is read per node and summed.
 */
import { Redis } from 'ioredis';
import { startRedis, startRedisCluster } from '@oncilla/testkit';
import type { TrackerOptions } from '@oncilla/tracker/launcher';

export interface RedisNode {
  /** `redis` on one server; `master:<port>` / `replica:<port>` on a cluster. */
  label: string;
  pid: number;
  master: boolean;
  client: Redis;
}

export interface BenchRedis {
  kind: 'single' | 'cluster';
  /** What the tracker is started with. */
  target: (via: 'socket' | 'tcp') => Pick<TrackerOptions, 'redisUrl' | 'redisCluster'>;
  nodes: RedisNode[];
  cleanup(): Promise<void>;
}

export interface BenchRedisOptions {
  kind: 'single' | 'cluster';
  aof: 'always' | 'everysec' | 'off';
  aofRewritePercentage: number;
  clusterReplicas: number;
}

export async function startBenchRedis(o: BenchRedisOptions): Promise<BenchRedis> {
  const persistence = o.aof === 'off' ? [] : [...(o.aof === 'everysec' ? ['--appendfsync', 'everysec'] : []), '--auto-aof-rewrite-percentage', String(o.aofRewritePercentage)];
  if (o.kind === 'single') {
    const server = await startRedis(o.aof === 'off' ? { appendonly: false } : { appendonly: true, extraArgs: persistence });
    const client = new Redis(server.url);
    return {
      kind: 'single',
      target: (via) => ({ redisUrl: via === 'socket' ? server.socketUrl : server.url }),
      nodes: [{ label: 'redis', pid: server.pid, master: true, client }],
      cleanup: async () => {
        client.disconnect();
        await server.cleanup();
      },
    };
  }
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: o.clusterReplicas, appendonly: o.aof !== 'off', extraArgs: persistence });
  const masters = new Set((await cluster.masters()).map((n) => n.port));
  const nodes = cluster.nodes.map((n): RedisNode => {
    const master = masters.has(n.port);
    return { label: `${master ? 'master' : 'replica'}:${n.port}`, pid: n.pid, master, client: new Redis(n.url) };
  });
  return {
    kind: 'cluster',
    // a cluster is reached over TCP only (the nodes announce their TCP addresses)
    target: () => ({ redisCluster: [...cluster.seeds] }),
    nodes,
    cleanup: async () => {
      for (const n of nodes) n.client.disconnect();
      await cluster.cleanup();
    },
  };
}
