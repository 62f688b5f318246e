import type { Server } from 'node:http';
import type { ListenOptions, Server as NetServer } from 'node:net';
import type { Config } from '@oncilla/config';
import { Cluster } from 'ioredis';
import { parseCidrList } from '@oncilla/protocol';
import { channelTarget, CLOCK_SYNC_MS, ClusterChannels, FeedFollower, keySchema, RedisClock, RedisPeerStore, ScriptChannel, SiteControl, SiteLists } from '@oncilla/swarm-store';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from './http/app.js';
import { fastAnswer, type FastAnswer } from './http/fast-answer.js';
import { createFrontDoor, type FrontDoor } from './http/front-door.js';
import { tuneTimeouts, type TimeoutConfig } from './http/timeouts.js';
import { renderMetrics } from './http/metrics.js';
import { RefusedTransfers } from './http/refused-transfers.js';
import { handleReport } from './http/report.js';
import { emptySnapshot, WorkerStats, type ClusterStats } from './http/stats.js';
import { handleUpdate } from './http/update.js';
import { createLogger } from './logger.js';
import { isPrimaryMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';
import { createRedis, connectRedis, whenReady } from './redis-client.js';
import { ClusterHealth } from './cluster-health.js';
import { handlerSettings } from './settings.js';

function sendToPrimary(m: WorkerMessage): void {
  process.send?.(m);
}

/** report?get=user: asks the primary (which has MySQL), one question per request id. */
class UserPeersAsker {
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (v: { leeching: number; seeding: number } | undefined) => void; reject: (e: Error) => void }>();
  constructor(private readonly send: (m: WorkerMessage) => void) {}

  ask(passkey: string): Promise<{ leeching: number; seeding: number } | undefined> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error('the primary did not answer'));
      }, 5000);
      this.#waiting.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.send({ type: 'user-peers', id, passkey });
    });
  }

  answer(m: Extract<PrimaryMessage, { type: 'user-peers' }>): void {
    const w = this.#waiting.get(m.id);
    if (!w) return;
    this.#waiting.delete(m.id);
    if (m.error) w.reject(new Error(m.error));
    else w.resolve(m.peers ?? undefined);
  }
}

function firstConfig(): Promise<Config> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      if (isPrimaryMessage(m) && m.type === 'config') {
        process.off('message', onMessage);
        resolve(m.config);
      }
    };
    process.on('message', onMessage);
    // Ask only now: a message sent before this listener existed would be lost.
    sendToPrimary({ type: 'hello' });
  });
}

/** `*` or blank: every interface, IPv4 and IPv6 (Ocelot binds 0.0.0.0 and ::). */
function listenTargets(c: Config): Array<{ host?: string; path?: string }> {
  const targets: Array<{ host?: string; path?: string }> = [];
  for (const h of c.listenHost) {
    if (h === '*' || h === '') targets.push({ host: '::' });
    else if (h.startsWith('unix:')) targets.push({ path: h.slice(5) });
    else targets.push({ host: h });
  }
  return targets.length ? targets : [{ host: '::' }];
}

/** The reloadable part: Node's timeouts for the connections it was handed, and the connection cap. */
function tuneServer(http: Server, doors: FrontDoor[], c: Config): void {
  tuneTimeouts(http, c);
  for (const d of doors) d.server.maxConnections = c.maxMiddlemen;
}

/** A kernel without IPv6 (ipv6.disable=1, some containers) cannot bind `::`. */
function noIPv6(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL';
}

/** Listens on one address (`::` falls back to IPv4 where the kernel has no IPv6). */
function listenOn(server: NetServer, t: { host?: string; path?: string }, c: Config, log: { warn(msg: string): void }): Promise<void> {
  const attempt = (opts: ListenOptions): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts, () => {
        server.off('error', reject);
        resolve();
      });
    });
  if (t.path) return attempt({ path: t.path, backlog: c.maxConnections });
  return attempt({ port: c.listenPort, host: t.host, backlog: c.maxConnections }).catch((err: unknown) => {
    // '*' means every interface: without IPv6 that is every IPv4 interface.
    if (t.host !== '::' || !c.listenHost.every((h) => h === '*' || h === '') || !noIPv6(err)) throw err;
    log.warn('IPv6 is not available on this host; listening on IPv4 only (0.0.0.0)');
    return attempt({ port: c.listenPort, host: '0.0.0.0', backlog: c.maxConnections });
  });
}

