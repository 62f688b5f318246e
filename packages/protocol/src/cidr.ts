// CIDR prefixes: the trusted-proxy list, and the special-purpose table.

import { parseIPv4, parseIPv6 } from './address.js';

export interface Cidr {
  readonly family: 4 | 6;
  /** Network address, 4 or 16 bytes, host bits zeroed. */
  readonly network: Buffer;
  /** Prefix length in bits. */
  readonly length: number;
}

/** `addr/len` or a bare address (= /32 or /128). Host bits are cleared. Throws on bad input. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const v4 = parseIPv4(addressText);
  const address = v4 ?? parseIPv6(addressText);
  if (address === null) throw new Error(`invalid CIDR ${JSON.stringify(text)}: bad address`);
  const bits = address.length * 8;
  let length = bits;
  if (slash !== -1) {
    const lengthText = text.slice(slash + 1);
    // Plain decimal only: `/08`, `/+8` or `/ 8` would hide typos in config.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText) || Number(lengthText) > bits) {
      throw new Error(`invalid CIDR ${JSON.stringify(text)}: bad prefix length`);
    }
    length = Number(lengthText);
  }
  return { family: v4 !== null ? 4 : 6, network: maskTo(address, length), length };
}

/** A comma- and/or whitespace-separated list of CIDRs (config text). Throws on a bad entry. */
export function parseCidrList(text: string): Cidr[] {
  return text
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .map(parseCidr);
}

/** True if `addr` (4 or 16 bytes) lies inside `cidr`; families never match each other. */
export function cidrMatches(cidr: Cidr, addr: Buffer): boolean {
  if (addr.length !== cidr.network.length) return false;
  const whole = cidr.length >>> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== cidr.network[i]) return false;
  const rest = cidr.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (addr[whole] & mask) === cidr.network[whole];
}

/** True if any entry of `list` contains `addr`. */
export function cidrContains(list: readonly Cidr[], addr: Buffer): boolean {
  for (const cidr of list) if (cidrMatches(cidr, addr)) return true;
  return false;
}

function maskTo(address: Buffer, length: number): Buffer {
  const network = Buffer.from(address);
  const whole = length >>> 3;
  const rest = length & 7;
  if (whole < network.length) {
    network[whole] &= (0xff << (8 - rest)) & 0xff;
    network.fill(0, whole + 1);
  }
  return network;
}
