import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configError, envError, load } from './helpers.js';

const cfg = (env: Record<string, string>) => load(env).config;

function assertRejected(key: string, value: string, expected: RegExp): void {
  const err = envError(key, value);
  assert.equal(err.problems.length, 1, err.message);
  assert.equal(err.problems[0]?.key, key);
  assert.match(err.message, new RegExp(`${key}: invalid value`));
  assert.match(err.message, /environment variable TRACKER_/);
  assert.match(err.message, expected);
}

// ---- bool ----

test('bool: 1 true yes on (any case) are true; 0 false no off and blank are false', () => {
  for (const v of ['1', 'true', 'yes', 'on', 'TRUE', 'Yes', 'oN']) assert.equal(cfg({ TRACKER_READONLY: v }).readonly, true, v);
  for (const v of ['0', 'false', 'no', 'off', '', 'FALSE', 'Off']) assert.equal(cfg({ TRACKER_READONLY: v }).readonly, false, v);
});

test('bool: anything else is an error, not silently false', () => {
  for (const v of ['2', 'enabled', 'y', 'truee', '-1']) {
    assertRejected('allow_client_ip', v, /expected true or false/);
  }
  assert.match(envError('readonly', 'nope').message, /"nope"/);
});

// ---- uint ----

test('uint: whole decimal numbers within range', () => {
  assert.equal(cfg({ TRACKER_LISTEN_PORT: '1' }).listenPort, 1);
  assert.equal(cfg({ TRACKER_LISTEN_PORT: '65535' }).listenPort, 65535);
  assert.equal(cfg({ TRACKER_LISTEN_PORT: '08080' }).listenPort, 8080);
  assert.equal(cfg({ TRACKER_NUMWANT_LIMIT: '0' }).numwantLimit, 0);
  assert.equal(cfg({ TRACKER_KEEPALIVE_TIMEOUT: '0' }).keepaliveTimeout, 0);
});

test('uint: garbage is an error (compatibility F29)', () => {
  for (const v of ['', 'abc', '-1', '+5', '1e3', '0x10', '1.0', '12abc', '1 2', '99999999999999999999']) {
    assertRejected('listen_port', v, /expected a whole number from 1 to 65535/);
  }
});

test('uint: out of range names the range', () => {
  assertRejected('listen_port', '0', /"0".*out of range.*from 1 to 65535/);
  assertRejected('listen_port', '65536', /from 1 to 65535/);
  for (const key of ['announce_interval', 'schedule_interval', 'reap_peers_interval', 'peers_timeout', 'connection_timeout', 'workers']) {
    assertRejected(key, '0', /out of range/);
  }
});

test('mysql_port: 0 is allowed and means 3306', () => {
  assert.equal(cfg({ TRACKER_MYSQL_PORT: '0' }).mysql.port, 3306);
  assert.equal(cfg({ TRACKER_MYSQL_PORT: '3307' }).mysql.port, 3307);
  assertRejected('mysql_port', '70000', /from 0 to 65535/);
});

// ---- enum ----

test('log_level: one of the pino levels, case-insensitive', () => {
  assert.equal(cfg({ TRACKER_LOG_LEVEL: 'DEBUG' }).logLevel, 'debug');
  assertRejected('log_level', 'verbose', /one of fatal, error, warn, info, debug, trace/);
});

// ---- listen_host ----

test('listen_host: * or blank means all interfaces', () => {
  assert.deepEqual(cfg({}).listenHost, ['*']);
  assert.deepEqual(cfg({ TRACKER_LISTEN_HOST: '' }).listenHost, ['*']);
  assert.deepEqual(cfg({ TRACKER_LISTEN_HOST: ' * ' }).listenHost, ['*']);
});

test('listen_host: space-separated addresses, host names and unix sockets', () => {
  assert.deepEqual(cfg({ TRACKER_LISTEN_HOST: '127.0.0.1  ::1 tracker.local unix:/run/o.sock' }).listenHost, [
    '127.0.0.1',
    '::1',
    'tracker.local',
    'unix:/run/o.sock',
  ]);
});

