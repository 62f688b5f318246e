/**
 * The front door against Node's own server, byte for byte: the same generated requests (whole,
 * in pieces, pipelined, half-closed, broken) go to a Node HTTP server and to a front door in
 * front of an identical one, and the two must answer alike. Requests the front door reads
 * itself are answered by a stand-in for the announce path that echoes what it was told.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { seededRandom } from '@oncilla/testkit';
import { createFrontDoor, type FrontDoor } from '../src/http/front-door.js';
import { handleClientError, ignoreExpect, trackResponses } from '../src/http/client-errors.js';
import { serverOptions } from '../src/http/timeouts.js';
import { closedWithin, exchange, parseReplies } from './support/raw-http.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const CASES = 400;
const TIMEOUTS = { connectionTimeout: 2, keepaliveTimeout: 5 };

const echo = (url: string, xff: string | undefined, ua: string | undefined): Buffer => Buffer.from(`${url}|${xff ?? '-'}|${ua ?? '-'}`, 'latin1');
const fast = (url: string): boolean => url.startsWith('/fast/');

/** Node's server as the tracker builds it; fast requests answered after a turn of the loop, as the store's would be. */
function nodeServer(): http.Server {
  const server = http.createServer(serverOptions(TIMEOUTS), trackResponses((req, res) => {
    const url = req.url ?? '';
    const h = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
    const body = echo(url, h(req.headers['x-forwarded-for']), h(req.headers['user-agent']));
    const send = (): void => void res.writeHead(200, ['content-type', 'text/plain', 'content-length', String(body.length)]).end(body);
    if (req.method === 'GET' && fast(url)) setImmediate(send);
    else send();
  }));
  server.on('clientError', handleClientError);
  ignoreExpect(server);
  return server;
}

const listen = (s: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }): Promise<number> =>
  new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

interface Case { what: string; chunks: Buffer[] }

function generate(seed: number, i: number): Case {
  const r = seededRandom(seed + i * 7919);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const requests: string[] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    const method = pick(['GET', 'GET', 'GET', 'GET', 'HEAD', 'FOO', 'get']);
    const target = pick(['/fast/a?info_hash=%12%34&port=1', '/fast/b', '/other?x=1', '/fast/%ff', '/fast/\x80', '*', 'http://h/fast/x']);
    const version = pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0']);
    const headers: string[] = [];
    const m = Math.floor(r() * 5);
    for (let j = 0; j < m; j++) {
      headers.push(pick([
        'Host: tracker', 'User-Agent: qBittorrent/4.6.0', 'User-Agent: \xc3\xa9t\xe9', 'X-Forwarded-For: 1.2.3.4', 'x-forwarded-for:  5.6.7.8 ',
        'Connection: close', 'Connection: keep-alive', 'Connection: Upgrade', 'Expect: 100-continue', 'Content-Length: 0',
        'Accept-Encoding: gzip', 'Bad Header: x', 'NoColon', 'X-Tab:\tv\t', 'X-Ctl: a\x01b',
      ]));
    }
    const eol = r() < 0.05 ? '\n' : '\r\n';
    requests.push(`${method} ${target} ${version}${eol}${headers.map((h) => h + eol).join('')}${eol}`);
  }
  let bytes = Buffer.from(requests.join(''), 'latin1');
  if (r() < 0.1) bytes = bytes.subarray(0, Math.floor(r() * bytes.length)); // a request cut short
  // The last request closes, so both servers end the exchange themselves. (Not a half-close:
  // when Node reads a FIN while a reply is pending it drops the reply, so its answer to a
  // half-closed connection depends on timing.)
  bytes = Buffer.concat([bytes, Buffer.from('GET /other?last HTTP/1.1\r\nConnection: close\r\n\r\n')]);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const len = r() < 0.5 ? bytes.length : 1 + Math.floor(r() * 20);
    chunks.push(bytes.subarray(at, at + len));
    at += len;
  }
  return { what: `${JSON.stringify(bytes.toString('latin1'))} in writes of ${chunks.map((c) => c.length).join('+')}`, chunks };
}

const normalise = (b: Buffer): string => b.toString('latin1').replace(/Date: [^\r]*\r\n/g, 'Date: D\r\n');

