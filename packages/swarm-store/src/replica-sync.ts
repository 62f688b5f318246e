import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './scripts.js';

export interface ReplicaSync {
  /** Masters asked (1 on one Redis). */
  masters: number;
  /** Of those, the ones with a replica that could take over: the ones a WAIT was sent to. */
  replicated: number;
  /** Masters whose replicas did not confirm our writes within the timeout ("host:port"). */
  behind: string[];
}

const address = (r: Redis): string => `${r.options.host ?? '?'}:${r.options.port ?? '?'}`;

/**
 * Waits until every master's replica holds what this client has written to it (Redis WAIT; a
 * WAIT counts the writes sent earlier on the same connection, and the cluster client keeps one
 * connection per master). The flush calls it after cutting batches and before writing them to
 * MySQL: a failover that promoted a replica without the cut would bring the rows back as
 * pending, and the next flush would credit them a second time. A master without replicas is
 * skipped (no failover can lose its writes; a restart reads its AOF).
 *
 * On a cluster a master's replicas are the ones the cluster knows (CLUSTER REPLICAS), connected
 * or not, except those the cluster has agreed are down ("fail"): a replica cut off a moment ago
 * still counts, since it could be promoted without what it missed. On one Redis they are the
 * connected ones (ROLE); nothing fails over there without an operator.
 */
export async function syncReplicas(client: RedisClient, timeoutMs: number): Promise<ReplicaSync> {
  const masters: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  const out: ReplicaSync = { masters: masters.length, replicated: 0, behind: [] };
  const cluster = client instanceof Cluster;
  await Promise.all(masters.map(async (node) => {
    if ((cluster ? await clusterReplicas(node) : await connectedReplicas(node)) === 0) return;
    out.replicated++;
    const acked = Number(await node.call('WAIT', '1', String(timeoutMs)));
    if (acked < 1) out.behind.push(address(node));
  }));
  return out;
}

/** ROLE on a master: ['master', offset, [[ip, port, offset], ...]], the connected replicas. */
async function connectedReplicas(node: Redis): Promise<number> {
  const role = (await node.call('ROLE')) as [string, number, unknown[]];
  return role[0] === 'master' && Array.isArray(role[2]) ? role[2].length : 0;
}

/** CLUSTER REPLICAS lines are "id addr flags master-id ...": replicas not agreed down. */
async function clusterReplicas(node: Redis): Promise<number> {
  const id = String(await node.call('CLUSTER', 'MYID'));
  const lines = (await node.call('CLUSTER', 'REPLICAS', id)) as string[];
  return lines.filter((l) => !String(l).split(' ')[2]?.split(',').includes('fail')).length;
}
