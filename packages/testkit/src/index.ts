// @oncilla/testkit: throwaway real servers (redis-server, a Redis Cluster, mariadbd) for tests, on free
// ports in temp dirs, that tests can kill, pause and restart; plus seed helpers for the
// GazellePW tables. Every process started here is SIGKILLed and every temp dir removed
// when the test process exits, however it exits (see process.ts).

export { findBinary, tryFindBinary, EXTRA_BINARY_DIRS, type FindBinaryOptions } from './find-binary.js';
export { freePort, isPortFree } from './free-port.js';
export { startRedis, type RedisServer, type RedisServerOptions } from './redis-server.js';
export {
  startRedisCluster,
  CLUSTER_SLOTS,
  CLUSTER_BUS_PORT_OFFSET,
  type RedisCluster,
  type RedisClusterNode,
  type RedisClusterOptions,
  type ClusterRole,
  type ClusterWaitOptions,
} from './redis-cluster.js';
export {
  startMariaDb,
  SQL_MODES,
  GAZELLEPW_TABLES_SQL,
  type MariaDbServer,
  type MariaDbServerOptions,
  type SqlModeName,
} from './mariadb-server.js';
export {
  insertUsers,
  insertTorrents,
  insertWhitelist,
  insertTokens,
  makePasskey,
  makeInfoHash,
  SEED_CHUNK_SIZE,
  type SeedConnection,
  type SeedUser,
  type SeedTorrent,
  type SeedToken,
  type EnabledFlag,
  type FreeTorrentFlag,
} from './seed.js';
export { ProcessExitedError, isAlive, makeTempDir, removeTempDir, type ExitInfo } from './process.js';
export { seededRandom } from './random.js';
