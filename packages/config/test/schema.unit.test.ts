import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONFIG_KEYS, loadConfig, parseConfigFile, renderExampleConfig } from '@oncilla/config';
import { fakeFs, load } from './helpers.js';

const OCELOT_KEYS = [
  'listen_host', 'listen_port', 'max_connections', 'max_middlemen', 'max_read_buffer', 'connection_timeout',
  'keepalive_timeout', 'announce_interval', 'max_request_size', 'numwant_limit', 'request_log_size',
  'del_reason_lifetime', 'peers_timeout', 'reap_peers_interval', 'schedule_interval', 'mysql_db', 'mysql_host',
  'mysql_port', 'mysql_username', 'mysql_password', 'site_host', 'site_path', 'site_password', 'report_password',
  'readonly', 'log_dir',
];
const ONCILLA_KEYS = [
  'redis_url', 'redis_cluster', 'redis_key_prefix', 'workers', 'allow_private_peers', 'allow_client_ip', 'trusted_proxies',
  'announce_jitter', 'direct_sockets', 'redis_auto_pipelining', 'log_level', 'site_port', 'reload_interval', 'flush', 'mysql_socket',
  'max_credit_rate', 'max_announce_credit', 'redis_timeout', 'max_inflight_requests', 'mysql_flush_timeout', 'flush_lag_warning',
  'metrics_listen',
];

test('the table lists every Ocelot key first, then the Oncilla keys', () => {
  assert.deepEqual(
    CONFIG_KEYS.map((s) => s.name),
    [...OCELOT_KEYS, ...ONCILLA_KEYS],
  );
  assert.deepEqual(
    CONFIG_KEYS.filter((s) => s.origin === 'ocelot').map((s) => s.name),
    OCELOT_KEYS,
  );
});

test('every entry is documented and its static default is valid', () => {
  for (const spec of CONFIG_KEYS) {
    assert.ok(spec.description.length > 0 && !spec.description.includes('\n'), spec.name);
    assert.ok(spec.validation.length > 0, spec.name);
    assert.equal(spec.env, `TRACKER_${spec.name.toUpperCase()}`);
    const def = typeof spec.default === 'string' ? spec.default : spec.default.compute();
    assert.ok(spec.parse(def).ok, `default of ${spec.name} is invalid`);
  }
});

test('secrets are flagged', () => {
  assert.deepEqual(
    CONFIG_KEYS.filter((s) => s.secret).map((s) => s.name),
    ['mysql_password', 'site_password', 'report_password'],
  );
});

test('keys that need a restart', () => {
  assert.deepEqual(
    CONFIG_KEYS.filter((s) => !s.reloadable).map((s) => s.name),
    [
      'listen_host', 'listen_port', 'max_connections', 'mysql_db', 'mysql_host', 'mysql_port', 'mysql_username',
      'mysql_password', 'readonly', 'redis_url', 'redis_cluster', 'redis_key_prefix', 'workers', 'direct_sockets', 'redis_auto_pipelining', 'flush', 'mysql_socket', 'redis_timeout', 'metrics_listen',
    ],
  );
});

const examplePath = new URL('../ocelot.conf.example', import.meta.url);

test('ocelot.conf.example is generated from the table', () => {
  assert.equal(readFileSync(examplePath, 'utf8'), renderExampleConfig());
});

test('ocelot.conf.example names every key and loads to the defaults without warnings', () => {
  const text = readFileSync(examplePath, 'utf8');
  for (const spec of CONFIG_KEYS) assert.match(text, new RegExp(`^#?${spec.name} +=`, 'm'), spec.name);
  assert.deepEqual(parseConfigFile(text).warnings, []);
  const fromExample = loadConfig({ configPath: 'ex', env: {}, readFile: fakeFs({ ex: text }) });
  assert.deepEqual(fromExample.config, load().config);
});
