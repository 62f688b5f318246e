/**
 * The announce's own Redis connection: one socket, commands written as pre-encoded bytes and
 * replies read in order. It does one job (FCALL of the announce script and the HMGET of
 * the cached candidates that follows it) at a third of the CPU that a general client spends on
 * a command, which is most of a worker's Redis cost. Everything else goes through ioredis.
 *
 * No offline queue: while the socket is down a call fails at once (the announce answers
 * "temporarily unavailable"), and the channel reconnects in the background. A call not
 * answered within `timeoutMs` fails, and the socket is dropped (replies come in order, so a
 * late reply cannot be skipped) and reconnected.
 */
import net from 'node:net';
import { encodeCommand, RespError, RespReader, type RespValue } from './resp.js';

export interface ChannelTarget {
  host?: string;
  port?: number;
  /** A Unix socket instead of host and port. */
  path?: string;
  username?: string;
  password?: string;
  db?: number;
}

/** host, port (or socket path), credentials and database of a redis:// or unix:// URL. */
export function channelTarget(url: string): ChannelTarget {
  const u = new URL(url);
  if (u.protocol === 'unix:') {
    return {
      path: decodeURIComponent(u.pathname),
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      db: Number(u.searchParams.get('db') ?? 0),
    };
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db,
  };
}

interface Waiter {
  resolve: (v: RespValue) => void;
  reject: (e: Error) => void;
  deadline: number;
}

export class ChannelDown extends Error {
  constructor(why: string) {
    super(`Redis connection not ready (${why})`);
    this.name = 'ChannelDown';
  }
}

export class ScriptChannel {
  #socket: net.Socket | undefined;
  #ready = false;
  #closing = false;
  readonly #reader = new RespReader();
  #waiting: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #backoff = 50;
  #lastError = 'connecting';
  /**
   * Commands issued in this event-loop pass, sent together when it ends (setImmediate): one
   * write system call for every announce the pass read, instead of one each. Over keep-alive
   * connections that took the workers from 53-59 to 50-56 µs per announce; over new ones
   * (mostly one announce per pass) it changed nothing measurable.
   */
  #queued: Buffer[] = [];
  #flushQueued = false;
  readonly #writeQueued = (): void => {
    this.#flushQueued = false;
    const q = this.#queued;
    this.#queued = [];
    if (q.length === 0 || !this.#socket) return;
    this.#socket.write(q.length === 1 ? q[0] : Buffer.concat(q));
  };

  constructor(
    private readonly target: ChannelTarget,
    private readonly timeoutMs: number,
    private readonly name: string,
    private readonly onState?: (up: boolean, why: string) => void,
  ) {}

  get ready(): boolean {
    return this.#ready;
  }

  #firstReady: (() => void) | undefined;

  /** Connects (and keeps reconnecting); resolves at the first ready connection. */
  connect(): Promise<void> {
    return new Promise((resolve) => {
      this.#firstReady = resolve;
      this.#open();
    });
  }

  #open(): void {
    if (this.#closing) return;
    const t = this.target;
    const socket = t.path ? net.connect(t.path) : net.connect(t.port ?? 6379, t.host ?? '127.0.0.1');
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => {
      this.#lastError = err.message;
    });
    socket.on('close', () => this.#onClose(socket));
    socket.once('connect', () => {
      const hello: Array<Array<string>> = [];
      if (t.password) hello.push(t.username ? ['AUTH', t.username, t.password] : ['AUTH', t.password]);
      if (t.db) hello.push(['SELECT', String(t.db)]);
      hello.push(['CLIENT', 'SETNAME', this.name]);
      Promise.all(hello.map((c) => this.#send(c, true))).then(
        () => {
          this.#ready = true;
          this.#backoff = 50;
          this.onState?.(true, 'connected');
          this.#firstReady?.();
          this.#firstReady = undefined;
        },
        (err: Error) => {
          this.#lastError = err.message;
          socket.destroy();
        },
      );
    });
    this.#timer ??= setInterval(() => this.#checkTimeouts(), Math.max(50, Math.min(250, this.timeoutMs / 4)));
    this.#timer.unref();
  }

  #onData(chunk: Buffer): void {
    let replies: RespValue[];
    try {
      replies = this.#reader.push(chunk);
    } catch (err) {
      this.#lastError = (err as Error).message;
      this.#socket?.destroy();
      return;
    }
    for (const r of replies) {
      const w = this.#waiting.shift();
      if (!w) continue;
      if (r instanceof RespError) w.reject(r);
      else w.resolve(r);
    }
  }

  #onClose(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    const wasReady = this.#ready;
    this.#ready = false;
    this.#socket = undefined;
    this.#reader.reset();
    // their waiters are rejected below; the bytes must not reach the next connection
    this.#queued = [];
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w.reject(new ChannelDown(this.#lastError));
    if (this.#closing) return;
    if (wasReady) this.onState?.(false, this.#lastError);
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, 1000);
    setTimeout(() => this.#open(), delay);
  }

  #checkTimeouts(): void {
    const oldest = this.#waiting[0];
    if (oldest && Date.now() > oldest.deadline) {
      this.#lastError = `no reply within ${this.timeoutMs} ms`;
      this.#socket?.destroy();
    }
  }

  #send(args: readonly (string | Buffer)[], handshake = false): Promise<RespValue> {
    if ((!this.#ready && !handshake) || !this.#socket) return Promise.reject(new ChannelDown(this.#lastError));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject, deadline: Date.now() + this.timeoutMs });
      this.#write(encodeCommand(args));
    });
  }

  /**
   * Several commands written at once, their replies in order (one round trip). A command that
   * fails rejects its own promise only.
   */
  pipeline(commands: ReadonlyArray<readonly (string | Buffer)[]>): Array<Promise<RespValue>> {
    if (!this.#ready || !this.#socket) {
      const err = new ChannelDown(this.#lastError);
      return commands.map(() => Promise.reject(err));
    }
    const deadline = Date.now() + this.timeoutMs;
    const out = commands.map((_c) => new Promise<RespValue>((resolve, reject) => this.#waiting.push({ resolve, reject, deadline })));
    this.#write(commands.length === 1 ? encodeCommand(commands[0]) : Buffer.concat(commands.map(encodeCommand)));
    return out;
  }

  /** Commands already encoded (`count` of them, replies in order), for a caller that caches its bytes. */
  pipelineEncoded(bytes: Buffer, count: number): Array<Promise<RespValue>> {
    if (!this.#ready || !this.#socket) {
      const err = new ChannelDown(this.#lastError);
      return Array.from({ length: count }, () => Promise.reject(err));
    }
    const deadline = Date.now() + this.timeoutMs;
    const out: Array<Promise<RespValue>> = [];
    for (let i = 0; i < count; i++) out.push(new Promise<RespValue>((resolve, reject) => this.#waiting.push({ resolve, reject, deadline })));
    this.#write(bytes);
    return out;
  }

  /** Every command goes through here, so that the bytes keep the order of the waiters. */
  #write(bytes: Buffer): void {
    this.#queued.push(bytes);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      setImmediate(this.#writeQueued);
    }
  }

  call(args: readonly (string | Buffer)[]): Promise<RespValue> {
    return this.#send(args);
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    const s = this.#socket;
    if (!s) return;
    await new Promise<void>((r) => {
      s.once('close', () => r());
      s.end();
    });
  }
}
