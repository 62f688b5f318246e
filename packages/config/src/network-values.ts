// Value types for addresses: bind lists, host names, CIDR lists and host:port pairs.
// Checks are syntactic only; nothing here resolves names or opens sockets.

import { isIP } from 'node:net';
import { fail, ok, quote, showPlain, type ValueType } from './value-type.js';

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
// Underscores are allowed because Docker service names (e.g. `gpw_web`) contain them.
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*\\.?$`);

export function isHostname(s: string): boolean {
  return HOSTNAME.test(s);
}

export function isHostOrIp(s: string): boolean {
  return isIP(s) !== 0 || isHostname(s);
}

/** A single host for outgoing connections (site_host, mysql_host). */
export function host(): ValueType<string> {
  return {
    type: 'string',
    validation: 'an IP address or host name',
    parse: (raw) => (isHostOrIp(raw) ? ok(raw) : fail()),
    secret: false,
    show: showPlain,
  };
}

/** Marker for "bind every interface" in `Config.listenHost`. */
export const ALL_INTERFACES = '*';

/**
 * listen_host: `*` or blank means all interfaces (returned as `['*']` so a consumer that
 * forgets the special case fails loudly instead of binding nothing); otherwise space-separated
 * IPs, host names and `unix:<path>` entries.
 */
export function listenHosts(): ValueType<readonly string[]> {
  return {
    type: 'list',
    validation: "'*', blank, or space-separated IP addresses, host names and unix:<path> entries",
    parse(raw) {
      const entries = raw.split(/[ \t]+/).filter((e) => e !== '');
      if (entries.length === 0 || (entries.length === 1 && entries[0] === ALL_INTERFACES)) {
        return ok([ALL_INTERFACES]);
      }
      for (const e of entries) {
        if (e === ALL_INTERFACES) return fail("'*' must be the only entry");
        if (e.startsWith('unix:')) {
          if (e.length === 'unix:'.length) return fail("'unix:' needs a socket path");
          continue;
        }
        if (!isHostOrIp(e)) return fail(`entry ${quote(e)} is not an IP address, host name or unix:<path>`);
      }
      return ok(entries);
    },
    secret: false,
    show: showPlain,
  };
}

/** Checks one trusted-proxy entry: an address, or address/prefix with a prefix in range. */
export function cidrProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const addr = slash < 0 ? entry : entry.slice(0, slash);
  // Zone ids (fe80::1%eth0) never appear in a peer's remote address, so they could never match.
  const family = addr.includes('%') ? 0 : isIP(addr);
  if (family === 0) return `entry ${quote(entry)} is not an IP address or CIDR`;
  if (slash < 0) return undefined;
  const prefix = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > max) {
    return `entry ${quote(entry)} needs a prefix length from 0 to ${max}`;
  }
  return undefined;
}

/** trusted_proxies: addresses or CIDRs separated by spaces and/or commas; blank means none. */
export function cidrList(): ValueType<readonly string[]> {
  return {
    type: 'list',
    validation: 'IPv4/IPv6 addresses or CIDRs (e.g. 10.0.0.0/8 ::1) separated by spaces or commas, or blank',
    parse(raw) {
      const entries = raw.split(/[\s,]+/).filter((e) => e !== '');
      for (const e of entries) {
        const problem = cidrProblem(e);
        if (problem !== undefined) return fail(problem);
      }
      return ok(entries);
    },
    secret: false,
    show: showPlain,
  };
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** `host:port` or `[ipv6]:port`; a reason when it is not one. */
function parseHostPort(raw: string): { ok: true; value: HostPort } | { ok: false; reason?: string } {
  let hostPart: string;
  let portPart: string;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']:');
    if (close < 0) return { ok: false };
    hostPart = raw.slice(1, close);
    portPart = raw.slice(close + 2);
    if (isIP(hostPart) !== 6) return { ok: false, reason: 'the bracketed part must be an IPv6 address' };
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon < 0) return { ok: false, reason: 'missing :port' };
    hostPart = raw.slice(0, colon);
    portPart = raw.slice(colon + 1);
    if (hostPart.includes(':')) return { ok: false, reason: 'put an IPv6 address in brackets' };
    if (!isHostOrIp(hostPart)) return { ok: false };
  }
  const port = parsePort(portPart);
  return port === undefined ? { ok: false } : { ok: true, value: { host: hostPart, port } };
}

/** metrics_listen: blank (null) or `host:port` / `[ipv6]:port`. */
export function optionalHostPort(): ValueType<HostPort | null> {
  return {
    type: 'address',
    validation: 'blank, or host:port / [IPv6]:port with a port from 1 to 65535',
    parse(raw) {
      if (raw === '') return ok(null);
      const r = parseHostPort(raw);
      return r.ok ? ok(r.value) : fail(r.reason);
    },
    secret: false,
    show: showPlain,
  };
}

/** redis_cluster: blank (none) or host:port entries separated by commas or spaces. */
export function hostPortList(): ValueType<readonly HostPort[]> {
  return {
    type: 'list',
    validation: 'blank, or host:port / [IPv6]:port entries separated by commas or spaces',
    parse(raw) {
      const out: HostPort[] = [];
      for (const entry of raw.split(/[\s,]+/).filter((e) => e !== '')) {
        const r = parseHostPort(entry);
        if (!r.ok) return fail(`entry ${quote(entry)}${r.reason ? `: ${r.reason}` : ' is not host:port'}`);
        out.push(r.value);
      }
      return ok(out);
    },
    secret: false,
    show: showPlain,
  };
}
