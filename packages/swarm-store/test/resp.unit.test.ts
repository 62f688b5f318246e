import { it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, RespError, RespReader, type RespValue } from '../src/resp.js';

it('encodes a command as bulk strings, binary arguments byte for byte', () => {
  const bin = Buffer.from([0, 13, 10, 255]);
  assert.equal(encodeCommand(['EVALSHA', 'ab', bin]).toString('latin1'), `*3\r\n$7\r\nEVALSHA\r\n$2\r\nab\r\n$4\r\n${bin.toString('latin1')}\r\n`);
  assert.equal(encodeCommand([]).toString('latin1'), '*0\r\n');
});

const wire = Buffer.concat([
  Buffer.from('*5\r\n:1\r\n:-20\r\n$3\r\nab\n\r\n$-1\r\n*2\r\n$0\r\n\r\n$2\r\n\r\n\r\n', 'latin1'),
  Buffer.from('-NOSCRIPT No matching script\r\n+OK\r\n*-1\r\n', 'latin1'),
]);
const expected: RespValue[] = [
  [1, -20, Buffer.from('ab\n'), null, [Buffer.alloc(0), Buffer.from('\r\n')]],
  new RespError('NOSCRIPT No matching script'),
  Buffer.from('OK'),
  null,
];

it('reads replies whole however the bytes are split', () => {
  for (let cut = 0; cut <= wire.length; cut++) {
    const r = new RespReader();
    const got = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
    assert.deepEqual(got, expected, `split at ${cut}`);
  }
  // one byte at a time
  const r = new RespReader();
  const got: RespValue[] = [];
  for (const b of wire) got.push(...r.push(Buffer.from([b])));
  assert.deepEqual(got, expected);
});

it('refuses a byte that starts no reply', () => {
  assert.throws(() => new RespReader().push(Buffer.from('?x\r\n')), RespError);
});

it('reads a large reply of many chunks (a flush page) as sent, and replies that follow it', () => {
  const fields = Array.from({ length: 2000 }, (_, i) => Buffer.alloc(40 + (i % 200), i % 251));
  const bulk = (b: Buffer): Buffer => Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
  const page = Buffer.concat([Buffer.from(`*2\r\n$1\r\n0\r\n*${fields.length}\r\n`), ...fields.map(bulk), Buffer.from(':7\r\n*0\r\n')]);
  for (const size of [1000, 4096, 65_536, 7]) {
    const r = new RespReader();
    const got: RespValue[] = [];
    for (let at = 0; at < page.length; at += size) got.push(...r.push(page.subarray(at, at + size)));
    assert.deepEqual(got, [[Buffer.from('0'), fields], 7, []], `chunks of ${size}`);
  }
});

it('forgets a half-read reply on reset', () => {
  const r = new RespReader();
  assert.deepEqual(r.push(Buffer.from('*2\r\n$5\r\nab')), []);
  r.reset();
  assert.deepEqual(r.push(Buffer.from(':1\r\n')), [1]);
});
