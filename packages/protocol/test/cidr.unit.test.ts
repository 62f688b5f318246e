import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, cidrMatches, parseCidr, parseCidrList, parseIPv4, parseIPv6 } from '../src/index.js';

const v4 = (text: string) => parseIPv4(text)!;
const v6 = (text: string) => parseIPv6(text)!;

describe('parseCidr', () => {
  it('parses IPv4 and IPv6 prefixes', () => {
    const a = parseCidr('10.0.0.0/8');
    assert.equal(a.family, 4);
    assert.equal(a.length, 8);
    assert.equal(a.network.toString('hex'), '0a000000');
    const b = parseCidr('2001:db8::/32');
    assert.equal(b.family, 6);
    assert.equal(b.length, 32);
    assert.equal(b.network.toString('hex'), '20010db8000000000000000000000000');
  });

  it('treats a bare address as a host route', () => {
    assert.equal(parseCidr('172.18.0.5').length, 32);
    assert.equal(parseCidr('::1').length, 128);
  });

  it('clears host bits', () => {
    assert.equal(parseCidr('10.1.2.3/8').network.toString('hex'), '0a000000');
    assert.equal(parseCidr('172.31.255.255/12').network.toString('hex'), 'ac100000');
    assert.equal(parseCidr('2001:db8:ffff::1/33').network.toString('hex'), '20010db8800000000000000000000000');
    assert.equal(parseCidr('1.2.3.4/0').network.toString('hex'), '00000000');
  });

  it('rejects bad addresses and prefix lengths', () => {
    for (const bad of ['', '/8', '10.0.0/8', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0.0/a', 'fe80::1%eth0/64', 'example.com']) {
      assert.throws(() => parseCidr(bad), Error, JSON.stringify(bad));
    }
  });
});

describe('parseCidrList', () => {
  it('splits on commas and whitespace, ignoring empties', () => {
    const list = parseCidrList(' 127.0.0.1, 10.0.0.0/8\n::1 ,,fd00::/8\t');
    assert.deepEqual(
      list.map((c) => `${c.family}:${c.length}`),
      ['4:32', '4:8', '6:128', '6:8'],
    );
  });

  it('returns [] for an empty list', () => {
    assert.deepEqual(parseCidrList(''), []);
    assert.deepEqual(parseCidrList('  , '), []);
  });

  it('throws on one bad entry, naming it', () => {
    assert.throws(() => parseCidrList('10.0.0.0/8, nope'), /nope/);
  });
});

describe('cidrMatches / cidrContains', () => {
  it('matches on whole and partial bytes', () => {
    const c12 = parseCidr('172.16.0.0/12');
    assert.equal(cidrMatches(c12, v4('172.16.0.1')), true);
    assert.equal(cidrMatches(c12, v4('172.31.255.255')), true);
    assert.equal(cidrMatches(c12, v4('172.32.0.0')), false);
    assert.equal(cidrMatches(c12, v4('172.15.255.255')), false);
    const c10 = parseCidr('fe80::/10');
    assert.equal(cidrMatches(c10, v6('fe80::1')), true);
    assert.equal(cidrMatches(c10, v6('febf:ffff::1')), true);
    assert.equal(cidrMatches(c10, v6('fec0::1')), false);
  });

  it('/0 matches everything of its family only', () => {
    assert.equal(cidrMatches(parseCidr('0.0.0.0/0'), v4('203.0.113.1')), true);
    assert.equal(cidrMatches(parseCidr('0.0.0.0/0'), v6('::1')), false);
    assert.equal(cidrMatches(parseCidr('::/0'), v6('2001:db8::1')), true);
    assert.equal(cidrMatches(parseCidr('::/0'), v4('1.2.3.4')), false);
  });

  it('host routes match exactly one address', () => {
    const host = parseCidr('192.0.2.10');
    assert.equal(cidrMatches(host, v4('192.0.2.10')), true);
    assert.equal(cidrMatches(host, v4('192.0.2.11')), false);
  });

  it('an IPv4 CIDR never matches an IPv4-mapped IPv6 buffer', () => {
    assert.equal(cidrMatches(parseCidr('1.2.3.4'), v6('::ffff:1.2.3.4')), false);
  });

  it('cidrContains checks every entry', () => {
    const list = parseCidrList('10.0.0.0/8, 2001:db8::/32');
    assert.equal(cidrContains(list, v4('10.9.8.7')), true);
    assert.equal(cidrContains(list, v6('2001:db8:1::1')), true);
    assert.equal(cidrContains(list, v4('11.0.0.1')), false);
    assert.equal(cidrContains([], v4('10.0.0.1')), false);
  });
});
