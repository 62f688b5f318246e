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
 *
 * A connection is read through libuv's handle directly (tcp-handles.ts: about 24 µs less CPU per
 * new connection than a `net.Socket`) unless `direct` is false or this Node lacks the handle
 * layer; a connection handed to Node's server becomes a `net.Socket` then.
 */
import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Server as HttpServer } from 'node:http';
import { couldBePlainGet, okResponseHead, parsePlainGet, type AfterReply } from '@oncilla/protocol';
import type { FastAnswer } from './fast-answer.js';
import { HandleWire } from './handle-wire.js';
import { SocketWire } from './socket-wire.js';
import { handleLayer, listenHandle, type StreamHandle } from './tcp-handles.js';
import type { TimeoutConfig } from './timeouts.js';
import type { HandedOff, Wire, WireEvents } from './wire.js';

export interface FrontDoorOptions {
  answer: FastAnswer;
  /** Where every other connection goes (it need not listen). */
  http: HttpServer;
  /** Read per connection, so a reload applies to the next one. */
  timeouts: () => TimeoutConfig;
  /** Read connections through libuv's handles (default true); false: through `net.Socket`. */
  direct?: boolean;
}

/** Ocelot's connection lines of the report, for one front door. */
export interface ConnectionCounts {
  opened: number;
  open: number;
  bytesRead: number;
  bytesWritten: number;
}

export interface FrontDoor {
  server: Server;
  /** `handle`: connections read through libuv's handles; `socket`: through `net.Socket`. */
  readonly transport: 'handle' | 'socket';
  /** Why the handles are not used, when `direct` asked for them. */
  readonly fallback?: string;
  counts(): ConnectionCounts;
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

/** One listening socket's connections, their counts, and the wait for them to end. */
class Door {
  readonly open = new Set<Connection>();
  readonly handedOff = new Set<HandedOff>();
  opened = 0;
  #closedRead = 0;
  #closedWritten = 0;
  /** Called whenever a connection ends (the front door's close waits on it). */
  onGone: (() => void) | undefined;

  constructor(readonly o: FrontDoorOptions) {}

  gone(c: Connection): void {
    if (!this.open.delete(c)) return;
    this.#closedRead += c.wire.bytesRead;
    this.#closedWritten += c.wire.bytesWritten;
    this.onGone?.();
  }

  adopt(h: HandedOff): void {
    this.handedOff.add(h);
    h.socket.once('close', () => {
      this.handedOff.delete(h);
      this.#closedRead += h.read + h.socket.bytesRead;
      this.#closedWritten += h.written + h.socket.bytesWritten;
      this.onGone?.();
    });
  }

  get size(): number {
    return this.open.size + this.handedOff.size;
  }

  counts(): ConnectionCounts {
    let read = this.#closedRead;
    let written = this.#closedWritten;
    for (const c of this.open) {
      read += c.wire.bytesRead;
      written += c.wire.bytesWritten;
    }
    for (const h of this.handedOff) {
      read += h.read + h.socket.bytesRead;
      written += h.written + h.socket.bytesWritten;
    }
    return { opened: this.opened, open: this.size, bytesRead: read, bytesWritten: written };
  }
}

class Connection implements WireEvents {
  /** Set right after construction (the wire reports to this connection). */
  wire!: Wire;
  #buf: Buffer | undefined;
  #busy = false;
  #ended = false;
  #closeAfter = false;
  #handedOff = false;
  #noDelay = false;
  /** When the connection is closed unless something happens first (performance.now() ms, a monotonic clock; 0: never). */
  deadline = 0;

  constructor(private readonly door: Door) {
    door.open.add(this);
    door.opened++;
    this.#arm(door.o.timeouts().connectionTimeout);
  }

  get idle(): boolean {
    return !this.#busy && this.#buf === undefined && !this.#handedOff;
  }

  /** Drain: an idle connection goes now, a busy one after its reply. */
  drain(): void {
    if (this.#handedOff) return;
    if (this.idle) this.wire.destroy();
    else this.#closeAfter = true;
  }

  closed(): void {
    this.door.gone(this);
  }

  #arm(seconds: number): void {
    this.deadline = seconds > 0 ? performance.now() + seconds * 1000 : 0;
  }

