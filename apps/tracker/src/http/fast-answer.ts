/**
 * Announces and scrapes, nearly every request a tracker gets, answered without Fastify: its
 * request and reply objects, hooks and router cost more than the announce's own work. Shared by
 * both ways a request arrives (the front door's own reader, and Node's parser for the rest).
 */
import { classifyPath, encodeFailure, parseAnnounceQuery, parseQuery, TRACKER_UNAVAILABLE } from '@oncilla/protocol';
import { handleAnnounce, type AnnounceDeps } from './announce.js';
import { handleScrape } from './scrape.js';

export interface FastRequest {
  /** The request target as sent (path and query). */
  url: string;
  remoteAddress: string;
  xForwardedFor: string | undefined;
  userAgent: string | undefined;
}

export interface FastDeps extends AnnounceDeps {
  maxInFlight?: () => number;
  closing?: () => boolean;
  log?: { error(obj: unknown, msg: string): void };
}

/**
 * The body for an announce or scrape: at once (a shed request), or once the store answered
 * (never rejects: a store error is the tracker's trouble, answered as Ocelot's "unavailable").
 * undefined for any other request, and while draining: Fastify's routes answer those.
 */
export type FastAnswer = (r: FastRequest) => Buffer | Promise<Buffer> | undefined;

export function fastAnswer(deps: FastDeps): FastAnswer {
  const stats = deps.stats;
  const failed = (err: unknown): Buffer => {
    stats.inFlight--;
    stats.errors++;
    deps.log?.error({ err: (err as Error).message }, 'request failed');
    return encodeFailure(TRACKER_UNAVAILABLE);
  };
  const done = (body: Buffer): Buffer => {
    stats.inFlight--;
    return body;
  };
  return (r) => {
    const s = deps.settings();
    if (r.url.length > s.maxRequestSize || deps.closing?.()) return undefined;
    const c = classifyPath(r.url);
    if (c.kind !== 'announce' && c.kind !== 'scrape') return undefined;
    stats.requests++;
    // a Redis that hangs must not pile requests up (max_inflight_requests, as on Fastify's routes)
    if (stats.inFlight >= (deps.maxInFlight?.() ?? Infinity)) {
      stats.shed++;
      if (c.kind === 'announce') {
        stats.announcements++;
        stats.failure(TRACKER_UNAVAILABLE);
      }
      return encodeFailure(TRACKER_UNAVAILABLE);
    }
    stats.inFlight++;
    // (an announce reads its fourteen parameters straight from the query string)
    const answer = c.kind === 'announce'
      ? handleAnnounce(deps, c.key, parseAnnounceQuery(c.query, { userAgent: r.userAgent }), r)
      : handleScrape(deps, c.key, parseQuery(c.query));
    return answer.then(done, failed);
  };
}
