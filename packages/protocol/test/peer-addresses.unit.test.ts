import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  externalIp,
  forwardedClientAddress,
  parseCidrList,
  parseIPv4,
  parseIPv6,
  resolvePeerAddresses,
  type PeerAddresses,
  type PeerAddressInput,
} from '../src/index.js';

// Real public addresses: the documentation ranges count as non-public here.
const PUB4 = '8.8.8.8';
const PUB4B = '1.1.1.1';
const PUB4C = '9.9.9.9';
const PUB6 = '2606:4700::1111';
const PUB6B = '2a00:1450:4001::1';
const PROXY = '172.18.0.5';

const v4 = (text: string) => parseIPv4(text)!;
const v6 = (text: string) => parseIPv6(text)!;
const trusted = parseCidrList('172.16.0.0/12, 127.0.0.1, fd00::/8');

function resolve(input: Partial<PeerAddressInput> & { remoteAddress: string | undefined }): PeerAddresses | string {
  return resolvePeerAddresses({
    trustedProxies: trusted,
    allowClientIp: false,
    allowPrivate: false,
    isProtected: false,
    ...input,
  });
}

function ok(result: PeerAddresses | string): PeerAddresses {
  assert.notEqual(typeof result, 'string', `unexpected failure ${String(result)}`);
  return result as PeerAddresses;
}

/** The four addresses as text, '-' when absent, for compact assertions. */
function summary(result: PeerAddresses | string) {
  const r = ok(result);
  const text = (b: Buffer | undefined) => (b === undefined ? '-' : b.length === 4 ? b.join('.') : v6text(b));
  return { a4: text(r.a4), a6: text(r.a6), p4: text(r.p4), p6: text(r.p6), text4: r.text4, text6: r.text6 };
}
const v6text = (b: Buffer) => {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':');
};

describe('resolvePeerAddresses: socket address', () => {
  it('uses a public IPv4 socket address as announced and observed', () => {
    const r = ok(resolve({ remoteAddress: PUB4 }));
    assert.deepEqual(r.a4, v4(PUB4));
    assert.deepEqual(r.p4, v4(PUB4));
    assert.equal(r.a6, undefined);
    assert.equal(r.p6, undefined);
    assert.equal(r.text4, PUB4);
    assert.equal(r.text6, '');
  });

  it('treats an IPv4-mapped socket address as IPv4', () => {
    const r = ok(resolve({ remoteAddress: `::ffff:${PUB4}` }));
    assert.deepEqual(r.a4, v4(PUB4));
    assert.deepEqual(r.p4, v4(PUB4));
    assert.equal(r.a6, undefined);
    assert.equal(r.text4, PUB4);
  });

  it('uses an IPv6 socket address, with canonical DB text', () => {
    const r = ok(resolve({ remoteAddress: '2606:4700:0:0:0:0:0:1111' }));
    assert.deepEqual(r.a6, v6(PUB6));
    assert.deepEqual(r.p6, v6(PUB6));
    assert.equal(r.a4, undefined);
    assert.equal(r.text6, PUB6);
  });

  it('fails with Invalid IP detected for a private socket address', () => {
    assert.equal(resolve({ remoteAddress: '192.168.1.10' }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: '::1' }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: '::ffff:127.0.0.1' }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: 'fe80::1' }), 'Invalid IP detected');
  });

  it('keeps private addresses with allowPrivate', () => {
    const r = ok(resolve({ remoteAddress: '::ffff:127.0.0.1', allowPrivate: true }));
    assert.deepEqual(r.a4, v4('127.0.0.1'));
    assert.equal(r.text4, '127.0.0.1');
    const r6 = ok(resolve({ remoteAddress: 'fd00::5', allowPrivate: true }));
    assert.equal(r6.text6, 'fd00::5');
  });

  it('fails for a Unix socket or an unparsable socket address', () => {
    assert.equal(resolve({ remoteAddress: undefined }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: '' }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: 'fe80::1%eth0', allowPrivate: true }), 'Invalid IP detected');
  });

  it('hides the DB text for a protected user but keeps the addresses', () => {
    const r = ok(resolve({ remoteAddress: PUB4, isProtected: true, allowClientIp: true, ipv6: PUB6 }));
    assert.deepEqual(r.a4, v4(PUB4));
    assert.deepEqual(r.a6, v6(PUB6));
    assert.equal(r.text4, '');
    assert.equal(r.text6, '');
  });
});

