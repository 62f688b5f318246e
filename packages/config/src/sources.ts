// Collects the raw text of every key from its three sources, later ones winning:
// built-in defaults, then the config file, then TRACKER_<KEY> environment variables.

import type { ConfigProblem } from './errors.js';
import { parseConfigFile } from './file.js';
import { CONFIG_KEYS, defaultText, isConfigKey, type ConfigKey } from './schema.js';

export const DEFAULT_CONFIG_PATH = './ocelot.conf';
const ENV_PREFIX = 'TRACKER_';

export interface RawSetting {
  readonly raw: string;
  /** Human-readable origin for messages. */
  readonly origin: string;
}

export type RawSettings = Map<ConfigKey, RawSetting>;

export interface SourceReport {
  warnings: string[];
  problems: ConfigProblem[];
}

export function defaultSettings(): RawSettings {
  return new Map(CONFIG_KEYS.map((s) => [s.name, { raw: defaultText(s), origin: 'default' }]));
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/**
 * Reads the named file, or `./ocelot.conf` when none was named. Only that implicit default may
 * be absent (Ocelot then runs on defaults); any other failure is a problem naming the path.
 * Returns the path actually loaded.
 */
export function applyFile(
  settings: RawSettings,
  configPath: string | undefined,
  readFile: (p: string) => string,
  report: SourceReport,
): string | undefined {
  const path = configPath ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = errorCode(err);
    if (configPath === undefined && code === 'ENOENT') {
      report.warnings.push(`Using default config because '${path}' couldn't be opened`);
    } else {
      const why = code ?? (err instanceof Error ? err.message : String(err));
      report.problems.push({ message: `Config file '${path}' couldn't be opened (${why})` });
    }
    return undefined;
  }
  const parsed = parseConfigFile(text);
  report.warnings.push(...parsed.warnings.map((w) => `${path}: ${w}`));
  for (const [key, raw] of parsed.values) {
    if (isConfigKey(key)) settings.set(key, { raw, origin: `${path} line ${parsed.lines.get(key) ?? '?'}` });
  }
  return path;
}

// Same trimming as the file, plus newlines, which `$(cat secret-file)`-style values can carry.
function trimEnv(s: string): string {
  return s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/** TRACKER_<KEY> variables override the file; a set-but-empty variable counts as set. */
export function applyEnv(settings: RawSettings, env: NodeJS.ProcessEnv, report: SourceReport): void {
  const known = new Set<string>();
  for (const spec of CONFIG_KEYS) {
    known.add(spec.env);
    const value = env[spec.env];
    if (value !== undefined) settings.set(spec.name, { raw: trimEnv(value), origin: `environment variable ${spec.env}` });
  }
  for (const name of Object.keys(env)) {
    // A typo in a variable name would otherwise be silently ignored.
    if (name.startsWith(ENV_PREFIX) && !known.has(name)) {
      report.warnings.push(`Unrecognized environment variable '${name}'`);
    }
  }
}
