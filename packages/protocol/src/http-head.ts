/**
 * The plain HTTP/1.1 GET that nearly every tracker request is, read without Node's HTTP
 * machinery, and the head of the reply to it. Pure.
 *
 * Deliberately narrow: anything this does not recognise to the letter (another method or
 * version, a body, `Expect`, `Upgrade`, a byte not allowed where it stands, an oversized head)
 * is `undefined`, and the caller hands the connection to Node's own parser, which answers it
 * as it always has. So this never accepts what Node would refuse, and never reads a request
 * differently from Node.
 */

/** Node's default limit for a request's head (its --max-http-header-size). */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface PlainGet {
  /** The request target, e.g. `/<passkey>/announce?…` (origin form, printable ASCII only). */
  target: string;
  /** The client asked to close (`Connection: close`). */
  close: boolean;
  /** Every X-Forwarded-For value, joined with ", " in order (as Node joins them). */
  xForwardedFor: string | undefined;
  /** The first User-Agent (Node keeps the first), latin1 as Node decodes header values. */
  userAgent: string | undefined;
}

const TARGET = /^\/[\x21-\x7e]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Control characters a header value may not hold (tab is allowed). */
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;
const CLOSE = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i;
const UPGRADE = /(?:^|,)[ \t]*upgrade[ \t]*(?:,|$)/i;

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** The request line, or undefined for anything but `GET <origin-form target> HTTP/1.1`. */
function requestTarget(line: string): string | undefined {
  if (!line.startsWith('GET ') || !line.endsWith(' HTTP/1.1')) return undefined;
  const target = line.slice(4, line.length - 9);
  return TARGET.test(target) ? target : undefined;
}

/** Reads one header line into r; false if the line is not one this reader takes. */
function readHeader(line: string, r: PlainGet): boolean {
  const colon = line.indexOf(':');
  if (colon <= 0) return false;
  const name = line.slice(0, colon);
  if (!TOKEN.test(name)) return false;
  const raw = line.slice(colon + 1);
  if (CTL.test(raw)) return false;
  const value = trimOws(raw);
  switch (name.toLowerCase()) {
    case 'connection':
      if (UPGRADE.test(value)) return false;
      if (CLOSE.test(value)) r.close = true;
      return true;
    case 'content-length':
    case 'transfer-encoding':
    case 'expect':
    case 'upgrade':
      return false;
    case 'x-forwarded-for':
      r.xForwardedFor = r.xForwardedFor === undefined ? value : `${r.xForwardedFor}, ${value}`;
      return true;
    case 'user-agent':
      if (r.userAgent === undefined) r.userAgent = value;
      return true;
    default:
      return true;
  }
}

/**
 * Reads a request head: the latin1 text before the blank line that ends it (without that
 * `\r\n\r\n`). Returns undefined for anything but a plain HTTP/1.1 GET without a body.
 */
export function parsePlainGet(head: string): PlainGet | undefined {
  if (head.length > MAX_HEAD_BYTES) return undefined;
  const lineEnd = head.indexOf('\r\n');
  const target = requestTarget(lineEnd < 0 ? head : head.slice(0, lineEnd));
  if (target === undefined) return undefined;
  const r: PlainGet = { target, close: false, xForwardedFor: undefined, userAgent: undefined };
  let pos = lineEnd < 0 ? head.length : lineEnd + 2;
  while (pos < head.length) {
    let next = head.indexOf('\r\n', pos);
    if (next < 0) next = head.length;
    if (!readHeader(head.slice(pos, next), r)) return undefined;
    pos = next + 2;
  }
  return r;
}

const GET_PREFIX = 'GET /';

/**
 * For the start of a request whose head has not ended yet: false as soon as what has arrived
 * can no longer be a plain GET (Node's parser answers such a request at once, so the caller
 * hands it over then rather than waiting for the rest).
 */
export function couldBePlainGet(partial: string): boolean {
  if (partial.length > MAX_HEAD_BYTES) return false;
  const n = Math.min(partial.length, GET_PREFIX.length);
  if (partial.slice(0, n) !== GET_PREFIX.slice(0, n)) return false;
  const r: PlainGet = { target: '', close: false, xForwardedFor: undefined, userAgent: undefined };
  let pos = 0;
  for (;;) {
    const next = partial.indexOf('\r\n', pos);
    const line = partial.slice(pos, next < 0 ? partial.length : next);
    // a line feed or carriage return inside a line: bare line ends, which Node refuses
    const cr = line.indexOf('\r');
    if (line.includes('\n') || (cr >= 0 && cr !== line.length - 1)) return false;
    if (next < 0) return true;
    if (pos === 0 ? requestTarget(line) === undefined : !readHeader(line, r)) return false;
    pos = next + 2;
  }
}

/**
 * How the connection goes on after a reply: kept for `keepAliveSeconds`; closed because the
 * tracker keeps no connection (keepalive_timeout = 0); closed because the client asked.
 */
export type AfterReply = { keepAliveSeconds: number } | 'tracker-closes' | 'client-closes';

/**
 * The head of a 200 reply with a plain-text body: the bytes Node's server writes for the
 * tracker's reply in each case (its header order differs with who closes).
 */
export function okResponseHead(bodyLength: number, date: string, after: AfterReply): string {
  const head = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${bodyLength}\r\n`;
  if (after === 'tracker-closes') return `${head}connection: close\r\nDate: ${date}\r\n\r\n`;
  if (after === 'client-closes') return `${head}Date: ${date}\r\nConnection: close\r\n\r\n`;
  return `${head}Date: ${date}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${after.keepAliveSeconds}\r\n\r\n`;
}
