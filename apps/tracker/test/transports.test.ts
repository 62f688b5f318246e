/**
 * The real cluster reads client connections the same whichever way they arrive: on libuv's
 * handles (the default) with workers accepting their own connections, on handles fed by Node's
 * round robin (NODE_CLUSTER_SCHED_POLICY=rr), and through net.Socket (direct_sockets = 0).
 * Announces over new and kept connections, the site's requests (handed to Fastify) and the
 * report's connection counts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { makeInfoHash } from '@oncilla/testkit';
import { REPORT_PASSWORD, SITE_PASSWORD, type TrackerProcess } from '@oncilla/tracker/launcher';
import { decode, query } from './support/client.js';
import { siteRequest } from './support/site-client.js';
import { startStack, type Stack } from './support/stack.js';
import { waitUntil } from './support/wait.js';

const PASSKEY = 'p'.repeat(32);
const IH = makeInfoHash(7);

const VARIANTS = [
  { name: 'handles, workers accepting', transport: 'handle', env: {}, conf: {} },
  { name: "handles, Node's round robin", transport: 'handle', env: { NODE_CLUSTER_SCHED_POLICY: 'rr' }, conf: {} },
  { name: 'net.Socket (direct_sockets = 0)', transport: 'socket', env: {}, conf: { direct_sockets: 0 } },
] as const;

/** One GET on `agent`; whether it went over a kept connection. */
function announce(port: number, agent: http.Agent, peer: number): Promise<{ body: Buffer; reused: boolean }> {
  const q = query({ info_hash: IH, peer_id: Buffer.from(`-TS0001-${String(peer).padStart(12, '0')}`), port: 6881, uploaded: 0, downloaded: 0, left: 10, compact: 1 });
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/${PASSKEY}/announce?${q}`, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ body: Buffer.concat(chunks), reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

describe('client connections, however they are read', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      users: [{ id: 1, passkey: PASSKEY }],
      torrents: [{ id: 1, infoHash: IH }],
      trackers: VARIANTS.map((v) => ({ workers: 2, env: { ...v.env }, conf: { keepalive_timeout: 30, ...v.conf } })),
    });
  });

  after(() => stack?.stop());

  VARIANTS.forEach((v, i) => {
    describe(v.name, () => {
      let tracker: TrackerProcess;
      before(() => {
        tracker = stack.trackers[i];
      });

      it('answers announces over new and kept connections', async () => {
        const fresh = new http.Agent({ keepAlive: false });
        for (let peer = 1; peer <= 4; peer++) {
          const r = await announce(tracker.port, fresh, 100 * i + peer);
          assert.equal(typeof decode(r.body).interval, 'number', r.body.toString('latin1'));
        }
        const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const first = await announce(tracker.port, kept, 100 * i + 10);
        const second = await announce(tracker.port, kept, 100 * i + 11);
        kept.destroy();
        assert.equal(typeof decode(first.body).interval, 'number');
        assert.equal(typeof decode(second.body).interval, 'number');
        assert.equal(second.reused, true, 'the second announce went over the kept connection');
      });

      it("hands the site's requests to Fastify, and counts every connection", async () => {
        const u = await siteRequest(tracker.port, `/${SITE_PASSWORD}/update?action=update_announce_interval&new_announce_interval=1800`);
        assert.equal(u.last, 'success');
        // the counts reach the report through the primary, once a second
        await waitUntil('the report counting the connections', async () => {
          const r = await siteRequest(tracker.port, `/${REPORT_PASSWORD}/report?get=stats&format=json`);
          const j = JSON.parse(r.body) as { openedConnections?: unknown; bytesRead?: unknown };
          return Number(j.openedConnections) >= 7 && Number(j.bytesRead) > 0;
        });
      });

      it(`reads them on ${v.transport}s in every worker, and logs no fallback`, () => {
        const listening = tracker.logs.filter((l) => l.msg === 'worker listening').map((l) => String(l.transport));
        assert.ok(listening.length >= 2, 'both workers listen');
        assert.deepEqual([...new Set(listening.flatMap((t) => t.split(',')))], [v.transport]);
        assert.deepEqual(tracker.logs.filter((l) => l.msg.includes('through net.Socket')), []);
      });
    });
  });
});
