/**
 * The Docker deployment, checked without a Docker engine:
 * - compose.yaml through Debian's docker-compose v1 (`config` validates and normalises a file
 *   without an engine), then the keys that matter in the normalised YAML;
 * - a broken copy and a missing secret must make `docker-compose config` fail;
 * - the Prometheus and Grafana files agree with compose.yaml and with the metrics the tracker
 *   serves;
 * - the Dockerfile: tini, a non-root user, production dependencies only, and every path it
 *   copies exists.
 * docker-compose is required (.ci/run installs it): a missing binary fails the test.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig as loadTrackerConfig } from '@oncilla/config';

const ROOT = new URL('../../../', import.meta.url).pathname;
const COMPOSE_FILE = join(ROOT, 'compose.yaml');
const PYTHON = '/usr/bin/python3';
const SITE_PASSWORD = 'abcdefghijklmnopqrstuvwxyz012345';
const REPORT_PASSWORD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

type Yaml = any;

function findDockerCompose(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    if (!dir) continue;
    const p = join(dir, 'docker-compose');
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

let dockerCompose = '';
let emptyEnvFile = '';

/**
 * `docker-compose [--profile …] -f <file> config`, in a clean environment: no variables from the
 * caller's shell and an empty --env-file, so a developer's `.env` cannot change the outcome.
 */
function composeConfig(opts: { file?: string; overlays?: string[]; env?: Record<string, string>; profiles?: string[]; args?: string[] } = {}) {
  const args = ['--env-file', emptyEnvFile, '-f', opts.file ?? COMPOSE_FILE];
  for (const f of opts.overlays ?? []) args.push('-f', f);
  for (const p of opts.profiles ?? []) args.push('--profile', p);
  args.push('config', ...(opts.args ?? []));
  const res = spawnSync(dockerCompose, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...opts.env },
    timeout: 60_000,
  });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

const SECRETS = { TRACKER_SITE_PASSWORD: SITE_PASSWORD, TRACKER_REPORT_PASSWORD: REPORT_PASSWORD };

