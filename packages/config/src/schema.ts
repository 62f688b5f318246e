// The single table of every config key. Parsing, validation, env-var names, the example file and
// the docs all derive from it, so a key exists once, here.

import { availableParallelism } from 'node:os';
import { anyText, bool, checkedText, oneOf, sharedSecret, uint } from './basic-values.js';
import { cidrList, host, hostPortList, listenHosts, optionalHostPort } from './network-values.js';
import { DEFAULT_REDIS_URL, redisUrl } from './redis-url.js';
import { CONTROL_CHARS, type Parsed, type ValueType } from './value-type.js';

/** A default that depends on the machine; `describe` is what docs show instead of a value. */
export interface ComputedDefault {
  readonly describe: string;
  compute(): string;
}

export interface ConfigKeySpec<N extends string = string, T = unknown> {
  /** The key as written in ocelot.conf. */
  readonly name: N;
  /** `ocelot`: a key Ocelot reads (an existing file keeps working); `oncilla`: ours. */
  readonly origin: 'ocelot' | 'oncilla';
  readonly type: string;
  /** Raw text as written in the file; a test checks that every default parses. */
  readonly default: string | ComputedDefault;
  /** What a valid value looks like; used in docs and after "expected" in errors. */
  readonly validation: string;
  /** False: a SIGHUP reload reports the change but it only takes effect after a restart. */
  readonly reloadable: boolean;
  /** True: the value must never appear in messages or logs. */
  readonly secret: boolean;
  readonly description: string;
  /** The environment variable that overrides the file. */
  readonly env: string;
  parse(raw: string): Parsed<T>;
  /** How a raw value may be shown in an error; null = never. */
  show(raw: string): string | null;
}

interface KeyOptions {
  readonly default: string | ComputedDefault;
  readonly reloadable: boolean;
  readonly description: string;
}

function key<N extends string, T>(
  origin: 'ocelot' | 'oncilla',
  name: N,
  vt: ValueType<T>,
  opts: KeyOptions,
): ConfigKeySpec<N, T> {
  return Object.freeze({
    name,
    origin,
    type: vt.type,
    default: opts.default,
    validation: vt.validation,
    reloadable: opts.reloadable,
    secret: vt.secret,
    description: opts.description,
    env: `TRACKER_${name.toUpperCase()}`,
    parse: (raw: string) => vt.parse(raw),
    show: (raw: string) => vt.show(raw),
  });
}

const ocelot = <N extends string, T>(name: N, vt: ValueType<T>, opts: KeyOptions) => key('ocelot', name, vt, opts);
const oncilla = <N extends string, T>(name: N, vt: ValueType<T>, opts: KeyOptions) => key('oncilla', name, vt, opts);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_SECRET = '0'.repeat(32);

// Node timers hold at most 2^31-1 ms (~24.8 days), so timer-driven keys stop at a week or less.
const DAY = 86_400;
const WEEK = 7 * DAY;
const UINT32_MAX = 4_294_967_295;

