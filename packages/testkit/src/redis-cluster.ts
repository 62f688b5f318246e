// A throwaway Redis Cluster for tests: N masters with R replicas each, every node a real
// redis-server in its own dir under one temp dir, joined by `redis-cli --cluster create`.
// Nodes can be killed, paused and restarted (they rejoin with their nodes.conf), and the
// harness can wait for the cluster to be ok again or for a failover to finish.
//
// Redis announces no event when the cluster state changes, so the waits poll: every live
// node is asked CLUSTER NODES / CLUSTER INFO / INFO replication on a fresh connection every
// POLL_INTERVAL_MS, up to a deadline.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './find-binary.js';
import { freePort, isPortFree } from './free-port.js';
import {
  ManagedProcess,
  fileSize,
  isAddressInUse,
  makeTempDir,
  readLogTail,
  removeTempDir,
  sleep,
} from './process.js';
import { RedisServerImpl } from './redis-server.js';
import { redisCommands, redisString } from './resp.js';

export const CLUSTER_SLOTS = 16384;
/** Redis Cluster's bus listens on the client port + 10000 (cluster-port 0, the default). */
export const CLUSTER_BUS_PORT_OFFSET = 10000;

export interface RedisClusterOptions {
  /** Masters (default 3; at least 3, which `redis-cli --cluster create` requires). */
  masters?: number;
  /** Replicas per master (default 1). */
  replicasPerMaster?: number;
  /** cluster-node-timeout (default 1000 ms): how long a silent node takes to be failed over. */
  nodeTimeoutMs?: number;
  /** AOF with `appendfsync always` on every node (default true); RDB snapshots are always off. */
  appendonly?: boolean;
  /** Deadline for the whole start: nodes up, cluster created, every node ok (default 60 s). */
  startTimeoutMs?: number;
  /** Extra `--name value` arguments for every redis-server. */
  extraArgs?: string[];
}

export type ClusterRole = 'master' | 'replica';

export interface RedisClusterNode {
  readonly host: string;
  /** Client port, fixed for the life of the cluster, across restarts. */
  readonly port: number;
  /** Cluster bus port: port + 10000. */
  readonly busPort: number;
  /** `host:port`. */
  readonly address: string;
  /** `redis://127.0.0.1:P`. */
  readonly url: string;
  /** The node's own dir (nodes.conf, the AOF dir, redis.log). */
  readonly dir: string;
  readonly logFile: string;
  /** Cluster node id (40 hex chars); kept across restarts in nodes.conf. */
  readonly id: string;
  /** Role as last seen by the harness (at start and by every wait/query since); masters()/replicas() ask afresh. */
  readonly role: ClusterRole;
  /** For a replica, its master's node id as last seen; undefined for a master. */
  readonly masterId: string | undefined;
  /** pid of the current (or last) redis-server process. */
  readonly pid: number;
  readonly running: boolean;
  readonly paused: boolean;
  /** SIGKILL and wait for the exit: a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** Starts again on the same port and dir, so it rejoins with its nodes.conf; stops first if running. Does not wait for the cluster: use waitOk(). */
  restart(): Promise<void>;
  /** SIGSTOP: after cluster-node-timeout the others mark it failed (and fail over a master). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

export interface ClusterWaitOptions {
  /** Default 30 s. */
  timeoutMs?: number;
}

export interface RedisCluster {
  /** Every node, in start order (ports differ; roles change with failovers). */
  readonly nodes: readonly RedisClusterNode[];
  /** `127.0.0.1:P` of every node: startup nodes for ioredis `new Cluster(seeds)`. */
  readonly seeds: readonly string[];
  /** Temp dir holding one dir per node and cluster-create.log. */
  readonly dir: string;
  readonly nodeTimeoutMs: number;
  /** The node with that client port (throws if none). */
  node(port: number): RedisClusterNode;
  /** Running, unpaused nodes that say they are masters. */
  masters(): Promise<RedisClusterNode[]>;
  /** Running, unpaused nodes that say they are replicas. */
  replicas(): Promise<RedisClusterNode[]>;
  /** The node owning `slot` (0..16383) according to the live nodes (the claim with the highest config epoch wins, as in Redis). */
  masterOfSlot(slot: number): Promise<RedisClusterNode>;
  /**
   * Resolves when every running, unpaused node says cluster_state:ok with all 16384 slots ok,
   * all of them see the same slot owners, every owner is live, and every live replica has its
   * master link up.
   */
  waitOk(options?: ClusterWaitOptions): Promise<void>;
  /** Resolves with the promoted node once a replica of that (former) master owns slots and waitOk's conditions hold. */
  waitForFailover(oldMasterPort: number, options?: ClusterWaitOptions): Promise<RedisClusterNode>;
  /** SIGKILLs every node and removes the dirs. */
  cleanup(): Promise<void>;
}

