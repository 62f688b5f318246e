/**
 * Makes single-file .torrent metainfo (BEP 3), as `mktorrent -p` does: an info dictionary of
 * `length`, `name`, `piece length`, `pieces` and, for a private torrent (BEP 27), `private: 1`.
 * The info_hash is the SHA-1 of that bencoded dictionary, so .torrent files written for different
 * announce URLs (one per passkey) describe the same torrent. Used by `npm run demo` and the
 * real-client test; not on the tracker's request path.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';

export type BValue = number | string | Uint8Array | BValue[] | { [key: string]: BValue };

/** Generic bencode with dictionary keys in raw byte order, as BEP 3 requires. */
export function bencode(value: BValue): Buffer {
  const parts: Buffer[] = [];
  const put = (v: BValue): void => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new RangeError(`bencode integer must be a safe integer, got ${v}`);
      parts.push(Buffer.from(`i${v}e`, 'latin1'));
    } else if (typeof v === 'string' || v instanceof Uint8Array) {
      const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      parts.push(Buffer.from(`${b.length}:`, 'latin1'), b);
    } else if (Array.isArray(v)) {
      parts.push(Buffer.from('l', 'latin1'));
      for (const item of v) put(item);
      parts.push(Buffer.from('e', 'latin1'));
    } else {
      parts.push(Buffer.from('d', 'latin1'));
      const keys = Object.keys(v).map((k) => Buffer.from(k, 'utf8')).sort(Buffer.compare);
      for (const k of keys) {
        put(k);
        put(v[k.toString('utf8')]);
      }
      parts.push(Buffer.from('e', 'latin1'));
    }
  };
  put(value);
  return Buffer.concat(parts);
}

export interface TorrentInfo {
  /** SHA-1 of the bencoded info dictionary: what the tracker and the database know the torrent by. */
  infoHash: Buffer;
  /** The bencoded info dictionary. */
  info: Buffer;
  name: string;
  length: number;
  pieceLength: number;
}

export interface HashFileOptions {
  /** Bytes per piece, a power of two of at least 16 KiB (default 256 KiB, `mktorrent -l 18`). */
  pieceLength?: number;
  /** Sets `private: 1` (default true: a private tracker's torrents are private). */
  private?: boolean;
  /** The file name in the torrent (default: the file's base name). */
  name?: string;
}

/** Reads the file once and hashes it into pieces. */
export async function hashFile(path: string, o: HashFileOptions = {}): Promise<TorrentInfo> {
  const pieceLength = o.pieceLength ?? 256 * 1024;
  if (pieceLength < 16 * 1024 || (pieceLength & (pieceLength - 1)) !== 0) {
    throw new RangeError(`piece length must be a power of two of at least 16 KiB, got ${pieceLength}`);
  }
  const { size } = await stat(path);
  if (size === 0) throw new Error(`${path} is empty; a torrent needs at least one byte`);
  const hashes: Buffer[] = [];
  let piece = createHash('sha1');
  let inPiece = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: pieceLength }) as AsyncIterable<Buffer>) {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(pieceLength - inPiece, chunk.length - at);
      piece.update(chunk.subarray(at, at + take));
      inPiece += take;
      at += take;
      if (inPiece === pieceLength) {
        hashes.push(piece.digest());
        piece = createHash('sha1');
        inPiece = 0;
      }
    }
  }
  if (inPiece > 0) hashes.push(piece.digest());
  const name = o.name ?? basename(path);
  const dict: Record<string, BValue> = { length: size, name, 'piece length': pieceLength, pieces: Buffer.concat(hashes) };
  if (o.private ?? true) dict.private = 1;
  const info = bencode(dict);
  return { infoHash: createHash('sha1').update(info).digest(), info, name, length: size, pieceLength };
}

/** A .torrent file for one announce URL (a passkey URL on a private tracker). */
export function torrentFile(t: TorrentInfo, announce: string, createdBy = 'Oncilla'): Buffer {
  // The info dictionary is spliced in as it was hashed, so the info_hash cannot drift.
  const head = bencode({ announce, 'created by': createdBy, 'creation date': Math.floor(Date.now() / 1000) });
  return Buffer.concat([head.subarray(0, head.length - 1), Buffer.from('4:info', 'latin1'), t.info, Buffer.from('e', 'latin1')]);
}
