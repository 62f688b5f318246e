/**
 * The announce's own connections on a Redis Cluster: a ScriptChannel per master, chosen by the
 * shard's slot from the cluster client's slot table. The cluster client stays in charge of the
 * topology (MOVED, failovers, slot refreshes); an announce goes through it whenever the
 * channel for its slot is not ready, or answers with a redirection.
 */
import type { Cluster } from 'ioredis';
import { keySlot } from './key-slot.js';
import type { ShardKeys } from './keys.js';
import { ScriptChannel } from './script-channel.js';

/** "host:port" as ioredis names a node (an IPv6 host keeps its colons). */
function splitNodeKey(key: string): { host: string; port: number } {
  const at = key.lastIndexOf(':');
  return { host: key.slice(0, at), port: Number(key.slice(at + 1)) };
}

export class ClusterChannels {
  readonly #byNode = new Map<string, ScriptChannel>();
  readonly #slotOfShard = new Map<number, number>();
  #closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly timeoutMs: number,
    private readonly name: string,
    private readonly onState?: (node: string, up: boolean, why: string) => void,
  ) {
    // a node that no longer serves slots (failed over, removed) keeps no channel
    cluster.on('refresh', () => this.#prune());
  }

  /** Opens a channel to every master the client knows now (the rest open on first use). */
  warm(): void {
    for (const node of new Set(this.cluster.slots.map((s) => s[0]).filter(Boolean))) this.#channel(node);
  }

  /** The ready channel to the master of the shard's slot, or undefined (use the cluster client). */
  forShard(shard: ShardKeys): ScriptChannel | undefined {
    let slot = this.#slotOfShard.get(shard.shard);
    if (slot === undefined) {
      // every key of a shard has the shard's hash tag, so one key gives the slot
      slot = keySlot(shard.pending);
      this.#slotOfShard.set(shard.shard, slot);
    }
    const node = this.cluster.slots[slot]?.[0];
    if (!node) return undefined;
    const ch = this.#channel(node);
    return ch.ready ? ch : undefined;
  }

  #channel(node: string): ScriptChannel {
    let ch = this.#byNode.get(node);
    if (!ch) {
      ch = new ScriptChannel(splitNodeKey(node), this.timeoutMs, this.name, (up, why) => this.onState?.(node, up, why));
      this.#byNode.set(node, ch);
      if (!this.#closed) void ch.connect();
    }
    return ch;
  }

  #prune(): void {
    const serving = new Set(this.cluster.slots.map((s) => s[0]));
    for (const [node, ch] of this.#byNode) {
      if (serving.has(node)) continue;
      this.#byNode.delete(node);
      void ch.close();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#byNode.values()].map((ch) => ch.close()));
    this.#byNode.clear();
  }
}
