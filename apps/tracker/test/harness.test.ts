/**
 * The test harness cleans up after itself: a TrackerProcess's temp dir (its ocelot.conf) is
 * removed when the tracker exits, even by SIGKILL, and when the test process itself ends,
 * even by SIGKILL, with the tracker still running.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive as alive, type MariaDbServer, type RedisServer } from '@oncilla/testkit';
import { TrackerProcess } from '@oncilla/tracker/launcher';
import { startStack, type Stack } from './support/stack.js';
import { waitUntil } from './support/wait.js';

const SCRIPT = join(import.meta.dirname, 'support/launch-tracker.ts');


describe('test harness temp dirs', () => {
  let redisServer: RedisServer;
  let db: MariaDbServer;
  let stack: Stack;

  // just the servers: the trackers are what these tests are about
  before(async () => {
    stack = await startStack({ redisServer: { appendonly: false } });
    ({ redisServer, db } = stack);
  });

  after(() => stack?.stop());

  it('removes the temp dir of a tracker that was SIGKILLed', async () => {
    const t = await TrackerProcess.start({ redisUrl: redisServer.url, mysql: db, workers: 1 });
    assert.ok(existsSync(t.configFile), 'the config is there while it runs');
    t.child.kill('SIGKILL');
    await t.exited;
    assert.equal(existsSync(t.dir), false, `${t.dir} is gone`);
  });

  it('removes the temp dir of a stopped tracker', async () => {
    const t = await TrackerProcess.start({ redisUrl: redisServer.url, mysql: db, workers: 1 });
    await t.stop();
    assert.equal(existsSync(t.dir), false);
  });

  for (const how of ['exit', 'hang'] as const) {
    it(`removes it when the test process ends (${how === 'exit' ? 'exits normally' : 'is SIGKILLed'}) with the tracker running`, async () => {
      const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', SCRIPT, how], {
        env: { ...process.env, HARNESS_REDIS_URL: redisServer.url, HARNESS_MYSQL: JSON.stringify({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database }) },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const started = await new Promise<{ dir: string; pid: number }>((resolve, reject) => {
        let buf = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          buf += c;
          const nl = buf.indexOf('\n');
          if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as { dir: string; pid: number });
        });
        child.once('exit', (code) => reject(new Error(`the launching process exited (${code}) before the tracker was ready`)));
      });
      assert.ok(existsSync(started.dir), 'the dir exists while the tracker runs');
      if (how === 'hang') child.kill('SIGKILL');
      else child.stdin.write('go\n');
      await exited;
      // normal exit: the exit hook removed it synchronously; SIGKILL: the watchdog process does
      if (how === 'exit') assert.equal(existsSync(started.dir), false, `${started.dir} is gone`);
      else await waitUntil(`${started.dir} to be removed`, async () => !existsSync(started.dir), 10_000);
      // and the orphaned tracker stops by itself (its stdin closed)
      await waitUntil('the orphaned tracker to exit', async () => !alive(started.pid), 30_000);
    });
  }
});
