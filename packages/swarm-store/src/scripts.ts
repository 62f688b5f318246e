import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

/** One Redis or a Redis Cluster: every script touches one slot, so either runs them. */
export type RedisClient = Redis | Cluster;

/** The repository's `redis/` folder, found from this file in src/ or dist/. */
export const DEFAULT_SCRIPTS_DIR = fileURLToPath(new URL('../../../redis/', import.meta.url));

export interface ScriptSource {
  /** Command name, from the file name without the key count: `announce-9.lua` -> `announce`. */
  name: string;
  /** Fixed key count from the file name, or undefined when the caller passes it per call. */
  numberOfKeys?: number;
  lua: string;
}

const INCLUDE = /^--- @include "([^"]+)"\s*$/;

/** Inlines `--- @include "includes/x"` lines (each fragment once per script), as BullMQ does. */
export function resolveIncludes(lua: string, dir: string, seen = new Set<string>()): string {
  return lua
    .split('\n')
    .map((line) => {
      const m = INCLUDE.exec(line);
      if (!m) return line;
      const rel = m[1].endsWith('.lua') ? m[1] : `${m[1]}.lua`;
      if (seen.has(rel)) return '';
      seen.add(rel);
      return resolveIncludes(readFileSync(join(dir, rel), 'utf8'), dir, seen);
    })
    .join('\n');
}

export function loadScripts(dir: string = DEFAULT_SCRIPTS_DIR): ScriptSource[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .sort()
    .map((file) => {
      const m = /^(.+?)(?:-(\d+))?\.lua$/.exec(file);
      if (!m) throw new Error(`unexpected script name ${file}`);
      return {
        name: m[1],
        numberOfKeys: m[2] === undefined ? undefined : Number(m[2]),
        lua: resolveIncludes(readFileSync(join(dir, file), 'utf8'), dir),
      };
    });
}

export type ScriptArg = string | number | Buffer;
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

let cached: ScriptSource[] | undefined;
function sources(): ScriptSource[] {
  cached ??= loadScripts();
  return cached;
}

/**
 * Every script in `redis/`, defined on a client with ioredis' defineCommand (EVALSHA, falling
 * back to EVAL once; on a Cluster routed by the first key's slot). `call` checks the key list
 * against the file name's key count, so a wrapper that passes the wrong keys fails at once.
 */
export class Scripts {
  readonly #fns = new Map<string, { fn: ScriptFn; buffer: ScriptFn; keys?: number }>();

  constructor(readonly client: RedisClient) {
    const target = client as unknown as Record<string, ScriptFn | undefined>;
    for (const s of sources()) {
      if (typeof target[s.name] !== 'function') {
        client.defineCommand(s.name, s.numberOfKeys === undefined ? { lua: s.lua } : { numberOfKeys: s.numberOfKeys, lua: s.lua });
      }
      const fn = target[s.name];
      const buffer = target[`${s.name}Buffer`];
      if (!fn || !buffer) throw new Error(`Redis script ${s.name} could not be defined`);
      this.#fns.set(s.name, { fn: fn.bind(client), buffer: buffer.bind(client), keys: s.numberOfKeys });
    }
  }

  #args(name: string, keys: readonly string[], args: readonly ScriptArg[]): { fn: ScriptFn; buffer: ScriptFn; all: ScriptArg[] } {
    const s = this.#fns.get(name);
    if (!s) throw new Error(`no Redis script ${name}`);
    if (s.keys === undefined) return { ...s, all: [keys.length, ...keys, ...args] };
    if (keys.length !== s.keys) throw new Error(`Redis script ${name} takes ${s.keys} keys, given ${keys.length}`);
    return { ...s, all: [...keys, ...args] };
  }

  /**
   * The bound function with Buffer replies, for the hot path: the key count is checked once
   * here, and the caller passes exactly that many keys first, then the arguments.
   */
  fixed(name: string, keys: number): ScriptFn {
    const s = this.#fns.get(name);
    if (!s || s.keys !== keys) throw new Error(`Redis script ${name} does not take ${keys} keys`);
    return s.buffer;
  }

  /** A script's text and the SHA-1 Redis knows it by (EVALSHA), for a connection of our own. */
  source(name: string): { lua: string; sha: string } {
    const s = sources().find((x) => x.name === name);
    if (!s) throw new Error(`no Redis script ${name}`);
    return { lua: s.lua, sha: createHash('sha1').update(s.lua).digest('hex') };
  }

  /** Replies as strings (and numbers). */
  call(name: string, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    const s = this.#args(name, keys, args);
    return s.fn(...s.all);
  }

  /** Replies as Buffers (and numbers): for binary replies. */
  callBuffer(name: string, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    const s = this.#args(name, keys, args);
    return s.buffer(...s.all);
  }
}

export function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v)) return Number(v.toString('latin1'));
  if (typeof v === 'string') return Number(v);
  throw new TypeError(`unexpected Redis reply element ${typeof v}`);
}

export function asBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  throw new TypeError(`unexpected Redis reply element ${typeof v}`);
}

export function asArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  throw new TypeError('unexpected Redis reply: not an array');
}