function parseYaml(text: string): Yaml {
  const res = spawnSync(PYTHON, ['-c', 'import yaml,json,sys; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: text, encoding: 'utf8' });
  assert.equal(res.status, 0, `python3 yaml failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

function loadConfig(env: Record<string, string> = {}): Yaml {
  const r = composeConfig({ env: { ...SECRETS, ...env }, profiles: ['standalone', 'monitoring'] });
  assert.equal(r.status, 0, `docker-compose config failed:\n${r.stderr}`);
  return parseYaml(r.stdout);
}

/** Bind-mount sources of a service (long or short syntax, as normalised). */
function bindSources(service: Yaml): string[] {
  return (service.volumes ?? [])
    .map((v: Yaml) => (typeof v === 'string' ? v.split(':')[0] : v.type === 'bind' ? v.source : undefined))
    .filter((s: string | undefined): s is string => s !== undefined && s.startsWith('/'));
}

describe('compose.yaml (docker-compose config, no engine needed)', () => {
  let config: Yaml;

  before(() => {
    const found = findDockerCompose();
    assert.ok(
      found,
      'docker-compose is not installed: this test validates compose.yaml with it. Install Debian\'s package (`apt-get install docker-compose`, as .ci/run does).',
    );
    dockerCompose = found;
    assert.ok(existsSync(PYTHON), `${PYTHON} is needed to parse docker-compose's YAML (PyYAML comes with docker-compose)`);
    const dir = mkdtempSync(join(tmpdir(), 'oncilla-compose-'));
    emptyEnvFile = join(dir, 'empty.env');
    writeFileSync(emptyEnvFile, '');
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    config = loadConfig();
  });

  it('has the tracker and redis, mariadb in the standalone profile, prometheus and grafana in monitoring', () => {
    assert.deepEqual(Object.keys(config.services).sort(), ['grafana', 'mariadb', 'prometheus', 'redis', 'tracker']);
    assert.equal(config.services.tracker.profiles, undefined);
    assert.equal(config.services.redis.profiles, undefined);
    assert.deepEqual(config.services.mariadb.profiles, ['standalone']);
    assert.deepEqual(config.services.prometheus.profiles, ['monitoring']);
    assert.deepEqual(config.services.grafana.profiles, ['monitoring']);
    const listed = composeConfig({ env: SECRETS, args: ['--profiles'] });
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n').sort(), ['monitoring', 'standalone']);
  });

  it('joins GazellePW\'s network gazelle_default as an external network (name overridable)', () => {
    assert.deepEqual(config.networks.gazelle, { external: true, name: 'gazelle_default' });
    assert.ok('gazelle' in config.services.tracker.networks, 'the tracker is on the gazelle network');
    assert.ok('default' in config.services.tracker.networks, 'the tracker is on the project network (redis)');
    for (const s of ['redis', 'mariadb', 'prometheus', 'grafana']) {
      assert.deepEqual(Object.keys(config.services[s].networks), ['default'], `${s} stays off the site's network`);
    }
    assert.deepEqual(config.services.mariadb.networks.default.aliases, ['mysql'], 'standalone MariaDB answers as mysql');
    const other = loadConfig({ GAZELLE_NETWORK: 'mysite_default' });
    assert.equal(other.networks.gazelle.name, 'mysite_default');
  });

  it('configures the tracker for GazellePW through TRACKER_* variables', () => {
    const t = config.services.tracker;
    assert.deepEqual(t.build, { context: ROOT.replace(/\/$/, '') });
    assert.equal(t.restart, 'unless-stopped');
    const env = t.environment;
    assert.equal(env.TRACKER_MYSQL_HOST, 'mysql');
    assert.equal(env.TRACKER_MYSQL_PORT, '3306');
    assert.equal(env.TRACKER_MYSQL_USERNAME, 'gazelle');
    assert.equal(env.TRACKER_MYSQL_PASSWORD, 'password');
    assert.equal(env.TRACKER_MYSQL_DB, 'gazelle');
    assert.equal(env.TRACKER_REDIS_URL, 'redis://redis:6379');
    assert.equal(env.TRACKER_WORKERS, '2');
    assert.equal(env.TRACKER_SITE_HOST, 'web');
    assert.equal(env.TRACKER_SITE_PASSWORD, SITE_PASSWORD);
    assert.equal(env.TRACKER_REPORT_PASSWORD, REPORT_PASSWORD);
    assert.equal(env.TRACKER_ALLOW_PRIVATE_PEERS, '0');
    assert.equal(env.TRACKER_METRICS_LISTEN, '0.0.0.0:9100');
    for (const k of Object.keys(env)) assert.match(k, /^TRACKER_/);
    assert.deepEqual(t.ports, [{ published: 34000, target: 34000 }]);
    assert.deepEqual(t.depends_on, { redis: { condition: 'service_healthy' } });
    assert.ok(t.healthcheck.test.join(' ').includes('/ready'), 'tracker health check asks /ready');

    const tuned = loadConfig({ TRACKER_WORKERS: '8', TRACKER_PORT: '34100', TRACKER_ALLOW_PRIVATE_PEERS: '1' });
    assert.equal(tuned.services.tracker.environment.TRACKER_WORKERS, '8');
    assert.equal(tuned.services.tracker.environment.TRACKER_ALLOW_PRIVATE_PEERS, '1');
    assert.deepEqual(tuned.services.tracker.ports, [{ published: 34100, target: 34000 }]);
  });

  it('the tracker environment is a valid Oncilla config', () => {
    const env = config.services.tracker.environment as Record<string, string>;
    const loaded = loadTrackerConfig({ configPath: join(ROOT, 'no-such-ocelot.conf'), env, readFile: () => '' });
    assert.deepEqual(loaded.config.mysql, { host: 'mysql', port: 3306, socket: '/run/mysqld/mysqld.sock', user: 'gazelle', password: 'password', database: 'gazelle' });
    assert.equal(loaded.config.redisUrl, 'redis://redis:6379');
    assert.equal(loaded.config.workers, 2);
    assert.equal(loaded.config.siteHost, 'web');
    assert.equal(loaded.config.allowPrivatePeers, false);
    assert.deepEqual(loaded.config.metricsListen, { host: '0.0.0.0', port: 9100 });
  });

  it('deploy/redis-cluster/compose.yaml: six cluster nodes with AOF always, a one-shot create, the tracker on redis_cluster', () => {
    const r = composeConfig({ env: SECRETS, overlays: [join(ROOT, 'deploy/redis-cluster/compose.yaml')] });
    assert.equal(r.status, 0, `docker-compose config failed:\n${r.stderr}`);
    const c = parseYaml(r.stdout);
    const nodes = [1, 2, 3, 4, 5, 6].map((n) => `redis-node-${n}`);
    for (const n of nodes) {
      const cmd = (c.services[n].command as string[]).join(' ');
      assert.match(cmd, /--cluster-enabled yes/, n);
      assert.match(cmd, /--appendonly yes --appendfsync always/, n);
      assert.equal(c.services[n].volumes.length, 1, `${n} keeps its data on a volume of its own`);
    }
    assert.equal(new Set(nodes.map((n) => c.services[n].volumes[0].source ?? String(c.services[n].volumes[0]).split(':')[0])).size, 6);
    const create = c.services['redis-cluster-create'];
    assert.match(create.command.join(' '), /redis-cli --cluster create \$\$?addrs --cluster-replicas 1 --cluster-yes/);
    assert.deepEqual(Object.keys(create.depends_on).sort(), nodes);
    const t = c.services.tracker;
    assert.deepEqual(t.depends_on['redis-cluster-create'], { condition: 'service_completed_successfully' });
    const loaded = loadTrackerConfig({ configPath: join(ROOT, 'no-such-ocelot.conf'), env: t.environment as Record<string, string>, readFile: () => '' });
    assert.deepEqual(loaded.config.redisCluster, [1, 2, 3].map((n) => ({ host: `redis-node-${n}`, port: 6379 })));
  });

  it('runs Redis with AOF and appendfsync always on a named volume, with a health check', () => {
    const r = config.services.redis;
    assert.equal(r.image, 'redis:7');
    const cmd: string[] = r.command;
    assert.equal(cmd[cmd.indexOf('--appendonly') + 1], 'yes');
    assert.equal(cmd[cmd.indexOf('--appendfsync') + 1], 'always');
    assert.ok(r.volumes.includes('redis-data:/data:rw'), JSON.stringify(r.volumes));
    assert.ok('redis-data' in config.volumes);
    assert.ok(r.healthcheck.test.join(' ').includes('redis-cli ping'));
  });

  it('standalone MariaDB: GazellePW credentials, the site\'s sql_mode, the tables and the demo seed', () => {
    const m = config.services.mariadb;
    assert.equal(m.image, 'mariadb:10.11');
    assert.equal(m.environment.MARIADB_DATABASE, 'gazelle');
    assert.equal(m.environment.MARIADB_USER, 'gazelle');
    assert.equal(m.environment.MARIADB_PASSWORD, 'password');
    const mode = (m.command as string[]).find((a) => a.startsWith('--sql-mode='));
    assert.ok(mode && !mode.includes('STRICT'), `non-strict sql_mode: ${mode}`);
    const sources = bindSources(m);
    assert.ok(sources.includes(join(ROOT, 'packages/database/sql/gazellepw-tables.sql')));
    assert.ok(sources.includes(join(ROOT, 'deploy/standalone/demo-seed.sql')));
    for (const s of sources) assert.ok(existsSync(s), `${s} exists`);
    assert.ok(m.healthcheck);
  });

  it('monitoring: Prometheus scrapes the tracker\'s metrics port, Grafana loads the dashboard', () => {
    const prom = config.services.prometheus;
    const graf = config.services.grafana;
    for (const s of [...bindSources(prom), ...bindSources(graf)]) assert.ok(existsSync(s), `${s} exists`);
    const promConfigFile = bindSources(prom).find((s) => s.endsWith('prometheus.yml'));
    assert.ok(promConfigFile);
    const promConfig = parseYaml(readFileSync(promConfigFile, 'utf8'));
    const targets: string[] = promConfig.scrape_configs.flatMap((j: Yaml) => j.static_configs.flatMap((c: Yaml) => c.targets));
    const port = String(config.services.tracker.environment.TRACKER_METRICS_LISTEN).split(':').pop();
    assert.deepEqual(targets, [`tracker:${port}`]);

    const dashboardMount = (graf.volumes as Yaml[]).find((v) => String(v).includes('grafana-dashboard.json'));
    assert.ok(dashboardMount, 'docs/grafana-dashboard.json is mounted');
    const dashboardTarget = String(dashboardMount).split(':')[1];
    const provisioning = bindSources(graf).find((s) => s.endsWith('/provisioning'));
    assert.ok(provisioning);
    const providers = parseYaml(readFileSync(join(provisioning, 'dashboards/oncilla.yml'), 'utf8')).providers;
    assert.equal(providers[0].options.path, dirname(dashboardTarget));
    const datasources = parseYaml(readFileSync(join(provisioning, 'datasources/prometheus.yml'), 'utf8')).datasources;
    assert.equal(datasources[0].url, 'http://prometheus:9090');
  });

  it('the Grafana dashboard has the panels and uses only metrics the tracker serves', () => {
    const dash = JSON.parse(readFileSync(join(ROOT, 'docs/grafana-dashboard.json'), 'utf8'));
    const served = new Set(readFileSync(join(ROOT, 'apps/tracker/src/http/metrics.ts'), 'utf8').match(/oncilla_[a-z_]+/g));
    const exprs: string[] = dash.panels.flatMap((p: Yaml) => p.targets.map((t: Yaml) => t.expr));
    const used = new Set(exprs.join(' ').match(/oncilla_[a-z_]+/g));
    for (const m of used) assert.ok(served.has(m), `${m} is served by apps/tracker/src/http/metrics.ts`);
    const byTitle = (t: string): string => {
      const p = dash.panels.find((x: Yaml) => x.title === t);
      assert.ok(p, `panel "${t}"`);
      return p.targets.map((x: Yaml) => x.expr).join(' ');
    };
    assert.match(byTitle('Announces/s by result'), /by \(result\).*oncilla_announces_total/);
    assert.match(byTitle('Peers by role'), /by \(role\).*oncilla_peers\b/);
    assert.match(byTitle('Peers by address family'), /by \(family\).*oncilla_peers_by_family/);
    assert.match(byTitle('Flush lag'), /oncilla_flush_lag_seconds/);
    assert.match(byTitle('Pending rows by kind'), /by \(kind\).*oncilla_flush_pending_rows/);
    assert.match(byTitle('Errors and flush failures'), /oncilla_errors_total.*oncilla_flush_failures_total/);
    assert.match(byTitle('Requests/s by worker'), /worker.*oncilla_requests_total/);
  });

  it('refuses to run without the secrets', () => {
    const r = composeConfig({ env: { TRACKER_REPORT_PASSWORD: REPORT_PASSWORD } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /TRACKER_SITE_PASSWORD/);
    const r2 = composeConfig({ env: { TRACKER_SITE_PASSWORD: SITE_PASSWORD } });
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /TRACKER_REPORT_PASSWORD/);
  });

  it('a broken compose file fails validation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncilla-compose-bad-'));
    try {
      const bad = join(dir, 'compose.yaml');
      const text = readFileSync(COMPOSE_FILE, 'utf8');
      assert.ok(text.includes('    restart: unless-stopped\n'));
      writeFileSync(bad, text.replace('    restart: unless-stopped\n', '    restart: unless-stopped\n    bogus_key: 1\n'));
      const r = composeConfig({ file: bad, env: SECRETS });
      assert.notEqual(r.status, 0, 'docker-compose config accepted a bogus key');
      assert.match(r.stderr, /bogus_key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = instructions.reduce<string[][]>((acc, l) => {
    if (/^FROM\s/i.test(l)) acc.push([]);
    acc[acc.length - 1]?.push(l);
    return acc;
  }, []);
  const runtime = stages[stages.length - 1];
  const workspaceManifests = ['packages', 'apps'].flatMap((g) =>
    readdirSync(join(ROOT, g)).filter((n) => existsSync(join(ROOT, g, n, 'package.json'))).map((n) => `${g}/${n}/package.json`),
  );

  it('builds on node:20-bookworm-slim in two stages', () => {
    assert.equal(stages.length, 2);
    for (const s of stages) assert.match(s[0], /^FROM node:20-bookworm-slim\b/);
    assert.ok(stages[0].some((l) => /^RUN npm ci\b/.test(l) && !l.includes('--omit')), 'build stage: npm ci with dev dependencies');
    assert.ok(stages[0].some((l) => /^RUN npm run build\b/.test(l)));
  });

  it('runtime: production dependencies only, tini as PID 1, a non-root user, health check on /ready', () => {
    assert.ok(runtime.some((l) => /^RUN .*npm ci --omit=dev\b/.test(l)), 'npm ci --omit=dev');
    assert.ok(runtime.some((l) => /^RUN .*apt-get install .*\btini\b/.test(l)), 'tini installed');
    assert.ok(runtime.includes('ENTRYPOINT ["/usr/bin/tini", "--"]'));
    assert.ok(runtime.includes('CMD ["node", "apps/tracker/dist/main.js"]'));
    const users = runtime.filter((l) => /^USER\s/.test(l));
    assert.equal(users.length, 1);
    assert.doesNotMatch(users[0], /^USER\s+(root|0)(:|\s|$)/);
    assert.ok(runtime.includes('EXPOSE 34000'));
    assert.ok(runtime.some((l) => /^HEALTHCHECK .*CMD \["node".*\/ready/.test(l)));
  });

  it('copies every workspace manifest in both stages, so the workspace links resolve', () => {
    for (const s of stages) {
      for (const m of workspaceManifests) {
        assert.ok(s.some((l) => l.startsWith(`COPY ${m} `)), `${s[0]}: COPY ${m}`);
      }
    }
  });

  it('every path it copies from the build context exists, and none is dockerignored', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    assert.ok(ignored.includes('**/node_modules') && ignored.includes('**/dist') && ignored.includes('.git'));
    const copies = instructions.filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l));
    assert.ok(copies.length > 10);
    for (const c of copies) {
      const parts = c.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        const path = src.replace(/\/$/, '');
        assert.ok(existsSync(join(ROOT, path)), `${c}: ${src} exists`);
        const top = path.split('/')[0];
        assert.ok(!ignored.includes(top) && !ignored.includes(path), `${src} is not in .dockerignore`);
      }
    }
  });

  it('the runtime stage gets the compiled dist/ of the tracker and of every package it imports', () => {
    const fromBuild = runtime.filter((l) => /^COPY --from=build\s/.test(l)).map((l) => l.split(/\s+/)[2]);
    const needed = new Set<string>(['apps/tracker']);
    const queue = ['apps/tracker'];
    const dirOf = (name: string): string => {
      const dir = workspaceManifests.map((m) => dirname(m)).find((d) => JSON.parse(readFileSync(join(ROOT, d, 'package.json'), 'utf8')).name === name);
      assert.ok(dir, name);
      return dir;
    };
    while (queue.length) {
      const dir = queue.pop()!;
      const deps = Object.keys(JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')).dependencies ?? {});
      for (const d of deps.filter((x) => x.startsWith('@oncilla/'))) {
        const depDir = dirOf(d);
        if (!needed.has(depDir)) {
          needed.add(depDir);
          queue.push(depDir);
        }
      }
    }
    for (const dir of needed) {
      assert.ok(fromBuild.includes(`/app/${dir}/dist`), `COPY --from=build /app/${dir}/dist`);
      assert.ok(existsSync(join(ROOT, dir, 'tsconfig.json')), `${dir} has a build tsconfig`);
    }
    for (const p of ['redis/', 'packages/database/sql/']) assert.ok(runtime.some((l) => l.startsWith(`COPY ${p} `)), `COPY ${p}`);
  });
});
