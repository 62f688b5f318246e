/**
 * A front-door connection's transport (a "wire"): what the connection asks of it, and what it
 * tells the connection. Two kinds: socket-wire.ts (a `net.Socket`) and handle-wire.ts (libuv's
 * handle itself).
 */
import type { Socket } from 'node:net';

/** What a connection's transport does for it: a `net.Socket`, or libuv's handle itself. */
export interface Wire {
  readonly destroyed: boolean;
  readonly paused: boolean;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  remoteAddress(): string;
  write(b: Buffer): void;
  /** Closes once what was written is sent (then the FIN). */
  close(): void;
  /** Closes now. */
  destroy(): void;
  pause(): void;
  resume(): void;
  noDelay(): void;
  /** The connection as a `net.Socket` from here on; `ended`: the client's FIN was read. */
  handOff(ended: boolean): HandedOff;
}

export interface HandedOff {
  socket: Socket;
  /** Bytes the socket's own counters do not include (read and written before it existed). */
  read: number;
  written: number;
}

/** What a wire tells its connection. */
export interface WireEvents {
  data(chunk: Buffer): void;
  end(): void;
  closed(): void;
}
