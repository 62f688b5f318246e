/**
 * The `interval` a client is told: Ocelot's announce_interval + min(600, seeders), or, when
 * announce_jitter is set (as OPS does), announce_interval + a uniform random [0, jitter] to
 * spread the herd after an outage.
 */
export function announceInterval(base: number, seeders: number, jitter: number, random: () => number = Math.random): number {
  if (jitter > 0) return base + Math.floor(random() * (jitter + 1));
  return base + Math.min(600, seeders);
}