/**
 * One front door per listen address, all handing what they do not answer themselves to
 * Fastify's server (which never listens on its own).
 */
async function listen(app: FastifyInstance, answer: FastAnswer, timeouts: () => TimeoutConfig, c: Config, log: { warn(msg: string): void }): Promise<FrontDoor[]> {
  await app.ready();
  const doors: FrontDoor[] = [];
  for (const t of listenTargets(c)) {
    const door = createFrontDoor({ answer, http: app.server, timeouts, direct: c.directSockets });
    await listenOn(door.server, t, c, log);
    if (door.fallback !== undefined) log.warn(`client connections through net.Socket: ${door.fallback}`);
    doors.push(door);
  }
  return doors;
}

/** An announce answers only from lists confirmed current this recently (the site's changes reach every worker within 1 s). */
const LISTS_MAX_AGE_MS = 800;
// A site update that meets this worker's Redis connection reconnecting waits this long for it
// (the connection backs off up to a second between tries) before it is refused.
const UPDATE_CONNECT_WAIT_MS = 2000;
// A host clock this far from Redis' is worth a line in the log (NTP should keep it in ms).
const CLOCK_WARN_MS = 2000;

export async function runWorker(): Promise<void> {
  let config = await firstConfig();
  const log = createLogger(config.logLevel, 'worker');
  const redis = createRedis(config, log, { name: `oncilla-worker:${process.pid}`, autoPipelining: config.redisAutoPipelining, commandTimeoutMs: config.redisTimeout });
  const feedRedis = createRedis(config, log, { name: `oncilla-feed:${process.pid}` });
  // the announce's own connection to one Redis (a third of ioredis' CPU per call); on a cluster
  // one per master, picked by the torrent's slot from the cluster client's slot table
  const announceName = `oncilla-announce:${process.pid}`;
  const channel = redis instanceof Cluster
    ? new ClusterChannels(redis, config.redisTimeout, announceName, (node, up, why) => {
      if (up) log.info({ node }, 'announce connection to a Redis master ready');
      else log.warn({ node, err: why }, 'announce connection to a Redis master lost; reconnecting');
    })
    : new ScriptChannel(channelTarget(config.redisUrl), config.redisTimeout, announceName, (up, why) => {
      if (up) log.info('announce connection to Redis ready');
      else log.warn({ err: why }, 'announce connection to Redis lost; reconnecting');
    });
  await Promise.all([connectRedis(redis, log), connectRedis(feedRedis, log), channel instanceof ScriptChannel ? channel.connect() : undefined]);
  if (channel instanceof ClusterChannels) channel.warm();
  // a cluster is ready when every slot has a master that answers
  const health = redis instanceof Cluster ? new ClusterHealth(redis) : undefined;
  health?.start();
  const keys = keySchema(config.redisKeyPrefix);
  const lists = new SiteLists();
  const follower = new FeedFollower(feedRedis, keys.global, lists, {
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });
  await follower.start();
  // announces are stamped with Redis' time, read here (a TIME inside the script cost more)
  const clock = new RedisClock(redis);
  let clockOff = false;
  const reportOffset = (offsetMs: number): void => {
    // (once when the clock goes off, once when it is back: not every sync)
    const off = Math.abs(offsetMs) >= CLOCK_WARN_MS;
    if (off && !clockOff) log.warn({ offsetMs: Math.round(offsetMs) }, `this host's clock is ${Math.round(offsetMs / 100) / 10} s off Redis'; announces use Redis' time`);
    if (!off && clockOff) log.info({ offsetMs: Math.round(offsetMs) }, "this host's clock agrees with Redis' again");
    clockOff = off;
  };
  await clock.sync().then(reportOffset, (err: Error) => log.warn(`could not read Redis' clock yet: ${err.message}`));
  clock.start(CLOCK_SYNC_MS, reportOffset);
  const store = new RedisPeerStore(redis, config.redisKeyPrefix, {
    clock: () => clock.seconds(),
    candidates: 2 * config.numwantLimit,
    readonly: config.readonly,
    maxRate: config.maxCreditRate,
    maxTransfer: config.maxAnnounceCredit,
    skipUser: (uid) => lists.isRemoved(uid),
    channel,
  });
  const stats = new WorkerStats();
  const control = new SiteControl(redis, keys);
  let cluster: ClusterStats = {
    startedAt: Math.floor(Date.now() / 1000), totals: emptySnapshot(), requestRate: 0, connectionRate: 0, perWorker: {}, listLosses: 0,
    flush: { leader: 0, lagSeconds: 0, rows: 0, batches: 0, failures: 0, rejected: 0, pending: {}, pendingRows: 0 },
  };
  let settings = handlerSettings(config);
  let proxies = parseCidrList(config.trustedProxies.join(' '));
  let closing = false;
  const userPeers = new UserPeersAsker(sendToPrimary);
  const listsFresh = (): boolean => follower.fresh(Date.now(), LISTS_MAX_AGE_MS);
  const refused = new RefusedTransfers(log);

  const appDeps: AppDeps = {
    store,
    lists,
    listsFresh,
    stats,
    settings: () => settings,
    trustedProxies: () => proxies,
    closing: () => closing,
    log,
    onRefusedTransfer: (r) => refused.record(r),
    maxInFlight: () => config.maxInflightRequests,
    control: {
      update: (q) => handleUpdate(control, q, log, {
        connected: () => whenReady(redis, UPDATE_CONNECT_WAIT_MS),
        now: () => Math.floor(Date.now() / 1000),
        reasonLifetime: () => config.delReasonLifetime,
        settle: (version) => follower.caughtUp(version, LISTS_MAX_AGE_MS),
      }),
      report: (q) => handleReport({ stats: () => cluster, peerCounts: () => control.peerCounts(), userPeers: (pk) => userPeers.ask(pk) }, q),
    },
    // a Redis that does not answer leaves the peer gauges out; the rest still shows
    metrics: async () => renderMetrics(cluster, await control.peerCounts().catch(() => undefined), Math.floor(Date.now() / 1000)),
    // ready: a round trip to Redis (the feed's last read) succeeded within LISTS_MAX_AGE_MS, so
    // a Redis that hangs with its connection open is not ready either; on a cluster, every slot
    // has a master that answers as well
    ready: () => listsFresh() && (health?.healthy() ?? true),
    timeouts: config,
  };
  const app = buildApp(appDeps);
  const doors = await listen(app, fastAnswer(appDeps), () => config, config, log);
  for (const d of doors) stats.watch(d);
  tuneServer(app.server, doors, config);
  // The primary adds every worker's counters up and sends the sum back (report and /metrics).
  setInterval(() => sendToPrimary({ type: 'stats', stats: stats.snapshot() }), 1000).unref();

  process.on('message', (m: unknown) => {
    if (!isPrimaryMessage(m)) return;
    if (m.type === 'config') {
      config = m.config;
      settings = handlerSettings(config);
      store.setLimits({ maxRate: config.maxCreditRate, maxTransfer: config.maxAnnounceCredit });
      proxies = parseCidrList(config.trustedProxies.join(' '));
      tuneServer(app.server, doors, config);
    } else if (m.type === 'cluster-stats') {
      cluster = m.stats;
      // the flush behind: the announce reads each peer's pending row first (one command less
      // than finding it with HSETNX). A flush under way shows a lag of a second or two; behind
      // means more than a schedule_interval
      store.setFlushBehind(m.stats.flush.lagSeconds > Math.max(2, config.scheduleInterval));
    } else if (m.type === 'user-peers') {
      userPeers.answer(m);
    } else if (m.type === 'shutdown') {
      void shutdown();
    }
  });
  // The IPC channel closes when the primary dies (even by SIGKILL): a worker without its primary
  // would keep serving with nobody to restart or reconfigure it, so it goes too.
  process.on('disconnect', () => process.exit(1));
  // The primary handles signals; a worker ignores them so Ctrl-C in a terminal does not
  // kill workers before the primary has drained them.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);

  async function shutdown(): Promise<void> {
    closing = true;
    // Stop accepting, let in-flight requests finish, then drop idle keep-alive sockets.
    await Promise.all(doors.map((d) => d.close()));
    await app.close();
    await follower.stop();
    health?.stop();
    clock.stop();
    await Promise.all([redis.quit().catch(() => undefined), feedRedis.quit().catch(() => undefined), channel.close()]);
    process.exit(0);
  }

  // (transport: 'handle' when connections are read on libuv's handles, 'socket' through net.Socket)
  log.info({ port: config.listenPort, transport: doors.map((d) => d.transport).join(',') }, 'worker listening');
  sendToPrimary({ type: 'listening' });
}
