/**
 * Value checks and fitting done in TypeScript before binding. They matter most under the
 * site's non-strict sql_mode, where MySQL would silently store junk instead of failing (an
 * unknown enum value becomes '', an over-long string is cut, an out-of-range number is
 * clamped), but they also keep strict mode from refusing a whole statement over one value.
 */

/** A reason when `v` cannot be bound as an exact integer (NaN, fraction, beyond 2^53). */
export function badInteger(field: string, v: number): string | undefined {
  return Number.isSafeInteger(v) ? undefined : `invalid ${field} ${String(v)}`;
}

/** Whether every value is an exact integer: the fast path of the rows' checks (firstProblem says which is not). */
export function allSafe(...vs: number[]): boolean {
  for (const v of vs) if (!Number.isSafeInteger(v)) return false;
  return true;
}

export function firstProblem(fields: Record<string, number>): string | undefined {
  for (const [name, v] of Object.entries(fields)) {
    const bad = badInteger(name, v);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * Cuts to `max` characters (code points, which is what VARCHAR(n) counts), never splitting a
 * surrogate pair: strict mode refuses an over-long value instead of cutting it.
 */
export function fitChars(s: string, max: number): string {
  if (s.length <= max) return s;
  return Array.from(s).slice(0, max).join('');
}

/** Clamps into an integer column's range, as non-strict MySQL would (a speed beyond 4 GiB/s is bogus anyway). */
export function clampInt(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

export const INT_MAX = 2 ** 31 - 1;
export const UINT_MAX = 2 ** 32 - 1;

/** Orders numbers, strings and Buffers; 0 when equal. */
export function cmp(a: number | string | Buffer, b: number | string | Buffer): number {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** A canonical text of a row (Buffers as hex), the last tie-break that makes every sort total. */
export function canonical(row: object): string {
  return JSON.stringify(row, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) && isBufferJson(v) ? Buffer.from(v.data).toString('hex') : v));
}

function isBufferJson(v: object): v is { type: 'Buffer'; data: number[] } {
  return (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data);
}

/**
 * Merges rows with the same key (keeping the first row's position). Needed before an
 * UPDATE ... JOIN: MySQL updates a target row at most once per statement, so a second source
 * row for the same key would be silently ignored.
 */
export function mergeBy<R, K>(rows: readonly R[], key: (r: R) => K, merge: (a: R, b: R) => R): R[] {
  const byKey = new Map<K, R>();
  for (const r of rows) {
    const k = key(r);
    const prev = byKey.get(k);
    byKey.set(k, prev === undefined ? r : merge(prev, r));
  }
  return [...byKey.values()];
}
