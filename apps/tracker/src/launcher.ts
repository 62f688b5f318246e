/**
 * Runs the real tracker (primary + workers) as a child process, the way an operator would:
 * (used by the integration tests, the benchmark and `npm run demo`)
 * an ocelot.conf file plus TRACKER_* environment variables. Readiness is the primary's
 * "tracker ready" log line, awaited as an event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
// Its temp dirs go when the launching process ends, even by SIGKILL (the testkit's watchdog).
import { makeTempDir, removeTempDir } from '@oncilla/testkit';

const ROOT = new URL('../../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'apps/tracker/src/main.ts');
/** The compiled tracker (`npm run build`), as `npm start` runs it. */
const BUILT_MAIN = join(ROOT, 'apps/tracker/dist/main.js');

export const SITE_PASSWORD = 's'.repeat(16) + 'S'.repeat(16);
export const REPORT_PASSWORD = 'r'.repeat(16) + 'R'.repeat(16);

/** A free TCP port on loopback (the kernel picks; there is a small race, fine for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export interface TrackerOptions {
  /** One Redis; or give redisCluster. */
  redisUrl?: string;
  /** Seed nodes (`host:port`) of a Redis Cluster, instead of redisUrl. */
  redisCluster?: readonly string[];
  mysql: { host: string; port: number; user: string; password: string; database: string };
  workers?: number;
  /** Extra ocelot.conf lines, key -> value. */
  conf?: Record<string, string | number>;
  env?: Record<string, string>;
  port?: number;
  /** Extra node flags (workers inherit them), e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Run the compiled JavaScript (`npm run build` first), as in production; default: the TypeScript sources through tsx. */
  built?: boolean;
  /** Called with every log line as it arrives (the demo prints them). */
  onLog?: (line: LogLine) => void;
}

export interface LogLine {
  level: number;
  msg: string;
  role?: string;
  [k: string]: unknown;
}

export class TrackerProcess {
  /** The ocelot.conf it was started with (tests rewrite it before a SIGHUP). */
  readonly configFile: string;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private waiters: Array<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** Holds the ocelot.conf; removed once the tracker has exited, however it died. */
  readonly dir: string;

  private constructor(readonly child: ChildProcess, readonly port: number, dir: string, onLog?: (l: LogLine) => void) {
    this.dir = dir;
    this.configFile = join(dir, 'ocelot.conf');
    let buf = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          parsed = { level: 30, msg: line };
        }
        this.logs.push(parsed);
        onLog?.(parsed);
        this.waiters = this.waiters.filter((w) => (w.test(parsed) ? (w.resolve(parsed), false) : true));
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    // 'close', not 'exit': 'exit' can come before the last lines on stdout are read (the lines
    // a shutdown writes just before it exits), and the workers share that pipe, so 'close' also
    // means none of them lives on
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        removeTempDir(dir);
        resolve({ code, signal });
      }));
  }

  static async start(o: TrackerOptions): Promise<TrackerProcess> {
    const port = o.port ?? (await freePort());
    const dir = makeTempDir('oncilla-tracker-');
    const conf: Record<string, string | number> = {
      listen_host: '127.0.0.1 ::1',
      listen_port: port,
      mysql_host: o.mysql.host,
      mysql_port: o.mysql.port,
      mysql_username: o.mysql.user,
      mysql_password: o.mysql.password,
      mysql_db: o.mysql.database,
      site_password: SITE_PASSWORD,
      report_password: REPORT_PASSWORD,
      ...(o.redisCluster ? { redis_cluster: o.redisCluster.join(',') } : { redis_url: o.redisUrl ?? 'redis://127.0.0.1:6379' }),
      workers: o.workers ?? 2,
      allow_private_peers: 1,
      keepalive_timeout: 5,
      log_level: 'info',
      ...o.conf,
    };
    const file = join(dir, 'ocelot.conf');
    writeFileSync(file, Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
    const entry = o.built ? [...(o.nodeArgs ?? []), BUILT_MAIN] : ['--conditions=development', '--import', 'tsx', ...(o.nodeArgs ?? []), MAIN];
    const child = spawn(process.execPath, [...entry, '-c', file], {
      cwd: ROOT,
      // stdin stays open while this process lives; when it dies (even by SIGKILL) the tracker sees
      // EOF and shuts itself down, so no tracker outlives its test or demo
      env: { ...process.env, ...o.env, ONCILLA_STOP_WITH_STDIN: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const t = new TrackerProcess(child, port, dir, o.onLog);
    const ready = t.waitFor((l) => l.msg === 'tracker ready');
    const died = t.exited.then((e) => {
      throw new Error(`tracker exited before ready (${JSON.stringify(e)}): ${t.stderr.join('')}\n${t.logs.map((l) => l.msg).join('\n')}`);
    });
    await Promise.race([ready, died]);
    return t;
  }

  waitFor(test: (l: LogLine) => boolean): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}${path}`;
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}
