/**
 * The HTTP layer under hostile or broken clients, against the real cluster: connection_timeout
 * on slow and idle sockets, what Node's parser refuses (answered in bencode, as Ocelot does),
 * pipelining after Connection: close, HEAD, and failed logins (counted and logged).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { makeInfoHash } from '@oncilla/testkit';
import { REPORT_PASSWORD, type TrackerProcess } from '@oncilla/tracker/launcher';
import { decode, get, query, text } from './support/client.js';
import { closedWithin, exchange, parseReplies } from './support/raw-http.js';
import { startStack, type Stack } from './support/stack.js';
import { waitUntil } from './support/wait.js';

const pk = (c: string): string => c.repeat(32);
const IH = makeInfoHash(1);
const IH_HEAD = makeInfoHash(2);
const CONNECTION_TIMEOUT_S = 2;
/** connection_timeout plus the ~1 s the brief allows, plus scheduling slack on a busy machine. */
const CLOSE_DEADLINE_MS = CONNECTION_TIMEOUT_S * 1000 + 1500;

describe('HTTP faults', () => {
  let stack: Stack;
  let tracker: TrackerProcess;

  before(async () => {
    stack = await startStack({
      redisServer: { appendonly: false },
      users: [{ id: 1, passkey: pk('a') }, { id: 2, passkey: pk('b') }],
      torrents: [{ id: 1, infoHash: IH }, { id: 2, infoHash: IH_HEAD }],
      trackers: [{ workers: 2, conf: { connection_timeout: CONNECTION_TIMEOUT_S } }],
    });
    [tracker] = stack.trackers;
  });

  after(() => stack?.stop());

  const connect = (host = '127.0.0.1'): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host, port: tracker.port }, () => resolve(s));
      s.once('error', reject);
    });

  /** Exactly one HTTP 200 with a bencoded failure and Connection: close, then the close. */
  const assertFailureReply = (data: Buffer, reason: string, what: string): void => {
    const replies = parseReplies(data);
    assert.equal(replies.length, 1, `${what}: one reply`);
    const [r] = replies;
    assert.equal(r.status, 200, what);
    assert.equal(r.headers.connection?.toLowerCase(), 'close', what);
    assert.equal(r.headers['content-type'], 'text/plain', what);
    assert.equal(text(decode(r.body)['failure reason']), reason, what);
  };

  it('closes a slowloris socket within connection_timeout', async () => {
    const s = await connect();
    s.write(`GET /${pk('a')}/announce?info_hash=`);
    // a header byte now and then: data must not keep the connection alive
    const drip = setInterval(() => s.writable && s.write('x'), 300);
    try {
      const ms = await closedWithin(s, CLOSE_DEADLINE_MS);
      assert.ok(ms >= CONNECTION_TIMEOUT_S * 1000 - 100, `not before connection_timeout (${ms} ms)`);
    } finally {
      clearInterval(drip);
    }
  });

  it('closes an idle connected socket within connection_timeout', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const s = await connect(host);
      const got: Buffer[] = [];
      s.on('data', (c: Buffer) => got.push(c));
      await closedWithin(s, CLOSE_DEADLINE_MS);
      assert.equal(Buffer.concat(got).length, 0, `${host}: closed without a reply, as Ocelot's timer does`);
    }
  });

  it('answers what the HTTP parser refuses with a bencoded failure (HTTP 200), then closes', async () => {
    const announce = `/${pk('a')}/announce?${query({ info_hash: IH, peer_id: '-TS0001-000000000001', port: 1 })}`;
    const cases: Array<[string, Buffer, string]> = [
      ['a URL over 16 KiB', Buffer.from(`GET ${announce}&x=${'y'.repeat(17 * 1024)} HTTP/1.1\r\n\r\n`), 'GET string too long'],
      ['a header over 16 KiB', Buffer.from(`GET ${announce} HTTP/1.1\r\nX-Big: ${'y'.repeat(17 * 1024)}\r\n\r\n`), 'GET string too long'],
      // (Node counts the names' and values' bytes against its 16 KiB limit)
      ['too many headers', Buffer.from(`GET ${announce} HTTP/1.1\r\n${Array.from({ length: 1500 }, (_, i) => `X-Header-${i}: vvvvvvvvvv\r\n`).join('')}\r\n`), 'GET string too long'],
      ['a NUL in the URL', Buffer.from(`GET /${pk('a')}/announce?a=\0 HTTP/1.1\r\n\r\n`, 'latin1'), 'Malformed HTTP request'],
      ['a raw 0xff in the URL', Buffer.from(`GET /${pk('a')}/announce?a=\xff HTTP/1.1\r\n\r\n`, 'latin1'), 'Malformed HTTP request'],
      ['a raw 0x80 in the URL', Buffer.from(`GET /${pk('a')}/announce?a=\x80 HTTP/1.1\r\n\r\n`, 'latin1'), 'Malformed HTTP request'],
      ['a lowercase method', Buffer.from(`get ${announce} HTTP/1.1\r\n\r\n`), 'Malformed HTTP request'],
      ['an unknown method', Buffer.from(`FETCH ${announce} HTTP/1.1\r\n\r\n`), 'Malformed HTTP request'],
      ['a header without a colon', Buffer.from(`GET ${announce} HTTP/1.1\r\nHost\r\n\r\n`), 'Malformed HTTP request'],
      ['a space before the colon', Buffer.from(`GET ${announce} HTTP/1.1\r\nHost : x\r\n\r\n`), 'Malformed HTTP request'],
      ['an unknown HTTP version', Buffer.from(`GET ${announce} HTTP/7.1\r\n\r\n`), 'Malformed HTTP request'],
      ['bare LF line ends', Buffer.from(`GET ${announce} HTTP/1.1\nHost: x\n\n`), 'Malformed HTTP request'],
      ['two Content-Lengths', Buffer.from(`GET ${announce} HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`), 'Malformed HTTP request'],
    ];
    // the first address is Fastify's own server, the second an extra server of the same worker
    for (const host of ['127.0.0.1', '::1']) {
      for (const [what, bytes, reason] of cases) {
        const o = await exchange(tracker.port, bytes, { host, deadlineMs: 5000 });
        assert.equal(o.timedOut, false, `${what} (${host}): the server closes`);
        assertFailureReply(o.data, reason, `${what} (${host})`);
      }
    }
  });

  it('keeps the reply to a request intact when a broken one is pipelined after it', async () => {
    const scrape = `/${pk('a')}/scrape?${query({ info_hash: IH })}`;
    const expected = (await get(tracker.url(scrape))).body;
    assert.ok(decode(expected).files, 'a real scrape reply');
    const packets: Array<[string, string]> = [
      ['after Connection: close', `GET ${scrape} HTTP/1.1\r\nConnection: close\r\n\r\nGET ${scrape} HTTP/1.1\r\n\r\n`],
      ['after a keep-alive request', `GET ${scrape} HTTP/1.1\r\nConnection: keep-alive\r\n\r\nFOO / HTTP/1.1\r\n\r\n`],
    ];
    for (const [what, packet] of packets) {
      // one write: both requests arrive in one packet, as a pipelining client sends them
      const o = await exchange(tracker.port, Buffer.from(packet), { deadlineMs: 5000 });
      assert.equal(o.timedOut, false, `${what}: the connection closes after the reply`);
      const replies = parseReplies(o.data);
      assert.equal(replies[0].status, 200, what);
      assert.deepEqual(replies[0].body, expected, `${what}: the first reply is the scrape, byte for byte`);
      // after Connection: close nothing more; a broken request read after the first was
      // answered gets the parser's failure (one read before it: no answer, as Node does)
      const rest = replies.slice(1).map((r) => text(decode(r.body)['failure reason']));
      if (what.includes('close')) assert.deepEqual(rest, [], `${what}: only the first request is answered`);
      else assert.ok(rest.length === 0 || (rest.length === 1 && rest[0] === 'Malformed HTTP request'), `${what}: ${JSON.stringify(rest)}`);
    }
  });

  it('answers a request with Expect: at once, without an interim 100 or a 417 (found by the fuzz test)', async () => {
    const scrape = `/${pk('a')}/scrape?${query({ info_hash: IH })}`;
    for (const expect of ['100-continue', 'something-else']) {
      const o = await exchange(tracker.port, Buffer.from(`GET ${scrape} HTTP/1.1\r\nExpect: ${expect}\r\nConnection: close\r\n\r\n`), { deadlineMs: 5000 });
      const replies = parseReplies(o.data);
      assert.deepEqual(replies.map((r) => r.status), [200], `Expect: ${expect}: one reply, the scrape`);
      assert.ok(decode(replies[0].body).files, `Expect: ${expect}`);
    }
  });

  it('answers a body Fastify cannot parse as a malformed request, not as the tracker\'s trouble (found by the fuzz test)', async () => {
    const bodies = [
      'POST /x HTTP/1.1\r\nContent-Type: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab',
      'PUT /x HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1\r\nConnection: close\r\n\r\n{',
    ];
    for (const b of bodies) {
      const o = await exchange(tracker.port, Buffer.from(b), { deadlineMs: 5000 });
      assertFailureReply(o.data, 'Malformed HTTP request', b.slice(0, 40));
    }
    assert.ok(!tracker.logs.some((l) => l.msg === 'request failed'), 'no internal error is logged');
  });

  it('HEAD on a tracker route changes nothing (the announce never runs)', async () => {
    const ih = IH_HEAD;
    const head = `HEAD /${pk('a')}/announce?${query({ info_hash: ih, peer_id: '-TS0001-00000000HEAD', port: 6001, left: 100, uploaded: 0, downloaded: 0, event: 'started', compact: 1 })} HTTP/1.1\r\nConnection: close\r\n\r\n`;
    const o = await exchange(tracker.port, Buffer.from(head), { deadlineMs: 5000 });
    assert.match(o.data.toString('latin1'), /^HTTP\/1\.1 200 /, 'HEAD gets a status line');
    const r = await get(tracker.url(`/${pk('b')}/announce?${query({ info_hash: ih, peer_id: '-TS0001-000000000GET', port: 6002, left: 100, uploaded: 0, downloaded: 0, event: 'started', compact: 1 })}`));
    const d = decode(r.body);
    assert.equal(d['failure reason'], undefined);
    assert.deepEqual([d.complete, d.incomplete], [0, 1], 'only the GET announcer is in the swarm');
    assert.equal((await get(tracker.url('/health'))).status, 200);
    const probe = await exchange(tracker.port, Buffer.from('HEAD /ready HTTP/1.1\r\nConnection: close\r\n\r\n'), { deadlineMs: 5000 });
    assert.match(probe.data.toString('latin1'), /^HTTP\/1\.1 200 /, 'HEAD /ready answers like GET /ready');
  });

  it('counts failed logins on update, report and metrics, and logs them without the secret', async () => {
    // distinctive wrong secrets, so a leak into the log is found
    const wrongSite = 'WrongSiteSecret0123456789abcdefX';
    const wrongReport = 'WrongReportSecret0123456789abcdX';
    const wrongBearer = 'WrongBearerSecret-not-the-report-password';
    assert.equal(wrongSite.length, 32);
    assert.equal(wrongReport.length, 32);
    for (let i = 0; i < 3; i++) {
      const r = await get(tracker.url(`/${wrongSite}/update?action=add_user&passkey=${pk('z')}&id=99`));
      assert.equal(text(decode(r.body)['failure reason']), 'Authentication failure');
    }
    for (let i = 0; i < 2; i++) await get(tracker.url(`/${wrongReport}/report?get=stats`));
    assert.equal((await get(tracker.url('/metrics'), { headers: { authorization: `Bearer ${wrongBearer}` } })).status, 401);
    const metrics = async (): Promise<string> =>
      (await get(tracker.url('/metrics'), { headers: { authorization: `Bearer ${REPORT_PASSWORD}` } })).body.toString();
    const sample = (m: string, route: string): number => Number(new RegExp(`^oncilla_auth_failures_total\\{route="${route}"\\} (\\d+)$`, 'm').exec(m)?.[1] ?? NaN);
    // the primary sums every worker's counters once a second
    await waitUntil('the auth failures to reach /metrics', async () => {
      const m = await metrics();
      return sample(m, 'update') === 3 && sample(m, 'report') === 2 && sample(m, 'metrics') === 1;
    });
    const authLines = (route: string) => tracker.logs.filter((l) => l.msg.startsWith(`authentication failure on /${route} `));
    await tracker.waitFor((l) => l.msg.startsWith('authentication failure on /report '));
    await tracker.waitFor((l) => l.msg.startsWith('authentication failure on /metrics '));
    const update = await tracker.waitFor((l) => l.msg.startsWith('authentication failure on /update '));
    assert.equal(update.address, '127.0.0.1');
    assert.equal(update.level, 40, 'a warning');
    assert.ok(authLines('update').length <= 2, 'at most one line per route per worker in 10 s (2 workers)');
    const logged = JSON.stringify(tracker.logs) + tracker.stderr.join('');
    for (const secret of [wrongSite, wrongReport, wrongBearer]) assert.ok(!logged.includes(secret), 'the secret tried is never logged');
  });
});
