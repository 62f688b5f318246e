import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffConfig, redactedConfig, reloadableChanges } from '@oncilla/config';
import { load } from './helpers.js';

const SITE = 'S'.repeat(16) + 'site'.repeat(4);
const REPORT = 'R'.repeat(16) + 'rprt'.repeat(4);

test('redactedConfig hides every secret and keeps the rest', () => {
  const { config } = load({
    TRACKER_SITE_PASSWORD: SITE,
    TRACKER_REPORT_PASSWORD: REPORT,
    TRACKER_MYSQL_PASSWORD: 'dbpass',
    TRACKER_REDIS_URL: 'redis://tracker:redispass@r:6379/1',
  });
  const safe = redactedConfig(config);
  const text = JSON.stringify(safe);
  for (const secret of [SITE, REPORT, 'dbpass', 'redispass']) assert.ok(!text.includes(secret), secret);
  assert.equal(safe.sitePassword, '<redacted>');
  assert.equal(safe.reportPassword, '<redacted>');
  assert.equal(safe.mysql.password, '<redacted>');
  assert.equal(safe.redisUrl, 'redis://tracker@r:6379/1');
  assert.equal(safe.listenPort, config.listenPort);
  assert.deepEqual(safe.mysql, { ...config.mysql, password: '<redacted>' });
  assert.ok(!Object.isFrozen(safe));
  // The original is untouched.
  assert.equal(config.sitePassword, SITE);
});

test('redactedConfig leaves a password-less redis_url alone', () => {
  assert.equal(redactedConfig(load().config).redisUrl, 'redis://127.0.0.1:6379');
  const onlyPass = load({ TRACKER_REDIS_URL: 'redis://:pw@r' }).config;
  assert.equal(redactedConfig(onlyPass).redisUrl, 'redis://r');
});

test('diffConfig names changed keys in table order', () => {
  const old = load().config;
  assert.deepEqual(diffConfig(old, load().config), []);
  const next = load({
    TRACKER_ANNOUNCE_INTERVAL: '900',
    TRACKER_LISTEN_PORT: '3000',
    TRACKER_TRUSTED_PROXIES: '10.0.0.1',
    TRACKER_SITE_PASSWORD: SITE,
    TRACKER_MYSQL_PASSWORD: 'x',
  }).config;
  assert.deepEqual(diffConfig(old, next), [
    'listen_port',
    'announce_interval',
    'mysql_password',
    'site_password',
    'trusted_proxies',
  ]);
});

test('diffConfig compares effective values (mysql_port 0 is 3306)', () => {
  assert.deepEqual(diffConfig(load().config, load({ TRACKER_MYSQL_PORT: '3306' }).config), []);
  assert.deepEqual(diffConfig(load().config, load({ TRACKER_METRICS_LISTEN: 'h:1' }).config), ['metrics_listen']);
});

test('reloadableChanges splits what SIGHUP applies from what needs a restart', () => {
  const old = load().config;
  const next = load({
    TRACKER_LISTEN_HOST: '127.0.0.1',
    TRACKER_WORKERS: String(old.workers + 1),
    TRACKER_REDIS_URL: 'redis://other:6379',
    TRACKER_MYSQL_HOST: 'db',
    TRACKER_NUMWANT_LIMIT: '30',
    TRACKER_READONLY: 'yes',
    TRACKER_LOG_LEVEL: 'debug',
  }).config;
  assert.deepEqual(reloadableChanges(old, next), {
    applied: ['numwant_limit', 'log_level'],
    restartRequired: ['listen_host', 'mysql_host', 'readonly', 'redis_url', 'workers'],
  });
  assert.deepEqual(reloadableChanges(old, old), { applied: [], restartRequired: [] });
});