for (const direct of [true, false]) {
const transport = direct ? 'handle' : 'socket';

describe(`front door on ${transport}s against Node's server (seed ${SEED})`, () => {
  let plain: http.Server;
  let behind: http.Server;
  let door: FrontDoor;
  let plainPort: number;
  let doorPort: number;

  before(async () => {
    plain = nodeServer();
    behind = nodeServer();
    door = createFrontDoor({
      direct,
      http: behind,
      timeouts: () => TIMEOUTS,
      answer: (q) => (fast(q.url) ? new Promise((resolve) => setImmediate(() => resolve(echo(q.url, q.xForwardedFor, q.userAgent)))) : undefined),
    });
    [plainPort, doorPort] = await Promise.all([listen(plain), listen(door.server)]);
  });

  after(async () => {
    plain.closeAllConnections();
    await Promise.all([new Promise((r) => plain.close(r)), door.close()]);
  });

  it(`reads its connections on ${transport}s`, () => {
    assert.equal(door.transport, transport);
    assert.equal(door.fallback, undefined);
  });

  it('answers every request as Node does', async () => {
    const bad: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const c = generate(SEED, i);
      const [a, b] = await Promise.all([plainPort, doorPort].map((port) => exchange(port, c.chunks, { deadlineMs: 8000 })));
      if (a.timedOut || b.timedOut) bad.push(`case ${i}: timed out (node ${a.timedOut}, door ${b.timedOut}) ${c.what}`);
      const x = normalise(a.data);
      const y = normalise(b.data);
      if (x === y) continue;
      // One difference is allowed: a broken request pipelined behind a fast one. Node parsed it
      // while the first reply was pending and closes without a word; the front door reads it
      // after that reply and hands it to Node, which answers it with its failure.
      const extra = y.startsWith(x) ? parseReplies(Buffer.from(y.slice(x.length), 'latin1')) : [];
      if (extra.length === 1 && /failure reason/.test(extra[0].body.toString('latin1'))) continue;
      bad.push(`case ${i} (FUZZ_SEED=${SEED}): ${c.what}\n  node: ${JSON.stringify(x)}\n  door: ${JSON.stringify(y)}`);
    }
    assert.deepEqual(bad, []);
  });

  it('closes a connection that sends nothing within connection_timeout, without a reply', async () => {
    const o = await exchange(doorPort, [], { deadlineMs: 5000 });
    assert.equal(o.timedOut, false);
    assert.equal(o.data.length, 0);
    assert.ok(o.ms >= TIMEOUTS.connectionTimeout * 1000 - 100, `${o.ms} ms`);
  });

  it('answers fast requests before a FIN that follows them', async () => {
    const o = await exchange(doorPort, Buffer.from('GET /fast/1 HTTP/1.1\r\n\r\nGET /fast/2 HTTP/1.1\r\n\r\n'), { endAfterWrite: true, deadlineMs: 5000 });
    assert.equal(o.timedOut, false, 'the server closes after the replies');
    assert.deepEqual(parseReplies(o.data).map((r) => r.body.toString('latin1')), ['/fast/1|-|-', '/fast/2|-|-']);
  });

  it('hands a request followed by a FIN to Node, which answers it as it does itself', async () => {
    const req = Buffer.from('GET /other?x HTTP/1.1\r\n\r\n');
    const [a, b] = await Promise.all([plainPort, doorPort].map((port) => exchange(port, req, { endAfterWrite: true, deadlineMs: 5000 })));
    assert.equal(b.timedOut, false, 'the connection was closed');
    assert.equal(normalise(b.data), normalise(a.data));
    assert.match(normalise(b.data), /\/other\?x/);
  });

  it('counts its connections and their bytes, handed-off ones too', async () => {
    const before = door.counts();
    const fastReq = Buffer.from('GET /fast/count HTTP/1.1\r\nConnection: close\r\n\r\n');
    const otherReq = Buffer.from('GET /other?count HTTP/1.1\r\nConnection: close\r\n\r\n');
    const [f, n] = await Promise.all([exchange(doorPort, fastReq, { deadlineMs: 5000 }), exchange(doorPort, otherReq, { deadlineMs: 5000 })]);
    // both sides closed: the server's close has been seen once its counts settle
    let after = door.counts();
    for (let i = 0; i < 50 && after.open > before.open; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      after = door.counts();
    }
    assert.equal(after.opened - before.opened, 2);
    assert.equal(after.open, before.open);
    assert.equal(after.bytesRead - before.bytesRead, fastReq.length + otherReq.length);
    assert.equal(after.bytesWritten - before.bytesWritten, f.data.length + n.data.length);
  });

  it('answers pipelined fast requests in order on one connection', async () => {
    const reqs = Array.from({ length: 20 }, (_, i) => `GET /fast/${i} HTTP/1.1\r\n\r\n`).join('') + 'GET /fast/last HTTP/1.1\r\nConnection: close\r\n\r\n';
    const o = await exchange(doorPort, Buffer.from(reqs), { deadlineMs: 5000 });
    const bodies = parseReplies(o.data).map((r) => r.body.toString('latin1').split('|')[0]);
    assert.deepEqual(bodies, [...Array.from({ length: 20 }, (_, i) => `/fast/${i}`), '/fast/last']);
  });
});