describe('resolvePeerAddresses: X-Forwarded-For', () => {
  it('is ignored when the socket peer is not a trusted proxy', () => {
    const r = summary(resolve({ remoteAddress: PUB4, xForwardedFor: PUB4B }));
    assert.equal(r.a4, PUB4);
    assert.equal(r.p4, PUB4);
  });

  it('is ignored with an empty trusted list', () => {
    const r = resolve({ remoteAddress: PROXY, xForwardedFor: PUB4B, trustedProxies: [] });
    assert.equal(r, 'Invalid IP detected');
  });

  it('replaces the announced and observed address from a trusted proxy', () => {
    const r = summary(resolve({ remoteAddress: PROXY, xForwardedFor: PUB4B }));
    assert.equal(r.a4, PUB4B);
    assert.equal(r.p4, PUB4B);
    assert.equal(r.text4, PUB4B);
  });

  it('accepts a trusted proxy seen through an IPv4-mapped socket address', () => {
    const r = summary(resolve({ remoteAddress: `::ffff:${PROXY}`, xForwardedFor: PUB4B }));
    assert.equal(r.a4, PUB4B);
  });

  it('walks hops from the right, skipping trusted proxies, ignoring spoofed hops on the left', () => {
    const r = summary(resolve({ remoteAddress: PROXY, xForwardedFor: `${PUB4C},  ${PUB4B} ,172.20.0.9 , 127.0.0.1` }));
    assert.equal(r.a4, PUB4B);
    assert.equal(r.p4, PUB4B);
  });

  it('takes the rightmost untrusted hop even if it is private (then drops it)', () => {
    // A private hop is the real client behind the proxy; it must not fall through to a spoofed hop.
    assert.equal(resolve({ remoteAddress: PROXY, xForwardedFor: `${PUB4C}, 192.168.0.7` }), 'Invalid IP detected');
    const r = summary(resolve({ remoteAddress: PROXY, xForwardedFor: `${PUB4C}, 192.168.0.7`, allowPrivate: true }));
    assert.equal(r.a4, '192.168.0.7');
  });

  it('stops at an unparsable hop instead of reading further left', () => {
    assert.equal(resolve({ remoteAddress: PROXY, xForwardedFor: `${PUB4B}, garbage` }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: PROXY, xForwardedFor: `${PUB4B}, ` }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: PROXY, xForwardedFor: `${PUB4B}:6881` }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: PROXY, xForwardedFor: '' }), 'Invalid IP detected');
  });

  it('rejects hops with zone ids', () => {
    const r = summary(resolve({ remoteAddress: PROXY, xForwardedFor: 'fe80::1%eth0', allowPrivate: true }));
    // Unparsable: the proxy's own address stays.
    assert.equal(r.a4, PROXY);
    assert.equal(r.a6, '-');
  });

  it('keeps the socket address when every hop is a trusted proxy', () => {
    const r = summary(resolve({ remoteAddress: PROXY, xForwardedFor: '172.20.0.1, 127.0.0.1', allowPrivate: true }));
    assert.equal(r.a4, PROXY);
  });

  it('treats an IPv4-mapped hop as IPv4', () => {
    const r = summary(resolve({ remoteAddress: PROXY, xForwardedFor: `::ffff:${PUB4B}` }));
    assert.equal(r.a4, PUB4B);
    assert.equal(r.a6, '-');
  });

  it('replaces only its own family: an IPv6 client behind an IPv4 proxy', () => {
    // The proxy address stays as the IPv4 address (Ocelot), and is dropped as private.
    const r = summary(resolve({ remoteAddress: PROXY, xForwardedFor: PUB6 }));
    assert.equal(r.a4, '-');
    assert.equal(r.p4, '-');
    assert.equal(r.a6, v6text(v6(PUB6)));
    assert.equal(r.p6, v6text(v6(PUB6)));
    // With allowPrivate the proxy's address is kept, as Ocelot's debug build does.
    const debug = summary(resolve({ remoteAddress: PROXY, xForwardedFor: PUB6, allowPrivate: true }));
    assert.equal(debug.a4, PROXY);
    assert.equal(debug.a6, v6text(v6(PUB6)));
  });

  it('works for an IPv6 trusted proxy', () => {
    const r = summary(resolve({ remoteAddress: 'fd00::2', xForwardedFor: `${PUB6B}, fd00::3` }));
    assert.equal(r.a6, v6text(v6(PUB6B)));
    assert.equal(r.text6, PUB6B);
  });
});

