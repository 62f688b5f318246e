/**
 * Real BitTorrent clients as child processes for real-clients.test.ts: aria2c, and
 * python3-libtorrent driven by lt-client.py. Output lines are kept and can be awaited (with a
 * deadline, failing early if the client exits). Every client still running when the test process
 * exits, however it exits with JS still running, is SIGKILLed; `killAll()` does it at once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { findBinary } from '@oncilla/testkit';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<RealClient>();
let hooked = false;

export class RealClient {
  /** stdout and stderr lines, in arrival order. */
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private waiters: Array<() => void> = [];

  private constructor(readonly name: string, private readonly child: ChildProcess) {
    const take = (stream: NodeJS.ReadableStream | null): void => {
      let buf = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          this.lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
        this.wake();
      });
    };
    take(child.stdout);
    take(child.stderr);
    child.stdin?.on('error', () => {}); // writing to a client that has exited is not an error here
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        // let the last output arrive before waiters give up on the exit
        setImmediate(() => this.wake());
        resolve(this.exit);
      }),
    );
  }

  static start(name: string, file: string, args: string[], cwd?: string): RealClient {
    if (!hooked) {
      hooked = true;
      process.on('exit', () => {
        for (const c of live) c.signal('SIGKILL');
      });
    }
    const child = spawn(file, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    child.on('error', () => {}); // the exit event reports it
    const c = new RealClient(name, child);
    live.add(c);
    return c;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** Writes a line to the client's stdin. */
  send(line: string): void {
    if (this.running) this.child.stdin?.write(line + '\n');
  }

  describe(): string {
    const tail = this.lines.slice(-40).join('\n');
    return `${this.name} (pid ${this.pid}${this.exit ? `, exited ${JSON.stringify(this.exit)}` : ''}); last output:\n${tail}`;
  }

  /** The first output line (from `from` on) that passes the test; fails on exit or at the deadline. */
  async waitForLine(what: string, test: (line: string) => boolean, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l, n) => n >= from && test(l));
      if (i >= 0) return this.lines[i];
      if (!this.running) throw new Error(`${this.name} exited before ${what}: ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the exit; fails at the deadline (the client is left running for `kill`). */
  async waitExit(timeoutMs: number): Promise<Exit> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms: ${this.describe()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** SIGKILL (if still running) and wait for the exit. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** SIGKILLs every client still running and waits until they are gone. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill()));
}

/** aria2c from Debian's aria2 package; throws naming the package when it is missing. */
export function aria2Binary(): string {
  return findBinary('aria2c', { debianPackage: 'aria2' });
}

/** mktorrent from Debian's mktorrent package; throws naming the package when it is missing. */
export function mktorrentBinary(): string {
  return findBinary('mktorrent', { debianPackage: 'mktorrent' });
}

/**
 * Debian's python3 with its libtorrent module. Debian's own interpreter, not the first python3
 * on PATH (a pyenv or venv python cannot import Debian's python3-libtorrent).
 */
export function libtorrentPython(): string {
  const python = findBinary('/usr/bin/python3', { debianPackage: 'python3-libtorrent' });
  const r = spawnSync(python, ['-c', 'import libtorrent; print(libtorrent.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${python} cannot import libtorrent. Install the Debian package: apt-get install -y python3-libtorrent\n${r.stderr}`);
  }
  return python;
}

/**
 * aria2c options for a tracker-only private swarm on loopback: no DHT, no local peer discovery,
 * no peer exchange, no IPv6, no config file from the user's home; quiet; and it stops by itself
 * if `ownerPid` (the test process) goes away.
 */
export function aria2Options(o: { dir: string; listenPort: number; logFile: string; ownerPid: number }): string[] {
  return [
    '--no-conf=true',
    `--dir=${o.dir}`,
    `--listen-port=${o.listenPort}`,
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--disable-ipv6=true',
    '--file-allocation=none',
    '--auto-save-interval=0',
    '--summary-interval=0',
    '--console-log-level=warn',
    `--log=${o.logFile}`,
    '--log-level=info',
    `--stop-with-process=${o.ownerPid}`,
  ];
}
