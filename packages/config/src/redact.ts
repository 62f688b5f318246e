// A copy of the config that is safe to log.

import type { Config } from './config.js';
import { stripUrlPassword } from './redis-url.js';

export const REDACTED = '<redacted>';

/** Same shape as Config, but a plain (unfrozen) object whose secrets are replaced. */
export type RedactedConfig = { -readonly [K in keyof Config]: Config[K] };

export function redactedConfig(config: Config): RedactedConfig {
  return {
    ...config,
    listenHost: [...config.listenHost],
    trustedProxies: [...config.trustedProxies],
    metricsListen: config.metricsListen === null ? null : { ...config.metricsListen },
    mysql: { ...config.mysql, password: REDACTED },
    sitePassword: REDACTED,
    reportPassword: REDACTED,
    // A validated URL always parses; the fallback only guards against a hand-built Config.
    redisUrl: stripUrlPassword(config.redisUrl) ?? REDACTED,
  };
}
