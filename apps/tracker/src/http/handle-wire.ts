/** A front-door connection on libuv's handle itself (tcp-handles.ts says why). */
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { HandleLayer, StreamHandle, WriteRequest } from './tcp-handles.js';
import type { HandedOff, Wire, WireEvents } from './wire.js';

const WIRE = Symbol('oncilla.wire');
type OwnedHandle = StreamHandle & { [WIRE]?: HandleWire };
type OwnedRequest = WriteRequest & { wire?: HandleWire };

// (one function for every handle, not a closure per connection; `this` is the handle or request)
function onHandleRead(this: StreamHandle, buffer: ArrayBuffer | undefined): void {
  (this as OwnedHandle)[WIRE]?.read(buffer);
}
function onWriteDone(this: WriteRequest, status: number): void {
  (this as OwnedRequest).wire?.written(status);
}

/**
 * A connection on libuv's handle: reads arrive in `onread`, a reply is one writeBuffer (which
 * the kernel nearly always takes whole at once), closing is the handle's close.
 */
export class HandleWire implements Wire {
  destroyed = false;
  paused = false;
  bytesRead = 0;
  bytesWritten = 0;
  #pendingWrites = 0;
  #closeWhenWritten = false;
  #handedOff = false;
  #address: string | undefined;

  constructor(
    private readonly handle: StreamHandle,
    private readonly events: WireEvents,
    private readonly layer: HandleLayer,
  ) {
    (handle as OwnedHandle)[WIRE] = this;
    handle.onread = onHandleRead;
    if (handle.readStart() !== 0) this.destroy();
  }

  read(buffer: ArrayBuffer | undefined): void {
    const n = this.layer.readResult();
    if (n > 0 && buffer !== undefined) {
      this.bytesRead += n;
      this.events.data(Buffer.from(buffer, this.layer.readOffset(), n));
    } else if (n === this.layer.EOF) {
      this.events.end();
    } else if (n < 0) {
      // a reset or another read error: nothing more can be answered
      this.destroy();
    }
  }

  remoteAddress(): string {
    if (this.#address === undefined) {
      const out: { address?: string } = {};
      this.#address = this.handle.getpeername?.(out) === 0 ? (out.address ?? '') : '';
    }
    return this.#address;
  }

  write(b: Buffer): void {
    if (this.destroyed || this.#handedOff) return;
    const req = this.layer.newWriteRequest() as OwnedRequest;
    req.handle = this.handle;
    req.oncomplete = onWriteDone;
    req.async = false;
    req.buffer = null;
    req.wire = this;
    if (this.handle.writeBuffer(req, b) !== 0) return this.destroy();
    this.bytesWritten += b.length;
    if (this.layer.lastWriteWasAsync()) {
      // the kernel took part of it: the rest goes from libuv's queue, and `b` must live until then
      req.async = true;
      req.buffer = b;
      this.#pendingWrites++;
    }
  }

  written(status: number): void {
    this.#pendingWrites--;
    if (this.#handedOff) return;
    if (status < 0) this.destroy();
    else if (this.#pendingWrites === 0 && this.#closeWhenWritten) this.destroy();
  }

  close(): void {
    this.#closeWhenWritten = true;
    if (this.#pendingWrites === 0) this.destroy();
  }

  destroy(): void {
    if (this.destroyed || this.#handedOff) return;
    this.destroyed = true;
    // No close callback: nothing waits for libuv to finish (a callback into JavaScript per
    // connection saved); from here on the connection is gone for the front door.
    this.handle.close();
    this.events.closed();
  }

  pause(): void {
    if (this.paused || this.destroyed) return;
    this.paused = true;
    this.handle.readStop();
  }

  resume(): void {
    if (!this.paused || this.destroyed) return;
    this.paused = false;
    this.handle.readStart();
  }

  noDelay(): void {
    this.handle.setNoDelay?.(true);
  }

  handOff(): HandedOff {
    this.#handedOff = true;
    const handle = this.handle as OwnedHandle;
    handle[WIRE] = undefined;
    // The socket starts reading itself (a second readStart would fail); after a FIN it reads
    // the end of the stream again, so the FIN needs no replay.
    if (!this.paused) handle.readStop();
    const socket = new Socket({ handle, readable: true, writable: true, allowHalfOpen: true } as SocketConstructorOpts);
    // (a socket's bytesRead is its handle's count, which has this wire's reads; its bytesWritten
    // counts only its own writes)
    return { socket, read: 0, written: this.bytesWritten };
  }
}
