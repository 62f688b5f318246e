import { diffConfig, reloadableChanges, type Config } from '@oncilla/config';

/**
 * The config a SIGHUP applies: the new file's values, except those that only a restart can
 * change (sockets, processes, connections), which keep their running values.
 */
export function reloadedConfig(old: Config, next: Config): { config: Config; changed: string[]; restartRequired: string[] } {
  const plan = reloadableChanges(old, next);
  const config: Config = Object.freeze({
    ...next,
    listenHost: old.listenHost,
    listenPort: old.listenPort,
    maxConnections: old.maxConnections,
    mysql: old.mysql,
    redisUrl: old.redisUrl,
    redisCluster: old.redisCluster,
    redisKeyPrefix: old.redisKeyPrefix,
    redisAutoPipelining: old.redisAutoPipelining,
    workers: old.workers,
    metricsListen: old.metricsListen,
    redisTimeout: old.redisTimeout,
  });
  return { config, changed: diffConfig(old, config), restartRequired: [...plan.restartRequired] };
}
