import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allValues, lastValue, parseQuery, percentDecode } from '../src/index.js';

const bytesOf = (value: string | string[] | undefined): Buffer => {
  assert.equal(typeof value, 'string');
  return Buffer.from(value as string, 'latin1');
};

const hex2 = (byte: number) => byte.toString(16).padStart(2, '0');

/** Every byte as %XX, in the given hex case. */
function escapeAll(bytes: Buffer, upper: boolean): string {
  let out = '';
  for (const byte of bytes) out += '%' + (upper ? hex2(byte).toUpperCase() : hex2(byte));
  return out;
}

// What libtorrent-style clients leave literal.
const CLIENT_LITERAL = /^[A-Za-z0-9\-._~*!()]$/;

/** Letters, digits and -._~*!() literal; everything else escaped, hex case chosen per byte. */
function escapeLikeClient(bytes: Buffer, pickUpper: () => boolean): string {
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    if (CLIENT_LITERAL.test(ch)) out += ch;
    else out += '%' + (pickUpper() ? hex2(byte).toUpperCase() : hex2(byte));
  }
  return out;
}

describe('parseQuery', () => {
  it('returns a null-prototype object', () => {
    const q = parseQuery('a=1');
    assert.equal(Object.getPrototypeOf(q), null);
    assert.equal(q.toString, undefined);
    const proto = parseQuery('__proto__=x&constructor=y');
    assert.equal(proto['__proto__'], 'x');
    assert.equal(proto.constructor, 'y');
    assert.equal(Object.getPrototypeOf(proto), null);
  });

  it('parses an empty string to an empty object', () => {
    assert.deepEqual(Object.keys(parseQuery('')), []);
  });

  it('splits pairs on & and at the first =', () => {
    const q = parseQuery('a=1&b=2&c=x=y');
    assert.equal(q.a, '1');
    assert.equal(q.b, '2');
    // Only the first = separates; later ones are part of the value.
    assert.equal(q.c, 'x=y');
  });

  it('gives a key without = the empty string', () => {
    const q = parseQuery('flag&a=1&other');
    assert.equal(q.flag, '');
    assert.equal(q.other, '');
    assert.equal(q.a, '1');
  });

  it('keeps an explicitly empty value and an empty key', () => {
    const q = parseQuery('ipv4=&=v');
    assert.equal(q.ipv4, '');
    assert.equal(q[''], 'v');
  });

  it('skips empty pairs', () => {
    const q = parseQuery('&&a=1&&&b=2&');
    assert.deepEqual(Object.keys(q), ['a', 'b']);
  });

  it('collects repeated keys into an array in order', () => {
    const q = parseQuery('info_hash=a&x=1&info_hash=b&info_hash=c');
    assert.deepEqual(q.info_hash, ['a', 'b', 'c']);
    assert.equal(q.x, '1');
  });

  it('keeps + as a plus sign, not a space', () => {
    assert.equal(parseQuery('a=1+2').a, '1+2');
    assert.equal(parseQuery('a=%2B%20').a, '+ ');
  });

  it('decodes %XX in either hex case, also in keys', () => {
    const q = parseQuery('%69nfo_hash=%aB%Cd%ef&k%3Dey=v%3dx');
    assert.deepEqual(bytesOf(q.info_hash), Buffer.from([0xab, 0xcd, 0xef]));
    assert.equal(q['k=ey'], 'v=x');
  });

  it('keeps invalid escapes literally', () => {
    assert.equal(parseQuery('a=%zz').a, '%zz');
    assert.equal(parseQuery('a=%g1').a, '%g1');
    assert.equal(parseQuery('a=%1g').a, '%1g');
    assert.equal(parseQuery('a=%').a, '%');
    assert.equal(parseQuery('a=%4').a, '%4');
    assert.equal(parseQuery('a=x%').a, 'x%');
    assert.equal(parseQuery('a=%41%4').a, 'A%4');
    assert.equal(parseQuery('a=%%41').a, '%A');
    assert.equal(parseQuery('a=%41%%').a, 'A%%');
  });

  it('does not let an escape reach across & into the next pair', () => {
    const q = parseQuery('a=%4&1=b');
    assert.equal(q.a, '%4');
    assert.equal(q['1'], 'b');
  });

  it('does not decode %26 and %3D as separators', () => {
    const q = parseQuery('a=x%26b%3Dy');
    assert.equal(q.a, 'x&b=y');
    assert.equal(q.b, undefined);
  });

  it('round-trips every byte 0x00-0xFF escaped in either case', () => {
    for (let byte = 0; byte < 256; byte++) {
      for (const upper of [false, true]) {
        const escaped = escapeAll(Buffer.from([byte]), upper);
        assert.deepEqual(bytesOf(parseQuery(`v=${escaped}`).v), Buffer.from([byte]), `byte ${byte} as ${escaped}`);
      }
    }
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(bytesOf(parseQuery(`v=${escapeAll(all, true)}`).v), all);
    assert.deepEqual(bytesOf(parseQuery(`v=${escapeAll(all, false)}`).v), all);
  });

  it('round-trips thousands of random 20-byte hashes, fully escaped and client style', () => {
    let upperToggle = false;
    const mixedCase = () => (upperToggle = !upperToggle);
    const randomCase = () => Math.random() < 0.5;
    for (let i = 0; i < 3000; i++) {
      const hash = randomBytes(20);
      const peerId = randomBytes(20);
      const styles = [
        escapeAll(hash, true),
        escapeAll(hash, false),
        escapeLikeClient(hash, () => true),
        escapeLikeClient(hash, () => false),
        escapeLikeClient(hash, i % 2 === 0 ? mixedCase : randomCase),
      ];
      for (const escaped of styles) {
        const q = parseQuery(`info_hash=${escaped}&peer_id=${escapeLikeClient(peerId, randomCase)}&port=6881`);
        assert.deepEqual(bytesOf(q.info_hash), hash, escaped);
        assert.deepEqual(bytesOf(q.peer_id), peerId);
        assert.equal(q.port, '6881');
      }
    }
  });

  it('handles values longer than the internal scratch buffer', () => {
    const big = randomBytes(5000);
    assert.deepEqual(bytesOf(parseQuery(`v=${escapeAll(big, true)}`).v), big);
    const small = randomBytes(20);
    assert.deepEqual(bytesOf(parseQuery(`v=${escapeAll(small, false)}`).v), small);
  });

  it('keeps characters above U+00FF intact', () => {
    assert.equal(parseQuery('a=%41\u20ac%42').a, 'A\u20acB');
    assert.equal(parseQuery('\u20ac=1')['\u20ac'], '1');
  });
});

describe('percentDecode', () => {
  it('decodes a whole string like parseQuery decodes values', () => {
    assert.equal(percentDecode('%41%62c%zz+%'), 'Abc%zz+%');
    assert.equal(percentDecode('plain'), 'plain');
  });
});

describe('lastValue / allValues', () => {
  const q = parseQuery('one=1&many=a&many=b&many=c&empty=');

  it('lastValue: a single value, the last of several, or undefined', () => {
    assert.equal(lastValue(q, 'one'), '1');
    assert.equal(lastValue(q, 'many'), 'c');
    assert.equal(lastValue(q, 'empty'), '');
    assert.equal(lastValue(q, 'missing'), undefined);
  });

  it('allValues: every occurrence in order, [] when absent', () => {
    assert.deepEqual(allValues(q, 'one'), ['1']);
    assert.deepEqual(allValues(q, 'many'), ['a', 'b', 'c']);
    assert.deepEqual(allValues(q, 'missing'), []);
  });

  it('allValues returns a copy', () => {
    const values = allValues(q, 'many');
    values.push('d');
    assert.deepEqual(allValues(q, 'many'), ['a', 'b', 'c']);
  });
});
