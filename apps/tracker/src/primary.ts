import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { renderMetrics } from './http/metrics.js';
import { redactedConfig, type Config, type LoadedConfig } from '@oncilla/config';
import { createPool, describeEndpoint, ensureFlushLog, mysqlEndpoint, waitForMysql } from '@oncilla/database';
import { FlushBatches, RedisPeerStore, SiteControl } from '@oncilla/swarm-store';
import { Flusher } from './flush/flusher.js';
import { loadLists } from './load-lists.js';
import { createLogger, type Logger } from './logger.js';
import { isWorkerMessage, type PrimaryMessage } from './messages.js';
import { addSnapshots, emptySnapshot, type ClusterStats, type StatsSnapshot } from './http/stats.js';
import { connectRedis, createRedis } from './redis-client.js';
import { reloadedConfig } from './reload.js';
import { TokenExpiryCallback } from './token-callback.js';

/** A worker that dies sooner than this after its start counts as a crash loop: back off. */
const CRASH_WINDOW_MS = 5000;
const SHUTDOWN_GRACE_MS = 15000;
/** How long a graceful shutdown may spend flushing what is pending (it stays in Redis if cut short). */
const FINAL_FLUSH_MS = 30000;

function send(w: Worker, m: PrimaryMessage): void {
  if (w.isConnected()) w.send(m);
}

/**
 * The primary owns the MySQL side (loading lists, and the flush later), runs the reaper, forks
 * the workers, restarts dead ones and handles the signals.
 */
