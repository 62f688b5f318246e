// The typed, frozen configuration the rest of Oncilla reads, and its construction from
// validated per-key values.

import type { HostPort } from './network-values.js';
import type { ConfigValues, LogLevel } from './schema.js';

export interface MysqlConfig {
  readonly host: string;
  /** The configured port, with Ocelot's 0 already turned into 3306 (unused with the socket). */
  readonly port: number;
  /** mysql_socket: used instead of TCP when host is 'localhost' (@oncilla/database mysqlEndpoint). */
  readonly socket: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export interface Config {
  /** `['*']` means all interfaces; otherwise addresses, host names and `unix:<path>` entries. */
  readonly listenHost: readonly string[];
  readonly listenPort: number;
  readonly maxConnections: number;
  readonly maxMiddlemen: number;
  /** Accepted, unused. */
  readonly maxReadBuffer: number;
  /** Seconds. */
  readonly connectionTimeout: number;
  /** Seconds; 0 disables keep-alive. */
  readonly keepaliveTimeout: number;
  /** Seconds. */
  readonly announceInterval: number;
  readonly maxRequestSize: number;
  readonly numwantLimit: number;
  /** Accepted, unused. */
  readonly requestLogSize: number;
  /** Seconds. */
  readonly delReasonLifetime: number;
  /** Seconds. */
  readonly peersTimeout: number;
  /** Seconds. */
  readonly reapPeersInterval: number;
  /** Seconds. */
  readonly scheduleInterval: number;
  readonly mysql: MysqlConfig;
  readonly siteHost: string;
  readonly sitePath: string;
  readonly sitePort: number;
  readonly sitePassword: string;
  readonly reportPassword: string;
  readonly readonly: boolean;
  /** Accepted, unused: Oncilla logs to stdout. */
  readonly logDir: string;
  readonly redisUrl: string;
  /** Empty: one Redis at redisUrl; else seed nodes of a Redis Cluster. */
  readonly redisCluster: readonly HostPort[];
  readonly redisKeyPrefix: string;
  readonly directSockets: boolean;
  readonly redisAutoPipelining: boolean;
  readonly workers: number;
  readonly allowPrivatePeers: boolean;
  readonly allowClientIp: boolean;
  /** Validated address / CIDR entries as written. */
  readonly trustedProxies: readonly string[];
  /** Seconds; 0 = Ocelot's `+ min(600, seeders)` rule. */
  readonly announceJitter: number;
  readonly logLevel: LogLevel;
  /** Seconds; 0 = no periodic reload from MySQL. */
  readonly reloadInterval: number;
  /** false: never take the flush lease (another cluster on the same Redis flushes). */
  readonly flush: boolean;
  /** null: /metrics is served on the main port behind the report password. */
  readonly metricsListen: HostPort | null;
  /** Bytes per second one peer can be credited with at most; 0 = no limit. */
  readonly maxCreditRate: number;
  /** Bytes one announce can be credited with at most; 0 = no limit. */
  readonly maxAnnounceCredit: number;
  /** Milliseconds: a worker's Redis calls fail past this. */
  readonly redisTimeout: number;
  /** Per worker: requests waiting on Redis at once before more are refused. */
  readonly maxInflightRequests: number;
  /** Seconds: the flush's per-statement timeout. */
  readonly mysqlFlushTimeout: number;
  /** Seconds of flush lag that are logged. */
  readonly flushLagWarning: number;
}

/** libmysql's meaning of port 0; mysql2 has no such default, so resolve it here. */
const MYSQL_DEFAULT_PORT = 3306;

export function buildConfig(v: ConfigValues): Config {
  const metrics = v.metrics_listen;
  return Object.freeze({
    listenHost: Object.freeze([...v.listen_host]),
    listenPort: v.listen_port,
    maxConnections: v.max_connections,
    maxMiddlemen: v.max_middlemen,
    maxReadBuffer: v.max_read_buffer,
    connectionTimeout: v.connection_timeout,
    keepaliveTimeout: v.keepalive_timeout,
    announceInterval: v.announce_interval,
    maxRequestSize: v.max_request_size,
    numwantLimit: v.numwant_limit,
    requestLogSize: v.request_log_size,
    delReasonLifetime: v.del_reason_lifetime,
    peersTimeout: v.peers_timeout,
    reapPeersInterval: v.reap_peers_interval,
    scheduleInterval: v.schedule_interval,
    mysql: Object.freeze({
      host: v.mysql_host,
      port: v.mysql_port === 0 ? MYSQL_DEFAULT_PORT : v.mysql_port,
      socket: v.mysql_socket,
      user: v.mysql_username,
      password: v.mysql_password,
      database: v.mysql_db,
    }),
    siteHost: v.site_host,
    sitePath: v.site_path,
    sitePort: v.site_port,
    sitePassword: v.site_password,
    reportPassword: v.report_password,
    readonly: v.readonly,
    logDir: v.log_dir,
    redisUrl: v.redis_url,
    redisCluster: Object.freeze(v.redis_cluster.map((n) => Object.freeze({ host: n.host, port: n.port }))),
    redisKeyPrefix: v.redis_key_prefix,
    directSockets: v.direct_sockets,
    redisAutoPipelining: v.redis_auto_pipelining,
    workers: v.workers,
    allowPrivatePeers: v.allow_private_peers,
    allowClientIp: v.allow_client_ip,
    trustedProxies: Object.freeze([...v.trusted_proxies]),
    announceJitter: v.announce_jitter,
    logLevel: v.log_level,
    reloadInterval: v.reload_interval,
    flush: v.flush,
    metricsListen: metrics === null ? null : Object.freeze({ host: metrics.host, port: metrics.port }),
    maxCreditRate: v.max_credit_rate,
    maxAnnounceCredit: v.max_announce_credit,
    redisTimeout: v.redis_timeout,
    maxInflightRequests: v.max_inflight_requests,
    mysqlFlushTimeout: v.mysql_flush_timeout,
    flushLagWarning: v.flush_lag_warning,
  });
}
