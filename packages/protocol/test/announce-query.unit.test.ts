// parseAnnounceQuery must read every query exactly as parseAnnounce(parseQuery(...)) does: the
// general parser is the oracle, on generated queries (known, unknown, repeated, empty, escaped
// and broken keys and values) and on real clients' announces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnnounce, parseAnnounceQuery, parseQuery } from '../src/index.js';

/** xorshift32: the same cases on every run, a seed from the environment to try others. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const KEYS = ['info_hash', 'peer_id', 'port', 'uploaded', 'downloaded', 'left', 'corrupt', 'event', 'numwant', 'compact', 'no_peer_id', 'ip', 'ipv4', 'ipv6'];
// near misses, escaped spellings of real keys, and keys no announce reads
const OTHER_KEYS = ['key', 'supportcrypto', 'info_has', 'info_hashx', 'Port', 'ipv5', 'peer%5Fid', 'info%5fhash', '%70ort', 'lef%74', 'ev%ent', '%', '%zz', 'ip%', ''];
const VALUES = ['', '0', '1', '-1', '6881', '65536', '18446744073709551616', '12abc', 'started', 'completed', 'stopped', 'Started', '%41%42', '%4', '%zz', '%', '%%41', '1.2.3.4', '::1', '%ff%00%7F', 'a+b', '\u00e9', '\u0100x'];

const oracle = (raw: string, ua?: string) => parseAnnounce(parseQuery(raw), { userAgent: ua });

function generated(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const pairs: string[] = [];
  const n = Math.floor(r() * 18);
  for (let i = 0; i < n; i++) {
    const key = r() < 0.7 ? pick(KEYS) : pick(OTHER_KEYS);
    const form = r();
    if (form < 0.08) pairs.push(key); // no '='
    else if (form < 0.12) pairs.push(''); // an empty pair
    else if (form < 0.16) pairs.push(`${key}=${pick(VALUES)}=${pick(VALUES)}`); // a second '='
    else pairs.push(`${key}=${pick(VALUES)}`);
  }
  return pairs.join('&');
}

test('reads every generated query as parseAnnounce(parseQuery(...)) does', () => {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261208;
  const r = random(seed);
  for (let i = 0; i < 20_000; i++) {
    const raw = generated(r);
    assert.deepEqual(parseAnnounceQuery(raw, { userAgent: 'ua' }), oracle(raw, 'ua'), `seed ${seed}, case ${i}: ${JSON.stringify(raw)}`);
  }
});

test('reads real clients\' announces, escaped bytes and repeated parameters alike', () => {
  const cases = [
    'info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A&peer_id=-qB4650-%2A%21%28%29abcdefgh&port=6881&uploaded=0&downloaded=0&left=1048576&corrupt=0&key=1A2B3C4D&event=started&numwant=200&compact=1&no_peer_id=1&supportcrypto=1&redundant=0',
    'info_hash=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00&peer_id=-lt20A0-%ff%ff%ff%ff%ff%ff%ff%ff%ff%ff%ff%ff&port=1&uploaded=5&downloaded=5&left=0&event=completed&ipv6=2001%3Adb8%3A%3A1&ipv4=10.0.0.1',
    'port=1&port=2&left=5&left=&info_hash=a&info_hash=b',
    'ip=1.2.3.4&ip&compact=0&event=stopped&numwant=-5',
    '',
    '&&&',
    'peer%5Fid=-XX0000-000000000000&info_hash=x',
  ];
  for (const raw of cases) assert.deepEqual(parseAnnounceQuery(raw, {}), oracle(raw), JSON.stringify(raw));
  // the last occurrence wins, as in Ocelot's map
  assert.equal(parseAnnounceQuery('port=1&port=2', {}).port, 2);
  // an escaped key is still the parameter it decodes to
  assert.equal(parseAnnounceQuery('peer%5Fid=-XX0000-000000000000', {}).peerId?.toString('latin1'), '-XX0000-000000000000');
});
