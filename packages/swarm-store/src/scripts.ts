import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `redis/` folder, found from this file in src/ or dist/. */
export const DEFAULT_SCRIPTS_DIR = fileURLToPath(new URL('../../../redis/', import.meta.url));

export interface ScriptSource {
  /** Command name, from the file name without the key count: `announce-15.lua` -> `announce`. */
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
