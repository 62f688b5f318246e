// loadConfig: defaults <- config file <- environment, all validated, every problem reported at once.

import { readFileSync } from 'node:fs';
import { adviseOn } from './advice.js';
import { buildConfig, type Config } from './config.js';
import { ConfigError } from './errors.js';
import { applyEnv, applyFile, defaultSettings, type SourceReport } from './sources.js';
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

const readUtf8 = (path: string): string => readFileSync(path, 'utf8');

/** @throws ConfigError listing every invalid key and an unreadable file. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const report: SourceReport = { warnings: [], problems: [] };
  const settings = defaultSettings();
  const file = applyFile(settings, opts.configPath, opts.readFile ?? readUtf8, report);
  applyEnv(settings, opts.env ?? process.env, report);
  const values = validateSettings(settings, report.problems);
  if (values === undefined || report.problems.length > 0) throw new ConfigError(report.problems);
  const config = buildConfig(values);
  return {
    config,
    warnings: [...report.warnings, ...adviseOn(config)],
    source: file === undefined ? {} : { file },
  };
}
