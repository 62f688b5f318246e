import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NON_PUBLIC_RANGES,
  isPublicAddress,
  isPublicIPv4,
  isPublicIPv6,
  nonPublicRangeOf,
  parseCidr,
  parseIPv4,
  parseIPv6,
} from '../src/index.js';

const v4 = (text: string) => parseIPv4(text)!;
const v6 = (text: string) => parseIPv6(text)!;

describe('isPublicIPv4', () => {
  const nonPublic = [
    '0.0.0.0',
    '0.255.255.255',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.255',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.1.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.1',
    '192.0.0.255',
    '192.0.2.1',
    '192.88.99.1',
    '192.168.1.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.5',
    '224.0.0.1',
    '239.255.255.255',
    '240.0.0.1',
    '255.255.255.255',
  ];
  for (const text of nonPublic) it(`${text} is not public`, () => assert.equal(isPublicIPv4(v4(text)), false));

  const publicAddrs = [
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.1.255',
    '192.0.3.0',
    '192.88.98.255',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '198.51.99.255',
    '203.0.112.255',
    '203.0.114.0',
    '223.255.255.255',
  ];
  for (const text of publicAddrs) it(`${text} is public`, () => assert.equal(isPublicIPv4(v4(text)), true));

  it('rejects a buffer of the wrong length', () => {
    assert.equal(isPublicIPv4(Buffer.alloc(16)), false);
  });
});

describe('isPublicIPv6', () => {
  const nonPublic = [
    '::',
    '::1',
    '::ffff:8.8.8.8', // mapped: a public IPv4 must arrive as IPv4
    '::8.8.8.8', // IPv4-compatible
    '::2',
    '64:ff9b::808:808',
    '64:ff9b:1::1',
    '64:ff9b:1:ffff::1',
    '100::1',
    '100::ffff:ffff:ffff:ffff',
    '100:0:0:1::1',
    '2001::1', // Teredo
    '2001:0:ffff::1',
    '2001:2::1',
    '2001:1ff:ffff::1', // end of 2001::/23
    '2001:db8::1',
    '2001:db8:ffff:ffff::1',
    '2002::1',
    '2002:c000:0204::1',
    '3ffe::1',
    '3fff::1',
    '3fff:fff::1',
    '5f00::1',
    'fc00::1',
    'fd00::1', // missed by Ocelot
    'fdff:ffff::1',
    'fe80::1',
    'fe81::1', // missed by Ocelot
    'febf:ffff::1',
    'fec0::1',
    'feff::1',
    'ff00::1',
    'ff02::1',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  ];
  for (const text of nonPublic) it(`${text} is not public`, () => assert.equal(isPublicIPv6(v6(text)), false));

  const publicAddrs = [
    '2001:200::1', // first address after 2001::/23
    '2001:470::1',
    '2001:db7:ffff::1',
    '2001:db9::1',
    '2003::1',
    '2400:cb00::1',
    '2606:4700:4700::1111',
    '2a00:1450::1',
    '3ffd:ffff::1',
    '3fff:1000::1', // just past 3fff::/20
    '64:ff9b:2::1',
    '100:0:0:2::1',
    'fbff::1',
    '1::1',
  ];
  for (const text of publicAddrs) it(`${text} is public`, () => assert.equal(isPublicIPv6(v6(text)), true));

  it('rejects a buffer of the wrong length', () => {
    assert.equal(isPublicIPv6(Buffer.alloc(4)), false);
  });
});

describe('NON_PUBLIC_RANGES table', () => {
  it('has a valid prefix, length and name in every row', () => {
    assert.ok(NON_PUBLIC_RANGES.length >= 30);
    for (const range of NON_PUBLIC_RANGES) {
      assert.ok(range.name.length > 0);
      const cidr = parseCidr(`${range.prefix}/${range.length}`);
      // The prefix is already the network address: no host bits set.
      const given = cidr.family === 4 ? v4(range.prefix) : v6(range.prefix);
      assert.deepEqual(cidr.network, given, `${range.prefix}/${range.length} has host bits`);
    }
  });

  it('classifies every range start as non-public', () => {
    for (const range of NON_PUBLIC_RANGES) {
      const addr = range.prefix.includes(':') ? v6(range.prefix) : v4(range.prefix);
      assert.equal(isPublicAddress(addr), false, range.prefix);
    }
  });

  it('nonPublicRangeOf names the matching range', () => {
    assert.match(nonPublicRangeOf(v4('192.168.1.1'))!.name, /Private use/);
    assert.match(nonPublicRangeOf(v6('fd12::1'))!.name, /Unique local/);
    assert.match(nonPublicRangeOf(v6('::ffff:1.2.3.4'))!.name, /mapped/);
    assert.equal(nonPublicRangeOf(v4('8.8.8.8')), undefined);
    assert.equal(nonPublicRangeOf(v6('2606:4700::1')), undefined);
  });

  it('isPublicAddress dispatches by length', () => {
    assert.equal(isPublicAddress(v4('8.8.8.8')), true);
    assert.equal(isPublicAddress(v4('10.0.0.1')), false);
    assert.equal(isPublicAddress(v6('2606:4700::1')), true);
    assert.equal(isPublicAddress(v6('fe80::1')), false);
  });
});
