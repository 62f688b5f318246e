/**
 * The listening socket. It reads the plain HTTP/1.1 GETs that announces and scrapes are and
 * answers them itself; the first request on a connection that is anything else (or that the
 * fast path does not take) hands the connection, with every byte not yet answered, to Node's
 * HTTP server, where Fastify and Node's parser answer as they always have.
 *
 * Why: a new connection through Node's HTTP server costs about 20 µs of CPU more than through
 * `net` alone, and a keep-alive request about 7 µs more; most announces arrive on a new
 * connection. Node's parser still reads every request this one does not recognise to the letter.
 *
 * Same rules as Node's server: connection_timeout from the first byte (or accept) until the
 * request's head is complete, keepalive_timeout idle time after a reply (0: close after it),
 * pipelined requests answered in order, a client's FIN answered after what it asked for.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Server as HttpServer } from 'node:http';
import { couldBePlainGet, okResponseHead, parsePlainGet, type AfterReply } from '@oncilla/protocol';
import type { FastAnswer } from './fast-answer.js';
import type { TimeoutConfig } from './timeouts.js';

export interface FrontDoorOptions {
  answer: FastAnswer;
  /** Where every other connection goes (it need not listen). */
  http: HttpServer;
  /** Read per connection, so a reload applies to the next one. */
  timeouts: () => TimeoutConfig;
}

export interface FrontDoor {
  server: Server;
  /** Stops accepting, closes idle connections, and the others after their current reply. */
  close(): Promise<void>;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
/** Pipelined bytes held while a reply is pending; more pauses reading. */
const MAX_BUFFERED = 64 * 1024;

let dateSecond = -1;
let dateText = '';
/** The Date header, made once a second (as Node's server does). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

class Connection {
  #buf: Buffer | undefined;
  #busy = false;
  #ended = false;
  #closeAfter = false;
  #handedOff = false;
  #noDelay = false;
  /** When the connection is closed unless something happens first (performance.now() ms, a monotonic clock; 0: never). */
  deadline = 0;
  readonly #onData = (chunk: Buffer): void => this.#data(chunk);
  readonly #onEnd = (): void => this.#end();
  readonly #onError = (): void => void this.socket.destroy();

  constructor(
    readonly socket: Socket,
    private readonly o: FrontDoorOptions,
    private readonly open: Set<Connection>,
  ) {
    open.add(this);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.once('close', () => open.delete(this));
    this.#arm(o.timeouts().connectionTimeout);
  }

  get idle(): boolean {
    return !this.#busy && this.#buf === undefined && !this.#handedOff;
  }

  /** Drain: an idle connection goes now, a busy one after its reply. */
  drain(): void {
    if (this.#handedOff) return;
    if (this.idle) this.socket.destroy();
    else this.#closeAfter = true;
  }

  #arm(seconds: number): void {
    this.deadline = seconds > 0 ? performance.now() + seconds * 1000 : 0;
  }

