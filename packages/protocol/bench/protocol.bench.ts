// Micro-benchmark of the two per-announce hot paths: parsing the query string
// and encoding the compact reply (cf. aquatic's http_protocol benches).
//
//   node --conditions=development --import tsx packages/protocol/bench/protocol.bench.ts

import bencode from 'bencode';
import { compactEndpoint, encodeAnnounce, okResponseHead, parseAnnounce, parseAnnounceQuery, parsePlainGet, parseQuery } from '../src/index.js';

const WARMUP = 50_000;
const ITERATIONS = 200_000;
const ROUNDS = 5;

/** Deterministic bytes (xorshift32) so every run measures the same inputs. */
function pseudoRandomBytes(length: number, seed: number): Buffer {
  let x = seed | 0 || 1;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Escapes like real clients: unreserved characters literal, the rest %XX. */
function escapeBytes(bytes: Buffer, upper: boolean): string {
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    if (UNRESERVED.test(ch)) out += ch;
    else {
      const hex = byte.toString(16).padStart(2, '0');
      out += '%' + (upper ? hex.toUpperCase() : hex);
    }
  }
  return out;
}

// 64 distinct announces, so the parser cannot specialise on one string.
const queries: string[] = [];
for (let i = 0; i < 64; i++) {
  const infoHash = escapeBytes(pseudoRandomBytes(20, 1000 + i), i % 2 === 0);
  const peerId = escapeBytes(Buffer.concat([Buffer.from('-qB4650-'), pseudoRandomBytes(12, 5000 + i)]), i % 2 === 1);
  queries.push(
    `info_hash=${infoHash}&peer_id=${peerId}&port=${6881 + i}&uploaded=${i * 1048576}` +
      `&downloaded=${i * 524288}&left=${(64 - i) * 16384}&corrupt=0&key=${(0x1a2b3c00 + i).toString(16).toUpperCase()}` +
      `&event=${i % 8 === 0 ? 'started' : ''}&numwant=50&compact=1&no_peer_id=1&supportcrypto=1&redundant=0`,
  );
}

const peers = Buffer.concat(
  Array.from({ length: 50 }, (_, i) => compactEndpoint(pseudoRandomBytes(4, 9000 + i), 6881 + i)),
);
const reply = {
  complete: 30,
  downloaded: 1234,
  incomplete: 20,
  interval: 1830,
  minInterval: 1800,
  externalIp: Buffer.from([8, 8, 4, 4]),
  peers,
};

let sink = 0;

function benchParseQuery(n: number): void {
  for (let i = 0; i < n; i++) {
    const q = parseQuery(queries[i & 63]);
    sink += (q.info_hash as string).length;
  }
}

/** What an announce needed before parseAnnounceQuery: the dictionary, then its fourteen lookups. */
function benchQueryThenAnnounce(n: number): void {
  for (let i = 0; i < n; i++) sink += parseAnnounce(parseQuery(queries[i & 63]), { userAgent: 'qBittorrent/4.6.0' }).port;
}

function benchAnnounceQuery(n: number): void {
  for (let i = 0; i < n; i++) sink += parseAnnounceQuery(queries[i & 63], { userAgent: 'qBittorrent/4.6.0' }).port;
}

function benchEncodeAnnounce(n: number): void {
  for (let i = 0; i < n; i++) {
    reply.complete = i & 1023;
    sink += encodeAnnounce(reply).length;
  }
}

/** The same reply through the `bencode` package (the alternative the issue asks us to weigh). */
function benchBencodePackage(n: number): void {
  for (let i = 0; i < n; i++) {
    sink += bencode.encode({
      complete: i & 1023, downloaded: reply.downloaded, 'external ip': reply.externalIp, incomplete: reply.incomplete,
      interval: reply.interval, 'min interval': reply.minInterval, peers: reply.peers,
    }).length;
  }
}

// The request heads real clients send (qBittorrent's headers), one per announce query.
const heads = queries.map((q) => `GET /abcdefghijklmnopqrstuvwxyz012345/announce?${q} HTTP/1.1\r\nHost: tracker.example:34000\r\nUser-Agent: qBittorrent/4.6.0\r\nAccept-Encoding: gzip\r\nConnection: close`);

function benchParsePlainGet(n: number): void {
  for (let i = 0; i < n; i++) sink += parsePlainGet(heads[i & 63])?.target.length ?? 0;
}

function benchResponseHead(n: number): void {
  for (let i = 0; i < n; i++) sink += okResponseHead(300 + (i & 63), 'Wed, 02 Dec 2026 21:00:00 GMT', { keepAliveSeconds: 60 }).length;
}

function measure(name: string, run: (n: number) => void): void {
  run(WARMUP);
  const perOp: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    run(ITERATIONS);
    perOp.push(Number(process.hrtime.bigint() - start) / ITERATIONS);
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[Math.floor(ROUNDS / 2)];
  console.log(
    `${name.padEnd(40)} ${median.toFixed(0).padStart(6)} ns/op  (median of ${ROUNDS} × ${ITERATIONS}; min ${perOp[0].toFixed(0)}, max ${perOp[ROUNDS - 1].toFixed(0)})`,
  );
}

console.log(`node ${process.version}, ${queries[0].length}-char announce query, reply ${encodeAnnounce(reply).length} bytes`);
measure('parseQuery (announce, 14 params)', benchParseQuery);
measure('parseAnnounce(parseQuery(...))', benchQueryThenAnnounce);
measure('parseAnnounceQuery (the same result)', benchAnnounceQuery);
measure('encodeAnnounce (50 compact peers)', benchEncodeAnnounce);
measure('bencode.encode, same reply (the package)', benchBencodePackage);
measure('parsePlainGet (request head, 4 headers)', benchParsePlainGet);
measure('okResponseHead', benchResponseHead);
if (sink === 0) console.log('unreachable');
