import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { DEFAULT_CONFIG_PATH, loadConfig } from '@oncilla/config';
import { configError, fakeFs, load } from './helpers.js';

test('defaults: GazellePW values when no file exists', () => {
  const { config, warnings, source } = load();
  assert.deepEqual(source, {});
  assert.ok(warnings.includes("Using default config because './ocelot.conf' couldn't be opened"));
  assert.deepEqual(config.listenHost, ['*']);
  assert.equal(config.listenPort, 34000);
  assert.equal(config.maxConnections, 1024);
  assert.equal(config.maxMiddlemen, 20000);
  assert.equal(config.maxReadBuffer, 4096);
  assert.equal(config.connectionTimeout, 10);
  assert.equal(config.keepaliveTimeout, 0);
  assert.equal(config.announceInterval, 1800);
  assert.equal(config.maxRequestSize, 4096);
  assert.equal(config.numwantLimit, 50);
  assert.equal(config.requestLogSize, 500);
  assert.equal(config.delReasonLifetime, 86400);
  assert.equal(config.peersTimeout, 7200);
  assert.equal(config.reapPeersInterval, 1800);
  assert.equal(config.scheduleInterval, 3);
  assert.deepEqual(config.mysql, { host: 'localhost', port: 3306, socket: '/run/mysqld/mysqld.sock', user: '', password: '', database: 'gazelle' });
  assert.equal(config.siteHost, '127.0.0.1');
  assert.equal(config.sitePath, '');
  assert.equal(config.sitePort, 80);
  assert.equal(config.sitePassword, '0'.repeat(32));
  assert.equal(config.reportPassword, '0'.repeat(32));
  assert.equal(config.readonly, false);
  assert.equal(config.logDir, '/tmp/');
  assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(config.redisKeyPrefix, 'oncilla:');
  assert.equal(config.redisAutoPipelining, false);
  assert.equal(config.allowPrivatePeers, false);
  assert.equal(config.allowClientIp, false);
  assert.deepEqual(config.trustedProxies, []);
  assert.equal(config.announceJitter, 0);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.reloadInterval, 0);
  assert.equal(config.metricsListen, null);
});

test('workers defaults to os.availableParallelism()', () => {
  assert.equal(load().config.workers, availableParallelism());
  assert.equal(load({}, 'workers = 3\n').config.workers, 3);
});

test('default secrets produce warnings', () => {
  const { warnings } = load();
  assert.ok(warnings.some((w) => w.startsWith('site_password is the public default')));
  assert.ok(warnings.some((w) => w.startsWith('report_password is the public default')));
  const custom = load({ TRACKER_SITE_PASSWORD: 'a'.repeat(32), TRACKER_REPORT_PASSWORD: 'b'.repeat(32) });
  assert.ok(!custom.warnings.some((w) => w.includes('public default')));
});

test('./ocelot.conf is used when present and no -c was given', () => {
  const { config, source, warnings } = loadConfig({
    env: {},
    readFile: fakeFs({ [DEFAULT_CONFIG_PATH]: 'listen_port = 2710\n' }),
  });
  assert.equal(config.listenPort, 2710);
  assert.deepEqual(source, { file: './ocelot.conf' });
  assert.ok(!warnings.some((w) => w.startsWith('Using default config')));
});

