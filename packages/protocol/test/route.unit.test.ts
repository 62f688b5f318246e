import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyPath, KEY_LENGTH, NOTHING_TO_SEE_HERE } from '../src/index.js';

const KEY = 'abcdefghijklmnopqrstuvwxyz012345';

describe('classifyPath', () => {
  it('uses 32-character keys', () => {
    assert.equal(KEY.length, KEY_LENGTH);
  });

  for (const action of ['announce', 'scrape', 'update', 'report'] as const) {
    it(`routes /<key>/${action}?…`, () => {
      assert.deepEqual(classifyPath(`/${KEY}/${action}?a=1&b=%20`), { kind: action, key: KEY, query: 'a=1&b=%20' });
    });
  }

  it('passes an empty query string through', () => {
    assert.deepEqual(classifyPath(`/${KEY}/announce?`), { kind: 'announce', key: KEY, query: '' });
  });

  it('keeps everything after the first ? as the raw query', () => {
    assert.deepEqual(classifyPath(`/${KEY}/scrape?info_hash=%3F?x`), { kind: 'scrape', key: KEY, query: 'info_hash=%3F?x' });
  });

  it('fails with Malformed announce unless the key is exactly 32 characters', () => {
    const malformed = { kind: 'failure', reason: 'Malformed announce' };
    assert.deepEqual(classifyPath(`/${KEY.slice(1)}/announce?a=1`), malformed);
    assert.deepEqual(classifyPath(`/${KEY}x/announce?a=1`), malformed);
    assert.deepEqual(classifyPath('//announce?a=1'), malformed);
    assert.deepEqual(classifyPath(`/${KEY}`), malformed);
    assert.deepEqual(classifyPath(`/${KEY}?a=1`), malformed);
    assert.deepEqual(classifyPath('/announce?a=1'), malformed);
    assert.deepEqual(classifyPath('/favicon.ico'), malformed);
    assert.deepEqual(classifyPath('/'), malformed);
    assert.deepEqual(classifyPath(''), malformed);
    assert.deepEqual(classifyPath(`${KEY}/announce?a=1`), malformed);
    assert.deepEqual(classifyPath(`http://host/${KEY}/announce?a=1`), malformed);
    // A slash inside the 32 characters splits the key.
    assert.deepEqual(classifyPath(`/${KEY.slice(0, 10)}/${KEY.slice(11)}/announce?a=1`), malformed);
  });

  it('checks the key before the query string, as Ocelot', () => {
    assert.deepEqual(classifyPath('/short/announce'), { kind: 'failure', reason: 'Malformed announce' });
  });

  it('answers Nothing to see here without a query string', () => {
    for (const action of ['announce', 'scrape', 'update', 'report', 'favicon.ico', '', 'announce.php']) {
      assert.deepEqual(classifyPath(`/${KEY}/${action}`), { kind: 'nothing-to-see' }, action);
    }
  });

  it('fails with Invalid action for an unknown action with a query string', () => {
    const invalid = { kind: 'failure', reason: 'Invalid action' };
    for (const action of ['axxxxxxx', 'announce.php', 'Announce', 'ANNOUNCE', 'scrapes', 'a', '', 'announce/', 'announce/x', 'update/']) {
      assert.deepEqual(classifyPath(`/${KEY}/${action}?a=1`), invalid, action);
    }
  });
});

describe('NOTHING_TO_SEE_HERE', () => {
  it('is Ocelot’s exact HTML body', () => {
    assert.equal(
      NOTHING_TO_SEE_HERE,
      '<html><head><meta name="robots" content="noindex, nofollow" /></head><body>Nothing to see here</body></html>',
    );
  });
});
