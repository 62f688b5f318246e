// Ocelot's config file format: `key = value` lines, `#` in column 0 starts a comment,
// no quoting. Differences: CR is trimmed too (CRLF files work) and a UTF-8 BOM is ignored.

import { isConfigKey } from './schema.js';

export interface ParsedConfigFile {
  /** Known keys only; the last occurrence of a key wins, as in Ocelot. */
  values: Map<string, string>;
  /** 1-based line each value came from, for error messages. */
  lines: Map<string, number>;
  warnings: string[];
}

// Ocelot trims spaces and tabs; CR is added so a file saved on Windows means the same thing.
function trim(s: string): string {
  return s.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
}

export function parseConfigFile(text: string): ParsedConfigFile {
  const values = new Map<string, string>();
  const lines = new Map<string, number>();
  const warnings: string[] = [];
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  body.split('\n').forEach((line, i) => {
    const eq = line.indexOf('=');
    if (line.startsWith('#') || eq < 0) return;
    const key = trim(line.slice(0, eq));
    const value = trim(line.slice(eq + 1));
    if (!isConfigKey(key)) {
      warnings.push(`Unrecognized setting '${key}'`);
      return;
    }
    const previous = lines.get(key);
    if (previous !== undefined) {
      warnings.push(`Setting '${key}' on line ${i + 1} overrides line ${previous}`);
    }
    values.set(key, value);
    lines.set(key, i + 1);
  });
  return { values, lines, warnings };
}
