/**
 * Workers answer from lists they keep in memory (passkeys, whitelist, removed users, the
 * site's runtime settings). A site update must take effect on every worker of every host
 * within a second: here two clusters share one Redis, and every worker of both is watched
 * through a keep-alive connection of its own, after a worker restart, after a worker's feed
 * connection is killed, and after Redis restarts. No worker may answer from older lists.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SITE_PASSWORD, type TrackerProcess } from '@oncilla/tracker/launcher';
import { makeInfoHash, makePasskey } from '@oncilla/testkit';
import { decode, pct, query, text } from './support/client.js';
import { startStack, type Stack } from './support/stack.js';
import { waitUntil } from './support/wait.js';

const IH = makeInfoHash(1);
const WITHIN_MS = 1000;

/** One keep-alive connection to one worker, found by asking /ready who answers. */
class WorkerLine {
  private constructor(private readonly agent: http.Agent, private readonly port: number, readonly pid: number) {}

  static async open(port: number): Promise<WorkerLine> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const r = await request(agent, port, '/ready');
    return new WorkerLine(agent, port, Number(r.headers['x-oncilla-worker']));
  }

  async announce(passkey: string, peer: number, left = 0, ih = IH): Promise<Record<string, unknown>> {
    const q = query({ info_hash: ih, peer_id: `-PR0001-${String(peer).padStart(12, '0')}`, port: 7000 + peer, left, compact: 1, numwant: 0 });
    return decode((await request(this.agent, this.port, `/${passkey}/announce?${q}`)).body);
  }

  /** The failure reason of an announce (undefined for success). */
  async reason(passkey: string, peer: number, left = 0, ih = IH): Promise<string | undefined> {
    const d = await this.announce(passkey, peer, left, ih);
    return d['failure reason'] === undefined ? undefined : text(d['failure reason']);
  }

  close(): void {
    this.agent.destroy();
  }
}

function request(agent: http.Agent, port: number, path: string): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** A connection to every worker of a cluster (new connections until each pid has answered). */
async function linesTo(t: TrackerProcess, workers: number): Promise<WorkerLine[]> {
  const byPid = new Map<number, WorkerLine>();
  for (let tries = 0; byPid.size < workers && tries < 400; tries++) {
    const l = await WorkerLine.open(t.port);
    if (byPid.has(l.pid)) l.close();
    else byPid.set(l.pid, l);
  }
  assert.equal(byPid.size, workers, 'reached every worker');
  return [...byPid.values()];
}

/**
 * Every line gives `expected` within WITHIN_MS of `since`; before that each answer is either
 * the old value or the new one (never anything else).
 */
