/** A front-door connection on a `net.Socket` (`direct_sockets = false`, or no handle layer). */
import type { Socket } from 'node:net';
import type { HandedOff, Wire, WireEvents } from './wire.js';

export class SocketWire implements Wire {
  readonly #onData = (chunk: Buffer): void => this.events.data(chunk);
  readonly #onEnd = (): void => this.events.end();
  readonly #onError = (): void => void this.socket.destroy();
  readonly #onClose = (): void => this.events.closed();

  constructor(
    readonly socket: Socket,
    private readonly events: WireEvents,
  ) {
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.once('close', this.#onClose);
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  get paused(): boolean {
    return this.socket.isPaused();
  }

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  close(): void {
    const socket = this.socket;
    // Closed once written, as Node's server does: no wait for the client's FIN. Nearly always
    // the kernel took the whole reply at once, and close() sends it and then the FIN, so no
    // shutdown() and no 'finish' are needed (a syscall and an event-loop pass per connection).
    if (socket.writableLength === 0) socket.destroy();
    else {
      socket.end();
      socket.once('finish', () => socket.destroy());
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  noDelay(): void {
    this.socket.setNoDelay(true);
  }

  handOff(ended: boolean): HandedOff {
    const socket = this.socket;
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
    // the FIN already came: Node sees it a turn later, as when it reads one after a request
    if (ended) setImmediate(() => socket.emit('end'));
    return { socket, read: 0, written: 0 };
  }
}