const MAX_PORT_ATTEMPTS = 5;
const POLL_INTERVAL_MS = 20;
// Per question to one node: a live node answers in well under a millisecond; this only bounds
// a node that stops answering between the liveness check and the question.
const PROBE_TIMEOUT_MS = 1000;
const DEFAULT_WAIT_MS = 30_000;

// ---------------------------------------------------------------- CLUSTER NODES / INFO parsing

interface NodeLine {
  id: string;
  port: number;
  flags: ReadonlySet<string>;
  role: ClusterRole;
  masterId: string | undefined;
  configEpoch: number;
  /** Inclusive [from, to] ranges; importing/migrating markers are left out. */
  slots: Array<[number, number]>;
}

function parseClusterNodes(text: string): NodeLine[] {
  const lines: NodeLine[] = [];
  for (const raw of text.split('\n')) {
    const f = raw.trim().split(' ');
    if (f.length < 8) continue;
    // ip:port@cport[,hostname]
    const addr = f[1].split('@')[0];
    const flags = new Set(f[2].split(','));
    const slots: Array<[number, number]> = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) continue;
      const [from, to] = s.split('-');
      slots.push([Number(from), Number(to ?? from)]);
    }
    lines.push({
      id: f[0],
      port: Number(addr.slice(addr.lastIndexOf(':') + 1)),
      flags,
      role: flags.has('master') ? 'master' : 'replica',
      masterId: f[3] === '-' ? undefined : f[3],
      configEpoch: Number(f[6]),
      slots,
    });
  }
  return lines;
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (line === '' || line.startsWith('#') || colon < 0) continue;
    fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

const slotCount = (slots: ReadonlyArray<[number, number]>): number => slots.reduce((n, [a, b]) => n + b - a + 1, 0);

/** The slot map a view describes, as a comparable string: `id:ranges` of every master that owns slots. */
function slotMapSignature(view: readonly NodeLine[]): string {
  return view
    .filter((l) => l.role === 'master' && l.slots.length > 0 && !l.flags.has('handshake'))
    .map((l) => `${l.id}:${l.slots.map(([a, b]) => `${a}-${b}`).join(',')}`)
    .sort()
    .join(' ');
}

// ---------------------------------------------------------------- nodes

class RedisClusterNodeImpl extends RedisServerImpl implements RedisClusterNode {
  private nodeId: string | undefined;
  role: ClusterRole = 'master'; // every node is an empty master until the cluster is created
  masterId: string | undefined;
  /** The last master this node was seen replicating; kept after a promotion, to recognise it in waitForFailover. */
  lastMasterId: string | undefined;

