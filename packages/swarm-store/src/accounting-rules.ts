/**
 * The accounting rules (ocelot-behaviour §6.5, §6.6, §6.12), as a pure reference model.
 * The announce script (redis/includes/accounting.lua) applies them inside Redis; this module
 * states them in TypeScript so they are unit-tested, and the integration tests use it as the
 * oracle the script must agree with.
 */
export type FreeType = 0 | 1 | 2 | 11 | 12 | 13;
export type Event = 'started' | 'completed' | 'stopped' | 'none';

export interface Discounted {
  /** What users_main is credited with. */
  creditedUp: number;
  creditedDown: number;
  /** What users_freetorrents records as forgiven. */
  freeUp: number;
  freeDown: number;
}

/**
 * A freeleech token wins over every torrent type (GazellePW's rule): upload counts, download is
 * free. Then neutral (nothing counts), free (download free), 25/50/75 % off the download with
 * integer truncation of the forgiven part.
 */
export function discount(du: number, dd: number, free: FreeType, hasToken: boolean): Discounted {
  if (hasToken) return { creditedUp: du, creditedDown: 0, freeUp: 0, freeDown: 0 };
  if (free === 2) return { creditedUp: 0, creditedDown: 0, freeUp: du, freeDown: dd };
  if (free === 1) return { creditedUp: du, creditedDown: 0, freeUp: 0, freeDown: dd };
  if (free === 11 || free === 12 || free === 13) {
    const forgiven = Math.floor((dd * (free - 10) * 25) / 100);
    return { creditedUp: du, creditedDown: dd - forgiven, freeUp: 0, freeDown: forgiven };
  }
  return { creditedUp: du, creditedDown: dd, freeUp: 0, freeDown: 0 };
}

export interface StoredPeer {
  up: number;
  down: number;
  corrupt: number;
  /** Unix time of the previous announce. */
  last: number;
  seeder: boolean;
}

export interface Announced {
  event: Event;
  left: number;
  up: number;
  down: number;
  corrupt: number;
  now: number;
}

export interface Transfer {
  /** new-session: a new peer or `started` (baseline, nothing credited); reset: counters went backwards. */
  kind: 'new-session' | 'reset' | 'normal';
  du: number;
  dd: number;
  dc: number;
  upSpeed: number;
  downSpeed: number;
  /** Seconds seeded since the previous announce (users_torrents.seedtime). */
  seedtime: number;
  /** A completion to record: `completed` with left=0 by a peer that was not already seeding. */
  snatch: boolean;
  /** Change to the torrent's balance: uploaded − downloaded − corrupt change. */
  balanceDelta: number;
}

export function transfer(old: StoredPeer | undefined, a: Announced): Transfer {
  const snatch = a.event === 'completed' && a.left === 0 && (old === undefined || !old.seeder);
  const none = { du: 0, dd: 0, dc: 0, upSpeed: 0, downSpeed: 0, seedtime: 0, snatch, balanceDelta: 0 };
  if (old === undefined || a.event === 'started') return { kind: 'new-session', ...none };
  if (a.up < old.up || a.down < old.down) return { kind: 'reset', ...none };
  const du = a.up - old.up;
  const dd = a.down - old.down;
  const dc = a.corrupt - old.corrupt;
  const gap = a.now - old.last;
  const moving = du !== 0 || dd !== 0;
  // A leecher reporting left=0 without `completed` counts as having seeded the whole gap (Ocelot).
  const seeding = old.seeder || (a.left === 0 && a.event !== 'completed');
  return {
    kind: 'normal',
    du,
    dd,
    dc,
    upSpeed: moving && gap > 0 ? Math.floor(du / gap) : 0,
    downSpeed: moving && gap > 0 ? Math.floor(dd / gap) : 0,
    seedtime: seeding ? gap : 0,
    snatch,
    balanceDelta: (moving ? du - dd : 0) - dc,
  };
}
