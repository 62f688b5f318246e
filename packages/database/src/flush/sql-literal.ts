/**
 * SQL literals for the flush's multi-row statements, written straight into the statement text.
 * A 1,000-row part has up to 16,000 values: binding them through mysql2's `?` placeholders
 * (a scan for each placeholder, then an escape) cost the primary more than reading and parsing
 * the whole batch did. The escaping is the same as mysql2's (sqlstring's): backslash escapes for
 * strings, X'hex' for Buffers.
 */

const NEEDS_ESCAPE = /[\0\b\t\n\r\x1a"'\\]/;
const EVERY_ESCAPE = new RegExp(NEEDS_ESCAPE.source, 'g');
const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  '"': '\\"',
  "'": "\\'",
  '\\': '\\\\',
};

/** A quoted string literal. */
export function str(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `'${s}'`;
  return `'${s.replace(EVERY_ESCAPE, (c) => ESCAPES[c])}'`;
}

/**
 * An integer literal. Callers pass values already checked with Number.isSafeInteger (the
 * tables' `invalid` checks); anything else is a bug, so it throws rather than write junk.
 */
export function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${String(n)}`);
  return String(n);
}

/** A binary literal (peer ids). */
export function bin(b: Buffer): string {
  return `X'${b.toString('hex')}'`;
}

/** A comma-separated list of integer literals, for `IN (...)`. */
export function intList(ns: Iterable<number>): string {
  let out = '';
  for (const n of ns) out += out ? `,${int(n)}` : int(n);
  return out;
}

/**
 * How a derived table of literal rows is written: `values` (MariaDB 10.3.3 and later) as
 * `SELECT 1 AS a, 2 AS b UNION ALL VALUES (3,4),(5,6)`, one query block for the whole table;
 * `select` (every other server) as `SELECT 1 AS a, 2 AS b UNION ALL SELECT 3,4 ...`, one query
 * block per row, which MariaDB parses and plans one by one (10-20% of what these UPDATEs cost
 * it, measured with `npm run bench:flush`).
 */
export type RowsForm = 'values' | 'select';

/**
 * A derived table of literal rows, each row already a list of literals. An UPDATE joined
 * against it changes existing rows only and never creates one, so a deleted user or torrent
 * cannot come back as a junk row (Ocelot's F17 in docs/ocelot-compatibility.md), and it needs
 * none of the NOT NULL columns a strict-mode INSERT would.
 */
export function derivedRows(columns: readonly string[], rows: readonly (readonly string[])[], form: RowsForm): string {
  if (rows.length === 0) return '';
  let out = `SELECT ${rows[0].map((v, j) => `${v} AS ${columns[j]}`).join(', ')}`;
  if (form === 'values') {
    for (let i = 1; i < rows.length; i++) out += `${i === 1 ? ' UNION ALL VALUES ' : ','}(${rows[i].join(',')})`;
  } else {
    for (let i = 1; i < rows.length; i++) out += ` UNION ALL SELECT ${rows[i].join(',')}`;
  }
  return out;
}

/** Which RowsForm a server takes, from its `SELECT VERSION()`: table value constructors came in MariaDB 10.3.3. */
export function rowsFormFor(version: string): RowsForm {
  if (!/mariadb/i.test(version)) return 'select';
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return 'select';
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return major > 10 || (major === 10 && (minor > 3 || (minor === 3 && patch >= 3))) ? 'values' : 'select';
}

/** `(1,2,3),(4,5,6)`: the VALUES list of a multi-row INSERT. */
export function valueTuples(rows: readonly (readonly string[])[]): string {
  let out = '';
  for (const r of rows) out += out ? `,(${r.join(',')})` : `(${r.join(',')})`;
  return out;
}
