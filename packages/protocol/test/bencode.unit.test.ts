import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bencode from 'bencode';
import {
  compactEndpoint,
  encodeAnnounce,
  encodeAnnounceDict,
  encodeFailure,
  encodeScrape,
  parseIPv4,
  type ScrapeFile,
} from '../src/index.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const bytes = (u: unknown): Buffer => {
  assert.ok(u instanceof Uint8Array, `expected a byte string, got ${typeof u}`);
  return Buffer.from(u);
};

/**
 * A strict reader that rejects anything non-canonical: unsorted or duplicate
 * dict keys, leading zeros, -0, trailing bytes. The `bencode` package accepts
 * all of those, so it alone cannot prove canonical output.
 */
function assertCanonical(buf: Buffer): void {
  let i = 0;
  const digits = (end: number) => {
    const text = buf.toString('latin1', i, end);
    assert.match(text, /^(0|-?[1-9][0-9]*)$/, `non-canonical integer ${JSON.stringify(text)} at ${i}`);
    i = end + 1;
    return Number(text);
  };
  const string = (): Buffer => {
    const colon = buf.indexOf(0x3a, i);
    assert.ok(colon > i, `string length expected at ${i}`);
    const length = digits(colon);
    assert.ok(length >= 0 && i + length <= buf.length, 'string runs past the end');
    const value = buf.subarray(i, i + length);
    i += length;
    return value;
  };
  const value = (): void => {
    const c = buf[i];
    if (c === 0x69) {
      i++;
      const end = buf.indexOf(0x65, i);
      assert.ok(end > i, 'unterminated integer');
      digits(end);
    } else if (c === 0x6c) {
      i++;
      while (buf[i] !== 0x65) value();
      i++;
    } else if (c === 0x64) {
      i++;
      let previous: Buffer | undefined;
      while (buf[i] !== 0x65) {
        const key = string();
        if (previous !== undefined) {
          assert.ok(Buffer.compare(previous, key) < 0, `dict keys out of order: ${previous} before ${key}`);
        }
        previous = key;
        value();
      }
      i++;
    } else {
      assert.ok(c >= 0x30 && c <= 0x39, `unexpected byte ${c} at ${i}`);
      string();
    }
  };
  value();
  assert.equal(i, buf.length, 'trailing bytes after the value');
}

type Dict = Record<string, unknown>;

describe('encodeFailure', () => {
  it('writes the exact canonical bytes with 5400 s intervals', () => {
    const out = encodeFailure('Passkey not found');
    assert.equal(out.toString('latin1'), 'd14:failure reason17:Passkey not found8:intervali5400e12:min intervali5400ee');
    assertCanonical(out);
  });

  it('matches Appendix A example 3 apart from the key order fix', () => {
    const out = encodeFailure('Your client does not support compact announces');
    assert.equal(
      out.toString('latin1'),
      'd14:failure reason46:Your client does not support compact announces8:intervali5400e12:min intervali5400ee',
    );
  });

  it('decodes with the bencode package', () => {
    const decoded = bencode.decode(encodeFailure('Invalid IP detected')) as Dict;
    assert.deepEqual(Object.keys(decoded), ['failure reason', 'interval', 'min interval']);
    assert.equal(bytes(decoded['failure reason']).toString('utf8'), 'Invalid IP detected');
    assert.equal(decoded.interval, 5400);
    assert.equal(decoded['min interval'], 5400);
  });

  it('uses the UTF-8 byte length', () => {
    const out = encodeFailure('Ünregistered ✓');
    assert.ok(out.toString('latin1').startsWith('d14:failure reason17:'));
    const decoded = bencode.decode(out) as Dict;
    assert.equal(bytes(decoded['failure reason']).toString('utf8'), 'Ünregistered ✓');
  });

  it('handles the empty message and the trailing-space reason', () => {
    assert.equal(encodeFailure('').toString('latin1'), 'd14:failure reason0:8:intervali5400e12:min intervali5400ee');
    assert.ok(encodeFailure('Unregistered torrent: ').toString('latin1').includes('22:Unregistered torrent: 8:'));
  });
});

