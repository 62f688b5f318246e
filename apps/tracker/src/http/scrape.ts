import { allValues, encodeFailure, encodeScrape, type Query } from '@oncilla/protocol';
import type { PeerStore } from '@oncilla/swarm-store';
import type { WorkerStats } from './stats.js';

/** Enough for any real client; bounds the Redis work of one request. */
export const MAX_SCRAPE_HASHES = 256;

export async function handleScrape(store: PeerStore, stats: WorkerStats, passkey: string, q: Query): Promise<Buffer> {
  stats.scrapes++;
  const hashes = allValues(q, 'info_hash')
    .slice(0, MAX_SCRAPE_HASHES)
    .map((h) => Buffer.from(h, 'latin1'));
  const outcome = await store.scrape(passkey, hashes);
  if (outcome.kind === 'failure') {
    stats.failure(outcome.reason);
    return encodeFailure(outcome.reason);
  }
  return encodeScrape(outcome.files);
}
