/**
 * The bytes of one announce on the announce channel: the FCALL of the announce function (its
 * nine keys, the packed argument, the hex info_hash) and, behind it, the HMGET of the candidate
 * fields it wants. Written straight into one buffer from the info_hash's bytes: no key string
 * is built per announce (the hex, the three torrent keys and their RESP heads were a good part
 * of a worker's allocations). What repeats is encoded once: the command's head, each shard's
 * key heads and six keys, the HMGET of each set of fields. The bytes are those of
 * `encodeCommand` with the same arguments (the unit test compares them).
 */
import type { CandidateField } from './announce-args.js';
import type { KeySchema, ShardKeys } from './keys.js';
import { encodeBulk } from './resp.js';

const INFO_HASH_LENGTH = 20;
const HEX = Buffer.from(Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0')).join(''), 'latin1');
const HEX_HEAD = Buffer.from(`$${INFO_HASH_LENGTH * 2}\r\n`, 'latin1');

interface ShardBytes {
  /** `$<len>\r\n<prefix>{<shard>}t:` and the same for `s:` and `l:`: a torrent key without its hex. */
  keyHeads: readonly [Buffer, Buffer, Buffer];
  /** The shard's six keys, as bulk strings. */
  shardKeys: Buffer;
}

function writeHex(out: Buffer, at: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] * 2;
    out[at++] = HEX[b];
    out[at++] = HEX[b + 1];
  }
  return at;
}

/** Writes `bytes` at `at`; returns the offset after them. */
function put(out: Buffer, at: number, bytes: Buffer): number {
  out.set(bytes, at);
  return at + bytes.length;
}

function crlf(out: Buffer, at: number): number {
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  return at;
}

export class AnnounceCommand {
  readonly #head: Buffer;
  readonly #shards: Array<ShardBytes | undefined> = [];
  /** HMGET's head (`*<n>\r\n$5\r\nHMGET\r\n`) and its fields as bulk strings, by field list. */
  readonly #hmgets = new Map<string, { head: Buffer; fields: Buffer }>();

  constructor(private readonly keys: KeySchema, functionName: string) {
    this.#head = Buffer.from(`*14\r\n$5\r\nFCALL\r\n$${functionName.length}\r\n${functionName}\r\n$1\r\n9\r\n`, 'latin1');
  }

  /** Whether `encode` takes this info_hash (any other length goes the general way). */
  static fits(infoHash: Buffer): boolean {
    return infoHash.length === INFO_HASH_LENGTH;
  }

  #shard(s: ShardKeys): ShardBytes {
    let b = this.#shards[s.shard];
    if (!b) {
      const tag = `${this.keys.prefix}{${s.shard}}`;
      const head = (kind: string): Buffer => Buffer.from(`$${tag.length + 2 + INFO_HASH_LENGTH * 2}\r\n${tag}${kind}:`, 'latin1');
      b = {
        keyHeads: [head('t'), head('s'), head('l')],
        shardKeys: Buffer.concat([s.pending, s.snatches, s.expiries, s.swarms, s.counts, s.tokens].map(encodeBulk)),
      };
      this.#shards[s.shard] = b;
    }
    return b;
  }

  #hmget(fields: readonly CandidateField[]): { head: Buffer; fields: Buffer } {
    const name = fields.join(',');
    let h = this.#hmgets.get(name);
    if (!h) {
      h = { head: Buffer.from(`*${2 + fields.length}\r\n$5\r\nHMGET\r\n`, 'latin1'), fields: Buffer.concat(fields.map(encodeBulk)) };
      this.#hmgets.set(name, h);
    }
    return h;
  }

  /** The FCALL, and the HMGET of `fields` behind it when there are any. `infoHash` must fit. */
  encode(infoHash: Buffer, packed: Buffer, fields: readonly CandidateField[]): Buffer {
    const shard = this.#shard(this.keys.shard(infoHash[0]));
    const [tHead, sHead, lHead] = shard.keyHeads;
    const keyLength = tHead.length + INFO_HASH_LENGTH * 2 + 2;
    const packedHead = `$${packed.length}\r\n`;
    const hmget = fields.length > 0 ? this.#hmget(fields) : undefined;
    const out = Buffer.allocUnsafe(this.#head.length + 3 * keyLength + shard.shardKeys.length + packedHead.length + packed.length + 2
      + HEX_HEAD.length + INFO_HASH_LENGTH * 2 + 2 + (hmget ? hmget.head.length + keyLength + hmget.fields.length : 0));
    // (TypedArray#set and #copyWithin: Node 20's Buffer#copy checks its arguments in JavaScript
    // first, a few times the cost on these short runs)
    let at = put(out, 0, this.#head);
    const torrentKeyAt = at;
    at = crlf(out, writeHex(out, put(out, at, tHead), infoHash));
    at = crlf(out, writeHex(out, put(out, at, sHead), infoHash));
    at = crlf(out, writeHex(out, put(out, at, lHead), infoHash));
    at = put(out, at, shard.shardKeys);
    at += out.write(packedHead, at, 'latin1');
    at = crlf(out, put(out, at, packed));
    at = crlf(out, writeHex(out, put(out, at, HEX_HEAD), infoHash));
    if (hmget) {
      at = put(out, at, hmget.head);
      // the torrent's key, as the FCALL's first key was written
      out.copyWithin(at, torrentKeyAt, torrentKeyAt + keyLength);
      at = put(out, at + keyLength, hmget.fields);
    }
    return out;
  }
}
