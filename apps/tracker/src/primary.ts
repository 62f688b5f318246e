import http from 'node:http';
import type { Worker } from 'node:cluster';
import { redactedConfig, type Config, type LoadedConfig } from '@oncilla/config';
import { createPool, describeEndpoint, ensureFlushLog, loadUserPeerCounts, mysqlEndpoint, waitForMysql, type Pool } from '@oncilla/database';
import { Cluster } from 'ioredis';
import { channelTarget, ClusterChannels, FlushBatches, keySchema, readerOf, RedisClock, RedisPeerStore, ScriptChannel, SiteControl } from '@oncilla/swarm-store';
import { Flusher } from './flush/flusher.js';
import { renderMetrics } from './http/metrics.js';
import { createLogger, type Logger } from './logger.js';
import type { WorkerMessage } from './messages.js';
import { ClusterStatsBook } from './primary/cluster-stats.js';
import { ListKeeper } from './primary/lists.js';
import { Reaper } from './primary/reaper.js';
import { send, Supervisor } from './primary/supervisor.js';
import { checkRedisTopology, connectRedis, createRedis, describeRedis } from './redis-client.js';
import { reloadedConfig } from './reload.js';
import { TokenExpiryCallback } from './token-callback.js';

const SHUTDOWN_GRACE_MS = 15000;
/** How long a graceful shutdown may spend flushing what is pending (it stays in Redis if cut short). */
const FINAL_FLUSH_MS = 30000;
// as the primary's own Redis client: a batch read waits for a slow Redis rather than failing
const BATCH_READ_TIMEOUT_MS = 15_000;

/**
 * The primary owns the MySQL side: it loads the lists into Redis (and again when Redis lost
 * them), flushes the accounting, runs the reaper and the token callback, forks and restarts
 * the workers, adds up their counters, and handles the signals. It answers no client: the
 * workers accept their own connections.
 */
