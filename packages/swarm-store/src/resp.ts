/**
 * The little of RESP2 the announce channel needs: writing one command, and reading replies
 * incrementally. Pure, so it is unit-tested byte by byte.
 */

/** A reply: integers as numbers, bulk strings as Buffers (null for nil), arrays, and errors. */
export type RespValue = number | Buffer | null | RespValue[] | RespError;

export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

const CRLF = 0x0d;

/**
 * Encodes a command: `*<n>\r\n` then each argument as a bulk string. Strings are ASCII or
 * latin1 (key names, numbers); binary arguments come as Buffers.
 */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  let size = 16;
  for (const a of args) size += 16 + (typeof a === 'string' ? a.length : a.length);
  const out = Buffer.allocUnsafe(size);
  let at = out.write(`*${args.length}\r\n`, 0, 'latin1');
  for (const a of args) {
    if (typeof a === 'string') {
      at += out.write(`$${a.length}\r\n`, at, 'latin1');
      at += out.write(a, at, 'latin1');
    } else {
      at += out.write(`$${a.length}\r\n`, at, 'latin1');
      at += a.copy(out, at);
    }
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

/** Reads replies as they arrive; `push` returns the complete ones, keeps the rest for later. */
export class RespReader {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RespValue[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: RespValue[] = [];
    let at = 0;
    for (;;) {
      const r = parse(this.#buf, at);
      if (r === undefined) break;
      out.push(r.value);
      at = r.end;
    }
    this.#buf = at >= this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(at);
    return out;
  }

  reset(): void {
    this.#buf = Buffer.alloc(0);
  }
}

/** The end of the line starting at `at` (the index after its CRLF), or -1 if incomplete. */
function lineEnd(b: Buffer, at: number): number {
  const i = b.indexOf(CRLF, at);
  return i < 0 || i + 1 >= b.length ? -1 : i + 2;
}

function int(b: Buffer, from: number, to: number): number {
  let n = 0;
  let neg = false;
  let i = from;
  if (b[i] === 0x2d) {
    neg = true;
    i++;
  }
  for (; i < to; i++) n = n * 10 + (b[i] - 0x30);
  return neg ? -n : n;
}

function parse(b: Buffer, at: number): { value: RespValue; end: number } | undefined {
  if (at >= b.length) return undefined;
  const end = lineEnd(b, at);
  if (end < 0) return undefined;
  switch (b[at]) {
    case 0x3a: // :
      return { value: int(b, at + 1, end - 2), end };
    case 0x2b: // +
      return { value: b.subarray(at + 1, end - 2), end };
    case 0x2d: // -
      return { value: new RespError(b.toString('utf8', at + 1, end - 2)), end };
    case 0x24: { // $
      const n = int(b, at + 1, end - 2);
      if (n < 0) return { value: null, end };
      if (end + n + 2 > b.length) return undefined;
      return { value: b.subarray(end, end + n), end: end + n + 2 };
    }
    case 0x2a: { // *
      const n = int(b, at + 1, end - 2);
      if (n < 0) return { value: null, end };
      const items: RespValue[] = [];
      let p = end;
      for (let i = 0; i < n; i++) {
        const r = parse(b, p);
        if (r === undefined) return undefined;
        items.push(r.value);
        p = r.end;
      }
      return { value: items, end: p };
    }
    default:
      throw new RespError(`unexpected reply byte 0x${b[at].toString(16)}`);
  }
}

/** One argument as a RESP bulk string (for callers that keep parts of a command encoded). */
export function encodeBulk(a: string | Buffer): Buffer {
  const body = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
  const head = `$${body.length}\r\n`;
  const out = Buffer.allocUnsafe(head.length + body.length + 2);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}
