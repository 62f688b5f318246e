import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { couldBePlainGet, MAX_HEAD_BYTES, okResponseHead, parsePlainGet } from '../src/index.js';

const T = '/abcdefghijklmnopqrstuvwxyz012345/announce?info_hash=%12%34&port=1';

describe('parsePlainGet', () => {
  it('reads the target, Connection, X-Forwarded-For and User-Agent', () => {
    const head = `GET ${T} HTTP/1.1\r\nHost: t\r\nUser-Agent: \xc3\xa9 one\r\nuser-agent: two\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for:2.2.2.2 \r\nConnection: Keep-Alive, Close`;
    assert.deepEqual(parsePlainGet(head), { target: T, close: true, xForwardedFor: '1.1.1.1, 2.2.2.2', userAgent: '\xc3\xa9 one' });
  });

  it('takes a request line alone', () => {
    assert.deepEqual(parsePlainGet(`GET ${T} HTTP/1.1`), { target: T, close: false, xForwardedFor: undefined, userAgent: undefined });
  });

  it('keeps the connection unless close is one of its tokens', () => {
    for (const v of ['keep-alive', 'closed', 'x-close', '']) assert.equal(parsePlainGet(`GET / HTTP/1.1\r\nConnection: ${v}`)?.close, false, v);
    for (const v of ['close', 'CLOSE', ' close ', 'te, close', 'close,te']) assert.equal(parsePlainGet(`GET / HTTP/1.1\r\nConnection: ${v}`)?.close, true, v);
  });

  it('leaves everything else to Node', () => {
    const refused = [
      `HEAD ${T} HTTP/1.1`, `get ${T} HTTP/1.1`, `GET ${T} HTTP/1.0`, `GET ${T} HTTP/2.0`, `GET  ${T} HTTP/1.1`,
      `GET http://host${T} HTTP/1.1`, `GET * HTTP/1.1`, `GET /a\x00b HTTP/1.1`, `GET /a\x80 HTTP/1.1`, `GET /a b HTTP/1.1`,
      `\r\nGET ${T} HTTP/1.1`,
      `GET / HTTP/1.1\r\nHost : x`, `GET / HTTP/1.1\r\nHost`, `GET / HTTP/1.1\r\n: x`, `GET / HTTP/1.1\r\nHo(st: x`,
      `GET / HTTP/1.1\r\nX: a\x01b`, `GET / HTTP/1.1\r\nX: a\nb`, `GET / HTTP/1.1\r\nX: a\rb`, `GET / HTTP/1.1\r\nX: \x7f`,
      `GET / HTTP/1.1\r\n obs-fold: x`, `GET / HTTP/1.1\r\n\r\nX: y`,
      `GET / HTTP/1.1\r\nContent-Length: 0`, `GET / HTTP/1.1\r\nTransfer-Encoding: chunked`, `GET / HTTP/1.1\r\nExpect: 100-continue`,
      `GET / HTTP/1.1\r\nUpgrade: h2c`, `GET / HTTP/1.1\r\nConnection: Upgrade`,
      `GET /${'a'.repeat(MAX_HEAD_BYTES)} HTTP/1.1`,
    ];
    for (const head of refused) assert.equal(parsePlainGet(head), undefined, JSON.stringify(head));
  });

  it('allows tabs and obs-text in values, as Node does', () => {
    assert.equal(parsePlainGet('GET / HTTP/1.1\r\nUser-Agent:\tA\tB\xff\t')?.userAgent, 'A\tB\xff');
  });
});

describe('couldBePlainGet', () => {
  it('waits for any start of a plain GET', () => {
    for (const p of ['', 'G', 'GET', 'GET /', `GET ${T}`, `GET ${T} HTTP/1.1\r`, `GET ${T} HTTP/1.1\r\nHost: x\r\nUser-Ag`]) assert.equal(couldBePlainGet(p), true, JSON.stringify(p));
  });

  it('gives up as soon as it cannot be one', () => {
    for (const p of ['P', 'GEt', 'GET *', `GET ${T} HTTP/1.0\r\n`, `GET ${T}\nHost`, `GET ${T} HTTP/1.1\r\nExpect: x\r\n`, `GET ${T} HTTP/1.1\r\nA\rB`, `GET /${'a'.repeat(MAX_HEAD_BYTES)}`]) {
      assert.equal(couldBePlainGet(p), false, JSON.stringify(p));
    }
  });
});

describe('okResponseHead', () => {
  it("writes the head Node's server writes", () => {
    assert.equal(okResponseHead(12, 'D', { keepAliveSeconds: 60 }), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 12\r\nDate: D\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n');
    assert.equal(okResponseHead(3, 'D', 'tracker-closes'), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: close\r\nDate: D\r\n\r\n');
    assert.equal(okResponseHead(3, 'D', 'client-closes'), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nDate: D\r\nConnection: close\r\n\r\n');
  });
});