const sitePath = checkedText("blank, or a path starting with '/' without spaces, '?' or '#'", (raw) => {
  if (raw === '') return undefined;
  if (!raw.startsWith('/')) return "must start with '/'";
  // It is pasted into the request line `GET <site_path>/tools.php?...`.
  if (/[\s?#]/.test(raw) || CONTROL_CHARS.test(raw)) return 'contains a space, ? or #';
  return undefined;
});

const databaseName = checkedText('a database name (not blank, at most 64 characters)', (raw) => {
  // Ocelot starts, logs "No database selected" and exits 0 on a blank name; better to say why now.
  if (raw === '') return 'blank';
  if (raw.length > 64 || CONTROL_CHARS.test(raw)) return 'not a valid MySQL database name';
  return undefined;
});

const keyPrefix = checkedText('up to 64 printable ASCII characters without spaces (blank allowed)', (raw) =>
  /^[\x21-\x7e]{0,64}$/.test(raw) ? undefined : 'not printable ASCII or too long',
);

// sun_path holds 108 bytes with the terminating NUL.
const socketPath = checkedText("an absolute path to a Unix socket (at most 107 bytes)", (raw) => {
  if (!raw.startsWith('/')) return "must start with '/'";
  if (Buffer.byteLength(raw) > 107 || CONTROL_CHARS.test(raw)) return 'too long for a Unix socket path, or contains control characters';
  return undefined;
});

export const CONFIG_KEYS = [
  // ---- Ocelot's keys, GazellePW defaults ----
  ocelot('listen_host', listenHosts(), {
    default: '*',
    reloadable: false,
    description: "Bind addresses; '*' or blank = all interfaces, unix:<path> adds a Unix socket.",
  }),
  ocelot('listen_port', uint(1, 65535), {
    default: '34000',
    reloadable: false,
    description: 'TCP port for announce, scrape, update and report.',
  }),
  ocelot('max_connections', uint(1, 65535), {
    default: '1024',
    reloadable: false,
    description: 'listen() backlog.',
  }),
  ocelot('max_middlemen', uint(1, 1_000_000), {
    default: '20000',
    reloadable: true,
    description: 'Maximum concurrently open client connections per worker.',
  }),
  ocelot('max_read_buffer', uint(1, UINT32_MAX), {
    default: '4096',
    reloadable: true,
    description: 'Accepted for compatibility; unused (Node sizes its own reads).',
  }),
  ocelot('connection_timeout', uint(1, 3600), {
    default: '10',
    reloadable: true,
    description: "Seconds from accept (or, on a kept connection, from the next request's first byte) until a connection without a complete request is closed; checked every 250 ms, so it goes up to a quarter second late.",
  }),
  ocelot('keepalive_timeout', uint(0, 3600), {
    default: '0',
    reloadable: true,
    description: 'Idle seconds a keep-alive connection is held after a response (checked every 250 ms); 0 disables keep-alive.',
  }),
  ocelot('announce_interval', uint(1, DAY), {
    default: '1800',
    reloadable: true,
    description: 'Base announce interval and min interval in seconds.',
  }),
  ocelot('max_request_size', uint(256, 1_048_576), {
    default: '4096',
    reloadable: true,
    description: 'Largest request target (path and query) in bytes; longer ones fail with "GET string too long".',
  }),
  ocelot('numwant_limit', uint(0, 10_000), {
    default: '50',
    reloadable: true,
    description: 'Default and maximum number of peers returned per announce.',
  }),
  ocelot('request_log_size', uint(0, UINT32_MAX), {
    default: '500',
    reloadable: true,
    description: 'Accepted for compatibility; unused (as in Ocelot).',
  }),
  ocelot('del_reason_lifetime', uint(0, 365 * DAY), {
    default: '86400',
    reloadable: true,
    description: 'Seconds a deleted torrent keeps its deletion reason for announces.',
  }),
  ocelot('peers_timeout', uint(1, WEEK), {
    default: '7200',
    reloadable: true,
    description: 'Seconds of silence after which a peer is reaped.',
  }),
  ocelot('reap_peers_interval', uint(1, DAY), {
    default: '1800',
    reloadable: true,
    description: 'Seconds between peer reaper runs.',
  }),
  ocelot('schedule_interval', uint(1, 3600), {
    default: '3',
    reloadable: true,
    description: 'Seconds between scheduler ticks (database flushes, statistics).',
  }),
  ocelot('mysql_db', databaseName, {
    default: 'gazelle',
    reloadable: false,
    description: 'MySQL database name.',
  }),
  ocelot('mysql_host', host(), {
    default: 'localhost',
    reloadable: false,
    description: 'MySQL server host.',
  }),
  ocelot('mysql_port', uint(0, 65535), {
    default: '0',
    reloadable: false,
    description: 'MySQL server port; 0 means 3306.',
  }),
  ocelot('mysql_username', anyText(), {
    default: '',
    reloadable: false,
    description: 'MySQL user name.',
  }),
  ocelot('mysql_password', anyText({ secret: true }), {
    default: '',
    reloadable: false,
    description: 'MySQL password.',
  }),
  ocelot('site_host', host(), {
    default: '127.0.0.1',
    reloadable: true,
    description: 'Site host for token-expiry callbacks (GET <site_path>/tools.php).',
  }),
  ocelot('site_path', sitePath, {
    default: '',
    reloadable: true,
    description: 'Path prefix placed before /tools.php in token-expiry callbacks.',
  }),
  ocelot('site_password', sharedSecret(), {
    default: DEFAULT_SECRET,
    reloadable: true,
    description: "Secret for /<secret>/update and site callbacks; must match the site's TRACKER_SECRET.",
  }),
  ocelot('report_password', sharedSecret(), {
    default: DEFAULT_SECRET,
    reloadable: true,
    description: "Secret for /<secret>/report; must match the site's TRACKER_REPORTKEY.",
  }),
  ocelot('readonly', bool(), {
    default: 'false',
    // Ocelot reloads it; here the announce script's mode and the flush are set at start.
    reloadable: false,
    description: 'Discard all database writes and token callbacks (a restart applies a change, unlike Ocelot).',
  }),
  ocelot('log_dir', anyText(), {
    default: '/tmp/',
    reloadable: true,
    description: 'Accepted for compatibility; unused (Oncilla logs to stdout).',
  }),

  // ---- Oncilla's own keys ----
  oncilla('redis_url', redisUrl(), {
    default: DEFAULT_REDIS_URL,
    reloadable: false,
    description: 'Redis holding the shared swarm state (one Redis; for a Redis Cluster set redis_cluster instead).',
  }),
  oncilla('redis_cluster', hostPortList(), {
    default: '',
    reloadable: false,
    description:
      'Blank: one Redis at redis_url. Else some nodes of a Redis Cluster (host:port, comma-separated) to discover it from; ' +
      'redis_url must then be left unset or blank.',
  }),
  oncilla('redis_key_prefix', keyPrefix, {
    default: 'oncilla:',
    reloadable: false,
    description: 'Prefix of every Redis key, so two trackers can share one Redis.',
  }),
  oncilla('workers', uint(1, 1024), {
    default: { describe: 'number of CPUs (os.availableParallelism())', compute: () => String(availableParallelism()) },
    reloadable: false,
    description: 'Number of worker processes serving HTTP.',
  }),
  oncilla('allow_private_peers', bool(), {
    default: 'false',
    reloadable: true,
    description: 'Accept peers with private, loopback or link-local addresses.',
  }),
  oncilla('allow_client_ip', bool(), {
    default: 'false',
    reloadable: true,
    description: 'Honour the ip/ipv4/ipv6 announce parameters.',
  }),
  oncilla('trusted_proxies', cidrList(), {
    default: '',
    reloadable: true,
    description: 'Proxies whose X-Forwarded-For is believed; blank = never trust it.',
  }),
  oncilla('announce_jitter', uint(0, 3600), {
    default: '0',
    reloadable: true,
    description: "Adds a uniform random 0..jitter seconds to announce_interval; 0 = Ocelot's + min(600, seeders).",
  }),
  oncilla('direct_sockets', bool(), {
    default: 'true',
    reloadable: false,
    description: "Read client connections on libuv's TCP handles directly (Node's internal tcp_wrap binding) instead of through net.Socket: about 20 µs less CPU per new connection. Where this Node lacks that binding the worker says so and uses net.Socket; false: always net.Socket.",
  }),
  oncilla('redis_auto_pipelining', bool(), {
    default: 'false',
    reloadable: false,
    description: "ioredis auto-pipelining: less Redis CPU, slightly more Node CPU.",
  }),
  oncilla('log_level', oneOf(LOG_LEVELS), {
    default: 'info',
    reloadable: true,
    description: 'Lowest level written to the stdout log.',
  }),
  oncilla('site_port', uint(1, 65535), {
    default: '80',
    reloadable: true,
    description: 'Site port for token-expiry callbacks (Ocelot hard-codes 80).',
  }),
  oncilla('reload_interval', uint(0, WEEK), {
    default: '0',
    reloadable: true,
    description: 'Seconds between periodic reloads of users, torrents and whitelist from MySQL; 0 = off.',
  }),
  oncilla('flush', bool(), {
    default: 'true',
    reloadable: false,
    description: "Whether this cluster may take the flush lease and write accounting to MySQL; false: another cluster on the same Redis must.",
  }),
  oncilla('mysql_socket', socketPath, {
    default: '/run/mysqld/mysqld.sock',
    reloadable: false,
    description: "The Unix socket used when mysql_host is 'localhost', as Ocelot's MySQL library does; set mysql_host to 127.0.0.1 for TCP.",
  }),
  oncilla('max_credit_rate', uint(0, Number.MAX_SAFE_INTEGER), {
    default: '1250000000',
    reloadable: true,
    description:
      'Bytes per second, up or down, one peer can be credited with since its previous announce; more is not credited (logged, ' +
      'oncilla_refused_transfers_total). 0 = no limit. The default, 10 Gbit/s, is beyond any one client on one torrent.',
  }),
  oncilla('max_announce_credit', uint(0, Number.MAX_SAFE_INTEGER), {
    default: '4398046511104',
    reloadable: true,
    description:
      'Bytes, up or down, one announce can be credited with at most, however long since the previous one; more is not credited. ' +
      '0 = no limit. The default, 4 TiB, is about an hour at 10 Gbit/s, twice the default announce interval.',
  }),
  oncilla('redis_timeout', uint(10, 60_000), {
    default: '500',
    reloadable: false,
    description:
      "Milliseconds a worker waits for Redis' answer to an announce, scrape or site update before answering " +
      '"The tracker is temporarily unavailable." (Redis hangs, or is overloaded); never queued or retried.',
  }),
  oncilla('max_inflight_requests', uint(1, 1_000_000), {
    default: '1000',
    reloadable: true,
    description:
      'Requests one worker waits on Redis for at once; more are answered "The tracker is temporarily unavailable." at once, ' +
      'so a hanging Redis cannot pile up requests and memory.',
  }),
  oncilla('mysql_flush_timeout', uint(1, 3600), {
    default: '20',
    reloadable: true,
    description:
      'Seconds one flush statement may take (the hourly prune of `oncilla_flush_log` included); a MySQL that stops answering fails the flush, which keeps its batch in Redis and retries.',
  }),
  oncilla('flush_lag_warning', uint(1, WEEK), {
    default: '30',
    reloadable: true,
    description: 'Seconds of flush lag (oncilla_flush_lag_seconds) past which the primary logs a warning, once a minute while it lasts.',
  }),
  oncilla('metrics_listen', optionalHostPort(), {
    default: '',
    reloadable: false,
    description: 'Blank: /metrics on the main port behind the report password; else host:port of its own listener.',
  }),
] as const;

type AnySpec = (typeof CONFIG_KEYS)[number];
export type ConfigKey = AnySpec['name'];

/** The parsed value of every key, typed per key. */
export type ConfigValues = {
  [S in AnySpec as S['name']]: S extends ConfigKeySpec<string, infer T> ? T : never;
};

const BY_NAME: ReadonlyMap<string, AnySpec> = new Map(CONFIG_KEYS.map((s) => [s.name, s]));

export function isConfigKey(name: string): name is ConfigKey {
  return BY_NAME.has(name);
}

/** The default of a key as raw text (computed ones are evaluated now). */
export function defaultText(spec: ConfigKeySpec): string {
  return typeof spec.default === 'string' ? spec.default : spec.default.compute();
}