  #data(chunk: Buffer): void {
    // The first byte after an idle keep-alive pause starts the request's clock.
    if (this.#buf === undefined && !this.#busy) this.#arm(this.o.timeouts().connectionTimeout);
    this.#buf = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk]);
    if (this.#busy) {
      if (this.#buf.length > MAX_BUFFERED) this.socket.pause();
      return;
    }
    this.#serve();
  }

  #end(): void {
    this.#ended = true;
    if (!this.#busy) this.#serve();
  }

  /** After the client's FIN: close once everything it sent is answered; a partial request is dropped, as Node and Ocelot do at EOF. */
  #closeIfEnded(): void {
    if (!this.#ended || this.#busy || this.#handedOff || this.socket.destroyed) return;
    if (this.#buf === undefined) this.socket.end();
    else this.socket.destroy();
  }

  /** Answers complete requests in the buffer, one at a time, until one must wait. */
  #serve(): void {
    while (this.#buf !== undefined && !this.#busy && !this.socket.destroyed) {
      const buf = this.#buf;
      const at = buf.indexOf(CRLFCRLF);
      if (at < 0) {
        if (!couldBePlainGet(buf.toString('latin1'))) return this.#handOff();
        break;
      }
      const req = parsePlainGet(buf.toString('latin1', 0, at));
      if (req === undefined) return this.#handOff();
      const body = this.o.answer({
        url: req.target,
        remoteAddress: this.socket.remoteAddress ?? '',
        xForwardedFor: req.xForwardedFor,
        userAgent: req.userAgent,
      });
      if (body === undefined) return this.#handOff();
      this.#buf = at + 4 === buf.length ? undefined : buf.subarray(at + 4);
      this.deadline = 0;
      const close = req.close;
      if (Buffer.isBuffer(body)) {
        this.#reply(body, close);
      } else {
        this.#busy = true;
        void body.then((b) => {
          this.#busy = false;
          this.#reply(b, close);
          if (this.socket.isPaused() && !this.socket.destroyed) this.socket.resume();
          this.#serve();
        });
      }
    }
    this.#closeIfEnded();
  }

  #reply(body: Buffer, clientClose: boolean): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    const keepAlive = this.o.timeouts().keepaliveTimeout;
    const after: AfterReply = keepAlive === 0 ? 'tracker-closes' : clientClose || this.#closeAfter ? 'client-closes' : { keepAliveSeconds: keepAlive };
    const close = typeof after === 'string';
    const head = okResponseHead(body.length, httpDate(), after);
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, 'latin1');
    out.set(body, head.length);
    if (close) {
      this.#buf = undefined;
      socket.write(out);
      // Closed once written, as Node's server does: no wait for the client's FIN. Nearly always
      // the kernel took the whole reply at once, and close() sends it and then the FIN, so no
      // shutdown() and no 'finish' are needed (a syscall and an event-loop pass per connection).
      if (socket.writableLength === 0) socket.destroy();
      else {
        socket.end();
        socket.once('finish', () => socket.destroy());
      }
      return;
    }
    // Nagle could only hold back a reply that follows an unacknowledged one: set on the
    // first reply that keeps the connection, so one-announce connections skip the syscall.
    if (!this.#noDelay) {
      this.#noDelay = true;
      socket.setNoDelay(true);
    }
    socket.write(out);
    // idle until the next request, or that request's clock if part of it is here already
    this.#arm(this.#buf === undefined ? keepAlive : this.o.timeouts().connectionTimeout);
  }

  /** Node's server takes the connection from here, starting with the bytes not yet answered. */
  #handOff(): void {
    const socket = this.socket;
    this.#handedOff = true;
    this.deadline = 0;
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('error', this.#onError);
    this.open.delete(this);
    // Node's HTTP server sets TCP_NODELAY when its own listener accepts (its noDelay option),
    // not on a connection handed to it: set here, as it would have been.
    if (!this.#noDelay) socket.setNoDelay(true);
    const rest = this.#buf;
    this.#buf = undefined;
    this.o.http.emit('connection', socket);
    // Node's server reads the socket through its 'data' listener (or the handle itself from
    // now on): what was already read goes to that listener first.
    if (rest !== undefined) socket.emit('data', rest);
    // the FIN already came: Node sees it a turn later, as when it reads one after a request
    if (this.#ended) setImmediate(() => socket.emit('end'));
  }
}

/**
 * How often the open connections' deadlines are checked: a connection goes between its timeout
 * and this much later. One sweep instead of a timer per connection: arming and clearing Node's
 * timers twice per keep-alive request cost ~0.8 µs of a worker's ~30 per announce.
 */
const SWEEP_MS = 250;

/** Node's servers that already check their handed-over connections' timeouts. */
const tracking = new WeakSet<HttpServer>();

export function createFrontDoor(o: FrontDoorOptions): FrontDoor {
  const open = new Set<Connection>();
  // Node's server starts checking its connections' request timeouts (headersTimeout,
  // requestTimeout) on 'listening'; this one never listens itself, so it is told.
  if (!tracking.has(o.http)) {
    tracking.add(o.http);
    o.http.emit('listening');
  }
  // allowHalfOpen: a client's FIN after its request still gets the reply (Node's server does the
  // same). No noDelay here: see #reply and #handOff.
  const server = createServer({ allowHalfOpen: true }, (socket) => void new Connection(socket, o, open));
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const c of open) if (c.deadline !== 0 && c.deadline <= now) c.socket.destroy();
  }, SWEEP_MS);
  sweep.unref();
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        for (const c of open) c.drain();
        // connections handed to Node's server: its idle keep-alive ones go now too
        o.http.closeIdleConnections();
      }),
  };
}