  data(chunk: Buffer): void {
    // The first byte after an idle keep-alive pause starts the request's clock.
    if (this.#buf === undefined && !this.#busy) this.#arm(this.door.o.timeouts().connectionTimeout);
    this.#buf = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk]);
    if (this.#busy) {
      if (this.#buf.length > MAX_BUFFERED) this.wire.pause();
      return;
    }
    this.#serve();
  }

  end(): void {
    this.#ended = true;
    if (!this.#busy) this.#serve();
  }

  /** After the client's FIN: close once everything it sent is answered; a partial request is dropped, as Node and Ocelot do at EOF. */
  #closeIfEnded(): void {
    if (!this.#ended || this.#busy || this.#handedOff || this.wire.destroyed) return;
    if (this.#buf === undefined) this.wire.close();
    else this.wire.destroy();
  }

  /** Answers complete requests in the buffer, one at a time, until one must wait. */
  #serve(): void {
    const o = this.door.o;
    while (this.#buf !== undefined && !this.#busy && !this.wire.destroyed) {
      const buf = this.#buf;
      const at = buf.indexOf(CRLFCRLF);
      if (at < 0) {
        if (!couldBePlainGet(buf.toString('latin1'))) return this.#handOff();
        break;
      }
      const req = parsePlainGet(buf.toString('latin1', 0, at));
      if (req === undefined) return this.#handOff();
      const body = o.answer({
        url: req.target,
        remoteAddress: this.wire.remoteAddress(),
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
          if (this.wire.paused && !this.wire.destroyed) this.wire.resume();
          this.#serve();
        });
      }
    }
    this.#closeIfEnded();
  }

  #reply(body: Buffer, clientClose: boolean): void {
    const wire = this.wire;
    if (wire.destroyed) return;
    const o = this.door.o;
    const keepAlive = o.timeouts().keepaliveTimeout;
    const after: AfterReply = keepAlive === 0 ? 'tracker-closes' : clientClose || this.#closeAfter ? 'client-closes' : { keepAliveSeconds: keepAlive };
    const close = typeof after === 'string';
    const head = okResponseHead(body.length, httpDate(), after);
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, 'latin1');
    out.set(body, head.length);
    if (close) {
      this.#buf = undefined;
      wire.write(out);
      wire.close();
      return;
    }
    // Nagle could only hold back a reply that follows an unacknowledged one: set on the
    // first reply that keeps the connection, so one-announce connections skip the syscall.
    if (!this.#noDelay) {
      this.#noDelay = true;
      wire.noDelay();
    }
    wire.write(out);
    // idle until the next request, or that request's clock if part of it is here already
    this.#arm(this.#buf === undefined ? keepAlive : o.timeouts().connectionTimeout);
  }

  /** Node's server takes the connection from here, starting with the bytes not yet answered. */
  #handOff(): void {
    this.#handedOff = true;
    this.deadline = 0;
    this.door.open.delete(this);
    const handed = this.wire.handOff(this.#ended);
    const socket = handed.socket;
    this.door.adopt(handed);
    // Node's HTTP server sets TCP_NODELAY when its own listener accepts (its noDelay option),
    // not on a connection handed to it: set here, as it would have been.
    if (!this.#noDelay) socket.setNoDelay(true);
    const rest = this.#buf;
    this.#buf = undefined;
    this.door.o.http.emit('connection', socket);
    // Node's server reads the socket through its 'data' listener (or the handle itself from
    // now on): what was already read goes to that listener first.
    if (rest !== undefined) socket.emit('data', rest);
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
  const door = new Door(o);
  // Node's server starts checking its connections' request timeouts (headersTimeout,
  // requestTimeout) on 'listening'; this one never listens itself, so it is told.
  if (!tracking.has(o.http)) {
    tracking.add(o.http);
    o.http.emit('listening');
  }
  const layer = o.direct === false ? undefined : handleLayer();
  let transport: 'handle' | 'socket' = 'socket';
  let fallback = typeof layer === 'string' ? layer : undefined;
  // allowHalfOpen: a client's FIN after its request still gets the reply (Node's server does the
  // same). No noDelay here: see #reply and #handOff.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const c = new Connection(door);
    c.wire = new SocketWire(socket, c);
  });
  if (typeof layer === 'object') {
    // Node's own accept handler (which makes a net.Socket of every connection) is replaced once
    // the server listens, before its first connection can be read (in a cluster worker too: the
    // handle is the worker's own, or the one the primary's round robin feeds).
    server.on('listening', () => {
      const listening = listenHandle(server);
      if (listening === undefined) {
        fallback = 'the listening socket has no handle to take over';
        return;
      }
      transport = 'handle';
      listening.onconnection = (status: number, client?: StreamHandle) => {
        // an accept error (EMFILE...): libuv goes on accepting; Node would only emit it
        if (status !== 0 || client === undefined) return;
        // max_middlemen, as Node's own accept handler applies server.maxConnections
        const max = server.maxConnections;
        if (max > 0 && door.size >= max) return client.close();
        const c = new Connection(door);
        c.wire = new HandleWire(client, c, layer);
      };
    });
  }
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const c of door.open) if (c.deadline !== 0 && c.deadline <= now) c.wire.destroy();
  }, SWEEP_MS);
  sweep.unref();
  return {
    server,
    get transport() {
      return transport;
    },
    get fallback() {
      return fallback;
    },
    counts: () => door.counts(),
    close: () =>
      new Promise<void>((resolve) => {
        // Done when the listener is closed and every connection is gone, handed-off ones too
        // (connections on handles are not the net.Server's, so its close does not wait for them).
        let listening = true;
        const check = (): void => {
          if (listening || door.size > 0) return;
          door.onGone = undefined;
          resolve();
        };
        door.onGone = check;
        server.close(() => {
          clearInterval(sweep);
          listening = false;
          check();
        });
        for (const c of door.open) c.drain();
        // connections handed to Node's server: its idle keep-alive ones go now too
        o.http.closeIdleConnections();
      }),
  };
}
