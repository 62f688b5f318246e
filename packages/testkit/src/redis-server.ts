// A throwaway redis-server for tests: own temp dir, own free port, real process.

import { connect } from 'node:net';
import { join } from 'node:path';
import { findBinary } from './find-binary.js';
import { ThrowawayServer } from './throwaway-server.js';
import { freePort } from './free-port.js';
import {
  ManagedProcess,
  fileSize,
  isAddressInUse,
  makeTempDir,
  removeTempDir,
  waitUntilReady,
} from './process.js';

export interface RedisServerOptions {
  /** AOF persistence with `appendfsync always` (default true), so restart() after kill() keeps every acknowledged write. */
  appendonly?: boolean;
  /** Sets `requirepass`; clients must AUTH. */
  password?: string;
  /** How long to wait for the first PONG (default 30 s). */
  startTimeoutMs?: number;
  /** Extra `--name value` arguments for redis-server. */
  extraArgs?: string[];
}

export interface RedisServer {
  readonly host: string;
  /** Fixed for the life of the server, across restarts. */
  readonly port: number;
  /** `redis://127.0.0.1:P` (with `:password@` when a password is set). */
  readonly url: string;
  readonly password: string | undefined;
  /** Temp dir holding the AOF dir and redis.log. */
  readonly dir: string;
  /** `unix:///<dir>/redis.sock`: the same server through its Unix socket (always listening). */
  readonly socketUrl: string;
  readonly logFile: string;
  /** pid of the current (or last) redis-server process. */
  readonly pid: number;
  readonly running: boolean;
  readonly paused: boolean;
  /** SIGTERM and wait for the exit (redis fsyncs the AOF on SIGTERM). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: a crash. */
  kill(): Promise<void>;
  /** Starts again on the same port and dir (the AOF is reloaded); stops first if running. */
  restart(): Promise<void>;
  /** SIGSTOP: the port still accepts connections but nothing is answered. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Kills the server if running (its data is being discarded anyway) and removes the dir. */
  cleanup(): Promise<void>;
}

const MAX_PORT_ATTEMPTS = 5;

function respCommand(parts: string[]): string {
  let out = `*${parts.length}\r\n`;
  for (const p of parts) out += `$${Buffer.byteLength(p)}\r\n${p}\r\n`;
  return out;
}

/** One connection attempt: true when the server answers PING with PONG (not -LOADING etc.). */
function pingOnce(host: string, port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const expectedLines = password === undefined ? 1 : 2;
    let buf = '';
    let settled = false;
    const finish = (ok: boolean, err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(ok);
    };
    const timer = setTimeout(() => finish(false, new Error('PING timed out')), 2000);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (password !== undefined) socket.write(respCommand(['AUTH', password]));
      socket.write(respCommand(['PING']));
    });
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\r\n').slice(0, -1);
      if (lines.length < expectedLines) return;
      const last = lines[expectedLines - 1];
      if (last === '+PONG') finish(true);
      else finish(false, new Error(`redis answered: ${lines.join(' | ')}`));
    });
    socket.on('error', (err) => finish(false, err));
    socket.on('close', () => finish(false, new Error('connection closed')));
  });
}

/** Exported for redis-cluster.ts (a cluster node is a redis-server on a port it chose); not part of the package API. */
export class RedisServerImpl extends ThrowawayServer implements RedisServer {
  protected readonly processName = 'redis-server';

  constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    super();
  }

  get logFile(): string {
    return join(this.dir, 'redis.log');
  }

  get password(): string | undefined {
    return this.options.password;
  }

  get url(): string {
    const auth = this.options.password === undefined ? '' : `:${encodeURIComponent(this.options.password)}@`;
    return `redis://${auth}${this.host}:${this.port}`;
  }

  get socketUrl(): string {
    const auth = this.options.password === undefined ? '' : `:${encodeURIComponent(this.options.password)}@`;
    return `unix://${auth}${join(this.dir, 'redis.sock')}`;
  }




  /** Spawns redis-server and waits for PONG. Throws ProcessExitedError if it exits (e.g. EADDRINUSE). */
  async launch(): Promise<void> {
    if (this.cleanedUp) throw new Error('redis-server was cleaned up');
    const appendonly = this.options.appendonly ?? true;
    const args = [
      '--port', String(this.port),
      '--bind', this.host,
      '--dir', this.dir,
      '--save', '',
      '--appendonly', appendonly ? 'yes' : 'no',
      ...(appendonly ? ['--appendfsync', 'always'] : []),
      '--daemonize', 'no',
      '--logfile', this.logFile,
      '--enable-debug-command', 'local',
      '--unixsocket', join(this.dir, 'redis.sock'),
      '--unixsocketperm', '700',
      ...(this.options.password !== undefined ? ['--requirepass', this.options.password] : []),
      ...(this.options.extraArgs ?? []),
    ];
    const logOffset = fileSize(this.logFile);
    const proc = await ManagedProcess.spawn('redis-server', this.bin, args, { logFile: this.logFile, cwd: this.dir });
    this.proc = proc;
    try {
      await waitUntilReady(proc, () => pingOnce(this.host, this.port, this.options.password), {
        timeoutMs: this.options.startTimeoutMs ?? 30_000,
        logFile: this.logFile,
        logOffset,
      });
    } catch (err) {
      await proc.kill();
      throw err;
    }
  }






}

/** Starts a throwaway redis-server on a free 127.0.0.1 port in a fresh temp dir (prefix `oncilla-redis-`). */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = findBinary('redis-server', { debianPackage: 'redis-server', envVar: 'ONCILLA_REDIS_SERVER' });
  const dir = makeTempDir('oncilla-redis-');
  try {
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServerImpl(bin, dir, await freePort(), options);
      try {
        await server.launch();
        return server;
      } catch (err) {
        if (attempt < MAX_PORT_ATTEMPTS && isAddressInUse(err)) continue;
        throw err;
      }
    }
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
}
