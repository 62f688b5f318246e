import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compactEndpoint,
  formatIP,
  formatIPv4,
  formatIPv6,
  isIPv4Mapped,
  parseIP,
  parseIPv4,
  parseIPv6,
  parseSocketAddress,
} from '../src/index.js';

const hex = (b: Buffer | null) => (b === null ? null : b.toString('hex'));

describe('parseIPv4', () => {
  it('accepts strict dotted quads', () => {
    assert.equal(hex(parseIPv4('1.2.3.4')), '01020304');
    assert.equal(hex(parseIPv4('0.0.0.0')), '00000000');
    assert.equal(hex(parseIPv4('255.255.255.255')), 'ffffffff');
    assert.equal(hex(parseIPv4('203.0.113.5')), 'cb007105');
    assert.equal(hex(parseIPv4('10.0.0.10')), '0a00000a');
  });

  it('rejects everything inet_pton rejects', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.',
      '.1.2.3.4',
      '1.2.3.4.5',
      '1..2.3',
      '256.1.1.1',
      '1.2.3.256',
      '1.2.3.1000',
      '01.2.3.4', // leading zero (octal in inet_aton)
      '1.2.3.04',
      '00.0.0.0',
      '127.1', // inet_aton shorthand
      '0x7f.0.0.1',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '1.2.3.-4',
      '+1.2.3.4',
      '1.2.3.4/32',
      '1.2.3.4:80',
      '::1',
      '١.٢.٣.٤', // non-ASCII digits
    ]) {
      assert.equal(parseIPv4(bad), null, JSON.stringify(bad));
    }
  });
});

describe('parseIPv6', () => {
  const cases: Array<[string, string]> = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:DB8::0001', '20010db8000000000000000000000001'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1::2:3:4:5:6:7', '00010000000200030004000500060007'], // `::` for one group is accepted
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['::1.2.3.4', '00000000000000000000000001020304'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffffffffffffffffffffffffffff'],
    ['0:0:0:0:0:0:0:0', '00000000000000000000000000000000'],
  ];
  for (const [text, bytes] of cases) {
    it(`parses ${text}`, () => assert.equal(hex(parseIPv6(text)), bytes));
  }

  it('rejects malformed text, zone ids, brackets and ports', () => {
    for (const bad of [
      '',
      ':',
      ':::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::', // `::` standing for zero groups
      '::1:2:3:4:5:6:7:8',
      '::1::',
      '1:::2',
      ':1::',
      '1::2:',
      '1:2:3:4:5:6:7:',
      ':1:2:3:4:5:6:7',
      '12345::',
      '0x1::',
      '::g',
      'fe80::1%eth0',
      'fe80::1%1',
      '[::1]',
      '[::1]:6881',
      '::1.2.3.4:5',
      '::1.2.3',
      '::01.2.3.4',
      '::1.2.3.4.5',
      '::256.1.1.1',
      '1:2:3:4:5:6:7:1.2.3.4', // IPv4 tail needs two groups of room
      '1.2.3.4',
      ' ::1',
      '::1 ',
    ]) {
      assert.equal(parseIPv6(bad), null, JSON.stringify(bad));
    }
  });

  it('agrees with node:net isIP on family for random formatted addresses', () => {
    for (let i = 0; i < 500; i++) {
      const addr = randomBytes(16);
      if (i % 3 === 0) addr.fill(0, 0, 4 + (i % 12));
      const text = formatIPv6(addr);
      assert.equal(isIP(text), 6, text);
      assert.deepEqual(parseIPv6(text), addr, text);
      assert.deepEqual(parseIPv6(text.toUpperCase()), addr, text);
    }
  });
});

