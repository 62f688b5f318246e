/**
 * Requests Node's HTTP parser refuses (URL or headers over 16 KiB, bytes not allowed in a URL,
 * unknown methods, broken headers) never reach Fastify. Node and Fastify would answer them with
 * a 400/431 JSON body; a tracker answers every failure as Ocelot does: HTTP 200 with a bencoded
 * `failure reason`, then closes.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { encodeFailure, GET_STRING_TOO_LONG, MALFORMED_HTTP_REQUEST } from '@oncilla/protocol';

/** Responses a socket still owes (pipelined requests are answered in order). */
const inFlight = new WeakMap<Duplex, number>();
/** Sockets to close once their owed responses are written. */
const closeAfterReplies = new WeakSet<Duplex>();
/** Node reports a broken parser again on every later chunk: answer once. */
const handled = new WeakSet<Duplex>();

/** Ends the socket after what is queued is written, then frees it. */
function closeSoon(socket: Duplex): void {
  if (socket.destroyed) return;
  if (socket.writable) socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

/** Wraps the server's request listener to count the responses each socket owes. */
export function trackResponses(handler: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (left === 0 && closeAfterReplies.has(socket)) closeSoon(socket);
    });
    handler(req, res);
  };
}

/** The failure text for a parser error: Ocelot's "too long" for the 16 KiB header limit. */
export function clientErrorReason(code: string | undefined): string {
  return code === 'HPE_HEADER_OVERFLOW' ? GET_STRING_TOO_LONG : MALFORMED_HTTP_REQUEST;
}

/** A complete HTTP/1.1 200 response carrying the bencoded failure. */
export function failureResponse(reason: string): Buffer {
  const body = encodeFailure(reason);
  const head = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** The server's `clientError` listener (Fastify's clientErrorHandler on the main server). */
export function handleClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (socket.destroyed) return;
  const again = handled.has(socket);
  handled.add(socket);
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ECONNRESET') {
    // Ocelot's timer closes a connection whatever its state, without a reply.
    socket.destroy();
    return;
  }
  if (again) return;
  if ((inFlight.get(socket) ?? 0) > 0) {
    // An earlier request on this socket (pipelined) is still being answered: its reply must go
    // out intact, so nothing is written in front of it; the connection closes after it.
    closeAfterReplies.add(socket);
    return;
  }
  // The client closed mid-request (Ocelot closes on EOF too), or a reply was already written.
  if (err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable || socket.writableEnded) {
    socket.destroy();
    return;
  }
  socket.write(failureResponse(clientErrorReason(err.code)));
  closeSoon(socket);
}

/**
 * `Expect:` gets no interim `100 Continue` (nor a `417` for other values): Ocelot ignores the
 * header, and a GET tracker has no body to wait for, so the request is answered at once.
 */
export function ignoreExpect(server: Server): void {
  const answer = (req: IncomingMessage, res: ServerResponse): void => void server.emit('request', req, res);
  server.on('checkContinue', answer);
  server.on('checkExpectation', answer);
}

/**
 * Fastify's own 4xx errors (the body of a non-GET it could not parse: unknown Content-Type,
 * bad JSON, bad Content-Length) are the client's fault, not the tracker's trouble.
 */
export function isClientFault(err: unknown): boolean {
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}
