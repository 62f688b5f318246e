/**
 * Raw sockets for HTTP-level tests: exact bytes out (in one packet or in pieces), everything
 * that comes back until the server closes, and a strict parser for the replies.
 */
import net from 'node:net';

export interface RawOutcome {
  /** Every byte the server sent before the connection ended. */
  data: Buffer;
  /** The socket error that ended it (ECONNRESET after an unread request), if any. */
  error?: string;
  /** True when our deadline ended it rather than the server. */
  timedOut: boolean;
  /** True when settleMs ended it (complete replies, then silence). */
  settled: boolean;
  /** Milliseconds from connect to the end. */
  ms: number;
}

export interface RawOptions {
  host?: string;
  /** Give up (and destroy the socket) after this long. */
  deadlineMs?: number;
  /** Half-close after writing (a client that sends a partial request and stops). */
  endAfterWrite?: boolean;
  /** Destroy the socket right after writing, without reading (an early close). */
  abortAfterWrite?: boolean;
  /**
   * Stop reading once what came parses as complete replies and nothing more came for this long
   * (a keep-alive server would otherwise hold the socket until keepalive_timeout).
   */
  settleMs?: number;
}

/** Connects, writes `payload` (each Buffer of an array as its own write), reads until close. */
export function exchange(port: number, payload: Buffer | Buffer[], o: RawOptions = {}): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let timedOut = false;
    let settled = false;
    let settleTimer: NodeJS.Timeout | undefined;
    const s = net.connect({ host: o.host ?? '127.0.0.1', port }, () => {
      for (const p of Array.isArray(payload) ? payload : [payload]) s.write(p);
      if (o.abortAfterWrite) s.destroy();
      else if (o.endAfterWrite) s.end();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      s.destroy();
    }, o.deadlineMs ?? 10_000);
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      if (o.settleMs === undefined) return;
      clearTimeout(settleTimer);
      if (!completeReplies(Buffer.concat(chunks))) return;
      settleTimer = setTimeout(() => {
        settled = true;
        s.destroy();
      }, o.settleMs);
    });
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () => {
      clearTimeout(timer);
      clearTimeout(settleTimer);
      resolve({ data: Buffer.concat(chunks), error, timedOut, settled, ms: Date.now() - started });
    });
  });
}

/** Resolves with the milliseconds until the server closes `socket`; rejects after deadlineMs. */
export function closedWithin(socket: net.Socket, deadlineMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the socket open for more than ${deadlineMs} ms`));
    }, deadlineMs);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

export interface ParsedReply {
  status: number;
  /** Header names lowercased; the last value wins. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Splits what a server sent into complete HTTP/1.1 responses (Content-Length framed, as every
 * tracker reply is). Throws on anything else: a torn response, trailing bytes, a bad head.
 */
export function parseReplies(data: Buffer): ParsedReply[] {
  const out: ParsedReply[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at, 'latin1');
    if (end < 0) throw new Error(`torn response head: ${JSON.stringify(data.subarray(at, at + 200).toString('latin1'))}`);
    const lines = data.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(lines[0]);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      if (c <= 0) throw new Error(`bad header line: ${JSON.stringify(l)}`);
      headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    const len = Number(headers['content-length']);
    if (!Number.isSafeInteger(len) || len < 0) throw new Error(`no content-length: ${JSON.stringify(lines)}`);
    const bodyStart = end + 4;
    if (bodyStart + len > data.length) throw new Error(`torn body: ${len} bytes announced, ${data.length - bodyStart} sent`);
    out.push({ status: Number(m[1]), headers, body: data.subarray(bodyStart, bodyStart + len) });
    at = bodyStart + len;
  }
  return out;
}

function completeReplies(data: Buffer): boolean {
  try {
    return parseReplies(data).length > 0;
  } catch {
    return false;
  }
}
