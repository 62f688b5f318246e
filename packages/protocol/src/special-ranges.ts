// Which addresses may be handed to other peers. Ocelot's filter missed
// fd00::/8, most of fe80::/10, multicast and 0.0.0.0/8 (compatibility F19); this table
// follows the IANA special-purpose registries instead. One table, so the docs
// can cite it.

import { cidrMatches, parseCidr, type Cidr } from './cidr.js';

export interface SpecialRange {
  readonly prefix: string;
  readonly length: number;
  readonly name: string;
}

/** Ranges that are never a public peer address, IPv4 then IPv6. */
export const NON_PUBLIC_RANGES: readonly SpecialRange[] = [
  // IPv4 (IANA IPv4 Special-Purpose Address Registry, plus multicast)
  { prefix: '0.0.0.0', length: 8, name: '"This network" (RFC 791)' },
  { prefix: '10.0.0.0', length: 8, name: 'Private use (RFC 1918)' },
  { prefix: '100.64.0.0', length: 10, name: 'Shared address space / CGN (RFC 6598)' },
  { prefix: '127.0.0.0', length: 8, name: 'Loopback (RFC 1122)' },
  { prefix: '169.254.0.0', length: 16, name: 'Link-local (RFC 3927)' },
  { prefix: '172.16.0.0', length: 12, name: 'Private use (RFC 1918)' },
  { prefix: '192.0.0.0', length: 24, name: 'IETF protocol assignments (RFC 6890)' },
  { prefix: '192.0.2.0', length: 24, name: 'Documentation TEST-NET-1 (RFC 5737)' },
  { prefix: '192.88.99.0', length: 24, name: '6to4 relay anycast (RFC 7526)' },
  { prefix: '192.168.0.0', length: 16, name: 'Private use (RFC 1918)' },
  { prefix: '198.18.0.0', length: 15, name: 'Benchmarking (RFC 2544)' },
  { prefix: '198.51.100.0', length: 24, name: 'Documentation TEST-NET-2 (RFC 5737)' },
  { prefix: '203.0.113.0', length: 24, name: 'Documentation TEST-NET-3 (RFC 5737)' },
  { prefix: '224.0.0.0', length: 4, name: 'Multicast (RFC 5771)' },
  { prefix: '240.0.0.0', length: 4, name: 'Reserved, incl. limited broadcast 255.255.255.255 (RFC 1112, RFC 919)' },
  // IPv6 (IANA IPv6 Special-Purpose Address Registry, plus deprecated and multicast space)
  { prefix: '::', length: 128, name: 'Unspecified (RFC 4291)' },
  { prefix: '::1', length: 128, name: 'Loopback (RFC 4291)' },
  { prefix: '::ffff:0:0', length: 96, name: 'IPv4-mapped; an IPv4 peer must arrive as IPv4 (RFC 4291)' },
  { prefix: '::', length: 96, name: 'IPv4-compatible, deprecated (RFC 4291)' },
  { prefix: '64:ff9b::', length: 96, name: 'NAT64 well-known prefix (RFC 6052)' },
  { prefix: '64:ff9b:1::', length: 48, name: 'NAT64 local-use (RFC 8215)' },
  { prefix: '100::', length: 64, name: 'Discard-only (RFC 6666)' },
  { prefix: '100:0:0:1::', length: 64, name: 'Dummy prefix (IANA registry, 2025)' },
  { prefix: '2001::', length: 23, name: 'IETF protocol assignments (RFC 2928)' },
  { prefix: '2001::', length: 32, name: 'Teredo (RFC 4380)' },
  { prefix: '2001:2::', length: 48, name: 'Benchmarking (RFC 5180)' },
  { prefix: '2001:db8::', length: 32, name: 'Documentation (RFC 3849)' },
  { prefix: '2002::', length: 16, name: '6to4 (RFC 3056)' },
  { prefix: '3ffe::', length: 16, name: '6bone, returned (RFC 3701)' },
  { prefix: '3fff::', length: 20, name: 'Documentation (RFC 9637)' },
  { prefix: '5f00::', length: 16, name: 'Segment routing SIDs (RFC 9602)' },
  { prefix: 'fc00::', length: 7, name: 'Unique local (RFC 4193)' },
  { prefix: 'fe80::', length: 10, name: 'Link-local unicast (RFC 4291)' },
  { prefix: 'fec0::', length: 10, name: 'Site-local, deprecated (RFC 3879)' },
  { prefix: 'ff00::', length: 8, name: 'Multicast (RFC 4291)' },
];

const CIDRS: readonly Cidr[] = NON_PUBLIC_RANGES.map((range) => parseCidr(`${range.prefix}/${range.length}`));
const IPV4_CIDRS = CIDRS.filter((cidr) => cidr.family === 4);
const IPV6_CIDRS = CIDRS.filter((cidr) => cidr.family === 6);

/** The first table entry that `addr` (4 or 16 bytes) falls in, or undefined if it is public. */
export function nonPublicRangeOf(addr: Buffer): SpecialRange | undefined {
  for (let i = 0; i < CIDRS.length; i++) if (cidrMatches(CIDRS[i], addr)) return NON_PUBLIC_RANGES[i];
  return undefined;
}

/** A 4-byte address outside every IPv4 range of NON_PUBLIC_RANGES. */
export function isPublicIPv4(addr: Buffer): boolean {
  if (addr.length !== 4) return false;
  for (const cidr of IPV4_CIDRS) if (cidrMatches(cidr, addr)) return false;
  return true;
}

/** A 16-byte address outside every IPv6 range of NON_PUBLIC_RANGES. */
export function isPublicIPv6(addr: Buffer): boolean {
  if (addr.length !== 16) return false;
  for (const cidr of IPV6_CIDRS) if (cidrMatches(cidr, addr)) return false;
  return true;
}

/** isPublicIPv4 or isPublicIPv6 by length. */
export function isPublicAddress(addr: Buffer): boolean {
  return addr.length === 4 ? isPublicIPv4(addr) : isPublicIPv6(addr);
}
