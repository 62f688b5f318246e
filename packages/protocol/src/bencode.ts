// Canonical bencode for the tracker's fixed reply shapes. Each reply is
// assembled into one Buffer from ASCII text and byte strings; no generic
// encoder runs on the hot path. Dictionary keys are always written in sorted
// order, fixing Ocelot's unsorted failure and scrape dicts (compatibility F27).

/** Bencode integers must be exact: a fraction, NaN or ±Infinity is a caller bug. */
function int(n: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`bencode integer must be a safe integer, got ${n}`);
  return n;
}

/** Concatenates ASCII strings and byte strings into one exactly-sized Buffer. */
function assemble(parts: ReadonlyArray<string | Uint8Array>): Buffer {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const part of parts) {
    if (typeof part === 'string') offset += out.write(part, offset, 'latin1');
    else {
      out.set(part, offset);
      offset += part.length;
    }
  }
  return out;
}

// Ocelot hard-codes both intervals of a failure to 5400 s; kept.
const FAILURE_PREFIX = 'd14:failure reason';
const FAILURE_SUFFIX = Buffer.from('8:intervali5400e12:min intervali5400ee', 'latin1');

/** `{failure reason, interval: 5400, min interval: 5400}`, keys sorted. The message is UTF-8. */
export function encodeFailure(reason: string): Buffer {
  const message = Buffer.from(reason, 'utf8');
  return assemble([`${FAILURE_PREFIX}${message.length}:`, message, FAILURE_SUFFIX]);
}

export interface AnnounceCounts {
  /** Seeders. */
  complete: number;
  /** Completed downloads (snatches). */
  downloaded: number;
  /** Leechers. */
  incomplete: number;
  interval: number;
  minInterval: number;
  /** The requester's observed address, 4 or 16 bytes; the key is omitted when undefined. */
  externalIp?: Buffer;
}

export interface AnnounceReply extends AnnounceCounts {
  /** Concatenated 6-byte IPv4 endpoints (may be empty). */
  peers: Buffer;
  /** Concatenated 18-byte IPv6 endpoints; the key is omitted when undefined or empty. */
  peers6?: Buffer;
}

/**
 * Compact announce reply: complete, downloaded, [external ip],
 * incomplete, interval, min interval, peers, [peers6]. Runs on every announce,
 * hence one allocation and direct writes.
 */
export function encodeAnnounce(r: AnnounceReply): Buffer {
  const ip = r.externalIp;
  const peers = r.peers;
  const peers6 = r.peers6 !== undefined && r.peers6.length > 0 ? r.peers6 : undefined;
  const head =
    `d8:completei${int(r.complete)}e10:downloadedi${int(r.downloaded)}e` +
    (ip !== undefined ? `11:external ip${ip.length}:` : '');
  const middle =
    `10:incompletei${int(r.incomplete)}e8:intervali${int(r.interval)}e` +
    `12:min intervali${int(r.minInterval)}e5:peers${peers.length}:`;
  const peers6Head = peers6 !== undefined ? `6:peers6${peers6.length}:` : '';
  const total =
    head.length +
    (ip !== undefined ? ip.length : 0) +
    middle.length +
    peers.length +
    peers6Head.length +
    (peers6 !== undefined ? peers6.length : 0) +
    1;
  const out = Buffer.allocUnsafe(total);
  // (TypedArray#set rather than Buffer#copy, whose argument checks cost more than these copies)
  let offset = out.write(head, 0, 'latin1');
  if (ip !== undefined) {
    out.set(ip, offset);
    offset += ip.length;
  }
  offset += out.write(middle, offset, 'latin1');
  out.set(peers, offset);
  offset += peers.length;
  if (peers6 !== undefined) {
    offset += out.write(peers6Head, offset, 'latin1');
    out.set(peers6, offset);
    offset += peers6.length;
  }
  out[offset] = 0x65; // 'e'
  return out;
}

export interface DictPeer {
  /** Address text (dotted quad or IPv6), as formatIPv4/formatIPv6 print it. */
  ip: string;
  port: number;
  /** 20-byte peer id; the key is omitted when undefined. */
  peerId?: Buffer;
}

export interface AnnounceDictReply extends AnnounceCounts {
  /** IPv4 and IPv6 peers together, in output order. */
  peers: readonly DictPeer[];
  /** The client sent `no_peer_id=1`: leave `peer id` out of every peer. */
  noPeerId: boolean;
}

/**
 * BEP 3 non-compact reply for `compact=0`: the same keys as encodeAnnounce,
 * but `peers` is a list of `{ip, peer id, port}` dicts covering both families,
 * and there is no `peers6`.
 */
export function encodeAnnounceDict(r: AnnounceDictReply): Buffer {
  const parts: Array<string | Uint8Array> = [`d8:completei${int(r.complete)}e10:downloadedi${int(r.downloaded)}e`];
  if (r.externalIp !== undefined) parts.push(`11:external ip${r.externalIp.length}:`, r.externalIp);
  parts.push(
    `10:incompletei${int(r.incomplete)}e8:intervali${int(r.interval)}e12:min intervali${int(r.minInterval)}e5:peersl`,
  );
  for (const peer of r.peers) {
    // Address text is ASCII, so its length is its byte length.
    parts.push(`d2:ip${peer.ip.length}:${peer.ip}`);
    if (!r.noPeerId && peer.peerId !== undefined) parts.push(`7:peer id${peer.peerId.length}:`, peer.peerId);
    parts.push(`4:porti${int(peer.port)}ee`);
  }
  parts.push('ee');
  return assemble(parts);
}

export interface ScrapeFile {
  infoHash: Buffer;
  /** Seeders. */
  complete: number;
  /** Completed downloads (snatches). */
  downloaded: number;
  /** Leechers. */
  incomplete: number;
}

/**
 * `{files: {<info_hash>: {complete, downloaded, incomplete}}}`. Unlike Ocelot's scrape,
 * hashes are sorted by raw bytes and a repeated hash appears once, as a
 * bencode dictionary requires.
 */
export function encodeScrape(files: readonly ScrapeFile[]): Buffer {
  const sorted = files.slice().sort((a, b) => Buffer.compare(a.infoHash, b.infoHash));
  const parts: Array<string | Uint8Array> = ['d5:filesd'];
  let previous: Buffer | undefined;
  for (const file of sorted) {
    if (previous !== undefined && previous.equals(file.infoHash)) continue;
    previous = file.infoHash;
    parts.push(
      `${file.infoHash.length}:`,
      file.infoHash,
      `d8:completei${int(file.complete)}e10:downloadedi${int(file.downloaded)}e10:incompletei${int(file.incomplete)}ee`,
    );
  }
  parts.push('ee');
  return assemble(parts);
}