describe('resolvePeerAddresses: ip, ipv4 and ipv6 parameters', () => {
  it('are ignored unless allowClientIp', () => {
    const r = summary(resolve({ remoteAddress: PUB4, ip: PUB4B, ipv4: PUB4C, ipv6: PUB6 }));
    assert.equal(r.a4, PUB4);
    assert.equal(r.a6, '-');
    const cleared = summary(resolve({ remoteAddress: PUB4, ipv4: '' }));
    assert.equal(cleared.a4, PUB4);
  });

  it('ip sets the announced address of its family, never the observed one', () => {
    const r = summary(resolve({ remoteAddress: PUB4, allowClientIp: true, ip: PUB4B }));
    assert.equal(r.a4, PUB4B);
    assert.equal(r.p4, PUB4);
    const six = summary(resolve({ remoteAddress: PUB4, allowClientIp: true, ip: PUB6 }));
    assert.equal(six.a4, PUB4); // dual-stack
    assert.equal(six.a6, v6text(v6(PUB6)));
    assert.equal(six.p6, '-');
  });

  it('an unparsable ip is ignored', () => {
    for (const ip of ['', 'localhost', '127.1', `${PUB4B}:80`, '[2606:4700::1111]']) {
      const r = summary(resolve({ remoteAddress: PUB4, allowClientIp: true, ip }));
      assert.equal(r.a4, PUB4, ip);
      assert.equal(r.a6, '-', ip);
    }
  });

  it('an IPv4-mapped ip is an IPv6 address and is dropped', () => {
    const r = summary(resolve({ remoteAddress: PUB4, allowClientIp: true, ip: `::ffff:${PUB4B}` }));
    assert.equal(r.a4, PUB4);
    assert.equal(r.a6, '-');
  });

  it('X-Forwarded-For overrides ip of the same family (Ocelot order)', () => {
    const r = summary(resolve({ remoteAddress: PROXY, xForwardedFor: PUB4C, allowClientIp: true, ip: PUB4B }));
    assert.equal(r.a4, PUB4C);
  });

  it('ipv4= and ipv6= override the announced address, after X-Forwarded-For', () => {
    const r = summary(
      resolve({ remoteAddress: PROXY, xForwardedFor: PUB4C, allowClientIp: true, ip: PUB4B, ipv4: PUB4, ipv6: PUB6B }),
    );
    assert.equal(r.a4, PUB4);
    assert.equal(r.p4, PUB4C);
    assert.equal(r.a6, v6text(v6(PUB6B)));
    assert.equal(r.p6, '-');
    assert.equal(r.text4, PUB4);
    assert.equal(r.text6, PUB6B);
  });

  it('an empty ipv4= removes the IPv4 address', () => {
    const r = summary(resolve({ remoteAddress: PUB4, allowClientIp: true, ipv4: '', ipv6: PUB6 }));
    assert.equal(r.a4, '-');
    assert.equal(r.text4, '');
    assert.equal(r.p4, PUB4);
    assert.equal(resolve({ remoteAddress: PUB4, allowClientIp: true, ipv4: '' }), 'Invalid IP detected');
  });

  it('an empty ipv6= removes the IPv6 address', () => {
    const r = summary(resolve({ remoteAddress: PUB6, allowClientIp: true, ipv6: '', ipv4: PUB4 }));
    assert.equal(r.a6, '-');
    assert.equal(r.a4, PUB4);
  });

  it('an unparsable ipv4/ipv6 counts as absent, never as something random', () => {
    assert.equal(resolve({ remoteAddress: PUB4, allowClientIp: true, ipv4: 'nope' }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: PUB4, allowClientIp: true, ipv4: PUB6 }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: PUB6, allowClientIp: true, ipv6: PUB4 }), 'Invalid IP detected');
    assert.equal(resolve({ remoteAddress: PUB6, allowClientIp: true, ipv6: 'fe80::1%eth0', allowPrivate: true }), 'Invalid IP detected');
    const kept = summary(resolve({ remoteAddress: PUB4, allowClientIp: true, ipv6: '2606:4700::1111%1' }));
    assert.equal(kept.a4, PUB4);
    assert.equal(kept.a6, '-');
  });

  it('drops private announced addresses unless allowPrivate', () => {
    const r = summary(resolve({ remoteAddress: PUB4, allowClientIp: true, ipv6: 'fd00::1' }));
    assert.equal(r.a6, '-');
    assert.equal(resolve({ remoteAddress: PUB4, allowClientIp: true, ipv4: '10.0.0.1' }), 'Invalid IP detected');
    const lan = summary(resolve({ remoteAddress: PUB4, allowClientIp: true, ipv4: '10.0.0.1', allowPrivate: true }));
    assert.equal(lan.a4, '10.0.0.1');
  });

  it('an announced address may be public while the observed one is not', () => {
    const r = ok(resolve({ remoteAddress: '10.1.1.1', allowClientIp: true, ip: PUB4B }));
    assert.deepEqual(r.a4, v4(PUB4B));
    assert.equal(r.p4, undefined);
    assert.equal(externalIp(r), undefined);
  });
});

describe('forwardedClientAddress', () => {
  it('returns the first untrusted hop from the right', () => {
    assert.deepEqual(forwardedClientAddress(`${PUB4C}, ${PUB4B}, 172.16.0.1`, trusted), v4(PUB4B));
    assert.deepEqual(forwardedClientAddress(PUB6, trusted), v6(PUB6));
    assert.equal(forwardedClientAddress('172.16.0.1', trusted), null);
    assert.equal(forwardedClientAddress(`${PUB4B},x`, trusted), null);
  });
});

describe('externalIp', () => {
  it('prefers the observed IPv6, then IPv4, else none', () => {
    const both = ok(resolve({ remoteAddress: PROXY, xForwardedFor: PUB6, allowPrivate: true }));
    assert.deepEqual(externalIp(both), v6(PUB6));
    const four = ok(resolve({ remoteAddress: PUB4 }));
    assert.deepEqual(externalIp(four), v4(PUB4));
    // Parameters never feed external ip.
    const params = ok(resolve({ remoteAddress: '10.1.1.1', allowClientIp: true, ipv6: PUB6, ipv4: PUB4 }));
    assert.equal(externalIp(params), undefined);
  });
});