describe('encodeAnnounce', () => {
  it('matches Ocelot\'s compact reply byte for byte', () => {
    const peers = Buffer.concat([
      compactEndpoint(parseIPv4('198.51.100.7')!, 6881),
      compactEndpoint(parseIPv4('203.0.113.9')!, 51413),
    ]);
    const out = encodeAnnounce({
      complete: 3,
      downloaded: 10,
      incomplete: 2,
      interval: 1803,
      minInterval: 1800,
      externalIp: Buffer.from([0xcb, 0x00, 0x71, 0x05]),
      peers,
    });
    const expected = Buffer.concat([
      latin1('d8:completei3e10:downloadedi10e11:external ip4:'),
      Buffer.from([0xcb, 0x00, 0x71, 0x05]),
      latin1('10:incompletei2e8:intervali1803e12:min intervali1800e5:peers12:'),
      peers,
      latin1('e'),
    ]);
    assert.deepEqual(out, expected);
    assertCanonical(out);
  });

  it('matches Appendix A example 1', () => {
    const seeder = compactEndpoint(parseIPv4('203.0.113.50')!, 51413);
    const out = encodeAnnounce({
      complete: 1,
      downloaded: 0,
      incomplete: 1,
      interval: 1801,
      minInterval: 1800,
      externalIp: Buffer.from([0xc6, 0x33, 0x64, 0x07]),
      peers: seeder,
    });
    assert.deepEqual(
      out,
      Buffer.concat([
        latin1('d8:completei1e10:downloadedi0e11:external ip4:\xc6\x33\x64\x0710:incompletei1e'),
        latin1('8:intervali1801e12:min intervali1800e5:peers6:'),
        seeder,
        latin1('e'),
      ]),
    );
  });

  it('writes peers as 0: when empty and omits external ip and empty peers6', () => {
    const out = encodeAnnounce({
      complete: 0,
      downloaded: 0,
      incomplete: 0,
      interval: 1800,
      minInterval: 1800,
      peers: Buffer.alloc(0),
      peers6: Buffer.alloc(0),
    });
    assert.equal(out.toString('latin1'), 'd8:completei0e10:downloadedi0e10:incompletei0e8:intervali1800e12:min intervali1800e5:peers0:e');
    assertCanonical(out);
  });

  it('adds peers6 after peers and a 16-byte external ip', () => {
    const ip6 = randomBytes(16);
    const peers = randomBytes(6 * 3);
    const peers6 = randomBytes(18 * 2);
    const out = encodeAnnounce({
      complete: 7,
      downloaded: 123456789012,
      incomplete: 0,
      interval: 1807,
      minInterval: 1800,
      externalIp: ip6,
      peers,
      peers6,
    });
    assertCanonical(out);
    const decoded = bencode.decode(out) as Dict;
    assert.deepEqual(Object.keys(decoded), [
      'complete',
      'downloaded',
      'external ip',
      'incomplete',
      'interval',
      'min interval',
      'peers',
      'peers6',
    ]);
    assert.equal(decoded.downloaded, 123456789012);
    assert.deepEqual(bytes(decoded['external ip']), ip6);
    assert.deepEqual(bytes(decoded.peers), peers);
    assert.deepEqual(bytes(decoded.peers6), peers6);
  });

  it('handles 50 compact peers with arbitrary bytes', () => {
    const peers = randomBytes(6 * 50);
    const out = encodeAnnounce({ complete: 25, downloaded: 1, incomplete: 25, interval: 1825, minInterval: 1800, peers });
    assertCanonical(out);
    assert.deepEqual(bytes((bencode.decode(out) as Dict).peers), peers);
    assert.ok(out.toString('latin1').includes('5:peers300:'));
  });

  it('rejects non-integer counts instead of emitting invalid bencode', () => {
    const base = { complete: 1, downloaded: 1, incomplete: 1, interval: 1, minInterval: 1, peers: Buffer.alloc(0) };
    assert.throws(() => encodeAnnounce({ ...base, complete: 1.5 }), RangeError);
    assert.throws(() => encodeAnnounce({ ...base, interval: Number.NaN }), RangeError);
    assert.throws(() => encodeAnnounce({ ...base, downloaded: Infinity }), RangeError);
  });

  it('writes negative numbers canonically and -0 as 0', () => {
    const out = encodeAnnounce({ complete: -0, downloaded: -3, incomplete: 0, interval: 1, minInterval: 1, peers: Buffer.alloc(0) });
    assert.ok(out.toString('latin1').startsWith('d8:completei0e10:downloadedi-3e'));
    assertCanonical(out);
  });
});

