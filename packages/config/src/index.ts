// Public API of @oncilla/config.

export { parseArgs, type ParsedArgs } from './args.js';
export { parseConfigFile, type ParsedConfigFile } from './file.js';
export {
  CONFIG_KEYS,
  DEFAULT_SECRET,
  LOG_LEVELS,
  isConfigKey,
  type ComputedDefault,
  type ConfigKey,
  type ConfigKeySpec,
  type ConfigValues,
  type LogLevel,
} from './schema.js';
export type { Config, MysqlConfig } from './config.js';
export type { HostPort } from './network-values.js';
export { ConfigError, type ConfigProblem } from './errors.js';
export { DEFAULT_CONFIG_PATH } from './sources.js';
export { loadConfig, type LoadConfigOptions, type LoadedConfig } from './load.js';
export { REDACTED, redactedConfig, type RedactedConfig } from './redact.js';
export { diffConfig, reloadableChanges, type ReloadPlan } from './diff.js';
export { renderExampleConfig } from './example.js';
export { renderConfigMarkdown } from './markdown.js';
