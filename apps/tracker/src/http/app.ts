import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import { AUTHENTICATION_FAILURE, GET_STRING_TOO_LONG, INVALID_ACTION, MALFORMED_HTTP_REQUEST, TRACKER_UNAVAILABLE, classifyPath, encodeFailure, NOTHING_TO_SEE_HERE, parseAnnounce, parseQuery, type Cidr, type Query, type Route, type RouteAction } from '@oncilla/protocol';
import type { PeerStore, SiteLists } from '@oncilla/swarm-store';
import { handleAnnounce } from './announce.js';
import { handleScrape } from './scrape.js';
import { fastAnswer, type FastAnswer } from './fast-answer.js';
import { handleClientError, ignoreExpect, isClientFault, trackResponses } from './client-errors.js';
import { serverOptions, type TimeoutConfig } from './timeouts.js';
import { AuthFailures } from './auth-failures.js';
import type { RefusedTransfer } from './refused-transfers.js';
import type { HandlerSettings } from './settings.js';
import type { WorkerStats } from './stats.js';

export interface AppDeps {
  store: PeerStore;
  /** The worker's in-memory passkeys, whitelist and runtime settings. */
  lists: Pick<SiteLists, 'user' | 'whitelisted' | 'settings'>;
  /** Whether the lists are known to be current (announces and scrapes wait for that). */
  listsFresh: () => boolean;
  onRefusedTransfer?: (r: RefusedTransfer) => void;
  /**
   * max_inflight_requests: requests that may wait on Redis at once in this worker; one more is
   * answered "temporarily unavailable" at once (absent: no limit).
   */
  maxInFlight?: () => number;
  settings: () => HandlerSettings;
  trustedProxies: () => Cidr[];
  stats: WorkerStats;
  /** Set while the process drains for shutdown: every request gets Ocelot's unavailable failure. */
  closing?: () => boolean;
  /** Site update and report routes (absent: they answer Invalid action). */
  control?: {
    update(q: Query): Promise<string | Buffer>;
    report(q: Query): Promise<{ body: string; type: string }>;
  };
  log?: { error(obj: unknown, msg: string): void; warn(obj: Record<string, unknown>, msg: string): void };
  /** Prometheus text (served at /metrics to a bearer of the report password). */
  metrics?: () => Promise<string>;
  /** Whether this worker can answer (Redis reachable, not draining): GET /ready. */
  ready?: () => boolean;
  /** connection_timeout and keepalive_timeout for the server (Ocelot's defaults when absent). */
  timeouts?: TimeoutConfig;
}



function send(reply: FastifyReply, settings: HandlerSettings, body: Buffer | string, close = false, type = 'text/plain'): FastifyReply {
  reply.header('content-type', type);
  if (close || settings.keepaliveTimeout === 0) reply.header('connection', 'close');
  return reply.send(body);
}

/**
 * The tracker's HTTP surface. One catch-all route classifies the path the way Ocelot's router
 * does (key, action, query string), on top of Node's real HTTP parser. Every failure is a
 * bencoded `failure reason` with status 200.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const authFailures = new AuthFailures(deps.stats.authFailures, deps.log);
  const fast = fastPath(fastAnswer(deps), deps.settings);
  const app = Fastify({
    logger: false,
    serverFactory: (handler) => {
      const server = createServer(serverOptions(deps.timeouts ?? { connectionTimeout: 10, keepaliveTimeout: 0 }), trackResponses((req, res) => {
        if (!fast(req, res)) handler(req, res);
      }));
      ignoreExpect(server);
      return server;
    },
    // What Node's parser refuses gets a bencoded failure, not Fastify's JSON 400/431.
    clientErrorHandler: handleClientError,
    // A HEAD would run the GET handler (and announce) with the body thrown away.
    exposeHeadRoutes: false,
    routerOptions: {
      querystringParser: parseQuery,
      ignoreDuplicateSlashes: false,
      maxParamLength: 8192,
    },
    // A URL Node parses but find-my-way rejects still gets a bencoded answer.
    frameworkErrors(err, req, reply) {
      deps.stats.errors++;
      void send((reply as FastifyReply).code(200), deps.settings(), encodeFailure(MALFORMED_HTTP_REQUEST), true);
    },
  });

  app.setErrorHandler((err, req, reply) => {
    if (isClientFault(err)) return void send(reply.code(200), deps.settings(), encodeFailure(MALFORMED_HTTP_REQUEST), true);
    deps.stats.errors++;
    deps.log?.error({ err: (err as Error).message }, 'request failed');
    // A store or database error is the tracker's trouble, not the client's.
    void send(reply.code(200), deps.settings(), encodeFailure(TRACKER_UNAVAILABLE), true);
  });

  app.setNotFoundHandler((req, reply) => {
    void send(reply.code(200), deps.settings(), encodeFailure(INVALID_ACTION), true);
  });

  const route = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    deps.stats.requests++;
    const s = deps.settings();
    if (req.url.length > s.maxRequestSize) return send(reply, s, encodeFailure(GET_STRING_TOO_LONG), true);
    const c = classifyPath(req.url);
    if (c.kind === 'nothing-to-see') return send(reply, s, NOTHING_TO_SEE_HERE, true, 'text/html');
    if (c.kind === 'failure') return send(reply, s, encodeFailure(c.reason), true);
    if (deps.closing?.()) return send(reply, s, encodeFailure(TRACKER_UNAVAILABLE), true);
    // Every route below may wait on Redis: a Redis that hangs must not pile requests up.
    const stats = deps.stats;
    if (stats.inFlight >= (deps.maxInFlight?.() ?? Infinity)) {
      stats.shed++;
      if (c.kind === 'announce') {
        stats.announcements++;
        stats.failure(TRACKER_UNAVAILABLE);
      }
      return send(reply, s, encodeFailure(TRACKER_UNAVAILABLE), c.kind === 'update' || c.kind === 'report');
    }
    stats.inFlight++;
    try {
      return await answer(c, req, reply, s);
    } finally {
      stats.inFlight--;
    }
  };

  const answer = async (c: Extract<Route, { kind: RouteAction }>, req: FastifyRequest, reply: FastifyReply, s: HandlerSettings): Promise<FastifyReply> => {
    const q = req.query as Query;
    switch (c.kind) {
      case 'announce':
        return send(reply, s, await handleAnnounce(deps, c.key, parseAnnounce(q, { userAgent: headerValue(req.headers['user-agent']) }), {
          remoteAddress: req.socket.remoteAddress ?? '',
          xForwardedFor: headerValue(req.headers['x-forwarded-for']),
        }));
      case 'scrape':
        return send(reply, s, await handleScrape(deps, c.key, q));
      case 'update':
      case 'report': {
        // The site reads until EOF and wants the text after the last \n: always close.
        const secret = c.kind === 'update' ? s.sitePassword : s.reportPassword;
        if (!safeEqual(c.key, secret)) {
          authFailures.record(c.kind, req.socket.remoteAddress ?? '');
          return send(reply, s, encodeFailure(AUTHENTICATION_FAILURE), true);
        }
        if (!deps.control) return send(reply, s, encodeFailure(INVALID_ACTION), true);
        if (c.kind === 'update') return send(reply, s, await deps.control.update(q), true);
        const r = await deps.control.report(q);
        return send(reply, s, r.body, true, r.type);
      }
    }
  };
  // Ocelot's routes: everything but the operator's below
  app.get('/*', route);
  // HEAD changes nothing: tracker routes a failure (probes have HEAD /health and /ready)
  app.head('/*', async (req, reply) => send(reply, deps.settings(), encodeFailure(INVALID_ACTION), true));
  void app.register(operatorRoutes(deps, authFailures));
  return app;
}

/**
 * The operator's routes, `/health`, `/ready` and `/metrics`: a plugin of their own (none of
 * these paths can be a tracker route, which needs a 32-character key), with the request count
 * of Ocelot's report as a hook, and /metrics behind the report password.
 */