export async function runPrimary(initial: Config, warnings: string[], rereadConfig: () => LoadedConfig): Promise<void> {
  let config = initial;
  const log = createLogger(config.logLevel, 'primary');
  for (const w of warnings) log.warn(w);
  log.info({ config: redactedConfig(config) }, 'Oncilla starting');

  await checkRedisTopology(config);
  const redis = createRedis(config, log, { name: `oncilla-primary:${process.pid}`, commandTimeoutMs: 15_000 });
  await connectRedis(redis, log);
  const keys = keySchema(config.redisKeyPrefix);
  const store = new RedisPeerStore(redis, config.redisKeyPrefix, { readonly: config.readonly });
  const pool = createPool(config.mysql);
  const mysqlAt = mysqlEndpoint(config.mysql);
  if ('socketPath' in mysqlAt) {
    log.info(`mysql_host = localhost: connecting through the Unix socket ${mysqlAt.socketPath} (mysql_socket), as Ocelot does; set mysql_host = 127.0.0.1 for TCP`);
  }
  await waitForMysql(pool, log);
  // readonly: the announce script records nothing, so there is nothing to flush. flush=false:
  // another cluster on the same Redis holds the lease and writes what this one records.
  const flushing = !config.readonly && config.flush;
  // the flush reads its batches over connections of its own (ioredis' decoder was a tenth of
  // the primary's CPU under load), one per master on a cluster; ioredis while they are down
  const batchChannels = !flushing
    ? undefined
    : redis instanceof Cluster
      ? new ClusterChannels(redis, BATCH_READ_TIMEOUT_MS, `oncilla-flush:${process.pid}`)
      : new ScriptChannel(channelTarget(config.redisUrl), BATCH_READ_TIMEOUT_MS, `oncilla-flush:${process.pid}`);
  if (batchChannels instanceof ClusterChannels) batchChannels.warm();
  else void batchChannels?.connect();
  const batches = new FlushBatches(redis, keys, batchChannels instanceof ScriptChannel ? readerOf(batchChannels) : batchChannels);
  const flushOptions = (c: Config) => ({ queryTimeoutMs: c.mysqlFlushTimeout * 1000, lagWarningSeconds: c.flushLagWarning });
  const flusher = new Flusher(redis, keys, batches, pool, log, config.scheduleInterval, flushOptions(config));
  const control = new SiteControl(redis, keys);
  const lists = new ListKeeper(pool, redis, keys, log, flusher.owner);
  if (!(await lists.reload('start'))) throw new Error('could not load the lists from MySQL');
  if (!config.readonly) await ensureFlushLog(pool);

  const book = new ClusterStatsBook();
  const supervisor = new Supervisor(() => config, log, (w, m) => onWorkerMessage(w, m), (w) => book.retire(w.id));
  const onWorkerMessage = (w: Worker, m: WorkerMessage): void => {
    if (m.type === 'stats') book.report(w.id, m.stats);
    else if (m.type === 'user-peers') void answerUserPeers(control, pool, w, m);
  };
  const statsTimer = setInterval(() => {
    const stats = book.build(flusher.stats, flusher.leader, lists.losses);
    statusLine.maybe(stats, control);
    supervisor.broadcast({ type: 'cluster-stats', stats });
  }, 1000);
  statsTimer.unref();
  const statusLine = new StatusLine(log);

  await supervisor.startAll(config.workers);

  // the reaper's cutoff is on Redis' clock, as the peers' announce times are (the workers')
  const clock = new RedisClock(redis);
  await clock.sync().catch(() => undefined);
  clock.start();
  const reaper = new Reaper(store, control, log, () => clock.seconds());
  reaper.start(config.reapPeersInterval, config.peersTimeout);
  if (flushing) flusher.start();
  else if (!config.readonly) log.info('flush = false: this cluster records accounting in Redis and leaves the MySQL flush to another cluster');
  const callback = new TokenExpiryCallback(redis, keys, flusher, log, () => config);
  if (flushing) callback.start();
  lists.setPeriodic(config.reloadInterval);
  lists.startGuard();

  // SIGUSR1 (and reload_interval): users, torrents, tokens and whitelist again from MySQL.
  process.on('SIGUSR1', () => void lists.reload('SIGUSR1'));
  if (config.metricsListen) serveMetrics(config.metricsListen, book, control, log);

  // SIGHUP: the config file and environment again; every worker takes the new values between
  // two requests. The site's runtime overrides (update_announce_interval) end, as in Ocelot.
  process.on('SIGHUP', () => {
    let next: LoadedConfig;
    try {
      next = rereadConfig();
    } catch (err) {
      log.error(`SIGHUP: the config is not valid, keeping the running one: ${(err as Error).message}`);
      return;
    }
    for (const w of next.warnings) log.warn(w);
    const r = reloadedConfig(config, next.config);
    if (r.restartRequired.length) log.warn(`SIGHUP: changes to ${r.restartRequired.join(', ')} take effect after a restart`);
    const previous = config;
    config = r.config;
    supervisor.broadcast({ type: 'config', config });
    void control.clearSettings().catch((err: Error) => log.warn(`SIGHUP: could not drop the site's runtime settings: ${err.message}`));
    if (previous.reapPeersInterval !== config.reapPeersInterval || previous.peersTimeout !== config.peersTimeout) {
      reaper.start(config.reapPeersInterval, config.peersTimeout);
    }
    flusher.setInterval(config.scheduleInterval);
    flusher.configure(flushOptions(config));
    lists.setPeriodic(config.reloadInterval);
    log.info({ changed: r.changed }, `SIGHUP: config reloaded (${r.changed.length ? r.changed.join(', ') : 'no changes'})`);
  });

  log.info({
    workers: config.workers,
    port: config.listenPort,
    users: lists.counts?.users,
    torrents: lists.counts?.torrents,
    tokens: lists.counts?.tokens,
    whitelist: lists.counts?.whitelist,
    redis: describeRedis(config),
    mysql: `${describeEndpoint(mysqlAt)}/${config.mysql.database}`,
  }, 'tracker ready');

  let firstSignal = '';
  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) {
      // Ctrl-C twice forces the exit, as in Ocelot. A different signal during the drain (the
      // terminal's SIGINT plus a supervisor's SIGTERM) is the same request, not a second one.
      if (signal !== firstSignal) return;
      log.warn('second signal: shutting down uncleanly');
      process.exit(1);
    }
    shuttingDown = true;
    firstSignal = signal;
    // Whatever hangs (a MySQL that vanished mid-query), the process ends: what is not flushed
    // stays in Redis for the next start.
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + FINAL_FLUSH_MS + 5000).unref();
    log.info(`${signal}: closing tracker`);
    reaper.stop();
    clock.stop();
    lists.stop();
    callback.stop();
    await supervisor.stopAll(SHUTDOWN_GRACE_MS);
    // No worker answers any more: write out everything pending, then hand the lease on.
    if (flushing) {
      flusher.stop();
      const drained = await flusher.drain(Date.now() + FINAL_FLUSH_MS);
      if (!drained) log.warn('not everything was flushed; the rest stays in Redis for the next start');
      await flusher.releaseLease();
    }
    await pool.end().catch(() => undefined);
    await batchChannels?.close().catch(() => undefined);
    await redis.quit().catch(() => undefined);
    log.info('all clear, shutting down');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** report?get=user for a worker: the user id from Redis, the counts from xbt_files_users. */
