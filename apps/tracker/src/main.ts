import cluster from 'node:cluster';
import { ConfigError, loadConfig, parseArgs } from '@oncilla/config';
import { runPrimary } from './primary.js';
import { RedisTopologyError } from './redis-client.js';
import { runWorker } from './worker.js';

async function main(): Promise<void> {
  if (!cluster.isPrimary) return runWorker();
  const args = parseArgs(process.argv.slice(2));
  if ('usage' in args) {
    console.log(args.usage);
    return;
  }
  let loaded;
  try {
    loaded = loadConfig({ configPath: args.configPath, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  // For launchers (tests, the demo): stop when the launching process goes away, however it died.
  if (process.env.ONCILLA_STOP_WITH_STDIN === '1') {
    process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM')).resume();
  }
  const configPath = args.configPath;
  await runPrimary(loaded.config, loaded.warnings, () => loadConfig({ configPath, env: process.env }));
}

main().catch((err: unknown) => {
  if (err instanceof RedisTopologyError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
