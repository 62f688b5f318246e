// An announce's parameters read straight from its raw query string: the same result as
// parseAnnounce(parseQuery(raw)), without the dictionary of every parameter in between.
//
// Why: parseQuery builds an object keyed by strings cut from the request (each one hashed into
// it), and parseAnnounce then looks fourteen keys up in it; info_hash and peer_id become latin1
// strings before they become bytes. An announce needs only those fourteen, each once (the last
// occurrence), so here they are found by length and spelling where they stand and decoded once.
// A query whose keys are percent-escaped (no client does that) takes the general path.

import { parseAnnounce, parseCounter, parseEvent, type AnnounceHeaders, type AnnounceParams } from './announce-request.js';
import { parsePort } from './numbers.js';
import { decodeRange, parseQuery } from './query.js';

// The parameters an announce reads, as indexes into the ranges below.
const INFO_HASH = 0;
const PEER_ID = 1;
const PORT = 2;
const UPLOADED = 3;
const DOWNLOADED = 4;
const LEFT = 5;
const CORRUPT = 6;
const EVENT = 7;
const NUMWANT = 8;
const COMPACT = 9;
const NO_PEER_ID = 10;
const IP = 11;
const IPV4 = 12;
const IPV6 = 13;
const FIELDS = 14;

/** Which parameter the key raw[start, end) names, or -1 (compared in place: no key string is made). */
function keyAt(raw: string, start: number, end: number): number {
  switch (end - start) {
    case 2:
      return raw.startsWith('ip', start) ? IP : -1;
    case 4:
      if (raw.startsWith('port', start)) return PORT;
      if (raw.startsWith('left', start)) return LEFT;
      if (raw.startsWith('ipv4', start)) return IPV4;
      return raw.startsWith('ipv6', start) ? IPV6 : -1;
    case 5:
      return raw.startsWith('event', start) ? EVENT : -1;
    case 7:
      if (raw.startsWith('peer_id', start)) return PEER_ID;
      if (raw.startsWith('corrupt', start)) return CORRUPT;
      if (raw.startsWith('numwant', start)) return NUMWANT;
      return raw.startsWith('compact', start) ? COMPACT : -1;
    case 8:
      return raw.startsWith('uploaded', start) ? UPLOADED : -1;
    case 9:
      return raw.startsWith('info_hash', start) ? INFO_HASH : -1;
    case 10:
      if (raw.startsWith('downloaded', start)) return DOWNLOADED;
      return raw.startsWith('no_peer_id', start) ? NO_PEER_ID : -1;
    default:
      return -1;
  }
}

/** The value raw[start, end) decoded as parseQuery would, or undefined for a parameter not given. */
function valueAt(raw: string, ranges: Int32Array, field: number): string | undefined {
  const start = ranges[field * 2];
  if (start < 0) return undefined;
  const end = ranges[field * 2 + 1];
  const percent = raw.indexOf('%', start);
  return decodeRange(raw, start, end, percent >= end ? -1 : percent);
}

function counter(raw: string, ranges: Int32Array, field: number): number {
  return parseCounter(valueAt(raw, ranges, field));
}

// (one per process: parsing is synchronous, and every range is written before it is read)
const ranges = new Int32Array(FIELDS * 2);

/** parseAnnounce(parseQuery(raw), headers), read from `raw` (the query without its `?`) directly. */
export function parseAnnounceQuery(raw: string, headers: AnnounceHeaders): AnnounceParams {
  ranges.fill(-1);
  // (pairs split as parseQuery splits them, written out rather than shared through a callback
  // per pair; announce-query.unit.test.ts keeps the two in step)
  const length = raw.length;
  let start = 0;
  while (start <= length) {
    let amp = raw.indexOf('&', start);
    if (amp === -1) amp = length;
    if (amp > start) {
      let eq = raw.indexOf('=', start);
      if (eq === -1 || eq > amp) eq = amp;
      const field = keyAt(raw, start, eq);
      if (field >= 0) {
        // a key is what parseQuery decodes it to: an escaped one could spell a parameter
        ranges[field * 2] = eq < amp ? eq + 1 : amp;
        ranges[field * 2 + 1] = amp;
      } else {
        const percent = raw.indexOf('%', start);
        if (percent !== -1 && percent < eq) return parseAnnounce(parseQuery(raw), headers);
      }
    }
    start = amp + 1;
  }
  const infoHash = valueAt(raw, ranges, INFO_HASH);
  const peerId = valueAt(raw, ranges, PEER_ID);
  return {
    infoHash: Buffer.from(infoHash ?? '', 'latin1'),
    peerId: peerId === undefined ? undefined : Buffer.from(peerId, 'latin1'),
    port: parsePort(valueAt(raw, ranges, PORT)),
    uploaded: counter(raw, ranges, UPLOADED),
    downloaded: counter(raw, ranges, DOWNLOADED),
    left: counter(raw, ranges, LEFT),
    corrupt: counter(raw, ranges, CORRUPT),
    event: parseEvent(valueAt(raw, ranges, EVENT)),
    numwantRaw: valueAt(raw, ranges, NUMWANT),
    compact: valueAt(raw, ranges, COMPACT) !== '0',
    noPeerId: valueAt(raw, ranges, NO_PEER_ID) === '1',
    ip: valueAt(raw, ranges, IP),
    ipv4: valueAt(raw, ranges, IPV4),
    ipv6: valueAt(raw, ranges, IPV6),
    userAgent: headers.userAgent ?? '',
  };
}
