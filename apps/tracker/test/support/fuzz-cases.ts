/**
 * Generated malformed (and now and then valid) tracker requests for fuzz.test.ts. Every case is
 * built from its own PRNG seeded with (run seed, case index), so one case can be replayed alone.
 */
import { seededRandom } from '@oncilla/testkit';
import { pct } from './client.js';

export const prng = seededRandom;

export class Gen {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
  /** Text from an alphabet. */
  str(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
  /** A length that is usually small and sometimes absurd. */
  len(): number {
    return this.pick([0, 1, 2, 19, 20, 21, 32, 40, this.int(0, 100), this.int(0, 5000), this.int(16_000, 40_000)]);
  }
}

export interface FuzzWorld {
  passkeys: string[];
  infoHashes: Buffer[];
  sitePassword: string;
  reportPassword: string;
}

export interface FuzzCase {
  /** What the generator meant, for the failure message. */
  kind: string;
  /** The bytes, in writes of their own. */
  payload: Buffer[];
  /** end: half-close after writing; abort: destroy without reading the reply. */
  mode: 'read' | 'end' | 'abort';
  /** The requests are HEAD (their replies carry no body). */
  head: boolean;
}

const ACTIONS = ['announce', 'scrape', 'update', 'report'] as const;
const UPDATE_ACTIONS = [
  'add_torrent', 'update_torrent', 'update_torrents', 'delete_torrent', 'add_token', 'remove_token', 'add_user', 'remove_user',
  'remove_users', 'update_user', 'change_passkey', 'add_whitelist', 'remove_whitelist', 'edit_whitelist',
  'update_announce_interval', 'update_announce_jitter', 'info_torrent', 'bogus', '',
];
const UPDATE_KEYS = [
  'info_hash', 'info_hashes', 'id', 'freetorrent', 'reason', 'userid', 'passkey', 'passkeys', 'visible', 'can_leech',
  'oldpasskey', 'newpasskey', 'peer_id', 'old_peer_id', 'new_peer_id', 'new_announce_interval', 'new_announce_jitter',
];
const ANNOUNCE_KEYS = [
  'info_hash', 'peer_id', 'port', 'uploaded', 'downloaded', 'left', 'compact', 'event', 'numwant', 'ip', 'ipv4', 'ipv6',
  'key', 'no_peer_id', 'corrupt', 'supportcrypto', 'trackerid',
];
const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PRI', 'get', 'Get', 'FOO', 'G\0T', 'GET\t', 'M-SEARCH', 'PROPFIND', ''];

/** A value that is wrong in some interesting way (or, now and then, right). */
function value(g: Gen, w: FuzzWorld, key: string): string {
  switch (g.int(0, 13)) {
    case 0: return '';
    case 1: return pct(g.bytes(g.len()));
    case 2: return g.pick(['-1', '0', '1', '65535', '65536', '4294967296', '9223372036854775807', '9223372036854775808', '99999999999999999999999', '-9223372036854775809', '1e9', '0x10', '1.5', 'NaN', ' 1', '+1']);
    case 3: return g.pick(['%', '%z', '%zz', '%0', '%%', '%u1234', '%G0', '%0g', '%%41', '%2', '%E9%', '%C0%AF', '%00', '%ff%fe', '+', '%2B']);
    case 4: return g.str(g.len());
    case 5: return pct(g.pick(w.infoHashes));
    case 6: return g.pick(w.passkeys);
    case 7: return g.pick(['started', 'stopped', 'completed', 'paused', 'empty', 'STARTED', '']);
    case 8: return g.pick(['127.0.0.1', '::1', '0.0.0.0', '255.255.255.255', '1.2.3.4', '::ffff:1.2.3.4', '999.1.1.1', 'fe80::1%eth0', '[::1]', '1.2.3', 'localhost', '2001:db8::1']);
    case 9: return pct(Buffer.from(`-TS0001-${g.str(12, '0123456789')}`));
    case 10: return key === 'info_hashes' ? pct(Buffer.concat(Array.from({ length: g.int(0, 60) }, () => g.pick(w.infoHashes)))) : String(g.int(0, 100));
    case 11: return key === 'passkeys' ? Array.from({ length: g.int(0, 80) }, () => g.pick(w.passkeys)).join('') : String(g.int(-5, 5));
    case 12: return g.str(g.int(0, 40), "!\"#$'()*,/:;<=>@[\\]^`{|}");
    default: return g.pick(['0', '1', '2', '11', '12', '13', '3', '-1']);
  }
}

function queryString(g: Gen, w: FuzzWorld, action: string): string {
  const keys = action === 'update' ? UPDATE_KEYS : ANNOUNCE_KEYS;
  const pairs: string[] = [];
  if (action === 'update') pairs.push(`action=${g.chance(0.9) ? g.pick(UPDATE_ACTIONS) : value(g, w, 'action')}`);
  if (action === 'report') pairs.push(`get=${g.pick(['stats', 'user', 'bogus', '', 'stats&format=json', value(g, w, 'get')])}`);
  const n = g.pick([0, 1, 3, 6, 10, g.int(0, 40), g.int(100, 600)]);
  for (let i = 0; i < n; i++) {
    const k = g.chance(0.8) ? g.pick(keys) : g.chance(0.5) ? g.str(g.int(0, 10)) : g.pick(['', '=', '&', '%', 'info_hash[]', 'a=b=c']);
    const form = g.int(0, 9);
    if (form === 0) pairs.push(k);
    else if (form === 1) pairs.push('');
    else pairs.push(`${k}=${value(g, w, k)}`);
  }
  // a duplicate storm of one key now and then
  if (g.chance(0.1)) {
    const k = g.pick(keys);
    for (let i = g.int(2, 300); i > 0; i--) pairs.push(`${k}=${value(g, w, k)}`);
  }
  return pairs.join(g.chance(0.95) ? '&' : g.pick([';', '&&', '&amp;', '?']));
}

/** A request target: mostly a tracker route, sometimes a broken one. */
function target(g: Gen, w: FuzzWorld): { path: string; action: string } {
  const action = g.chance(0.9) ? g.pick(ACTIONS) : g.pick(['announce.php', 'a', 'scrapeX', '', 'health', 'ready', 'favicon.ico']);
  let key: string;
  switch (g.int(0, 5)) {
    case 0: key = g.pick(w.passkeys); break;
    case 1: key = action === 'report' ? w.reportPassword : w.sitePassword; break;
    case 2: key = action === 'update' ? w.sitePassword : action === 'report' ? w.reportPassword : g.pick(w.passkeys); break;
    case 3: key = g.str(32); break;
    case 4: key = g.str(g.len()); break;
    default: key = pct(g.bytes(g.int(0, 40)));
  }
  // the right secret on the right route half the time, so the update actions really run
  if (action === 'update' && g.chance(0.5)) key = w.sitePassword;
  if (action === 'report' && g.chance(0.5)) key = w.reportPassword;
  const q = g.chance(0.95) ? `?${queryString(g, w, action)}` : '';
  const prefix = g.chance(0.97) ? '/' : g.pick(['', '//', 'http://x/', '*', '/../', '/%2e%2e/']);
  return { path: `${prefix}${key}/${action}${q}`, action };
}

function headers(g: Gen): string {
  const out: string[] = [];
  if (g.chance(0.8)) out.push('Host: localhost');
  if (g.chance(0.5)) out.push(`Connection: ${g.pick(['close', 'Close', 'keep-alive', 'Keep-Alive', 'upgrade', '', 'close, keep-alive'])}`);
  if (g.chance(0.3)) out.push(`User-Agent: ${g.chance(0.5) ? 'qBittorrent/4.6.0' : g.bytes(g.int(0, 200)).toString('latin1').replace(/[\r\n]/g, ' ')}`);
  if (g.chance(0.2)) out.push(`X-Forwarded-For: ${g.pick(['1.2.3.4', '::1', 'garbage', '1.2.3.4, 5.6.7.8', ', , ,', '999.999.999.999', g.str(g.len())])}`);
  if (g.chance(0.1)) out.push(`Content-Length: ${g.pick(['0', '5', '-1', 'abc', '99999999999999999999', '1, 2'])}`);
  if (g.chance(0.05)) out.push(`Transfer-Encoding: ${g.pick(['chunked', 'gzip', 'chunked, chunked', 'identity'])}`);
  if (g.chance(0.08)) out.push(`Content-Type: ${g.pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '', ';;;', g.str(g.int(0, 40))])}`);
  if (g.chance(0.03)) out.push(`Accept-Encoding: ${g.pick(['gzip', 'br', '*', g.str(20)])}`);
  if (g.chance(0.05)) out.push(`Expect: ${g.pick(['100-continue', '100-Continue', 'bogus', ''])}`);
  if (g.chance(0.05)) out.push('Upgrade: websocket');
  if (g.chance(0.1)) for (let i = g.int(1, 3000); i > 0; i--) out.push(`X-${g.str(g.int(1, 12))}: ${g.str(g.int(0, 20))}`);
  if (g.chance(0.05)) out.push(`X-Big: ${g.str(g.int(1000, 30_000))}`);
  if (g.chance(0.05)) out.push(`X-Bin: ${g.bytes(g.int(1, 64)).toString('latin1')}`);
  if (g.chance(0.05)) out.push(g.pick(['NoColon', ' leading: space', 'Sp ace: x', ': empty-name', 'X: a\0b', 'X:\ttab']));
  if (g.chance(0.05)) out.push('Host: a', 'Host: b');
  return out.map((h) => `${h}\r\n`).join('');
}

/** One well-formed-looking request (method, target, version, headers). */
function request(g: Gen, w: FuzzWorld, method?: string): { bytes: Buffer; head: boolean } {
  const m = method ?? (g.chance(0.85) ? 'GET' : g.pick(METHODS));
  const { path } = target(g, w);
  const version = g.chance(0.92) ? 'HTTP/1.1' : g.pick(['HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/', 'http/1.1', '', 'HTTP/1.1 extra']);
  const eol = g.chance(0.97) ? '\r\n' : g.pick(['\n', '\r', '\n\r']);
  let body = '';
  if (g.chance(0.05)) body = g.pick(['{', '{"a":1}', '[]', 'a=b', '5\r\nhello\r\n0\r\n\r\n', g.str(g.int(0, 200))]);
  const line = version ? `${m} ${path} ${version}` : `${m} ${path}`;
  return { bytes: Buffer.from(`${line}${eol}${headers(g).replace(/\r\n/g, eol)}${eol}${body}`, 'latin1'), head: m === 'HEAD' };
}

function brokenLine(g: Gen, w: FuzzWorld): Buffer {
  const { path } = target(g, w);
  return Buffer.from(g.pick([
    `GET ${path}\r\n\r\n`,
    `GET  ${path}  HTTP/1.1\r\n\r\n`,
    `GET\t${path}\tHTTP/1.1\r\n\r\n`,
    ` GET ${path} HTTP/1.1\r\n\r\n`,
    `GET ${path} HTTP/1.1`,
    `GET${path}HTTP/1.1\r\n\r\n`,
    `\r\n\r\nGET ${path} HTTP/1.1\r\n\r\n`,
    `GET ${path} HTTP/1.1\r\n\r\n\r\n\r\n`,
    `GET ${path.replace(/\?/g, ' ')} HTTP/1.1\r\n\r\n`,
    `${g.bytes(g.int(1, 300)).toString('latin1')}\r\n\r\n`,
    `GET /${g.bytes(g.int(1, 2000)).toString('latin1')} HTTP/1.1\r\n\r\n`,
    `GET /${'a'.repeat(g.int(16_000, 70_000))} HTTP/1.1\r\n\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\n${g.bytes(g.int(1, 100)).toString('latin1')}\r\n\r\n`,
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', // a TLS ClientHello's start
    '',
  ]), 'latin1');
}

/**
 * A request that is valid but for one to three fields, so it gets past the checks and into the
 * announce script, the scrape or the update action with absurd values.
 */
function nearValid(g: Gen, w: FuzzWorld): Buffer {
  const action = g.pick(['announce', 'announce', 'announce', 'scrape', 'update']);
  const params: Array<[string, string]> = [];
  let key = g.pick(w.passkeys);
  if (action === 'announce') {
    params.push(
      ['info_hash', pct(g.pick(w.infoHashes))], ['peer_id', pct(Buffer.from(`-NV0001-${g.str(12, '0123456789')}`))],
      ['port', String(g.int(1, 65535))], ['uploaded', String(g.int(0, 1e9))], ['downloaded', String(g.int(0, 1e9))],
      ['left', String(g.pick([0, g.int(1, 1e9)]))], ['compact', g.pick(['1', '0'])],
    );
    if (g.chance(0.5)) params.push(['event', g.pick(['started', 'stopped', 'completed', ''])]);
    if (g.chance(0.3)) params.push(['numwant', String(g.int(0, 200))]);
  } else if (action === 'scrape') {
    for (let i = g.int(1, 300); i > 0; i--) params.push(['info_hash', pct(g.chance(0.9) ? g.pick(w.infoHashes) : g.bytes(g.pick([19, 20, 21])))]);
  } else {
    key = w.sitePassword;
    params.push(['action', g.pick(UPDATE_ACTIONS)]);
    for (const k of UPDATE_KEYS) if (g.chance(0.4)) params.push([k, value(g, w, k)]);
  }
  const keys = action === 'update' ? UPDATE_KEYS : ANNOUNCE_KEYS;
  for (let i = g.int(1, 3); i > 0; i--) {
    const k = g.pick(keys);
    const v = value(g, w, k);
    // replace the field, or add a duplicate (the last one wins)
    const at = params.findIndex(([x]) => x === k);
    if (at >= 0 && g.chance(0.6)) params[at] = [k, v];
    else params.push([k, v]);
  }
  const q = params.map(([k, v]) => `${k}=${v}`).join('&');
  return Buffer.from(`GET /${key}/${action}?${q} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1');
}

export function fuzzCase(seed: number, index: number, w: FuzzWorld): FuzzCase {
  const g = new Gen(prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0));
  const kind = g.pick(['request', 'request', 'request', 'near-valid', 'near-valid', 'near-valid', 'broken-line', 'pipelined', 'partial', 'early-close', 'split']);
  switch (kind) {
    case 'near-valid':
      return { kind, payload: [nearValid(g, w)], mode: 'read', head: false };
    case 'broken-line':
      return { kind, payload: [brokenLine(g, w)], mode: g.chance(0.2) ? 'end' : 'read', head: false };
    case 'pipelined': {
      const reqs = Array.from({ length: g.int(2, 5) }, () => (g.chance(0.8) ? request(g, w, 'GET').bytes : brokenLine(g, w)));
      return { kind, payload: [Buffer.concat(reqs)], mode: 'read', head: false };
    }
    case 'partial': {
      const r = request(g, w, 'GET').bytes;
      return { kind, payload: [r.subarray(0, g.int(0, Math.max(0, r.length - 1)))], mode: g.chance(0.5) ? 'end' : 'read', head: false };
    }
    case 'early-close':
      return { kind, payload: [request(g, w).bytes], mode: 'abort', head: false };
    case 'split': {
      // the same request in several writes (the parser sees it in pieces)
      const r = request(g, w, 'GET').bytes;
      const cuts = Array.from({ length: g.int(1, 4) }, () => g.int(0, r.length)).sort((a, b) => a - b);
      const parts: Buffer[] = [];
      let at = 0;
      for (const c of [...cuts, r.length]) {
        parts.push(r.subarray(at, c));
        at = c;
      }
      return { kind, payload: parts.filter((p) => p.length > 0), mode: 'read', head: false };
    }
    default: {
      const r = request(g, w);
      return { kind, payload: [r.bytes], mode: g.chance(0.1) ? 'end' : 'read', head: r.head };
    }
  }
}
