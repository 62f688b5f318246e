// A one-shot RESP2 client: connect, send a few commands, read their replies, close. The
// cluster harness asks every node for its state many times a second while nodes are being
// killed and paused; a fresh short-lived connection with a hard timeout per question is
// simpler to reason about than a client library's reconnect and offline-queue machinery.

import { connect } from 'node:net';

/** A RESP error reply (`-ERR ...`), as an element of an array reply. */
export class RespError extends Error {
  override readonly name = 'RespError';
}

export type RespValue = string | number | null | RespError | RespValue[];

interface Parsed {
  value: RespValue;
  end: number;
}

/** Parses one reply starting at `pos`; undefined when `buf` does not hold all of it yet. */
function parseReply(buf: Buffer, pos: number): Parsed | undefined {
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let p = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, p);
        if (!item) return undefined;
        items.push(item.value);
        p = item.end;
      }
      return { value: items, end: p };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

function encodeCommand(parts: readonly string[]): string {
  let out = `*${parts.length}\r\n`;
  for (const p of parts) out += `$${Buffer.byteLength(p)}\r\n${p}\r\n`;
  return out;
}

/**
 * Sends `commands` (pipelined) on one new connection and resolves with their replies in order.
 * Rejects on an error reply (naming the command), a connection error, or no full answer within
 * timeoutMs (e.g. a SIGSTOPped server).
 */
export function redisCommands(
  host: string,
  port: number,
  commands: readonly (readonly string[])[],
  timeoutMs = 1000,
): Promise<RespValue[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | undefined, replies?: RespValue[]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(replies ?? []);
    };
    const timer = setTimeout(
      () => finish(new Error(`${host}:${port} did not answer ${commands.map((c) => c.join(' ')).join('; ')} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('connect', () => socket.write(commands.map(encodeCommand).join('')));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const replies: RespValue[] = [];
      let pos = 0;
      try {
        while (replies.length < commands.length) {
          const parsed = parseReply(buf, pos);
          if (!parsed) return; // wait for more bytes
          replies.push(parsed.value);
          pos = parsed.end;
        }
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const errorAt = replies.findIndex((r) => r instanceof RespError);
      if (errorAt >= 0) {
        finish(new Error(`${host}:${port} ${commands[errorAt].join(' ')}: ${(replies[errorAt] as RespError).message}`));
        return;
      }
      finish(undefined, replies);
    });
    socket.on('error', (err) => finish(new Error(`${host}:${port}: ${err.message}`)));
    socket.on('close', () => finish(new Error(`${host}:${port}: connection closed`)));
  });
}

/** One command on a new connection; its reply must be a string (simple or bulk). */
export async function redisString(host: string, port: number, command: readonly string[], timeoutMs?: number): Promise<string> {
  const [reply] = await redisCommands(host, port, [command], timeoutMs);
  if (typeof reply !== 'string') throw new Error(`${host}:${port} ${command.join(' ')}: expected a string reply, got ${JSON.stringify(reply)}`);
  return reply;
}