test('listen_host: bad entries are errors', () => {
  assertRejected('listen_host', '* 127.0.0.1', /'\*' must be the only entry/);
  assertRejected('listen_host', '127.0.0.1 bad!host', /entry "bad!host"/);
  assertRejected('listen_host', 'unix:', /socket path/);
});

// ---- trusted_proxies ----

test('trusted_proxies: addresses and CIDRs, separated by spaces and/or commas', () => {
  assert.deepEqual(cfg({}).trustedProxies, []);
  assert.deepEqual(cfg({ TRACKER_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1,::1  fd00::/8 0.0.0.0/0 ::/128' }).trustedProxies, [
    '10.0.0.0/8',
    '192.168.1.1',
    '::1',
    'fd00::/8',
    '0.0.0.0/0',
    '::/128',
  ]);
});

test('trusted_proxies: bad addresses and prefix lengths are errors naming the entry', () => {
  assertRejected('trusted_proxies', '10.0.0.0/8 10.0.0.0/33', /entry "10.0.0.0\/33" needs a prefix length from 0 to 32/);
  assertRejected('trusted_proxies', '::/129', /from 0 to 128/);
  assertRejected('trusted_proxies', '10.0.0.0/', /prefix length/);
  assertRejected('trusted_proxies', '10.0.0.0/-1', /prefix length/);
  assertRejected('trusted_proxies', '1.2.3', /entry "1.2.3" is not an IP address or CIDR/);
  assertRejected('trusted_proxies', 'proxy.local', /not an IP address/);
  assertRejected('trusted_proxies', 'fe80::1%eth0', /not an IP address/);
});

// ---- metrics_listen ----

test('metrics_listen: blank or host:port', () => {
  assert.equal(cfg({}).metricsListen, null);
  assert.deepEqual(cfg({ TRACKER_METRICS_LISTEN: '127.0.0.1:9100' }).metricsListen, { host: '127.0.0.1', port: 9100 });
  assert.deepEqual(cfg({ TRACKER_METRICS_LISTEN: '[::1]:9100' }).metricsListen, { host: '::1', port: 9100 });
  assert.deepEqual(cfg({ TRACKER_METRICS_LISTEN: 'metrics.local:80' }).metricsListen, { host: 'metrics.local', port: 80 });
});

test('metrics_listen: malformed values are errors', () => {
  assertRejected('metrics_listen', '9100', /missing :port/);
  assertRejected('metrics_listen', '::1:9100', /brackets/);
  assertRejected('metrics_listen', '127.0.0.1:0', /host:port/);
  assertRejected('metrics_listen', '127.0.0.1:', /host:port/);
  assertRejected('metrics_listen', ':9100', /host:port/);
  assertRejected('metrics_listen', '[1.2.3.4]:9100', /IPv6/);
});

// ---- redis_cluster ----

test('redis_cluster: blank (one Redis) or host:port entries, commas or spaces between them', () => {
  assert.deepEqual(cfg({}).redisCluster, []);
  assert.deepEqual(cfg({ TRACKER_REDIS_CLUSTER: 'r1:7000,r2:7001 , [::1]:7002 10.0.0.3:7003' }).redisCluster, [
    { host: 'r1', port: 7000 }, { host: 'r2', port: 7001 }, { host: '::1', port: 7002 }, { host: '10.0.0.3', port: 7003 },
  ]);
});

test('redis_cluster: a malformed entry is an error naming it', () => {
  assertRejected('redis_cluster', 'r1:7000,r2', /entry "r2": missing :port/);
  assertRejected('redis_cluster', 'r1:70000', /entry "r1:70000" is not host:port/);
  assertRejected('redis_cluster', 'redis://r1:7000', /entry "redis:\/\/r1:7000"/);
});

test('redis_url and redis_cluster together stop the start, naming both and where each came from', () => {
  const err = configError(() => load({ TRACKER_REDIS_CLUSTER: 'r1:7000' }, 'redis_url = redis://r:6379\n'));
  assert.equal(err.problems.length, 1);
  assert.equal(err.problems[0].key, 'redis_cluster');
  assert.match(err.problems[0].message, /redis_url \(from \/t\.conf line 1\) and redis_cluster \(from environment variable TRACKER_REDIS_CLUSTER\) are both set/);
  // redis_url at its default does not count as set
  assert.deepEqual(load({ TRACKER_REDIS_CLUSTER: 'r1:7000' }).config.redisCluster, [{ host: 'r1', port: 7000 }]);
  // nor does a blank one (compose files clear it so)
  assert.deepEqual(load({ TRACKER_REDIS_CLUSTER: 'r1:7000', TRACKER_REDIS_URL: '' }).config.redisCluster, [{ host: 'r1', port: 7000 }]);
  assert.equal(cfg({ TRACKER_REDIS_URL: ' ' }).redisUrl, 'redis://127.0.0.1:6379');
});

// ---- strings ----

test('site_host and mysql_host: an IP or host name', () => {
  assert.equal(cfg({ TRACKER_SITE_HOST: 'gpw_web' }).siteHost, 'gpw_web');
  assert.equal(cfg({ TRACKER_MYSQL_HOST: '::1' }).mysql.host, '::1');
  assertRejected('site_host', 'http://web', /an IP address or host name/);
  assertRejected('mysql_host', '', /an IP address or host name/);
});

test('mysql_socket: an absolute path that fits a Unix socket address', () => {
  assert.equal(cfg({}).mysql.socket, '/run/mysqld/mysqld.sock');
  assert.equal(cfg({ TRACKER_MYSQL_SOCKET: '/var/lib/mysql/mysql.sock' }).mysql.socket, '/var/lib/mysql/mysql.sock');
  assertRejected('mysql_socket', 'mysqld.sock', /must start with '\/'/);
  assertRejected('mysql_socket', '', /must start with '\/'/);
  assertRejected('mysql_socket', '/' + 'a'.repeat(107), /too long/);
  assert.equal(cfg({ TRACKER_MYSQL_SOCKET: '/' + 'a'.repeat(106) }).mysql.socket.length, 107);
});

test('site_path: blank or an absolute path usable in a request line', () => {
  assert.equal(cfg({ TRACKER_SITE_PATH: '/gazelle' }).sitePath, '/gazelle');
  assertRejected('site_path', 'gazelle', /must start with '\/'/);
  assertRejected('site_path', '/a b', /space/);
  assertRejected('site_path', '/a?b', /\?/);
});

test('mysql_db: must not be blank', () => {
  assert.equal(cfg({ TRACKER_MYSQL_DB: 'gpw' }).mysql.database, 'gpw');
  assertRejected('mysql_db', '', /blank/);
});

test('redis_key_prefix: printable, no spaces, may be blank', () => {
  assert.equal(cfg({ TRACKER_REDIS_KEY_PREFIX: '' }).redisKeyPrefix, '');
  assert.equal(cfg({ TRACKER_REDIS_KEY_PREFIX: 'site2:' }).redisKeyPrefix, 'site2:');
  assertRejected('redis_key_prefix', 'a b', /printable ASCII/);
  assertRejected('redis_key_prefix', 'x'.repeat(65), /printable ASCII/);
});

test('free text keys take any value', () => {
  const c = cfg({ TRACKER_MYSQL_USERNAME: 'gazelle', TRACKER_MYSQL_PASSWORD: 'p a#s=s', TRACKER_LOG_DIR: '/var/log/' });
  assert.equal(c.mysql.user, 'gazelle');
  assert.equal(c.mysql.password, 'p a#s=s');
  assert.equal(c.logDir, '/var/log/');
});

// ---- secrets ----

const GOOD_SECRET = 'abcdefghijklmnopqrstuvwxyz012345';

test('site_password / report_password: exactly 32 URL-path-safe characters', () => {
  const c = cfg({ TRACKER_SITE_PASSWORD: GOOD_SECRET, TRACKER_REPORT_PASSWORD: 'A!$&()*+,;=:@-_.~'.padEnd(32, 'z') });
  assert.equal(c.sitePassword, GOOD_SECRET);
  assert.equal(c.reportPassword.length, 32);
});

test('bad secrets are errors that never show the value', () => {
  const bad = [
    ['short', 'hunter2secret', /has 13 characters/],
    ['long', GOOD_SECRET + 'Q', /has 33 characters/],
    ['slash', 'abcdefghijklmnop/rstuvwxyz012345', /forbidden character/],
    ['question', 'abcdefghijklmnop?rstuvwxyz012345', /forbidden character/],
    ['percent', 'abcdefghijklmnop%rstuvwxyz012345', /forbidden character/],
    ['hash', 'abcdefghijklmnop#rstuvwxyz012345', /forbidden character/],
    ['space', 'abcdefghijklmnop rstuvwxyz012345', /forbidden character/],
    ['control', 'abcdefghijklmnop\u0001rstuvwxyz012345', /forbidden character/],
    ['non-ascii', 'abcdefghijklmnopérstuvwxyz012345', /forbidden character/],
  ] as const;
  for (const key of ['site_password', 'report_password']) {
    for (const [label, value, why] of bad) {
      const err = envError(key, value);
      assert.match(err.message, new RegExp(`${key}: invalid value <hidden>`), label);
      assert.match(err.message, why, label);
      assert.match(err.message, /expected exactly 32 printable ASCII characters/, label);
      assert.ok(!err.message.includes(value), `${key} ${label}: secret leaked: ${err.message}`);
      assert.ok(!err.message.includes('hunter2'), label);
      assert.ok(!err.message.includes('abcdefghijklmnop'), label);
      assert.ok(!JSON.stringify(err.problems).includes('abcdefghijklmnop'), label);
    }
  }
});

test('mysql_password never appears in any error, even alongside other problems', () => {
  const err = configError(() =>
    load({ TRACKER_LISTEN_PORT: 'x' }, 'mysql_password = s3cr3t-Pa55\nlisten_port = x\nworkers = 0\n'),
  );
  assert.ok(!err.message.includes('s3cr3t'));
  assert.ok(!JSON.stringify(err.problems).includes('s3cr3t'));
});

// ---- redis_url ----

test('redis_url: redis:// or rediss:// with a host and optional db number', () => {
  assert.equal(cfg({}).redisUrl, 'redis://127.0.0.1:6379');
  for (const v of ['redis://r:6380/2', 'rediss://user:pw@r.example', 'redis://[::1]:6379', 'redis://r/?family=6']) {
    assert.equal(cfg({ TRACKER_REDIS_URL: v }).redisUrl, v);
  }
});

test('redis_url: bad URLs are errors shown without their password', () => {
  const scheme = envError('redis_url', 'http://user:hunter2@r:6379');
  assert.match(scheme.message, /unsupported scheme/);
  assert.match(scheme.message, /"http:\/\/user@r:6379\/"/);
  assert.ok(!scheme.message.includes('hunter2'));

  const db = envError('redis_url', 'redis://:hunter2@r:6379/abc');
  assert.match(db.message, /database number/);
  assert.ok(!db.message.includes('hunter2'));

  // Unparseable and carrying credentials: the whole value is hidden.
  const broken = envError('redis_url', 'redis://u:hun#ter2@r');
  assert.match(broken.message, /redis_url: invalid value <hidden>/);
  assert.ok(!broken.message.includes('hun'));

  // A '/' in the password splits it into the path; that must not leak either.
  const split = envError('redis_url', 'redis://u:12/hunter2@r');
  assert.ok(!split.message.includes('hunter2'), split.message);

  assertRejected('redis_url', 'not a url', /"not a url".*expected a redis:\/\//);
  assertRejected('redis_url', 'redis://', /missing host|expected a redis/);
});

// ---- workers ----

test('workers: integer >= 1', () => {
  assert.equal(cfg({ TRACKER_WORKERS: '8' }).workers, 8);
  assertRejected('workers', '0', /from 1 to 1024/);
  assertRejected('workers', 'auto', /whole number/);
});
