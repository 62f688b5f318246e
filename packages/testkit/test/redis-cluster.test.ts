// Integration tests of startRedisCluster: a real 3 masters + 3 replicas Redis Cluster,
// driven through ioredis, with a master SIGKILLed, failed over and restarted.
// One cluster is shared by the tests, in order: starting one costs ~2 s (redis-cli waits).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { CLUSTER_BUS_PORT_OFFSET, isAlive, startRedisCluster, type RedisCluster, type RedisClusterNode } from '@oncilla/testkit';


const clients: Array<Redis | Cluster> = [];

/** A plain (non-cluster) connection to one node: it answers only for slots that node serves. */
function nodeClient(node: RedisClusterNode): Redis {
  const client = new Redis(node.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {}); // the node may be killed under it
  clients.push(client);
  return client;
}

function clusterClient(kit: RedisCluster): Cluster {
  const client = new Cluster([...kit.seeds], { redisOptions: { maxRetriesPerRequest: 0 } });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

async function keySlot(kit: RedisCluster, key: string): Promise<number> {
  return Number(await nodeClient(kit.nodes[0]).cluster('KEYSLOT', key));
}

describe('startRedisCluster', () => {
  let kit: RedisCluster;

  before(async () => {
    const started = performance.now();
    kit = await startRedisCluster();
    console.log(`cluster start (6 nodes, redis-cli --cluster create, all ok): ${(performance.now() - started).toFixed(0)} ms`);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await kit?.cleanup();
  });

  test('rejects fewer than 3 masters before starting anything', async () => {
    await assert.rejects(startRedisCluster({ masters: 2 }), /masters must be an integer >= 3/);
  });

  test('comes up ok with 3 masters, each with 1 replica, on ports whose bus port is port+10000', async () => {
    assert.equal(kit.nodes.length, 6);
    assert.equal(kit.nodeTimeoutMs, 1000);
    const masters = await kit.masters();
    const replicas = await kit.replicas();
    assert.equal(masters.length, 3);
    assert.equal(replicas.length, 3);
    assert.deepEqual(
      masters.map((m) => replicas.filter((r) => r.masterId === m.id).length),
      [1, 1, 1],
    );
    assert.deepEqual(kit.seeds, kit.nodes.map((n) => `127.0.0.1:${n.port}`));
    assert.equal(new Set(kit.nodes.map((n) => n.id)).size, 6);
    for (const n of kit.nodes) {
      assert.match(n.id, /^[0-9a-f]{40}$/);
      assert.equal(n.busPort, n.port + CLUSTER_BUS_PORT_OFFSET);
      assert.ok(n.busPort < 65536);
      assert.ok(n.dir.startsWith(kit.dir));
      const client = nodeClient(n);
      const info = String(await client.cluster('INFO'));
      assert.match(info, /cluster_state:ok/);
      assert.match(info, /cluster_slots_ok:16384/);
      assert.match(info, /cluster_known_nodes:6/);
      assert.match(info, /cluster_size:3/);
      assert.match(String(await client.cluster('NODES')), new RegExp(`127\\.0\\.0\\.1:${n.port}@${n.busPort} myself,`));
      assert.deepEqual(await client.config('GET', 'appendfsync'), ['appendfsync', 'always']);
      assert.deepEqual(await client.config('GET', 'cluster-node-timeout'), ['cluster-node-timeout', '1000']);
      if (n.role === 'replica') assert.match(String(await client.info('replication')), /master_link_status:up/);
    }
  });

  test('a key set through ioredis Cluster lands on the master owning its slot', async () => {
    const client = clusterClient(kit);
    const owners = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const key = `key:${i}`;
      assert.equal(await client.set(key, `v${i}`), 'OK');
      const owner = await kit.masterOfSlot(await keySlot(kit, key));
      assert.equal(owner.role, 'master');
      owners.add(owner.port);
      assert.equal(await nodeClient(owner).get(key), `v${i}`);
      const other = kit.nodes.find((n) => n.role === 'master' && n !== owner)!;
      await assert.rejects(nodeClient(other).get(key), /MOVED/);
    }
    assert.equal(owners.size, 3, 'twelve keys spread over all three masters');
  });

  let killed: RedisClusterNode;
  let promoted: RedisClusterNode;
  const key = '{failover}:before'; // the hash tag puts `${key}:later` in the same slot

  test('SIGKILL of a master: its replica is promoted, the cluster is ok again, a WAITed write survives', async (t) => {
    const slot = await keySlot(kit, key);
    killed = await kit.masterOfSlot(slot);
    const [replica] = (await kit.replicas()).filter((r) => r.masterId === killed.id);
    assert.ok(replica);
    const direct = nodeClient(killed);
    assert.equal(await direct.set(key, 'before-kill'), 'OK');
    // Bounded, so a replica that never acknowledges fails here instead of hanging the test.
    assert.equal(await direct.call('WAIT', '1', '5000'), 1);

    const pid = killed.pid;
    const started = performance.now();
    await killed.kill();
    assert.ok(!isAlive(pid));
    // Until cluster-node-timeout passes every node still says ok; waitOk must not believe them.
    await assert.rejects(kit.waitOk({ timeoutMs: 200 }), /are owned by 127\.0\.0\.1:\d+ \(not running\)/);
    promoted = await kit.waitForFailover(killed.port);
    t.diagnostic(`failover after SIGKILL (cluster-node-timeout 1000 ms): ${(performance.now() - started).toFixed(0)} ms`);

    assert.equal(promoted, replica);
    assert.equal(promoted.role, 'master');
    assert.equal(await kit.masterOfSlot(slot), promoted);
    const masters = await kit.masters();
    assert.equal(masters.length, 3);
    assert.ok(masters.includes(promoted) && !masters.includes(killed));
    assert.equal(await clusterClient(kit).get(key), 'before-kill');
    assert.equal(await nodeClient(promoted).get(key), 'before-kill');
  });

  test('restart of the killed master: same port and id, rejoins as a replica of the promoted node, with the data', async (t) => {
    const { port, id, pid } = killed;
    // Written while the node is down, so it can only reach it by syncing from the promoted master.
    assert.equal(await nodeClient(promoted).set(`${key}:later`, 'while-down'), 'OK');
    const started = performance.now();
    await killed.restart();
    await kit.waitOk();
    t.diagnostic(`restart + rejoin as replica (full sync): ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(killed.port, port);
    assert.equal(killed.id, id);
    assert.notEqual(killed.pid, pid);
    assert.equal(killed.role, 'replica');
    assert.equal(killed.masterId, promoted.id);
    assert.ok((await kit.replicas()).includes(killed));
    assert.equal((await kit.masters()).length, 3);

    const replica = nodeClient(killed);
    assert.equal(await replica.call('READONLY'), 'OK'); // a replica serves reads of its master's slots
    assert.equal(await replica.get(key), 'before-kill');
    assert.equal(await replica.get(`${key}:later`), 'while-down');
    assert.equal(await clusterClient(kit).get('key:0'), 'v0');
  });

  test('a paused replica is left out of the waits and queries; resumed, it is counted again', async () => {
    const replica = (await kit.replicas()).find((r) => r !== killed)!;
    replica.pause();
    await kit.waitOk();
    assert.equal((await kit.replicas()).length, 2);
    replica.resume();
    await kit.waitOk();
    assert.equal((await kit.replicas()).length, 3);
  });

  test('SIGSTOP of a master: its replica takes over; resumed, the old master turns replica', async (t) => {
    const hung = promoted;
    const started = performance.now();
    hung.pause();
    const successor = await kit.waitForFailover(hung.port);
    t.diagnostic(`failover after SIGSTOP: ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(successor, killed, 'the restarted node was its only replica');
    hung.resume();
    await kit.waitOk();
    assert.equal(hung.role, 'replica');
    assert.equal(hung.masterId, successor.id);
    assert.equal(await clusterClient(kit).get(`${key}:later`), 'while-down');
  });

  test('cleanup kills every node and removes every dir', async () => {
    for (const c of clients.splice(0)) c.disconnect();
    const pids = kit.nodes.map((n) => n.pid);
    const dirs = [kit.dir, ...kit.nodes.map((n) => n.dir)];
    for (const pid of pids) assert.ok(isAlive(pid));
    for (const dir of dirs) assert.ok(existsSync(dir));
    await kit.cleanup();
    for (const pid of pids) assert.ok(!isAlive(pid), `pid ${pid} still alive`);
    for (const dir of dirs) assert.ok(!existsSync(dir), `${dir} still exists`);
    assert.ok(kit.nodes.every((n) => !n.running));
    await kit.cleanup(); // idempotent
    await assert.rejects(kit.waitOk({ timeoutMs: 100 }), /cleaned up/);
  });
});
