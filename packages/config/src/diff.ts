// What changed between two configs, and which of those changes a SIGHUP reload can apply.

import { isDeepStrictEqual } from 'node:util';
import type { Config } from './config.js';
import { CONFIG_KEYS, type ConfigKey, type ConfigValues } from './schema.js';

// Reads the value behind each key back out of a Config; the mapped type makes a missing key a
// compile error.
const CONFIG_FIELDS: { readonly [K in keyof ConfigValues]: (c: Config) => unknown } = {
  listen_host: (c) => c.listenHost,
  listen_port: (c) => c.listenPort,
  max_connections: (c) => c.maxConnections,
  max_middlemen: (c) => c.maxMiddlemen,
  max_read_buffer: (c) => c.maxReadBuffer,
  connection_timeout: (c) => c.connectionTimeout,
  keepalive_timeout: (c) => c.keepaliveTimeout,
  announce_interval: (c) => c.announceInterval,
  max_request_size: (c) => c.maxRequestSize,
  numwant_limit: (c) => c.numwantLimit,
  request_log_size: (c) => c.requestLogSize,
  del_reason_lifetime: (c) => c.delReasonLifetime,
  peers_timeout: (c) => c.peersTimeout,
  reap_peers_interval: (c) => c.reapPeersInterval,
  schedule_interval: (c) => c.scheduleInterval,
  mysql_db: (c) => c.mysql.database,
  mysql_host: (c) => c.mysql.host,
  mysql_port: (c) => c.mysql.port,
  mysql_username: (c) => c.mysql.user,
  mysql_password: (c) => c.mysql.password,
  mysql_socket: (c) => c.mysql.socket,
  site_host: (c) => c.siteHost,
  site_path: (c) => c.sitePath,
  site_password: (c) => c.sitePassword,
  report_password: (c) => c.reportPassword,
  readonly: (c) => c.readonly,
  log_dir: (c) => c.logDir,
  redis_url: (c) => c.redisUrl,
  redis_cluster: (c) => c.redisCluster,
  redis_key_prefix: (c) => c.redisKeyPrefix,
  workers: (c) => c.workers,
  allow_private_peers: (c) => c.allowPrivatePeers,
  allow_client_ip: (c) => c.allowClientIp,
  trusted_proxies: (c) => c.trustedProxies,
  announce_jitter: (c) => c.announceJitter,
  direct_sockets: (c) => c.directSockets,
  redis_auto_pipelining: (c) => c.redisAutoPipelining,
  log_level: (c) => c.logLevel,
  site_port: (c) => c.sitePort,
  reload_interval: (c) => c.reloadInterval,
  flush: (c) => c.flush,
  metrics_listen: (c) => c.metricsListen,
  max_credit_rate: (c) => c.maxCreditRate,
  max_announce_credit: (c) => c.maxAnnounceCredit,
  redis_timeout: (c) => c.redisTimeout,
  max_inflight_requests: (c) => c.maxInflightRequests,
  mysql_flush_timeout: (c) => c.mysqlFlushTimeout,
  flush_lag_warning: (c) => c.flushLagWarning,
};

/** Keys whose effective value differs, in schema order (secrets are named, never shown). */
export function diffConfig(old: Config, next: Config): ConfigKey[] {
  const differs = (key: ConfigKey) => !isDeepStrictEqual(CONFIG_FIELDS[key](old), CONFIG_FIELDS[key](next));
  return CONFIG_KEYS.map((s) => s.name).filter(differs);
}

export interface ReloadPlan {
  /** Changed keys the running tracker can take over now. */
  readonly applied: ConfigKey[];
  /** Changed keys that keep their old value until a restart (sockets, processes, connections). */
  readonly restartRequired: ConfigKey[];
}

export function reloadableChanges(old: Config, next: Config): ReloadPlan {
  const changed = new Set<string>(diffConfig(old, next));
  const specs = CONFIG_KEYS.filter((s) => changed.has(s.name));
  return {
    applied: specs.filter((s) => s.reloadable).map((s) => s.name),
    restartRequired: specs.filter((s) => !s.reloadable).map((s) => s.name),
  };
}
