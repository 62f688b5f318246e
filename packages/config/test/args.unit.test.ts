import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '@oncilla/config';

const USAGE = { usage: 'Usage: ./ocelot [-v] [-c configfile]' };

test('no arguments: not verbose, no config path', () => {
  assert.deepEqual(parseArgs(['./ocelot']), { verbose: false });
});

test('-v and -c <path> in any order', () => {
  assert.deepEqual(parseArgs(['./ocelot', '-v', '-c', '/etc/o.conf']), { configPath: '/etc/o.conf', verbose: true });
  assert.deepEqual(parseArgs(['./ocelot', '-c', 'x.conf', '-v']), { configPath: 'x.conf', verbose: true });
});

test('a repeated -c keeps the last path', () => {
  assert.deepEqual(parseArgs(['./ocelot', '-c', 'a', '-c', 'b']), { configPath: 'b', verbose: false });
});

test('-c takes the next argument as is, even if it looks like a flag', () => {
  assert.deepEqual(parseArgs(['./ocelot', '-c', '-v']), { configPath: '-v', verbose: false });
});

test('-c as the last argument is invalid', () => {
  assert.deepEqual(parseArgs(['./ocelot', '-c']), USAGE);
  assert.deepEqual(parseArgs(['./ocelot', '-v', '-c']), USAGE);
});

test('any other argument gives the usage text naming argv[0]', () => {
  assert.deepEqual(parseArgs(['./ocelot', '--help']), USAGE);
  assert.deepEqual(parseArgs(['./ocelot', '-vc', 'x']), USAGE);
  assert.deepEqual(parseArgs(['./ocelot', 'ocelot.conf']), USAGE);
});

test('an empty argv is treated as no arguments', () => {
  assert.deepEqual(parseArgs([]), { verbose: false });
});
