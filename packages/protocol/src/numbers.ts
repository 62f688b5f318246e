// Leading-integer parsing with the semantics of C++ `istream >> int`, which is
// how Ocelot reads every numeric parameter: it never fails, so
// `123abc` is 123 and garbage is 0, and the tracker must agree on that.

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** C `isspace` in the "C" locale: space, \t, \n, \v, \f, \r. */
function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/**
 * Skips leading whitespace, takes an optional sign and the digits up to the
 * first non-digit, and saturates to [min, max]. No digits gives 0.
 */
function parseLeadingInteger(s: string | undefined, min: number, max: number): number {
  if (s === undefined) return 0;
  const length = s.length;
  let i = 0;
  while (i < length && isCSpace(s.charCodeAt(i))) i++;
  let negative = false;
  const sign = s.charCodeAt(i);
  if (sign === 0x2d || sign === 0x2b) {
    negative = sign === 0x2d;
    i++;
  }
  // Accumulate the magnitude; once past the limit the exact value no longer
  // matters (it saturates), so stop before doubles lose their meaning.
  const limit = negative ? -min : max;
  let magnitude = 0;
  for (; i < length; i++) {
    const digit = s.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) break;
    magnitude = magnitude * 10 + digit;
    if (magnitude > limit) return negative ? min : max;
  }
  if (magnitude === 0) return 0; // never -0
  return negative ? -magnitude : magnitude;
}

/**
 * int64-parse. JS numbers are exact only up to 2^53 - 1, so this
 * saturates at ±Number.MAX_SAFE_INTEGER instead of ±2^63.
 */
export function parseInt64(s: string | undefined): number {
  return parseLeadingInteger(s, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

/** int32-parse: saturates to [-2^31, 2^31 - 1]. */
export function parseInt32(s: string | undefined): number {
  return parseLeadingInteger(s, INT32_MIN, INT32_MAX);
}

/** The port: int32-parse then `& 0xFFFF`, unvalidated, so 65536 → 0 and -1 → 65535. */
export function parsePort(s: string | undefined): number {
  return parseInt32(s) & 0xffff;
}

/**
 * numwant (compatibility F9): absent means `limit`; otherwise the int32-parse
 * result clamped to [0, limit]. Ocelot stored a negative value as uint32 and
 * returned every peer; here it returns none.
 */
export function clampNumwant(raw: string | undefined, limit: number): number {
  const cap = Math.max(0, limit);
  if (raw === undefined) return cap;
  const wanted = parseInt32(raw);
  if (wanted <= 0) return 0;
  return wanted < cap ? wanted : cap;
}
