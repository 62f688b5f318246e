// redis_url: validation plus password stripping, so a URL can be shown in errors and logs.

import { fail, ok, quote, type ValueType } from './value-type.js';

function tryUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/**
 * Removes the password (keeping an ACL user name). Returns undefined when that cannot be done
 * safely: a string the URL parser rejects, or an `@` outside the authority, which hints at a
 * password containing `/` or `#` that the parser has split into the path.
 */
export function stripUrlPassword(raw: string): string | undefined {
  const url = tryUrl(raw);
  if (url === undefined) return raw.includes('@') ? undefined : raw;
  if ((url.pathname + url.search + url.hash).includes('@')) return undefined;
  if (url.password === '') return raw;
  url.password = '';
  return url.href;
}

/** Where one Redis is when redis_url is left out or blank. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function redisUrl(): ValueType<string> {
  return {
    type: 'url',
    validation: 'a redis:// or rediss:// URL with a host and an optional /<database number>, or unix:///<socket path> (optional ?db=<number>); blank: the default',
    parse(raw) {
      // blank = not set, so `TRACKER_REDIS_URL=` clears a value an environment file gave it
      if (raw.trim() === '') return ok(DEFAULT_REDIS_URL);
      const url = tryUrl(raw);
      if (url === undefined) return fail();
      if (url.protocol === 'unix:') {
        // Redis on this host, through its Unix socket: cheaper than loopback TCP for both sides
        if (url.hostname !== '' || !url.pathname.startsWith('/') || url.pathname === '/') return fail('a unix:// URL needs an absolute socket path: unix:///run/redis/redis.sock');
        const db = url.searchParams.get('db');
        if (db !== null && !/^[0-9]+$/.test(db)) return fail('db must be a database number');
        if (url.hash !== '') return fail('unexpected #fragment');
        return ok(raw);
      }
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return fail('unsupported scheme');
      if (url.hostname === '') return fail('missing host');
      if (!/^(\/[0-9]*)?$/.test(url.pathname)) return fail('the path must be a database number');
      if (url.hash !== '') return fail('unexpected #fragment');
      return ok(raw);
    },
    // Not a secret as a whole: only its password part is, and show() strips that.
    secret: false,
    show(raw) {
      const safe = stripUrlPassword(raw);
      return safe === undefined ? null : quote(safe);
    },
  };
}