describe('encodeAnnounceDict', () => {
  const peerId1 = latin1('-qB4500-abcdefghijkl');
  const peerId2 = Buffer.from(Array.from({ length: 20 }, (_, i) => 0xe0 + i));
  const counts = { complete: 2, downloaded: 5, incomplete: 1, interval: 1802, minInterval: 1800 };

  it('lists IPv4 and IPv6 peers as sorted dicts', () => {
    const out = encodeAnnounceDict({
      ...counts,
      externalIp: Buffer.from([198, 51, 100, 7]),
      noPeerId: false,
      peers: [
        { ip: '203.0.113.9', port: 6881, peerId: peerId1 },
        { ip: '2001:db8::1', port: 51413, peerId: peerId2 },
      ],
    });
    assert.deepEqual(
      out,
      Buffer.concat([
        latin1('d8:completei2e10:downloadedi5e11:external ip4:\xc6\x33\x64\x0710:incompletei1e8:intervali1802e'),
        latin1('12:min intervali1800e5:peersl'),
        latin1('d2:ip11:203.0.113.97:peer id20:'),
        peerId1,
        latin1('4:porti6881ee'),
        latin1('d2:ip11:2001:db8::17:peer id20:'),
        peerId2,
        latin1('4:porti51413ee'),
        latin1('ee'),
      ]),
    );
    assertCanonical(out);
    const decoded = bencode.decode(out) as Dict;
    assert.equal(decoded.peers6, undefined);
    const list = decoded.peers as Dict[];
    assert.equal(list.length, 2);
    assert.equal(bytes(list[1].ip).toString('latin1'), '2001:db8::1');
    assert.deepEqual(bytes(list[1]['peer id']), peerId2);
    assert.equal(list[1].port, 51413);
  });

  it('omits peer id with noPeerId', () => {
    const out = encodeAnnounceDict({ ...counts, noPeerId: true, peers: [{ ip: '203.0.113.9', port: 1, peerId: peerId1 }] });
    assert.ok(!out.includes(latin1('peer id')));
    assert.ok(out.toString('latin1').includes('5:peersld2:ip11:203.0.113.94:porti1eeee'));
    assertCanonical(out);
  });

  it('omits peer id for a peer without one', () => {
    const out = encodeAnnounceDict({ ...counts, noPeerId: false, peers: [{ ip: '203.0.113.9', port: 1 }] });
    assert.ok(!out.includes(latin1('peer id')));
    assertCanonical(out);
  });

  it('writes an empty list when there are no peers', () => {
    const out = encodeAnnounceDict({ ...counts, noPeerId: false, peers: [] });
    assert.ok(out.toString('latin1').endsWith('5:peerslee'));
    assertCanonical(out);
  });
});

describe('encodeScrape', () => {
  const file = (hash: Buffer, complete: number, downloaded: number, incomplete: number): ScrapeFile => ({
    infoHash: hash,
    complete,
    downloaded,
    incomplete,
  });

  it('writes the empty files dict', () => {
    assert.equal(encodeScrape([]).toString('latin1'), 'd5:filesdee');
  });

  it('writes one file with sorted inner keys', () => {
    const hash = latin1('aaaaaaaaaaaaaaaaaaaa');
    const out = encodeScrape([file(hash, 3, 10, 2)]);
    assert.equal(
      out.toString('latin1'),
      'd5:filesd20:aaaaaaaaaaaaaaaaaaaad8:completei3e10:downloadedi10e10:incompletei2eeee',
    );
    const decoded = bencode.decode(out) as { files: Record<string, Dict> };
    assert.deepEqual(decoded.files.aaaaaaaaaaaaaaaaaaaa, { complete: 3, downloaded: 10, incomplete: 2 });
  });

  it('sorts hashes by unsigned bytes and emits duplicates once', () => {
    const high = Buffer.alloc(20, 0xff);
    const low = Buffer.alloc(20, 0x00);
    const mid = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(19, 0x01)]);
    const ascii = Buffer.alloc(20, 0x7f);
    const out = encodeScrape([file(high, 1, 1, 1), file(mid, 2, 2, 2), file(low, 3, 3, 3), file(mid, 9, 9, 9), file(ascii, 4, 4, 4)]);
    assertCanonical(out);
    const expected = Buffer.concat([
      latin1('d5:filesd'),
      latin1('20:'), low, latin1('d8:completei3e10:downloadedi3e10:incompletei3ee'),
      latin1('20:'), ascii, latin1('d8:completei4e10:downloadedi4e10:incompletei4ee'),
      latin1('20:'), mid, latin1('d8:completei2e10:downloadedi2e10:incompletei2ee'),
      latin1('20:'), high, latin1('d8:completei1e10:downloadedi1e10:incompletei1ee'),
      latin1('ee'),
    ]);
    assert.deepEqual(out, expected);
  });

  it('stays canonical for many random hashes', () => {
    const files = Array.from({ length: 300 }, (_, i) => file(randomBytes(20), i, i * 2, i * 3));
    files.push(files[17], files[200]);
    const out = encodeScrape(files);
    assertCanonical(out);
    const decoded = bencode.decode(out) as { files: Record<string, Dict> };
    assert.equal(Object.keys(decoded.files).length, 300);
  });

  it('does not reorder the caller array', () => {
    const files = [file(Buffer.alloc(20, 2), 0, 0, 0), file(Buffer.alloc(20, 1), 0, 0, 0)];
    encodeScrape(files);
    assert.equal(files[0].infoHash[0], 2);
  });
});

describe('assertCanonical (test helper)', () => {
  it('catches the non-canonical shapes Ocelot produced', () => {
    assert.throws(() => assertCanonical(latin1('d14:failure reason1:x12:min intervali5400e8:intervali5400ee')));
    assert.throws(() => assertCanonical(latin1('d8:completei1e10:incompletei1e10:downloadedi1ee')));
    assert.throws(() => assertCanonical(latin1('i01e')));
    assert.throws(() => assertCanonical(latin1('i-0e')));
    assert.throws(() => assertCanonical(latin1('d1:ai1e1:ai2ee')));
    assert.throws(() => assertCanonical(latin1('i1ei2e')));
  });
});