describe(`front door on ${transport}s, closing after a reply`, () => {
  // 16 MiB: more than a loopback socket's send buffer takes at once, so the reply is still
  // being written when the close is due
  const BIG = Buffer.alloc(16 * 1024 * 1024, 0x61);
  let behind: http.Server;
  let door: FrontDoor;
  let port: number;
  let keepalive = 0;

  before(async () => {
    behind = http.createServer((_req, res) => res.end('node'));
    door = createFrontDoor({
      direct,
      http: behind,
      timeouts: () => ({ connectionTimeout: 2, keepaliveTimeout: keepalive }),
      answer: (q) => (q.url === '/big' ? BIG : q.url === '/small' ? Buffer.from('small') : undefined),
    });
    port = await listen(door.server);
  });
  after(() => door.close());

  it('keeps a connection after its reply for keepalive_timeout, then closes it', async () => {
    keepalive = 1;
    const o = await exchange(port, Buffer.from('GET /small HTTP/1.1\r\n\r\n'), { deadlineMs: 5000 });
    assert.equal(o.timedOut, false, 'the server closed the idle connection');
    assert.deepEqual(parseReplies(o.data).map((r) => r.body.toString('latin1')), ['small']);
    assert.ok(o.ms >= 1000 - 100, `closed after ${o.ms} ms, before keepalive_timeout`);
  });

  it('closes a connection whose request stops half-way after connection_timeout, without a reply', async () => {
    keepalive = 5;
    const o = await exchange(port, Buffer.from('GET /small HTTP/1.1\r\nHost: x'), { deadlineMs: 6000 });
    assert.equal(o.timedOut, false, 'the server closed the stalled connection');
    assert.equal(o.data.length, 0);
    assert.ok(o.ms >= 2000 - 100, `closed after ${o.ms} ms, before connection_timeout`);
  });

  it('times a kept connection\'s next request from its first byte (connection_timeout, not keepalive_timeout)', async () => {
    keepalive = 5;
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    const closed = closedWithin(s, 6000);
    s.write('GET /small HTTP/1.1\r\n\r\n');
    await new Promise<void>((resolve) => s.once('data', () => resolve()));
    const partAt = Date.now();
    s.write('GET /small HTTP/1.1\r\n');
    await closed;
    const ms = Date.now() - partAt;
    assert.ok(ms >= 2000 - 100 && ms < 4500, `closed ${ms} ms after the partial request`);
  });

  for (const [what, ka, header] of [['keepalive_timeout = 0', 0, ''], ['Connection: close', 5, 'Connection: close\r\n']] as const) {
    it(`sends a small reply whole, then the FIN (${what})`, async () => {
      keepalive = ka;
      const o = await exchange(port, Buffer.from(`GET /small HTTP/1.1\r\n${header}\r\n`), { deadlineMs: 5000 });
      assert.equal(o.timedOut, false, 'the server closed');
      assert.equal(o.error, undefined);
      assert.deepEqual(parseReplies(o.data).map((r) => r.body.toString('latin1')), ['small']);
    });

    it(`sends a reply bigger than the socket takes at once whole before closing (${what})`, async () => {
      keepalive = ka;
      const o = await exchange(port, Buffer.from(`GET /big HTTP/1.1\r\n${header}\r\n`), { deadlineMs: 10_000 });
      assert.equal(o.timedOut, false, 'the server closed');
      assert.equal(o.error, undefined);
      const [reply] = parseReplies(o.data);
      assert.equal(reply.body.length, BIG.length);
      assert.ok(reply.body.equals(BIG));
    });
  }

  it('closes connections beyond server.maxConnections (max_middlemen) at once', async () => {
    keepalive = 5;
    door.server.maxConnections = 2;
    try {
      const held = await Promise.all([0, 1].map(() => new Promise<net.Socket>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      })));
      // the door has seen both (a request answered on each)
      for (const s of held) {
        s.write('GET /small HTTP/1.1\r\n\r\n');
        await new Promise<void>((resolve) => s.once('data', () => resolve()));
      }
      const o = await exchange(port, Buffer.from('GET /small HTTP/1.1\r\n\r\n'), { deadlineMs: 3000 });
      assert.equal(o.timedOut, false, 'the third connection was closed');
      assert.equal(o.data.length, 0);
      for (const s of held) s.destroy();
    } finally {
      door.server.maxConnections = 0;
    }
  });

  it('waits in close() for a reply still being computed', async () => {
    let release: (b: Buffer) => void = () => undefined;
    const slowBehind = http.createServer((_req, res) => res.end('node'));
    const slow = createFrontDoor({
      direct,
      http: slowBehind,
      timeouts: () => ({ connectionTimeout: 2, keepaliveTimeout: 5 }),
      answer: () => new Promise<Buffer>((resolve) => { release = resolve; }),
    });
    const slowPort = await listen(slow.server);
    const reply = exchange(slowPort, Buffer.from('GET /slow HTTP/1.1\r\n\r\n'), { deadlineMs: 5000 });
    while (slow.counts().open === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    // (the request is read once the answer is asked for)
    for (let i = 0; i < 100; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    let closed = false;
    const closing = slow.close().then(() => { closed = true; });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(closed, false, 'close() waited for the busy connection');
    release(Buffer.from('late'));
    await closing;
    const o = await reply;
    assert.deepEqual(parseReplies(o.data).map((r) => r.body.toString('latin1')), ['late']);
  });
});
}