function operatorRoutes(deps: AppDeps, authFailures: AuthFailures): FastifyPluginAsync {
  return async (ops) => {
    ops.addHook('onRequest', async (req, reply) => {
      deps.stats.requests++;
      // which worker answered (operators and tests follow one worker's connection with it)
      reply.header('x-oncilla-worker', process.pid);
    });
    const health = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => send(reply, deps.settings(), 'ok\n');
    const ready = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const ok = (deps.ready?.() ?? true) && !deps.closing?.();
      return send(reply.code(ok ? 200 : 503), deps.settings(), ok ? 'ready\n' : 'not ready\n');
    };
    for (const method of ['GET', 'HEAD'] as const) {
      ops.route({ method, url: '/health', handler: health });
      ops.route({ method, url: '/ready', handler: ready });
    }
    const metrics = deps.metrics;
    if (!metrics) return;
    ops.get('/metrics', {
      preHandler: async (req, reply) => {
        const auth = headerValue(req.headers.authorization) ?? '';
        if (!auth.startsWith('Bearer ') || !safeEqual(auth.slice(7), deps.settings().reportPassword)) {
          authFailures.record('metrics', req.socket.remoteAddress ?? '');
          // (returning the reply ends the request here: the handler does not run)
          return send(reply.code(401).header('www-authenticate', 'Bearer'), deps.settings(), 'report password required (Authorization: Bearer)\n', true);
        }
        return undefined;
      },
    }, async (req, reply) => send(reply, deps.settings(), await metrics(), false, 'text/plain; version=0.0.4'));
  };
}

/** A whole reply with its length (never chunked, as Ocelot's). */
function reply200(res: ServerResponse, body: Buffer, close: boolean): void {
  const headers = close
    ? ['content-type', 'text/plain', 'content-length', String(body.length), 'connection', 'close']
    : ['content-type', 'text/plain', 'content-length', String(body.length)];
  res.writeHead(200, headers).end(body);
}

/**
 * Announces and scrapes that reach Node's parser (the front door hands it whatever it does not
 * read itself) skip Fastify too; anything else goes through Fastify. Returns whether it took
 * the request.
 */
export function fastPath(answer: FastAnswer, settings: () => HandlerSettings): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const body = answer({
      url: req.url ?? '',
      remoteAddress: req.socket.remoteAddress ?? '',
      xForwardedFor: headerValue(req.headers['x-forwarded-for']),
      userAgent: headerValue(req.headers['user-agent']),
    });
    if (body === undefined) return false;
    if (Buffer.isBuffer(body)) reply200(res, body, settings().keepaliveTimeout === 0);
    else void body.then((b) => reply200(res, b, settings().keepaliveTimeout === 0));
    return true;
  };
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[h.length - 1] : h;
}

/** Constant-time comparison for secrets (same-length buffers; a length mismatch is a mismatch). */
export function safeEqual(given: string, secret: string): boolean {
  const a = Buffer.from(given, 'latin1');
  const b = Buffer.from(secret, 'latin1');
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