async function answerUserPeers(control: SiteControl, pool: Pool, w: Worker, m: Extract<WorkerMessage, { type: 'user-peers' }>): Promise<void> {
  try {
    const uid = await control.userId(m.passkey);
    const peers = uid === undefined ? null : await loadUserPeerCounts(pool, uid);
    send(w, { type: 'user-peers', id: m.id, peers });
  } catch (err) {
    send(w, { type: 'user-peers', id: m.id, peers: null, error: (err as Error).message });
  }
}

/** Once a minute, one line of what the tracker is doing (Ocelot logs a similar line). */
class StatusLine {
  #at = Date.now();
  #requests = 0;
  #announces = 0;

  constructor(private readonly log: Logger) {}

  maybe(stats: ReturnType<ClusterStatsBook['build']>, control: SiteControl): void {
    const elapsed = (Date.now() - this.#at) / 1000;
    if (elapsed < 60) return;
    const t = stats.totals;
    const requests = t.requests - this.#requests;
    const announces = t.announcements - this.#announces;
    this.#at = Date.now();
    this.#requests = t.requests;
    this.#announces = t.announcements;
    void control.peerCounts().then((peers) => {
      this.log.info(
        `status: ${Math.round(requests / elapsed)} requests/s, ${Math.round(announces / elapsed)} announces/s, ` +
          `${peers.seeders} seeders, ${peers.leechers} leechers, ${t.openConnections} open connections, ` +
          `flush lag ${stats.flush.lagSeconds} s, ${stats.flush.pendingRows} rows pending`,
      );
    }).catch(() => undefined);
  }
}

/** metrics_listen: /metrics without the password, on an address of its own (keep it private). */
function serveMetrics(at: { host: string; port: number }, book: ClusterStatsBook, control: SiteControl, log: Logger): void {
  http.createServer((req, res) => {
    const stats = book.last;
    if (req.url !== '/metrics' || !stats) {
      res.writeHead(req.url === '/metrics' ? 503 : 404).end();
      return;
    }
    // a Redis that does not answer leaves the peer gauges out; the rest still shows
    void control.peerCounts().catch(() => undefined).then((peers) =>
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics(stats, peers, Math.floor(Date.now() / 1000))));
  }).listen(at.port, at.host, () => log.info(`metrics on http://${at.host}:${at.port}/metrics`)).unref();
}
