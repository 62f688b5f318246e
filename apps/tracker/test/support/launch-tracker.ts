/**
 * A test process of its own that starts a tracker and then ends without stopping it (used by
 * harness.test.ts): `exit` returns from the process normally when a line arrives on stdin,
 * `hang` waits to be SIGKILLed.
 * Prints one JSON line with the tracker's temp dir and primary pid once the tracker is ready.
 */
import { TrackerProcess } from '@oncilla/tracker/launcher';

const how = process.argv[2];
const t = await TrackerProcess.start({
  redisUrl: process.env.HARNESS_REDIS_URL ?? '',
  mysql: JSON.parse(process.env.HARNESS_MYSQL ?? '{}') as { host: string; port: number; user: string; password: string; database: string },
  workers: 1,
});
process.stdout.write(JSON.stringify({ dir: t.dir, pid: t.child.pid }) + '\n');
// exit: once the test has seen the dir, it says so on stdin and this process returns normally
if (how === 'exit') process.stdin.once('data', () => process.exit(0));
setInterval(() => undefined, 1000);