async function allWithin(lines: WorkerLine[], since: number, ask: (l: WorkerLine) => Promise<string | undefined>, expected: string | undefined, old: string | undefined): Promise<void> {
  await Promise.all(lines.map(async (l) => {
    for (;;) {
      const got = await ask(l);
      if (got === expected) return;
      assert.equal(got, old, `worker ${l.pid} answered neither the old nor the new list`);
      assert.ok(Date.now() - since <= WITHIN_MS, `worker ${l.pid} still answers from the old list after ${Date.now() - since} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }));
}

describe('site updates reach every worker of every cluster within a second', () => {
  let stack: Stack;
  let a: TrackerProcess;
  let b: TrackerProcess;
  let lines: WorkerLine[] = [];
  let user = 100;

  before(async () => {
    stack = await startStack({
      redisServer: { appendonly: true },
      users: [{ id: 1, passkey: makePasskey(1) }],
      torrents: [{ id: 1, infoHash: IH }],
      trackers: [
        { workers: 2, conf: { keepalive_timeout: 60 } },
        { workers: 2, conf: { keepalive_timeout: 60, flush: 0 } },
      ],
    });
    [a, b] = stack.trackers;
  });

  after(async () => {
    for (const l of lines) l.close();
    await stack?.stop();
  });

  const connect = async (): Promise<void> => {
    for (const l of lines) l.close();
    lines = [...(await linesTo(a, 2)), ...(await linesTo(b, 2))];
  };

  const update = async (t: TrackerProcess, q: string): Promise<number> => {
    const r = await request(new http.Agent(), t.port, `/${SITE_PASSWORD}/update?${q}`);
    assert.match(r.body.toString(), /success$/);
    return Date.now();
  };

  /** add_user on one cluster, then remove_user on the other: both reach all four workers. */
  const addThenRemove = async (): Promise<void> => {
    const key = makePasskey(++user);
    const peer = user;
    const ask = (l: WorkerLine): Promise<string | undefined> => l.reason(key, peer);
    for (const l of lines) assert.equal(await ask(l), 'Passkey not found');
    let since = await update(a, `action=add_user&passkey=${key}&id=${user}`);
    await allWithin(lines, since, ask, undefined, 'Passkey not found');
    since = await update(b, `action=remove_user&passkey=${key}`);
    await allWithin(lines, since, ask, 'Passkey not found', undefined);
  };

  it('on a quiet cluster', async () => {
    await connect();
    await addThenRemove();
  });

  it('whitelist, passkey changes, can_leech, the announce interval and torrents too', async () => {
    const pk = makePasskey(1);
    let since = await update(b, 'action=add_whitelist&peer_id=-XX');
    await allWithin(lines, since, (l) => l.reason(pk, 1), 'Your client is not on the whitelist', undefined);
    since = await update(a, 'action=remove_whitelist&peer_id=-XX');
    await allWithin(lines, since, (l) => l.reason(pk, 1), undefined, 'Your client is not on the whitelist');

    since = await update(a, `action=update_user&passkey=${pk}&can_leech=0`);
    await allWithin(lines, since, (l) => l.reason(pk, 2, 100), 'Access denied, leeching forbidden', undefined);
    since = await update(b, `action=update_user&passkey=${pk}&can_leech=1`);
    await allWithin(lines, since, (l) => l.reason(pk, 2, 100), undefined, 'Access denied, leeching forbidden');

    const other = makePasskey(2);
    since = await update(b, `action=change_passkey&oldpasskey=${pk}&newpasskey=${other}`);
    await allWithin(lines, since, (l) => l.reason(other, 3), undefined, 'Passkey not found');
    since = await update(a, `action=change_passkey&oldpasskey=${other}&newpasskey=${pk}`);
    await allWithin(lines, since, (l) => l.reason(pk, 3), undefined, 'Passkey not found');

    const interval = async (l: WorkerLine): Promise<string> => String((await l.announce(pk, 4))['min interval']);
    since = await update(a, 'action=update_announce_interval&new_announce_interval=900');
    await allWithin(lines, since, interval, '900', '1800');

    // torrents live under their own keys in Redis: the next request on any worker sees a change
    const ih = makeInfoHash(77);
    await update(b, `action=add_torrent&info_hash=${pct(ih)}&id=77`);
    for (const l of lines) assert.equal(await l.reason(pk, 5, 0, ih), undefined);
    await update(a, `action=delete_torrent&info_hash=${pct(ih)}&reason=14`);
    for (const l of lines) assert.equal(await l.reason(pk, 5, 0, ih), 'Unregistered torrent: Specifically Banned');
  });

  it('after a worker restarts', async () => {
    const victim = lines[0].pid;
    const seen = a.logs.filter((l) => l.msg === 'worker listening').length;
    process.kill(victim, 'SIGKILL');
    await a.waitFor(() => a.logs.filter((l) => l.msg === 'worker listening').length > seen);
    await connect();
    assert.ok(!lines.some((l) => l.pid === victim));
    await addThenRemove();
  });

  it('after a worker loses its connection to the change feed', async () => {
    const list = await stack.redis.call('CLIENT', 'LIST') as string;
    const feeds = list.split('\n').filter((l) => / name=oncilla-feed:/.test(l)).map((l) => /\bid=(\d+)/.exec(l)?.[1]);
    assert.equal(feeds.length, 4, 'one feed connection per worker');
    for (const id of feeds) await stack.redis.call('CLIENT', 'KILL', 'ID', String(id));
    await addThenRemove();
  });

  it('after Redis restarts', async () => {
    await stack.redisServer.kill();
    await stack.redisServer.restart();
    // the workers reconnect by themselves; an update made now must reach all of them in time
    await waitUntil('every worker to answer again', async () => {
      const r = await Promise.all(lines.map((l) => l.reason(makePasskey(1), 1).catch(() => 'down')));
      return r.every((x) => x === undefined);
    }, 20000);
    await addThenRemove();
  });

  it('answers "temporarily unavailable", not from old lists, while the feed cannot be read', async () => {
    stack.redisServer.pause();
    try {
      // within a second of Redis stopping, every worker refuses to answer from its lists
      const stopped = Date.now();
      await Promise.all(lines.map(async (l) => {
        for (;;) {
          const got = await l.reason(makePasskey(1), 1);
          if (got === 'The tracker is temporarily unavailable.') return;
          assert.ok(Date.now() - stopped < 3000, `worker ${l.pid} still answered "${String(got)}"`);
        }
      }));
    } finally {
      stack.redisServer.resume();
    }
    await waitUntil('the workers to answer again', async () => (await Promise.all(lines.map((l) => l.reason(makePasskey(1), 1)))).every((x) => x === undefined), 10000);
  });
});
