import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protocol from '../src/index.js';
import { deletionReasonText, unregisteredTorrentMessage } from '../src/index.js';

describe('failure reason strings', () => {
  it('match Ocelot byte for byte', () => {
    assert.deepEqual(
      [
        protocol.GET_STRING_TOO_LONG,
        protocol.GET_STRING_TOO_SHORT,
        protocol.MALFORMED_ANNOUNCE,
        protocol.MALFORMED_HTTP_REQUEST,
        protocol.TRACKER_UNAVAILABLE,
        protocol.INVALID_ACTION,
        protocol.AUTHENTICATION_FAILURE,
        protocol.PASSKEY_NOT_FOUND,
        protocol.UNREGISTERED_TORRENT,
        protocol.COMPACT_NOT_SUPPORTED,
        protocol.NO_PEER_ID,
        protocol.INVALID_PEER_ID,
        protocol.CLIENT_NOT_WHITELISTED,
        protocol.INVALID_IP_DETECTED,
        protocol.LEECHING_FORBIDDEN,
      ],
      [
        'GET string too long',
        'GET string too short',
        'Malformed announce',
        'Malformed HTTP request',
        'The tracker is temporarily unavailable.',
        'Invalid action',
        'Authentication failure',
        'Passkey not found',
        'Unregistered torrent',
        'Your client does not support compact announces',
        'No peer ID',
        'Invalid peer ID',
        'Your client is not on the whitelist',
        'Invalid IP detected',
        'Access denied, leeching forbidden',
      ],
    );
  });
});

describe('deletionReasonText', () => {
  it('has the full table', () => {
    const expected = [
      'Dupe',
      'Trump',
      'Bad File Names',
      'Bad Folder Names',
      'Bad Tags',
      'Disallowed Format',
      'Discs Missing',
      'Discography',
      'Edited Log',
      'Inaccurate Bitrate',
      'Low Bitrate',
      'Mutt Rip',
      'Disallowed Source',
      'Encode Errors',
      'Specifically Banned',
      'Tracks Missing',
      'Transcode',
      'Unapproved Cassette',
      'Unsplit Album',
      'User Compilation',
      'Wrong Format',
      'Wrong Media',
      'Audience Recording',
    ];
    assert.deepEqual(
      expected.map((_, code) => deletionReasonText(code)),
      expected,
    );
  });

  it('gives the empty string for any other code', () => {
    assert.equal(deletionReasonText(23), '');
    assert.equal(deletionReasonText(-1), '');
    assert.equal(deletionReasonText(1000), '');
    assert.equal(deletionReasonText(1.5), '');
    assert.equal(deletionReasonText(Number.NaN), '');
  });
});

describe('unregisteredTorrentMessage', () => {
  it('is plain when there is no reason', () => {
    assert.equal(unregisteredTorrentMessage(undefined), 'Unregistered torrent');
    assert.equal(unregisteredTorrentMessage(-1), 'Unregistered torrent');
  });

  it('appends the reason text', () => {
    assert.equal(unregisteredTorrentMessage(14), 'Unregistered torrent: Specifically Banned');
    assert.equal(unregisteredTorrentMessage(0), 'Unregistered torrent: Dupe');
    assert.equal(unregisteredTorrentMessage(22), 'Unregistered torrent: Audience Recording');
  });

  it('keeps the trailing space for an unknown code, as Ocelot', () => {
    assert.equal(unregisteredTorrentMessage(99), 'Unregistered torrent: ');
    assert.equal(unregisteredTorrentMessage(-2), 'Unregistered torrent: ');
  });
});
