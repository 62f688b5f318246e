import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPeerId, parseAnnounce, parseQuery, type AnnounceParams } from '../src/index.js';

const HASH = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
const PEER_ID = Buffer.from('-qB4500-abcdefghijkl', 'latin1');
const escape = (bytes: Buffer) => [...bytes].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');

function announce(query: string, userAgent?: string): AnnounceParams {
  return parseAnnounce(parseQuery(query), { userAgent });
}

describe('parseAnnounce', () => {
  it('reads a typical qBittorrent announce', () => {
    const p = announce(
      `info_hash=${escape(HASH)}&peer_id=-qB4500-abcdefghijkl&port=6881&uploaded=10&downloaded=20&left=1000000` +
        `&corrupt=3&compact=1&event=started&numwant=80&key=ABCD&no_peer_id=1`,
      'qBittorrent/4.5.0',
    );
    assert.deepEqual(p, {
      infoHash: HASH,
      peerId: PEER_ID,
      port: 6881,
      uploaded: 10,
      downloaded: 20,
      left: 1000000,
      corrupt: 3,
      event: 'started',
      numwantRaw: '80',
      compact: true,
      noPeerId: true,
      ip: undefined,
      ipv4: undefined,
      ipv6: undefined,
      userAgent: 'qBittorrent/4.5.0',
    });
  });

  it('defaults: missing left means seeder, counters 0, compact, no event', () => {
    const p = announce('');
    assert.equal(p.infoHash.length, 0);
    assert.equal(p.peerId, undefined);
    assert.equal(p.port, 0);
    assert.equal(p.left, 0);
    assert.equal(p.uploaded, 0);
    assert.equal(p.downloaded, 0);
    assert.equal(p.corrupt, 0);
    assert.equal(p.event, 'none');
    assert.equal(p.numwantRaw, undefined);
    assert.equal(p.compact, true);
    assert.equal(p.noPeerId, false);
    assert.equal(p.userAgent, '');
  });

  it('keeps info_hash of any length as bytes', () => {
    assert.deepEqual(announce('info_hash=%00%ff').infoHash, Buffer.from([0, 255]));
    assert.deepEqual(announce('info_hash=').infoHash, Buffer.alloc(0));
  });

  it('clamps negative counters to 0 and keeps huge ones saturated', () => {
    const p = announce('uploaded=-5&downloaded=-1&left=-100&corrupt=-9');
    assert.deepEqual([p.uploaded, p.downloaded, p.left, p.corrupt], [0, 0, 0, 0]);
    const big = announce('uploaded=99999999999999999999&left=18446744073709551615');
    assert.equal(big.uploaded, Number.MAX_SAFE_INTEGER);
    assert.equal(big.left, Number.MAX_SAFE_INTEGER);
    assert.equal(announce('left=12abc').left, 12);
    assert.equal(announce('left=abc').left, 0);
  });

  it('parses port as int32 & 0xFFFF', () => {
    assert.equal(announce('port=65536').port, 0);
    assert.equal(announce('port=-1').port, 65535);
    assert.equal(announce('port=6881x').port, 6881);
  });

  it('recognises only the three events, exactly', () => {
    assert.equal(announce('event=started').event, 'started');
    assert.equal(announce('event=completed').event, 'completed');
    assert.equal(announce('event=stopped').event, 'stopped');
    assert.equal(announce('event=paused').event, 'none');
    assert.equal(announce('event=').event, 'none');
    assert.equal(announce('event=Started').event, 'none');
    assert.equal(announce('event=stopped%20').event, 'none');
  });

  it('is compact unless compact=0 exactly', () => {
    assert.equal(announce('compact=0').compact, false);
    assert.equal(announce('compact=1').compact, true);
    assert.equal(announce('compact=').compact, true);
    assert.equal(announce('compact=00').compact, true);
    assert.equal(announce('compact').compact, true);
  });

  it('sets noPeerId only for no_peer_id=1', () => {
    assert.equal(announce('no_peer_id=1').noPeerId, true);
    assert.equal(announce('no_peer_id=0').noPeerId, false);
    assert.equal(announce('no_peer_id=').noPeerId, false);
    assert.equal(announce('no_peer_id=true').noPeerId, false);
  });

  it('passes numwant through raw, including negative and empty values', () => {
    assert.equal(announce('numwant=-1').numwantRaw, '-1');
    assert.equal(announce('numwant=').numwantRaw, '');
  });

  it('distinguishes empty address parameters from absent ones', () => {
    const empty = announce('ipv4=&ipv6=&ip=');
    assert.equal(empty.ipv4, '');
    assert.equal(empty.ipv6, '');
    assert.equal(empty.ip, '');
    const absent = announce('port=1');
    assert.equal(absent.ipv4, undefined);
    assert.equal(absent.ipv6, undefined);
    assert.equal(absent.ip, undefined);
    const given = announce('ip=203.0.113.5&ipv4=198.51.100.7&ipv6=2001%3adb8%3a%3a1');
    assert.equal(given.ip, '203.0.113.5');
    assert.equal(given.ipv4, '198.51.100.7');
    assert.equal(given.ipv6, '2001:db8::1');
  });

  it('takes the last of repeated parameters', () => {
    const p = announce(`info_hash=%01&info_hash=%02&left=5&left=0&event=started&event=stopped`);
    assert.deepEqual(p.infoHash, Buffer.from([2]));
    assert.equal(p.left, 0);
    assert.equal(p.event, 'stopped');
  });

  it('decodes a binary peer_id', () => {
    const id = Buffer.from(Array.from({ length: 20 }, (_, i) => 240 + (i % 16)));
    assert.deepEqual(announce(`peer_id=${escape(id)}`).peerId, id);
  });
});

describe('checkPeerId', () => {
  it('reports an absent peer id', () => {
    assert.equal(checkPeerId(undefined), 'No peer ID');
  });

  it('requires exactly 20 bytes', () => {
    assert.equal(checkPeerId(Buffer.alloc(0)), 'Invalid peer ID');
    assert.equal(checkPeerId(Buffer.alloc(19)), 'Invalid peer ID');
    assert.equal(checkPeerId(Buffer.alloc(21)), 'Invalid peer ID');
    assert.equal(checkPeerId(Buffer.alloc(20)), null);
  });

  it('judges the decoded length, not the escaped one', () => {
    const p = parseAnnounce(parseQuery(`peer_id=${escape(PEER_ID)}`), {});
    assert.equal(checkPeerId(p.peerId), null);
    const short = parseAnnounce(parseQuery('peer_id=%41%42'), {});
    assert.equal(checkPeerId(short.peerId), 'Invalid peer ID');
    const empty = parseAnnounce(parseQuery('peer_id='), {});
    assert.equal(checkPeerId(empty.peerId), 'Invalid peer ID');
  });
});
