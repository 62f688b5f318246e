// IP address text ⇄ packed bytes, with the exact acceptance rules of glibc's
// inet_pton and the output of its inet_ntop. Ocelot parses announced
// addresses with inet_pton and stores inet_ntop's text in the database, so
// matching both keeps the DB columns identical.

const DOT = 0x2e;
const COLON = 0x3a;

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/**
 * Dotted quad `s[start, end)` into `out` at `offset` (inet_pton4): exactly four
 * decimal octets 0–255, no leading zeros, nothing else.
 */
function parseDottedQuad(s: string, start: number, end: number, out: Buffer, offset: number): boolean {
  let octets = 0;
  let sawDigit = false;
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = s.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) {
      if (sawDigit && value === 0) return false; // leading zero
      value = value * 10 + (code - 0x30);
      if (value > 255) return false;
      if (!sawDigit) {
        if (++octets > 4) return false;
        sawDigit = true;
      }
    } else if (code === DOT && sawDigit) {
      if (octets === 4) return false;
      out[offset + octets - 1] = value;
      value = 0;
      sawDigit = false;
    } else {
      return false;
    }
  }
  if (octets < 4 || !sawDigit) return false;
  out[offset + 3] = value;
  return true;
}

/** Strict dotted-quad IPv4 text → 4 bytes, or null. */
export function parseIPv4(text: string): Buffer | null {
  const out = Buffer.alloc(4);
  return parseDottedQuad(text, 0, text.length, out, 0) ? out : null;
}

/**
 * RFC 4291 IPv6 text → 16 bytes, or null (port of glibc inet_pton6): hex
 * groups of 1–4 digits, at most one `::`, an optional dotted-quad tail. Zone
 * ids (`fe80::1%eth0`), brackets and ports are rejected.
 */
export function parseIPv6(text: string): Buffer | null {
  const end = text.length;
  const out = Buffer.alloc(16);
  let i = 0;
  if (end === 0) return null;
  // A leading colon is only valid as the start of `::`.
  if (text.charCodeAt(0) === COLON) {
    if (end < 2 || text.charCodeAt(1) !== COLON) return null;
    i = 1;
  }
  let written = 0; // bytes filled so far
  let gap = -1; // byte offset where `::` was seen
  let groupStart = i;
  let digits = 0;
  let value = 0;
  while (i < end) {
    const code = text.charCodeAt(i++);
    const digit = hexDigit(code);
    if (digit >= 0) {
      if (digits === 4) return null;
      value = (value << 4) | digit;
      digits++;
      continue;
    }
    if (code === COLON) {
      groupStart = i;
      if (digits === 0) {
        if (gap !== -1) return null; // a second `::`, or `:::`
        gap = written;
        continue;
      }
      if (i === end) return null; // trailing single colon
      if (written + 2 > 16) return null;
      out[written++] = value >> 8;
      out[written++] = value & 0xff;
      digits = 0;
      value = 0;
      continue;
    }
    if (code === DOT && written + 4 <= 16 && parseDottedQuad(text, groupStart, end, out, written)) {
      written += 4;
      digits = 0;
      break;
    }
    return null;
  }
  if (digits > 0) {
    if (written + 2 > 16) return null;
    out[written++] = value >> 8;
    out[written++] = value & 0xff;
  }
  if (gap !== -1) {
    if (written === 16) return null; // `::` must stand for at least one group
    const tail = written - gap;
    out.copyWithin(16 - tail, gap, written);
    out.fill(0, gap, 16 - tail);
    written = 16;
  }
  return written === 16 ? out : null;
}

/**
 * Address text of either family: 4 bytes for IPv4, 16 for IPv6, or null.
 * Used for client-supplied `ip=` values, whose family is whatever parses.
 */
export function parseIP(text: string): Buffer | null {
  return parseIPv4(text) ?? parseIPv6(text);
}

/**
 * An address as a socket or proxy reports it: like parseIP, but an
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket shows
 * for an IPv4 client) becomes the 4-byte IPv4 address.
 */
export function parseSocketAddress(text: string): Buffer | null {
  const parsed = parseIP(text);
  if (parsed !== null && parsed.length === 16 && isIPv4Mapped(parsed)) return parsed.subarray(12);
  return parsed;
}

/** True for ::ffff:0:0/96. */
export function isIPv4Mapped(addr: Buffer): boolean {
  if (addr.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (addr[i] !== 0) return false;
  return addr[10] === 0xff && addr[11] === 0xff;
}

/** 4 bytes → `a.b.c.d`. */
export function formatIPv4(addr: Buffer): string {
  if (addr.length !== 4) throw new RangeError(`IPv4 address must be 4 bytes, got ${addr.length}`);
  return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
}

/**
 * 16 bytes → text exactly as glibc inet_ntop prints it: lowercase, no leading
 * zeros, the first longest run of two or more zero groups as `::`, and a
 * dotted-quad tail for `::a.b.c.d` and `::ffff:a.b.c.d`.
 */
export function formatIPv6(addr: Buffer): string {
  if (addr.length !== 16) throw new RangeError(`IPv6 address must be 16 bytes, got ${addr.length}`);
  const words = new Array<number>(8);
  for (let i = 0; i < 8; i++) words[i] = (addr[2 * i] << 8) | addr[2 * i + 1];

  let bestBase = -1;
  let bestLength = 0;
  let runBase = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) {
      if (runBase === -1) runBase = i;
      continue;
    }
    if (runBase !== -1) {
      const runLength = i - runBase;
      if (runLength > bestLength) {
        bestBase = runBase;
        bestLength = runLength;
      }
      runBase = -1;
    }
  }
  if (bestLength < 2) bestBase = -1;

  let text = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLength) {
      if (i === bestBase) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (i === 6 && bestBase === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      return text + formatIPv4(addr.subarray(12));
    }
    text += words[i].toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLength === 8) text += ':';
  return text;
}

/** 4 or 16 bytes → text of that family. */
export function formatIP(addr: Buffer): string {
  return addr.length === 4 ? formatIPv4(addr) : formatIPv6(addr);
}

/**
 * BEP 23 / BEP 7 compact endpoint: the 4 or 16 address bytes followed by the
 * port, big-endian. The port is taken modulo 2^16, like Ocelot's `& 0xFFFF`.
 */
export function compactEndpoint(addr: Buffer, port: number): Buffer {
  const length = addr.length;
  if (length !== 4 && length !== 16) throw new RangeError(`address must be 4 or 16 bytes, got ${length}`);
  const out = Buffer.allocUnsafe(length + 2);
  addr.copy(out, 0);
  out[length] = (port >>> 8) & 0xff;
  out[length + 1] = port & 0xff;
  return out;
}
