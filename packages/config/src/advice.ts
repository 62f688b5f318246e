// Non-fatal warnings about valid but risky combinations.

import type { Config } from './config.js';
import { DEFAULT_SECRET } from './schema.js';

/** Ocelot's jitter-less interval adds up to this many seconds (min(600, seeders)). */
const MAX_SEEDER_BONUS = 600;

export function adviseOn(config: Config): string[] {
  const warnings: string[] = [];
  // compatibility F24: the 32-zero defaults are public knowledge.
  if (config.sitePassword === DEFAULT_SECRET) warnings.push('site_password is the public default (32 zeros)');
  if (config.reportPassword === DEFAULT_SECRET) warnings.push('report_password is the public default (32 zeros)');
  const longestInterval =
    config.announceInterval + (config.announceJitter > 0 ? config.announceJitter : MAX_SEEDER_BONUS);
  if (config.peersTimeout <= longestInterval) {
    warnings.push(
      `peers_timeout (${config.peersTimeout}s) is not longer than the longest announce interval ` +
        `(${longestInterval}s): peers that announce on time may be reaped`,
    );
  }
  return warnings;
}
