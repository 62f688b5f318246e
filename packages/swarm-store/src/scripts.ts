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
  /** The script's own lines, without its include lines. */
  body: string;
  /** The includes it names, in order (`includes/x.lua`). */
  includes: string[];
  /** Redis function flags from `--- @flags a b` lines (e.g. no-writes). */
  flags: string[];
}

const INCLUDE = /^--- @include "([^"]+)"\s*$/;
const FLAGS = /^--- @flags\s+(.+?)\s*$/;

function includePath(name: string): string {
  return name.endsWith('.lua') ? name : `${name}.lua`;
}

/** Inlines `--- @include "includes/x"` lines (each fragment once per script), as BullMQ does. */
export function resolveIncludes(lua: string, dir: string, seen = new Set<string>()): string {
  return lua
    .split('\n')
    .map((line) => {
      const m = INCLUDE.exec(line);
      if (!m) return line;
      const rel = includePath(m[1]);
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
      const text = readFileSync(join(dir, file), 'utf8');
      const lines = text.split('\n');
      return {
        name: m[1],
        numberOfKeys: m[2] === undefined ? undefined : Number(m[2]),
        body: lines.filter((l) => !INCLUDE.test(l)).join('\n'),
        includes: lines.flatMap((l) => {
          const inc = INCLUDE.exec(l);
          return inc ? [includePath(inc[1])] : [];
        }),
        flags: lines.flatMap((l) => FLAGS.exec(l)?.[1].split(/\s+/) ?? []),
      };
    });
}

/** One Redis function library holding every script (what Redis runs: FCALL). */
export interface ScriptLibrary {
  /** `oncilla_<hash of the code>`: each version of the scripts is a library of its own. */
  name: string;
  code: string;
  /** The Redis function of each script: `<script>_<hash>`. */
  functions: ReadonlyMap<string, string>;
}

/**
 * Every script as a function of one library. The includes are its top level, which Redis runs
 * once, at FUNCTION LOAD: an EVAL would run them again on every call (defining every helper
 * function and constant table anew), a measurable share of the announce's cost. Each script's
 * own lines become the body of a function taking KEYS and ARGV, as EVAL gives them. Names carry
 * the code's hash, so two versions (a rolling upgrade, two clusters on one Redis) never replace
 * each other's functions.
 */
export function buildLibrary(scripts: readonly ScriptSource[], dir: string = DEFAULT_SCRIPTS_DIR): ScriptLibrary {
  const seen = new Set<string>();
  const top: string[] = [];
  for (const s of scripts) {
    for (const inc of s.includes) top.push(resolveIncludes(`--- @include "${inc}"`, dir, seen));
  }
  const parts = [...top];
  for (const s of scripts) parts.push(`local function script_${s.name}(KEYS, ARGV)`, s.body, 'end');
  const code = (suffix: string): string => [
    `#!lua name=oncilla_${suffix}`,
    ...parts,
    ...scripts.map((s) => `redis.register_function{function_name = '${s.name}_${suffix}', callback = script_${s.name}, flags = { ${s.flags.map((f) => `'${f}'`).join(', ')} }}`),
  ].join('\n');
  const hash = createHash('sha1').update(code('')).digest('hex').slice(0, 12);
  return { name: `oncilla_${hash}`, code: code(hash), functions: new Map(scripts.map((s) => [s.name, `${s.name}_${hash}`])) };
}

export type ScriptArg = string | number | Buffer;
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

let cached: { sources: ScriptSource[]; library: ScriptLibrary } | undefined;
function scriptSet(): { sources: ScriptSource[]; library: ScriptLibrary } {
  if (!cached) {
    const sources = loadScripts();
    cached = { sources, library: buildLibrary(sources) };
  }
  return cached;
}

/** Redis' answer to an FCALL of a function it does not have (new, restarted or flushed Redis). */
export const FUNCTION_MISSING = /^ERR Function not found/;

// one load at a time per client, however many calls met the missing library together
const loading = new WeakMap<RedisClient, Promise<void>>();

/** Loads the library on the Redis, or on every master of a Cluster (one that has it already is fine). */
export function loadLibrary(client: RedisClient): Promise<void> {
  let p = loading.get(client);
  if (!p) {
    const { library } = scriptSet();
    const targets: Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
    p = Promise.all(targets.map((node) => node.call('FUNCTION', 'LOAD', library.code).catch((err: unknown) => {
      if (!(err instanceof Error && /already exists/.test(err.message))) throw err;
    }))).then(() => undefined).finally(() => loading.delete(client));
    loading.set(client, p);
  }
  return p;
}

/**
 * Every script in `redis/`, run as a Redis function (FCALL) of the library above, loaded on
 * first need: a call that meets a Redis without it loads it and runs once more (the call did
 * not run, so that is safe). On a Cluster ioredis routes each call by its first key's slot.
 * The key list is checked against the file name's key count, so a wrapper that passes the
 * wrong keys fails at once.
 */
export class Scripts {
  readonly #keys = new Map<string, number | undefined>();
  readonly #functions: ReadonlyMap<string, string>;

  constructor(readonly client: RedisClient) {
    const { sources, library } = scriptSet();
    for (const s of sources) this.#keys.set(s.name, s.numberOfKeys);
    this.#functions = library.functions;
  }

  /** The Redis function a script runs as, for a connection of our own (the announce channel). */
  functionName(name: string): string {
    const f = this.#functions.get(name);
    if (!f) throw new Error(`no Redis script ${name}`);
    return f;
  }

  async #fcall(buffer: boolean, fn: string, numberOfKeys: number, all: readonly ScriptArg[]): Promise<unknown> {
    const run = (): Promise<unknown> => buffer
      ? this.client.callBuffer('FCALL', fn, numberOfKeys, ...all)
      : this.client.call('FCALL', fn, numberOfKeys, ...all);
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof Error && FUNCTION_MISSING.test(err.message))) throw err;
      await loadLibrary(this.client);
      return run();
    }
  }

  #checked(name: string, keys: readonly string[]): string {
    const fn = this.functionName(name);
    const n = this.#keys.get(name);
    if (n !== undefined && keys.length !== n) throw new Error(`Redis script ${name} takes ${n} keys, given ${keys.length}`);
    return fn;
  }

  /**
   * The script as a function with Buffer replies, for the hot path: the key count is checked
   * once here, and the caller passes exactly that many keys first, then the arguments.
   */
  fixed(name: string, keys: number): ScriptFn {
    if (this.#keys.get(name) !== keys) throw new Error(`Redis script ${name} does not take ${keys} keys`);
    const fn = this.functionName(name);
    return (...args: ScriptArg[]) => this.#fcall(true, fn, keys, args);
  }

  /** Replies as strings (and numbers). */
  call(name: string, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.#fcall(false, this.#checked(name, keys), keys.length, [...keys, ...args]);
  }

  /** Replies as Buffers (and numbers): for binary replies. */
  callBuffer(name: string, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.#fcall(true, this.#checked(name, keys), keys.length, [...keys, ...args]);
  }
}

/** The library every Scripts runs (its code, name and function names). */
export function scriptLibrary(): ScriptLibrary {
  return scriptSet().library;
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
