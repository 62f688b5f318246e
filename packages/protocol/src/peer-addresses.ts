// Which addresses an announcing peer gets, with the fixes the
// project makes: X-Forwarded-For only from trusted proxies (compatibility F23), client
// `ip`/`ipv4`/`ipv6` only when allowed, a complete public-address filter
// (compatibility F19), and an unparsable address treated as absent instead of the
// original's uninitialised-memory result.

import { formatIPv4, formatIPv6, parseIP, parseIPv4, parseIPv6, parseSocketAddress } from './address.js';
import { cidrContains, type Cidr } from './cidr.js';
import { INVALID_IP_DETECTED } from './failure-reasons.js';
import { isPublicIPv4, isPublicIPv6 } from './special-ranges.js';

export interface PeerAddressInput {
  /** Socket address as Node reports it; `::ffff:a.b.c.d` counts as IPv4. Undefined/'' for a Unix socket. */
  remoteAddress: string | undefined;
  /** Raw `X-Forwarded-For` header value. */
  xForwardedFor?: string;
  /** Proxies whose X-Forwarded-For is believed. Empty: the header is always ignored. */
  trustedProxies: readonly Cidr[];
  /** Honour the client's `ip`, `ipv4` and `ipv6` parameters. */
  allowClientIp: boolean;
  /** Keep private and special-purpose addresses (Ocelot's debug build, LAN setups). */
  allowPrivate: boolean;
  /** The user's IPs are hidden: the DB text forms are ''. */
  isProtected: boolean;
  /** Query parameters, already percent-decoded; undefined when absent. */
  ip?: string;
  ipv4?: string;
  ipv6?: string;
}

export interface PeerAddresses {
  /** Announced IPv4 address (4 bytes): what other peers are given. */
  a4?: Buffer;
  /** Announced IPv6 address (16 bytes). */
  a6?: Buffer;
  /** Observed IPv4 address (socket or trusted X-Forwarded-For), echoed as `external ip`. */
  p4?: Buffer;
  /** Observed IPv6 address. */
  p6?: Buffer;
  /** DB text of a4 ('' when absent or the user is protected). */
  text4: string;
  /** DB text of a6 ('' when absent or the user is protected). */
  text6: string;
}

/**
 * The client address an X-Forwarded-For header vouches for: hops are read from
 * the right (the one our own proxy appended), trusted proxies are skipped, and
 * the first other hop is the answer. Hops further left were written by the
 * client and are never consulted. An unparsable answer gives null.
 */
export function forwardedClientAddress(header: string, trustedProxies: readonly Cidr[]): Buffer | null {
  const hops = header.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseSocketAddress(hops[i].trim());
    if (hop === null) return null;
    if (!cidrContains(trustedProxies, hop)) return hop;
  }
  return null;
}

/**
 * Ocelot's order: socket address → `ip` → X-Forwarded-For → `ipv4`/`ipv6`,
 * then each address is dropped unless public (or allowPrivate). Returns the
 * failure string when neither an IPv4 nor an IPv6 announced address is left.
 */
export function resolvePeerAddresses(input: PeerAddressInput): PeerAddresses | typeof INVALID_IP_DETECTED {
  let a4: Buffer | undefined;
  let a6: Buffer | undefined;
  let p4: Buffer | undefined;
  let p6: Buffer | undefined;

  // 1. The socket address.
  const socket = input.remoteAddress ? parseSocketAddress(input.remoteAddress) : null;
  if (socket?.length === 4) a4 = p4 = socket;
  else if (socket?.length === 16) a6 = p6 = socket;

  // 2. `ip`: sets the announced address of whatever family it parses as.
  if (input.allowClientIp && input.ip !== undefined) {
    const ip = parseIP(input.ip);
    if (ip?.length === 4) a4 = ip;
    else if (ip?.length === 16) a6 = ip;
  }

  // 3. X-Forwarded-For, only when the socket peer is a trusted proxy. It
  // replaces both the announced and the observed address of its own family;
  // the proxy's address stays in the other family, as in Ocelot.
  if (socket !== null && input.xForwardedFor !== undefined && cidrContains(input.trustedProxies, socket)) {
    const forwarded = forwardedClientAddress(input.xForwardedFor, input.trustedProxies);
    if (forwarded?.length === 4) a4 = p4 = forwarded;
    else if (forwarded?.length === 16) a6 = p6 = forwarded;
  }

  // 4. `ipv4=` / `ipv6=` override the announced address of their family; an
  // empty or unparsable value removes it.
  if (input.allowClientIp) {
    if (input.ipv4 !== undefined) a4 = parseIPv4(input.ipv4) ?? undefined;
    if (input.ipv6 !== undefined) a6 = parseIPv6(input.ipv6) ?? undefined;
  }

  // 5. Keep only addresses other peers could reach.
  const keep4 = (addr: Buffer | undefined) => (addr && (input.allowPrivate || isPublicIPv4(addr)) ? addr : undefined);
  const keep6 = (addr: Buffer | undefined) => (addr && (input.allowPrivate || isPublicIPv6(addr)) ? addr : undefined);
  a4 = keep4(a4);
  p4 = keep4(p4);
  a6 = keep6(a6);
  p6 = keep6(p6);

  if (a4 === undefined && a6 === undefined) return INVALID_IP_DETECTED;
  const result: PeerAddresses = {
    text4: a4 && !input.isProtected ? formatIPv4(a4) : '',
    text6: a6 && !input.isProtected ? formatIPv6(a6) : '',
  };
  if (a4) result.a4 = a4;
  if (a6) result.a6 = a6;
  if (p4) result.p4 = p4;
  if (p6) result.p6 = p6;
  return result;
}

/** The `external ip` value: the observed IPv6 address, else the IPv4 one, else none. */
export function externalIp(addresses: PeerAddresses): Buffer | undefined {
  return addresses.p6 ?? addresses.p4;
}
