/**
 * connection_timeout and keepalive_timeout on Node's HTTP server. Node checks the request
 * timeouts only every `connectionsCheckingInterval` (30 s by default), so a slow or idle
 * socket would live up to 30 s past connection_timeout; the interval is set with the server.
 */
import type { Server, ServerOptions } from 'node:http';

export interface TimeoutConfig {
  /** Seconds from the first byte (or accept) until a connection without a complete request is closed. */
  connectionTimeout: number;
  /** Idle seconds after a response; 0 disables keep-alive. */
  keepaliveTimeout: number;
}

/** The check interval can only be given to createServer; 1 s at most keeps any later (SIGHUP) timeout within ~1 s. */
export function checkingIntervalMs(c: TimeoutConfig): number {
  return Math.max(100, Math.min(1000, (c.connectionTimeout * 1000) / 2));
}

/** createServer options: the check interval plus the timeouts (tuneTimeouts sets them again on reload). */
export function serverOptions(c: TimeoutConfig): ServerOptions {
  const ms = c.connectionTimeout * 1000;
  return {
    // Ocelot answers HTTP/1.1 requests without a Host header; Node refuses them by default.
    requireHostHeader: false,
    connectionsCheckingInterval: checkingIntervalMs(c),
    headersTimeout: ms,
    requestTimeout: ms,
    keepAliveTimeout: c.keepaliveTimeout * 1000,
  };
}

/** The reloadable part: headers, whole request and keep-alive idle time. */
export function tuneTimeouts(server: Server, c: TimeoutConfig): void {
  const ms = c.connectionTimeout * 1000;
  // Node wants headersTimeout <= requestTimeout; both are the one Ocelot timer.
  server.requestTimeout = ms;
  server.headersTimeout = ms;
  server.keepAliveTimeout = c.keepaliveTimeout * 1000;
}
