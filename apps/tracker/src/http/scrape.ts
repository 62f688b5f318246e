import { PASSKEY_NOT_FOUND, TRACKER_UNAVAILABLE, allValues, encodeFailure, encodeScrape, type Query } from '@oncilla/protocol';
import type { PeerStore, SiteLists } from '@oncilla/swarm-store';
import type { WorkerStats } from './stats.js';

/** Enough for any real client; bounds the Redis work of one request. */
export const MAX_SCRAPE_HASHES = 256;

export interface ScrapeDeps {
  store: PeerStore;
  lists: Pick<SiteLists, 'user'>;
  listsFresh: () => boolean;
  stats: WorkerStats;
}

export async function handleScrape(deps: ScrapeDeps, passkey: string, q: Query): Promise<Buffer> {
  const stats = deps.stats;
  stats.scrapes++;
  const fail = (reason: string): Buffer => {
    stats.failure(reason);
    return encodeFailure(reason);
  };
  if (!deps.listsFresh()) return fail(TRACKER_UNAVAILABLE);
  if (!deps.lists.user(passkey)) return fail(PASSKEY_NOT_FOUND);
  const hashes = allValues(q, 'info_hash')
    .slice(0, MAX_SCRAPE_HASHES)
    .map((h) => Buffer.from(h, 'latin1'));
  const outcome = await deps.store.scrape(hashes);
  if (outcome.kind === 'unavailable') return fail(TRACKER_UNAVAILABLE);
  return encodeScrape(outcome.files);
}
