/**
 * libuv's stream handles as Node's own `net` module drives them (its `tcp_wrap` and
 * `stream_wrap` bindings, which `process.binding` still offers on Node 20), typed as narrowly as
 * the front door uses them, and found once per process.
 *
 * Why: a connection accepted by `net.Server` becomes a `net.Socket` (a Duplex stream with its
 * two states, emitters and write requests) before its first byte is read. For the one GET a
 * client sends per connection that costs about 24 µs of CPU out of Node's ~49 µs per connection
 * (a bare server answering a fixed reply over new connections: 49 µs through `net`, 25 µs on the
 * handle; wrk, Intel Xeon VM, 2026-12-08). Connections that are not a plain GET become a
 * `net.Socket` after all and go to Node's HTTP server.
 *
 * These are Node's internals, not its documented API: `handleLayer()` checks every piece it uses
 * and says what is missing, and the front door then takes the `net.Socket` path (as it does with
 * `direct_sockets = false`).
 */

/** A connected stream handle (TCPWrap; PipeWrap for Unix sockets): the part the front door calls. */
export interface StreamHandle {
  onread: ((this: StreamHandle, buffer: ArrayBuffer | undefined) => void) | null;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: WriteRequest, data: Uint8Array): number;
  close(callback?: () => void): void;
  /** TCP only. */
  getpeername?(out: { address?: string }): number;
  /** TCP only. */
  setNoDelay?(enable: boolean): number;
}

/** A write request (WriteWrap): `oncomplete` runs when a write the kernel did not take at once is done. */
export interface WriteRequest {
  handle: StreamHandle;
  oncomplete: (this: WriteRequest, status: number) => void;
  async: boolean;
  /** Kept alive until the write completes. */
  buffer: Uint8Array | null;
}

/** A listening handle: `onconnection` gets each accepted connection's handle. */
export interface ListenHandle {
  onconnection: (status: number, client?: StreamHandle) => void;
}

export interface HandleLayer {
  newWriteRequest(): WriteRequest;
  /** Bytes read, or a negative libuv error, of the read `onread` is called for. */
  readResult(): number;
  /** Where in `onread`'s buffer the bytes start. */
  readOffset(): number;
  /** Whether the last writeBuffer left the write to complete later. */
  lastWriteWasAsync(): boolean;
  /** libuv's end of stream. */
  readonly EOF: number;
}

type Binding = Record<string, unknown>;

/** libuv's UV_EOF (-4095 on every platform libuv supports). */
const UV_EOF = -4095;

function binding(name: string): Binding | string {
  const p = process as unknown as { binding?: (name: string) => unknown };
  if (typeof p.binding !== 'function') return 'process.binding is gone';
  try {
    const b = p.binding(name);
    return typeof b === 'object' && b !== null ? (b as Binding) : `process.binding('${name}') is not an object`;
  } catch (err) {
    return `process.binding('${name}'): ${(err as Error).message}`;
  }
}

function hasMethods(proto: unknown, names: readonly string[]): boolean {
  if (typeof proto !== 'object' || proto === null) return false;
  const o = proto as Record<string, unknown>;
  return names.every((n) => typeof o[n] === 'function');
}

let found: HandleLayer | string | undefined;

/** The handle layer, or why this Node does not offer it (looked up once). */
export function handleLayer(): HandleLayer | string {
  found ??= lookUp();
  return found;
}

function lookUp(): HandleLayer | string {
  const tcp = binding('tcp_wrap');
  if (typeof tcp === 'string') return tcp;
  const stream = binding('stream_wrap');
  if (typeof stream === 'string') return stream;
  const TCP = tcp.TCP as { prototype?: unknown } | undefined;
  if (typeof TCP !== 'function' || !hasMethods(TCP.prototype, ['readStart', 'readStop', 'writeBuffer', 'close', 'getpeername', 'setNoDelay'])) {
    return 'tcp_wrap.TCP lacks a method the front door uses';
  }
  const WriteWrap = stream.WriteWrap as (new () => WriteRequest) | undefined;
  const state = stream.streamBaseState;
  const [kRead, kOffset, kAsync] = [stream.kReadBytesOrError, stream.kArrayBufferOffset, stream.kLastWriteWasAsync];
  if (typeof WriteWrap !== 'function') return 'stream_wrap.WriteWrap is missing';
  if (!(state instanceof Int32Array)) return 'stream_wrap.streamBaseState is not an Int32Array';
  if (typeof kRead !== 'number' || typeof kOffset !== 'number' || typeof kAsync !== 'number') return "stream_wrap's state indexes are missing";
  return {
    newWriteRequest: () => new WriteWrap(),
    readResult: () => state[kRead],
    readOffset: () => state[kOffset],
    lastWriteWasAsync: () => state[kAsync] !== 0,
    EOF: UV_EOF,
  };
}

/** The listening handle of a `net.Server` that listens, when it has the shape the front door needs. */
export function listenHandle(server: object): ListenHandle | undefined {
  const h = (server as { _handle?: unknown })._handle;
  if (typeof h !== 'object' || h === null) return undefined;
  return typeof (h as { onconnection?: unknown }).onconnection === 'function' ? (h as ListenHandle) : undefined;
}
