import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '@oncilla/config';

const USAGE = { usage: 'Usage: ./ocelot [-v] [-c configfile]' };
const parse = (...args: string[]) => parseArgs(args, './ocelot');

test('no arguments: not verbose, no config path', () => {
  assert.deepEqual(parse(), { verbose: false });
});

test('-v and -c <path> in any order', () => {
  assert.deepEqual(parse('-v', '-c', '/etc/o.conf'), { configPath: '/etc/o.conf', verbose: true });
  assert.deepEqual(parse('-c', 'x.conf', '-v'), { configPath: 'x.conf', verbose: true });
});

test('a repeated -c keeps the last path', () => {
  assert.deepEqual(parse('-c', 'a', '-c', 'b'), { configPath: 'b', verbose: false });
});

test('-c takes the next argument as is, even if it looks like a flag', () => {
  assert.deepEqual(parse('-c', '-v'), { configPath: '-v', verbose: false });
});

test('-c as the last argument is invalid', () => {
  assert.deepEqual(parse('-c'), USAGE);
  assert.deepEqual(parse('-v', '-c'), USAGE);
});

test('any other argument gives the usage text naming the program', () => {
  assert.deepEqual(parse('--help'), USAGE);
  assert.deepEqual(parse('-vc', 'x'), USAGE);
  assert.deepEqual(parse('ocelot.conf'), USAGE);
  assert.deepEqual(parse('-v', '-c', 'x', 'extra'), USAGE);
});

test('the program name defaults to oncilla', () => {
  assert.deepEqual(parseArgs(['-x']), { usage: 'Usage: oncilla [-v] [-c configfile]' });
  assert.deepEqual(parseArgs(['-c', 'o.conf']), { configPath: 'o.conf', verbose: false });
});
