// Announce parameters read from a parsed query. Parsing never
// rejects a number: Ocelot reads them with `istream >>`, so garbage is 0.

import { INVALID_PEER_ID, NO_PEER_ID } from './failure-reasons.js';
import { parseInt64, parsePort } from './numbers.js';
import { lastValue, type Query } from './query.js';

export type AnnounceEvent = 'started' | 'completed' | 'stopped' | 'none';

export interface AnnounceParams {
  /** Decoded info_hash bytes, any length; the caller looks it up. */
  infoHash: Buffer;
  /** Decoded peer_id bytes; check with checkPeerId. */
  peerId: Buffer | undefined;
  /** int32-parse `& 0xFFFF`, unvalidated (0 is allowed). */
  port: number;
  uploaded: number;
  downloaded: number;
  /** Absent means 0, i.e. a seeder. */
  left: number;
  corrupt: number;
  event: AnnounceEvent;
  /** Raw `numwant`, for clampNumwant with the configured limit. */
  numwantRaw: string | undefined;
  /** False only for `compact=0` exactly. */
  compact: boolean;
  /** `no_peer_id=1`: omit peer ids from a non-compact reply. */
  noPeerId: boolean;
  /** Address parameters; `''` (present but empty) is distinct from undefined (absent). */
  ip: string | undefined;
  ipv4: string | undefined;
  ipv6: string | undefined;
  /** User-Agent header, '' when absent (stored in the DB). */
  userAgent: string;
}

export interface AnnounceHeaders {
  userAgent?: string;
}

/** A counter (uploaded, downloaded, left, corrupt): int64-parse with negatives clamped to 0; absent is 0. */
export function parseCounter(raw: string | undefined): number {
  const value = parseInt64(raw);
  return value < 0 ? 0 : value;
}

function counter(query: Query, key: string): number {
  return parseCounter(lastValue(query, key));
}

export function parseEvent(raw: string | undefined): AnnounceEvent {
  // Compared exactly, like Ocelot: `Started` or `paused` is an ordinary update.
  return raw === 'started' || raw === 'completed' || raw === 'stopped' ? raw : 'none';
}

/**
 * Reads every announce parameter; it cannot fail. Repeated parameters take
 * their last value (Ocelot's map). Nothing is rejected here because every
 * announce failure ranks after the passkey lookup (a missing
 * info_hash is an empty hash, which the torrent lookup then rejects).
 */
export function parseAnnounce(query: Query, headers: AnnounceHeaders): AnnounceParams {
  const peerId = lastValue(query, 'peer_id');
  return {
    infoHash: Buffer.from(lastValue(query, 'info_hash') ?? '', 'latin1'),
    peerId: peerId === undefined ? undefined : Buffer.from(peerId, 'latin1'),
    port: parsePort(lastValue(query, 'port')),
    uploaded: counter(query, 'uploaded'),
    downloaded: counter(query, 'downloaded'),
    left: counter(query, 'left'),
    corrupt: counter(query, 'corrupt'),
    event: parseEvent(lastValue(query, 'event')),
    numwantRaw: lastValue(query, 'numwant'),
    compact: lastValue(query, 'compact') !== '0',
    noPeerId: lastValue(query, 'no_peer_id') === '1',
    ip: lastValue(query, 'ip'),
    ipv4: lastValue(query, 'ipv4'),
    ipv6: lastValue(query, 'ipv6'),
    userAgent: headers.userAgent ?? '',
  };
}

/** The peer id check: `No peer ID` when absent, `Invalid peer ID` unless exactly 20 bytes, else null. */
export function checkPeerId(peerId: Buffer | undefined): null | typeof NO_PEER_ID | typeof INVALID_PEER_ID {
  if (peerId === undefined) return NO_PEER_ID;
  if (peerId.length !== 20) return INVALID_PEER_ID;
  return null;
}
