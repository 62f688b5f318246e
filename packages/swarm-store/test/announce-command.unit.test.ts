import { it } from 'node:test';
import assert from 'node:assert/strict';
import { AnnounceCommand } from '../src/announce-command.js';
import { CANDIDATE_FIELDS, type CandidateField } from '../src/announce-args.js';
import { keySchema } from '../src/keys.js';
import { encodeCommand } from '../src/resp.js';

/** What the general encoder makes of the same command: the reference. */
function reference(prefix: string, fn: string, infoHash: Buffer, packed: Buffer, fields: readonly CandidateField[]): Buffer {
  const t = keySchema(prefix).torrent(infoHash);
  const s = t.shard;
  const fcall = encodeCommand(['FCALL', fn, '9', t.torrent, t.seeders, t.leechers, s.pending, s.snatches, s.expiries, s.swarms, s.counts, s.tokens, packed, t.hex]);
  return fields.length ? Buffer.concat([fcall, encodeCommand(['HMGET', t.torrent, ...fields])]) : fcall;
}

it('encodes the FCALL and the HMGET behind it byte for byte as encodeCommand does, for every shard and field set', () => {
  for (const prefix of ['oncilla:', 'x:', 'a-much-longer-prefix:']) {
    const keys = keySchema(prefix);
    const command = new AnnounceCommand(keys, 'announce_0123456789ab');
    for (let n = 0; n < 256; n += 17) {
      // every byte value appears in some info_hash: the hex table is checked whole
      const infoHash = Buffer.from(Array.from({ length: 20 }, (_, i) => (n * 7 + i * 13) & 255));
      infoHash[0] = n;
      // the packed argument holds any bytes, CR and LF included
      const packed = Buffer.from(Array.from({ length: 40 + n % 9 }, (_, i) => (i * 31 + n) & 255));
      for (const fields of [[], ['s4'], ['l4'], ['s4', 'l4'], ['s6', 'l6'], [...CANDIDATE_FIELDS]] as CandidateField[][]) {
        // twice: the second time from the caches
        for (let round = 0; round < 2; round++) {
          assert.deepEqual(command.encode(infoHash, packed, fields), reference(prefix, 'announce_0123456789ab', infoHash, packed, fields), `${prefix} shard ${n} ${fields.join(',')}`);
        }
      }
    }
  }
});

it('takes 20-byte info_hashes only; any other length goes the general way', () => {
  assert.equal(AnnounceCommand.fits(Buffer.alloc(20)), true);
  assert.equal(AnnounceCommand.fits(Buffer.alloc(19)), false);
  assert.equal(AnnounceCommand.fits(Buffer.alloc(0)), false);
});
