import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigFile } from '@oncilla/config';

const entries = (text: string) => Object.fromEntries(parseConfigFile(text).values);

test('key = value lines, spaces and tabs trimmed around both', () => {
  assert.deepEqual(entries('listen_port = 1234\n\tmysql_db\t=\tgz \t\n'), { listen_port: '1234', mysql_db: 'gz' });
});

test('a # in column 0 is a comment; anywhere else it is literal', () => {
  const text = '#listen_port = 1\n log_dir = /x # not a comment\nsite_path=/a#b\n';
  const parsed = parseConfigFile(text);
  assert.deepEqual(Object.fromEntries(parsed.values), { log_dir: '/x # not a comment', site_path: '/a#b' });
  assert.deepEqual(parsed.warnings, []);
});

test('an indented # line is not a comment: it is an unknown key', () => {
  const parsed = parseConfigFile('  # listen_port = 5\n');
  assert.equal(parsed.values.size, 0);
  assert.deepEqual(parsed.warnings, ["Unrecognized setting '# listen_port'"]);
});

test('lines without = are ignored, including blank ones', () => {
  assert.deepEqual(entries('\nlisten_port\njust words\n\n'), {});
});

test('CRLF files: CR is trimmed (fixes Ocelot quirk)', () => {
  assert.deepEqual(entries('listen_port = 1234\r\nreadonly = yes\r\nsite_path =\r\n'), {
    listen_port: '1234',
    readonly: 'yes',
    site_path: '',
  });
});

test('key ends at the first =; the value keeps later ones', () => {
  assert.deepEqual(entries('redis_url = redis://h/0?a=b=c\nmysql_password==x=\n'), {
    redis_url: 'redis://h/0?a=b=c',
    mysql_password: '=x=',
  });
});

test('unknown keys warn with Ocelot text and are not returned', () => {
  const parsed = parseConfigFile('lsiten_port = 1\nlisten_port = 2\n = 3\n');
  assert.deepEqual(Object.fromEntries(parsed.values), { listen_port: '2' });
  assert.deepEqual(parsed.warnings, ["Unrecognized setting 'lsiten_port'", "Unrecognized setting ''"]);
});

test('the last occurrence of a key wins, with a warning', () => {
  const parsed = parseConfigFile('listen_port = 1\nlisten_port = 2\n');
  assert.equal(parsed.values.get('listen_port'), '2');
  assert.equal(parsed.lines.get('listen_port'), 2);
  assert.deepEqual(parsed.warnings, ["Setting 'listen_port' on line 2 overrides line 1"]);
});

test('records the line of each value', () => {
  const parsed = parseConfigFile('# c\n\nworkers = 3\n');
  assert.equal(parsed.lines.get('workers'), 3);
});

test('a UTF-8 byte order mark does not corrupt the first key', () => {
  assert.deepEqual(entries('\uFEFFlisten_port = 9\n'), { listen_port: '9' });
});

test('no trailing newline is fine', () => {
  assert.deepEqual(entries('workers=2'), { workers: '2' });
});