test('./ocelot.conf that exists but cannot be read is an error', () => {
  const err = configError(() =>
    loadConfig({
      env: {},
      readFile: () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    }),
  );
  assert.match(err.message, /Config file '.\/ocelot.conf' couldn't be opened \(EACCES\)/);
});

test('a -c path that cannot be opened is an error naming the path', () => {
  const err = configError(() => loadConfig({ configPath: '/etc/missing.conf', env: {}, readFile: fakeFs({}) }));
  assert.match(err.message, /Config file '\/etc\/missing.conf' couldn't be opened \(ENOENT\)/);
});

test('the real file system is used by default', () => {
  const err = configError(() => loadConfig({ configPath: '/nonexistent/oncilla-test.conf', env: {} }));
  assert.match(err.message, /\/nonexistent\/oncilla-test.conf/);
});

test('file values override defaults; source names the file', () => {
  const { config, source } = load({}, 'listen_port = 2710\nreadonly = yes\r\nlisten_host = 127.0.0.1 ::1\n');
  assert.deepEqual(source, { file: '/t.conf' });
  assert.equal(config.listenPort, 2710);
  assert.equal(config.readonly, true);
  assert.deepEqual(config.listenHost, ['127.0.0.1', '::1']);
  assert.equal(config.announceInterval, 1800);
});

test('file warnings are passed on with the file name', () => {
  const { warnings } = load({}, 'colour = blue\n');
  assert.ok(warnings.includes("/t.conf: Unrecognized setting 'colour'"));
});

test('TRACKER_<KEY> environment variables win over the file', () => {
  const { config } = load(
    { TRACKER_WORKERS: '8', TRACKER_LISTEN_PORT: ' 3000 ', TRACKER_MYSQL_HOST: 'db' },
    'workers = 2\nlisten_port = 2710\nannounce_interval = 900\n',
  );
  assert.equal(config.workers, 8);
  assert.equal(config.listenPort, 3000);
  assert.equal(config.mysql.host, 'db');
  assert.equal(config.announceInterval, 900);
});

test('an empty environment variable counts as set', () => {
  assert.equal(load({ TRACKER_READONLY: '' }, 'readonly = 1\n').config.readonly, false);
  const err = configError(() => load({ TRACKER_LISTEN_PORT: '' }));
  assert.match(err.message, /listen_port: invalid value "" from environment variable TRACKER_LISTEN_PORT/);
});

test('unknown TRACKER_ variables warn; other variables are ignored', () => {
  const { warnings } = load({ TRACKER_WORKER: '4', PATH: '/bin', TRACKERX: '1' });
  assert.ok(warnings.includes("Unrecognized environment variable 'TRACKER_WORKER'"));
  assert.ok(!warnings.some((w) => w.includes('PATH') || w.includes('TRACKERX')));
});

test('every problem is reported at once, each with key, origin, value and expectation', () => {
  const err = configError(() =>
    load(
      { TRACKER_WORKERS: 'many', TRACKER_SITE_PASSWORD: 'tooshort' },
      '# comment\nlisten_port = 0\nreadonly = perhaps\nnumwant_limit = 50\r\n',
    ),
  );
  assert.deepEqual(
    err.problems.map((p) => [p.key, p.origin]),
    [
      ['listen_port', '/t.conf line 2'],
      ['site_password', 'environment variable TRACKER_SITE_PASSWORD'],
      ['readonly', '/t.conf line 3'],
      ['workers', 'environment variable TRACKER_WORKERS'],
    ],
  );
  assert.match(err.message, /^Invalid configuration \(4 problems\):/);
  assert.match(err.message, /listen_port: invalid value "0" from \/t.conf line 2 \(out of range\); expected a whole number from 1 to 65535/);
  assert.match(err.message, /readonly: invalid value "perhaps" from \/t.conf line 3; expected true or false/);
  assert.match(err.message, /workers: invalid value "many" from environment variable TRACKER_WORKERS; expected a whole number/);
  assert.match(err.message, /site_password: invalid value <hidden> from environment variable TRACKER_SITE_PASSWORD \(has 8 characters\)/);
  assert.ok(!err.message.includes('tooshort'));
  assert.equal(err.name, 'ConfigError');
});

test('an unreadable file and bad env values are reported together', () => {
  const err = configError(() =>
    loadConfig({ configPath: '/nope.conf', env: { TRACKER_LISTEN_PORT: 'x' }, readFile: fakeFs({}) }),
  );
  assert.equal(err.problems.length, 2);
  assert.equal(err.problems[0]?.key, undefined);
  assert.equal(err.problems[1]?.key, 'listen_port');
});

test('the config is deeply frozen', () => {
  const { config } = load({ TRACKER_METRICS_LISTEN: '127.0.0.1:9100', TRACKER_TRUSTED_PROXIES: '10.0.0.1' });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.mysql));
  assert.ok(Object.isFrozen(config.listenHost));
  assert.ok(Object.isFrozen(config.trustedProxies));
  assert.ok(Object.isFrozen(config.metricsListen));
  assert.throws(() => {
    (config as { listenPort: number }).listenPort = 1;
  }, TypeError);
});

test('peers_timeout not above the longest announce interval warns', () => {
  const short = load({ TRACKER_PEERS_TIMEOUT: '2000', TRACKER_ANNOUNCE_INTERVAL: '1800' });
  assert.ok(short.warnings.some((w) => w.startsWith('peers_timeout (2000s) is not longer')));
  const jitter = load({ TRACKER_PEERS_TIMEOUT: '2000', TRACKER_ANNOUNCE_JITTER: '60' });
  assert.ok(!jitter.warnings.some((w) => w.startsWith('peers_timeout')));
  assert.ok(!load().warnings.some((w) => w.startsWith('peers_timeout')));
});