export async function runPrimary(initial: Config, warnings: string[], rereadConfig: () => LoadedConfig): Promise<void> {
  let config = initial;
  const log = createLogger(config.logLevel, 'primary');
  for (const w of warnings) log.warn(w);
  log.info({ config: redactedConfig(config) }, 'Oncilla starting');

  const redis = createRedis(config.redisUrl, false, log);
  await connectRedis(redis, log);
  const store = new RedisPeerStore(redis, config.redisKeyPrefix, { candidateCount: 2 * config.numwantLimit, readonly: config.readonly });
  const pool = createPool(config.mysql);
  const mysqlAt = mysqlEndpoint(config.mysql);
  if ('socketPath' in mysqlAt) {
    log.info(`mysql_host = localhost: connecting through the Unix socket ${mysqlAt.socketPath} (mysql_socket), as Ocelot does; set mysql_host = 127.0.0.1 for TCP`);
  }
  await waitForMysql(pool, log);
  const counts = await loadLists(pool, redis, store.keys, log);
  if (!config.readonly) await ensureFlushLog(pool);
  const batches = new FlushBatches(redis, store.keys);
  const flusher = new Flusher(redis, store.keys, batches, pool, log, config.scheduleInterval);
  const control = new SiteControl(redis, store.keys);

  // Cluster-wide counters: each worker reports every second; the sum goes back to all of them.
  const startedAt = Math.floor(Date.now() / 1000);
  const latest = new Map<number, StatsSnapshot>();
  let retired = emptySnapshot();
  let previous = { requests: 0, connections: 0, at: Date.now() };
  let lastStats: ClusterStats | undefined;
  // Once a minute, one line of what the tracker is doing (Ocelot logs a similar line).
  let status = { at: Date.now(), requests: 0, announces: 0 };
  const statusLine = (stats: ClusterStats, pending: Record<string, number>): void => {
    const elapsed = (Date.now() - status.at) / 1000;
    if (elapsed < 60) return;
    const t = stats.totals;
    void control.peerCounts().then((peers) => {
      const waiting = Object.values(pending).reduce((a, b) => a + b, 0);
      log.info(
        `status: ${Math.round((t.requests - status.requests) / elapsed)} requests/s, ` +
          `${Math.round((t.announcements - status.announces) / elapsed)} announces/s, ` +
          `${peers.seeders} seeders, ${peers.leechers} leechers, ${t.openConnections} open connections, ` +
          `flush lag ${stats.flush.lagSeconds} s, ${waiting} rows pending`,
      );
      status = { at: Date.now(), requests: t.requests, announces: t.announcements };
    }).catch(() => undefined);
  };
  const statsTimer = setInterval(() => {
    void (async () => {
      let totals = retired;
      const perWorker: Record<string, number> = {};
      for (const [id, snap] of latest) {
        totals = addSnapshots(totals, snap);
        perWorker[String(id)] = snap.requests;
      }
      const now = Date.now();
      const secs = Math.max(1, (now - previous.at) / 1000);
      const sizes = await Promise.all([batches.pendingSizes(), batches.batchSizes()]).catch(() => null);
      const pending = sizes?.[0] ?? {};
      // rows not yet in MySQL: the pending queues plus the batch under way; -1 when Redis did not answer
      const pendingRows = sizes ? [...Object.values(sizes[0]), ...Object.values(sizes[1])].reduce((a, b) => a + b, 0) : -1;
      const stats: ClusterStats = {
        startedAt,
        totals,
        requestRate: Math.floor(Math.max(0, totals.requests - previous.requests) / secs),
        connectionRate: Math.floor(Math.max(0, totals.openedConnections - previous.connections) / secs),
        perWorker,
        flush: { ...flusher.stats, leader: flusher.leader ? 1 : 0, pending, pendingRows },
      };
      previous = { requests: totals.requests, connections: totals.openedConnections, at: now };
      lastStats = stats;
      statusLine(stats, pending);
      for (const w of Object.values(cluster.workers ?? {})) if (w) send(w, { type: 'cluster-stats', stats });
    })();
  }, 1000);
  statsTimer.unref();

  let shuttingDown = false;
  const started = new Map<number, number>();
  let restartDelay = 0;

  const fork = (): void => {
    const w = cluster.fork();
    started.set(w.id, Date.now());
    w.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'hello') send(w, { type: 'config', config });
      else if (m.type === 'stats') latest.set(w.id, m.stats);
    });
  };

  cluster.on('exit', (w, code, signal) => {
    // a dead worker's counts stay in the totals
    const last = latest.get(w.id);
    if (last) retired = addSnapshots(retired, { ...last, openConnections: 0 });
    latest.delete(w.id);
    const lived = Date.now() - (started.get(w.id) ?? 0);
    started.delete(w.id);
    if (shuttingDown) return;
    log.error({ pid: w.process.pid, code, signal }, 'worker died; starting a new one');
    restartDelay = lived < CRASH_WINDOW_MS ? Math.min(Math.max(restartDelay * 2, 500), 30000) : 0;
    setTimeout(fork, restartDelay);
  });

  let listening = 0;
  const allListening = new Promise<void>((resolve) => {
    cluster.on('message', (_w, m: unknown) => {
      if (isWorkerMessage(m) && m.type === 'listening' && ++listening === config.workers) resolve();
    });
  });
  for (let i = 0; i < config.workers; i++) fork();
  await allListening;

  let reaper = startReaper(store, config, log);
  // readonly: the announce script records nothing, so there is nothing to flush. flush=false:
  // another cluster on the same Redis holds the lease and writes what this one records.
  const flushing = !config.readonly && config.flush;
  if (flushing) flusher.start();
  else if (!config.readonly) log.info('flush = false: this cluster records accounting in Redis and leaves the MySQL flush to another cluster');
  const callback = new TokenExpiryCallback(redis, store.keys, flusher, log, () => config);
  if (flushing) callback.start();

  // SIGUSR1 (and reload_interval): users, torrents, tokens and whitelist again from MySQL. Each
  // list is swapped in whole, so announces meanwhile see the old or the new list.
  let reloading = false;
  const reloadLists = async (why: string): Promise<void> => {
    if (reloading) return;
    reloading = true;
    try {
      const c = await loadLists(pool, redis, store.keys, log);
      log.info({ ...c }, `${why}: lists reloaded (${c.users} users, ${c.removedUsers} removed, ${c.torrents} torrents, ${c.tokens} tokens, ${c.whitelist} whitelist entries)`);
    } catch (err) {
      log.error({ err: (err as Error).message }, `${why}: reload failed; the previous lists stay`);
    } finally {
      reloading = false;
    }
  };
  process.on('SIGUSR1', () => void reloadLists('SIGUSR1'));

  // metrics_listen: /metrics without the password, on an address of its own (keep it private).
  if (config.metricsListen) {
    const ml = config.metricsListen;
    http.createServer((req, res) => {
      if (req.url !== '/metrics' || !lastStats) {
        res.writeHead(req.url === '/metrics' ? 503 : 404).end();
        return;
      }
      const stats = lastStats;
      control.peerCounts().then(
        (peers) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics(stats, peers, Math.floor(Date.now() / 1000))),
        () => res.writeHead(503).end(),
      );
    }).listen(ml.port, ml.host, () => log.info(`metrics on http://${ml.host}:${ml.port}/metrics`)).unref();
  }
  let periodic = config.reloadInterval > 0 ? setInterval(() => void reloadLists('periodic reload'), config.reloadInterval * 1000) : undefined;

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
    for (const w of Object.values(cluster.workers ?? {})) if (w) send(w, { type: 'config', config });
    void control.clearSettings().catch(() => undefined);
    if (previous.reapPeersInterval !== config.reapPeersInterval || previous.peersTimeout !== config.peersTimeout) {
      clearInterval(reaper);
      reaper = startReaper(store, config, log);
    }
    flusher.setInterval(config.scheduleInterval);
    clearInterval(periodic);
    periodic = config.reloadInterval > 0 ? setInterval(() => void reloadLists('periodic reload'), config.reloadInterval * 1000) : undefined;
    log.info({ changed: r.changed }, `SIGHUP: config reloaded (${r.changed.length ? r.changed.join(', ') : 'no changes'})`);
  });

  log.info({
    workers: config.workers,
    port: config.listenPort,
    users: counts.users,
    torrents: counts.torrents,
    tokens: counts.tokens,
    whitelist: counts.whitelist,
    redis: redisTarget(config.redisUrl),
    mysql: `${describeEndpoint(mysqlAt)}/${config.mysql.database}`,
  }, 'tracker ready');

  let firstSignal = '';
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
    clearInterval(reaper);
    clearInterval(periodic);
    callback.stop();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = Promise.all(workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r())))));
    for (const w of workers) send(w, { type: 'shutdown' });
    const timer = setTimeout(() => {
      log.warn('workers did not stop in time; killing them');
      for (const w of workers) w.process.kill('SIGKILL');
    }, SHUTDOWN_GRACE_MS);
    await exited;
    clearTimeout(timer);
    // No worker answers any more: write out everything pending, then hand the lease on.
    if (flushing) {
      flusher.stop();
      const drained = await flusher.drain(Date.now() + FINAL_FLUSH_MS);
      if (!drained) log.warn('not everything was flushed; the rest stays in Redis for the next start');
      await flusher.releaseLease();
    }
    await pool.end().catch(() => undefined);
    await redis.quit().catch(() => undefined);
    log.info('all clear, shutting down');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** host:port/db of the Redis URL, without credentials, for the start-up summary. */
function redisTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'redis';
  }
}

/** Every reap_peers_interval: drop peers silent for longer than peers_timeout. */
function startReaper(store: RedisPeerStore, config: Config, log: Logger): NodeJS.Timeout {
  // (the config is captured: a SIGHUP that changes these intervals starts a new reaper)
  let running = false;
  return setInterval(() => {
    if (running) return;
    running = true;
    const now = Math.floor(Date.now() / 1000);
    const cutoff = now - config.peersTimeout;
    store
      .reap(cutoff)
      .then(async (r) => {
        log.info(`Reaped ${r.leechers} leechers and ${r.seeders} seeders from ${r.torrents} torrents`);
        const reasons = await store.pruneDeletionReasons(now, config.delReasonLifetime);
        if (reasons) log.info(`Removed ${reasons} expired deletion reasons`);
        await store.pruneDeletedUsers(cutoff - config.reapPeersInterval);
      })
      .catch((err: Error) => log.error({ err: err.message }, 'reaper failed'))
      .finally(() => (running = false));
  }, config.reapPeersInterval * 1000).unref();
}