  get busPort(): number {
    return this.port + CLUSTER_BUS_PORT_OFFSET;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get id(): string {
    if (this.nodeId === undefined) throw new Error(`${this.address} has not been started`);
    return this.nodeId;
  }

  /** Starts redis-server, then reads its node id; a restart must come back with the same one (its nodes.conf). */
  override async launch(): Promise<void> {
    await super.launch();
    const id = await redisString(this.host, this.port, ['CLUSTER', 'MYID'], PROBE_TIMEOUT_MS);
    if (this.nodeId !== undefined && id !== this.nodeId) {
      throw new Error(`${this.address} came back as node ${id}, not ${this.nodeId}: nodes.conf lost?`);
    }
    this.nodeId = id;
  }

  /** Records what the node says about itself. */
  observe(self: NodeLine): void {
    this.role = self.role;
    this.masterId = self.masterId;
    if (self.masterId !== undefined) this.lastMasterId = self.masterId;
  }
}

interface NodeState {
  node: RedisClusterNodeImpl;
  /** The node's own line (`myself`) in its CLUSTER NODES. */
  self: NodeLine;
  /** Its whole CLUSTER NODES. */
  view: NodeLine[];
  info: Map<string, string>;
  replication: Map<string, string>;
}

type Probe = NodeState | { node: RedisClusterNodeImpl; error: Error };

const isState = (p: Probe): p is NodeState => !('error' in p);

async function probe(node: RedisClusterNodeImpl): Promise<Probe> {
  try {
    const replies = await redisCommands(
      node.host,
      node.port,
      [['CLUSTER', 'NODES'], ['CLUSTER', 'INFO'], ['INFO', 'replication']],
      PROBE_TIMEOUT_MS,
    );
    const [nodes, info, replication] = replies.map((r) => {
      if (typeof r !== 'string') throw new Error(`${node.address}: unexpected reply ${JSON.stringify(r)}`);
      return r;
    });
    const view = parseClusterNodes(nodes);
    const self = view.find((l) => l.flags.has('myself'));
    if (!self) throw new Error(`${node.address}: no 'myself' line in CLUSTER NODES`);
    node.observe(self);
    return { node, self, view, info: parseInfo(info), replication: parseInfo(replication) };
  } catch (err) {
    return { node, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** Why the probed live nodes are not an ok cluster; undefined when they are. */
function notOkReason(probes: readonly Probe[], nodes: readonly RedisClusterNodeImpl[]): string | undefined {
  if (probes.length === 0) return 'no node is running';
  const states: NodeState[] = [];
  for (const p of probes) {
    if ('error' in p) return p.error.message;
    states.push(p);
  }
  const byId = new Map(states.map((s) => [s.self.id, s]));
  const first = states[0];
  const signature = slotMapSignature(first.view);
  // A killed or paused master still owns its slots in every view until the others notice
  // (cluster-node-timeout): the cluster is not ok while an owner is not live.
  for (const owner of first.view.filter((l) => l.role === 'master' && l.slots.length > 0)) {
    const s = byId.get(owner.id);
    if (!s) {
      const known = nodes.find((n) => n.id === owner.id);
      const who = known ? `${known.address} (${known.running ? 'paused' : 'not running'})` : `node ${owner.id} (not one of ours)`;
      return `slots ${owner.slots.map(([x, y]) => `${x}-${y}`).join(',')} are owned by ${who}`;
    }
    if (s.self.role !== 'master' || slotMapSignature([s.self]) !== slotMapSignature([owner])) {
      return `${s.node.address} does not (yet) claim the slots the others give it`;
    }
  }
  for (const s of states) {
    const a = s.node.address;
    const state = s.info.get('cluster_state');
    if (state !== 'ok') return `${a}: cluster_state:${state}`;
    for (const key of ['cluster_slots_assigned', 'cluster_slots_ok']) {
      const n = Number(s.info.get(key));
      if (n !== CLUSTER_SLOTS) return `${a}: ${key}:${n}`;
    }
    if (slotMapSignature(s.view) !== signature) return `${a} and ${first.node.address} see different slot owners`;
    if (s.self.role === 'replica') {
      const link = s.replication.get('master_link_status');
      if (link !== 'up') return `${a}: master_link_status:${link}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- ports

/**
 * A client port that is free now, whose bus port (+10000) is free too and below 65536, and
 * that collides with no port or bus port already handed out to this cluster (`taken`).
 */
async function clusterPort(host: string, taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = await freePort(host);
    const bus = port + CLUSTER_BUS_PORT_OFFSET;
    if (bus > 65535 || taken.has(port) || taken.has(bus)) continue;
    if (!(await isPortFree(bus, host))) continue;
    // Nodes pick their ports concurrently: check again after the await.
    if (taken.has(port) || taken.has(bus)) continue;
    taken.add(port);
    taken.add(bus);
    return port;
  }
  throw new Error(`no free port P with P+${CLUSTER_BUS_PORT_OFFSET} free and below 65536 on ${host}`);
}

// ---------------------------------------------------------------- the cluster

class RedisClusterImpl implements RedisCluster {
  private cleanedUp = false;

  constructor(
    readonly dir: string,
    readonly nodes: readonly RedisClusterNodeImpl[],
    readonly nodeTimeoutMs: number,
  ) {}

  get seeds(): string[] {
    return this.nodes.map((n) => n.address);
  }

  node(port: number): RedisClusterNodeImpl {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on port ${port} (ports: ${this.nodes.map((n) => n.port).join(', ')})`);
    return node;
  }

  private live(): RedisClusterNodeImpl[] {
    return this.nodes.filter((n) => n.running && !n.paused);
  }

  private probeLive(): Promise<Probe[]> {
    return Promise.all(this.live().map(probe));
  }

  private async states(): Promise<NodeState[]> {
    const states: NodeState[] = [];
    for (const p of await this.probeLive()) {
      if ('error' in p) throw p.error;
      states.push(p);
    }
    return states;
  }

  async masters(): Promise<RedisClusterNode[]> {
    return (await this.states()).filter((s) => s.self.role === 'master').map((s) => s.node);
  }

  async replicas(): Promise<RedisClusterNode[]> {
    return (await this.states()).filter((s) => s.self.role === 'replica').map((s) => s.node);
  }

  async masterOfSlot(slot: number): Promise<RedisClusterNode> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= CLUSTER_SLOTS) throw new Error(`slot must be an integer in 0..16383, got ${slot}`);
    let best: NodeLine | undefined;
    for (const s of await this.states()) {
      for (const l of s.view) {
        if (l.role !== 'master' || !l.slots.some(([a, b]) => a <= slot && slot <= b)) continue;
        if (!best || l.configEpoch > best.configEpoch) best = l;
      }
    }
    if (!best) throw new Error(`no live node knows an owner of slot ${slot}`);
    const ownerId = best.id;
    const owner = this.nodes.find((n) => n.id === ownerId);
    if (!owner) throw new Error(`slot ${slot} is owned by node ${ownerId}, which is not one of this cluster's nodes`);
    return owner;
  }

  /** Polls until `check` returns a value; `check` returns a string saying what is still missing otherwise. */
  async pollUntil<T>(what: string, timeoutMs: number, check: (probes: Probe[]) => { done: T } | string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.cleanedUp) throw new Error('the Redis Cluster was cleaned up');
      const result = check(await this.probeLive());
      if (typeof result !== 'string') return result.done;
      if (Date.now() >= deadline) {
        throw new Error(`${what} within ${timeoutMs} ms: ${result} (node logs: ${this.dir}/node-*/redis.log)`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }

  async waitOk(options: ClusterWaitOptions = {}): Promise<void> {
    await this.pollUntil('Redis Cluster not ok', options.timeoutMs ?? DEFAULT_WAIT_MS, (probes) => {
      const reason = notOkReason(probes, this.nodes);
      return reason ?? { done: undefined };
    });
  }

  async waitForFailover(oldMasterPort: number, options: ClusterWaitOptions = {}): Promise<RedisClusterNode> {
    const old = this.node(oldMasterPort);
    // Refresh what the kit knows of who replicates whom: until one is promoted, the replicas
    // still name the old master.
    await this.probeLive();
    const candidates = this.nodes.filter((n) => n !== old && n.lastMasterId === old.id);
    if (candidates.length === 0) throw new Error(`no node has been seen replicating ${old.address}, so none can take over from it`);
    return this.pollUntil(`no replica of ${old.address} took over`, options.timeoutMs ?? DEFAULT_WAIT_MS, (probes) => {
      const promoted = probes.find(
        (p): p is NodeState => isState(p) && candidates.includes(p.node) && p.self.role === 'master' && p.self.slots.length > 0,
      );
      if (!promoted) return `none of ${candidates.map((c) => c.address).join(', ')} is a master with slots yet`;
      const reason = notOkReason(probes, this.nodes);
      return reason ?? { done: promoted.node };
    });
  }

  async cleanup(): Promise<void> {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    await Promise.all(this.nodes.map((n) => n.cleanup()));
    removeTempDir(this.dir);
  }
}

async function launchNode(
  bin: string,
  dir: string,
  taken: Set<number>,
  args: string[],
  appendonly: boolean,
  startTimeoutMs: number,
): Promise<RedisClusterNodeImpl> {
  mkdirSync(dir);
  for (let attempt = 1; ; attempt++) {
    const port = await clusterPort('127.0.0.1', taken);
    const node = new RedisClusterNodeImpl(bin, dir, port, {
      appendonly,
      startTimeoutMs,
      extraArgs: ['--cluster-config-file', join(dir, 'nodes.conf'), ...args],
    });
    try {
      await node.launch();
      return node;
    } catch (err) {
      // Either port may have been taken between the check and the bind.
      if (attempt < MAX_PORT_ATTEMPTS && isAddressInUse(err)) continue;
      throw err;
    }
  }
}

async function createCluster(cli: string, dir: string, nodes: readonly RedisClusterNodeImpl[], replicas: number, timeoutMs: number): Promise<void> {
  const logFile = join(dir, 'cluster-create.log');
  const args = ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', String(replicas), '--cluster-yes'];
  const logOffset = fileSize(logFile);
  const proc = await ManagedProcess.spawn('redis-cli', cli, args, { logFile });
  const status = await proc.waitExit(timeoutMs);
  if (!status) {
    await proc.kill();
    throw new Error(`redis-cli --cluster create did not finish within ${timeoutMs} ms; log ${logFile}:\n${readLogTail(logFile, logOffset)}`);
  }
  // redis-cli exits 0 on some failures, but then prints [ERR]
  const log = readLogTail(logFile, logOffset, 64 * 1024);
  if (status.code !== 0 || log.includes('[ERR]')) {
    throw new Error(`redis-cli --cluster create failed (code ${status.code}, signal ${status.signal}); log ${logFile}:\n${log.slice(-4096)}`);
  }
}

/**
 * Starts a throwaway Redis Cluster (default 3 masters + 3 replicas) on free 127.0.0.1 ports,
 * one dir per node under a fresh temp dir (prefix `oncilla-redis-cluster-`), and resolves once
 * every node says the cluster is ok and every replica is in sync with its master.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  if (!Number.isInteger(masters) || masters < 3) throw new Error(`masters must be an integer >= 3 (redis-cli --cluster create needs 3), got ${masters}`);
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`replicasPerMaster must be an integer >= 0, got ${replicas}`);
  if (!Number.isInteger(nodeTimeoutMs) || nodeTimeoutMs <= 0) throw new Error(`nodeTimeoutMs must be a positive integer, got ${nodeTimeoutMs}`);
  const server = findBinary('redis-server', { debianPackage: 'redis-server', envVar: 'ONCILLA_REDIS_SERVER' });
  const cli = findBinary('redis-cli', { debianPackage: 'redis-tools', envVar: 'ONCILLA_REDIS_CLI' });
  const deadline = Date.now() + startTimeoutMs;
  const remaining = (): number => Math.max(1, deadline - Date.now());

  const dir = makeTempDir('oncilla-redis-cluster-');
  const args = [
    '--cluster-enabled', 'yes',
    '--cluster-node-timeout', String(nodeTimeoutMs),
    '--save', '',
    // Replicas start their full sync at once instead of after diskless sync's default 5 s
    // wait for more replicas: start and a restarted node's rejoin are seconds faster.
    '--repl-diskless-sync-delay', '0',
    ...(options.extraArgs ?? []),
  ];
  const taken = new Set<number>();
  const total = masters * (1 + replicas);
  const launched = await Promise.allSettled(
    Array.from({ length: total }, (_, i) =>
      launchNode(server, join(dir, `node-${i}`), taken, args, options.appendonly ?? true, remaining()),
    ),
  );
  const nodes = launched.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const cluster = new RedisClusterImpl(dir, nodes, nodeTimeoutMs);
  try {
    const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await createCluster(cli, dir, nodes, replicas, remaining());
    await cluster.pollUntil('Redis Cluster did not come up', remaining(), (probes) => {
      const reason = notOkReason(probes, nodes);
      if (reason) return reason;
      const states = probes.filter(isState); // all of them: notOkReason saw no error
      for (const s of states) {
        const known = Number(s.info.get('cluster_known_nodes'));
        if (known !== total) return `${s.node.address}: cluster_known_nodes:${known}, expected ${total}`;
      }
      const masterStates = states.filter((s) => s.self.role === 'master');
      if (masterStates.length !== masters) return `${masterStates.length} masters, expected ${masters}`;
      for (const m of masterStates) {
        const n = states.filter((s) => s.self.masterId === m.self.id).length;
        if (n !== replicas) return `${m.node.address} has ${n} replicas, expected ${replicas}`;
        if (slotCount(m.self.slots) === 0) return `${m.node.address} owns no slots`;
      }
      return { done: undefined };
    });
    return cluster;
  } catch (err) {
    await cluster.cleanup();
    throw err;
  }
}
