// loadConfig: defaults <- config file <- environment, all validated, every problem reported at once.

import { readFileSync } from 'node:fs';
import { adviseOn } from './advice.js';
import { buildConfig, type Config } from './config.js';
import { ConfigError } from './errors.js';
import type { ConfigValues } from './schema.js';
import { applyEnv, applyFile, defaultSettings, type RawSettings, type SourceReport } from './sources.js';
import { validateSettings } from './validate.js';

export interface LoadConfigOptions {
  /** From `-c`; when absent `./ocelot.conf` is tried and may be missing. */
  configPath?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to reading UTF-8 from disk; injectable for tests. */
  readFile?: (path: string) => string;
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
  /** The file actually loaded: what a SIGHUP reload should read again. */
  source: { file?: string };
}

/** One Redis or a cluster, never both: a redis_url left over next to redis_cluster would be ignored silently. */
function checkRedisTopology(settings: RawSettings, values: ConfigValues | undefined, report: SourceReport): void {
  const url = settings.get('redis_url');
  const cluster = settings.get('redis_cluster');
  if (!values || values.redis_cluster.length === 0 || url === undefined || url.origin === 'default' || url.raw.trim() === '') return;
  report.problems.push({
    key: 'redis_cluster',
    origin: cluster?.origin,
    message: `redis_url (from ${url.origin}) and redis_cluster (from ${cluster?.origin ?? 'default'}) are both set: ` +
      'set redis_url for one Redis or redis_cluster for a Redis Cluster, not both',
  });
}

const readUtf8 = (path: string): string => readFileSync(path, 'utf8');

/** @throws ConfigError listing every invalid key and an unreadable file. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const report: SourceReport = { warnings: [], problems: [] };
  const settings = defaultSettings();
  const file = applyFile(settings, opts.configPath, opts.readFile ?? readUtf8, report);
  applyEnv(settings, opts.env ?? process.env, report);
  const values = validateSettings(settings, report.problems);
  checkRedisTopology(settings, values, report);
  if (values === undefined || report.problems.length > 0) throw new ConfigError(report.problems);
  const config = buildConfig(values);
  return {
    config,
    warnings: [...report.warnings, ...adviseOn(config)],
    source: file === undefined ? {} : { file },
  };
}