describe('parseIP / parseSocketAddress', () => {
  it('parseIP returns 4 bytes for IPv4 and 16 for IPv6 text', () => {
    assert.equal(parseIP('198.51.100.7')?.length, 4);
    assert.equal(parseIP('2001:db8::7')?.length, 16);
    assert.equal(parseIP('::ffff:198.51.100.7')?.length, 16);
    assert.equal(parseIP('example.com'), null);
  });

  it('parseSocketAddress turns IPv4-mapped into IPv4', () => {
    assert.equal(hex(parseSocketAddress('::ffff:198.51.100.7')), 'c6336407');
    assert.equal(hex(parseSocketAddress('::FFFF:c633:6407')), 'c6336407');
    assert.equal(hex(parseSocketAddress('198.51.100.7')), 'c6336407');
    assert.equal(parseSocketAddress('2001:db8::7')?.length, 16);
    // IPv4-compatible (::a.b.c.d) and ::ffff:0:a.b.c.d are not mapped.
    assert.equal(parseSocketAddress('::198.51.100.7')?.length, 16);
    assert.equal(parseSocketAddress('::ffff:0:198.51.100.7')?.length, 16);
    assert.equal(parseSocketAddress('fe80::1%eth0'), null);
    assert.equal(parseSocketAddress(''), null);
  });

  it('isIPv4Mapped checks the ::ffff:0:0/96 prefix', () => {
    assert.equal(isIPv4Mapped(parseIPv6('::ffff:1.2.3.4')!), true);
    assert.equal(isIPv4Mapped(parseIPv6('::fffe:1.2.3.4')!), false);
    assert.equal(isIPv4Mapped(parseIPv6('1::ffff:1.2.3.4')!), false);
    assert.equal(isIPv4Mapped(Buffer.from([1, 2, 3, 4])), false);
  });
});

describe('formatIPv4 / formatIPv6', () => {
  it('formats IPv4', () => {
    assert.equal(formatIPv4(Buffer.from([203, 0, 113, 5])), '203.0.113.5');
    assert.equal(formatIPv4(Buffer.from([0, 0, 0, 0])), '0.0.0.0');
    assert.throws(() => formatIPv4(Buffer.alloc(16)), RangeError);
  });

  // Expected strings are glibc inet_ntop output (checked with Python's socket.inet_ntop).
  const cases: Array<[string, string]> = [
    ['::', '::'],
    ['::1', '::1'],
    ['::2', '::2'],
    ['1::', '1::'],
    ['2001:DB8::0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'], // the longer run wins
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'], // a single zero group is not compressed
    ['0:0:1::', '0:0:1::'],
    ['0:0:0:0:0:1:0:0', '::1:0:0'],
    ['0:0:0:1:0:0:0:0', '0:0:0:1::'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'], // mapped keeps its dotted tail
    ['::ffff:0.0.0.0', '::ffff:0.0.0.0'],
    ['::1.2.3.4', '::1.2.3.4'], // IPv4-compatible too
    ['::0.1.0.0', '::0.1.0.0'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['FE80:0000:0000:0000:0202:B3FF:FE1E:8329', 'fe80::202:b3ff:fe1e:8329'],
    ['::ffff', '::ffff'],
  ];
  for (const [input, expected] of cases) {
    it(`formats ${input} as ${expected}`, () => assert.equal(formatIPv6(parseIPv6(input)!), expected));
  }

  it('rejects a wrong length', () => {
    assert.throws(() => formatIPv6(Buffer.alloc(4)), RangeError);
  });

  it('formatIP picks the family by length', () => {
    assert.equal(formatIP(Buffer.from([1, 2, 3, 4])), '1.2.3.4');
    assert.equal(formatIP(parseIPv6('2001:db8::1')!), '2001:db8::1');
  });
});

describe('compactEndpoint', () => {
  it('packs IPv4 + port big-endian into 6 bytes', () => {
    assert.equal(compactEndpoint(parseIPv4('198.51.100.7')!, 6881).toString('hex'), 'c63364071ae1');
    assert.equal(compactEndpoint(parseIPv4('1.2.3.4')!, 0).toString('hex'), '010203040000');
    assert.equal(compactEndpoint(parseIPv4('1.2.3.4')!, 65535).toString('hex'), '01020304ffff');
  });

  it('packs IPv6 + port into 18 bytes', () => {
    const out = compactEndpoint(parseIPv6('2001:db8::1')!, 51413);
    assert.equal(out.length, 18);
    assert.equal(out.toString('hex'), '20010db8000000000000000000000001c8d5');
  });

  it('does not alias the address buffer', () => {
    const addr = parseIPv4('1.2.3.4')!;
    const out = compactEndpoint(addr, 1);
    addr[0] = 9;
    assert.equal(out[0], 1);
  });

  it('rejects other address lengths', () => {
    assert.throws(() => compactEndpoint(Buffer.alloc(5), 1), RangeError);
  });
});
