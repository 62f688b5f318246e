import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampNumwant, parseInt32, parseInt64, parsePort } from '../src/index.js';

describe('parseInt64', () => {
  it('parses plain decimals', () => {
    assert.equal(parseInt64('0'), 0);
    assert.equal(parseInt64('123'), 123);
    assert.equal(parseInt64('1000000'), 1000000);
    assert.equal(parseInt64('007'), 7);
  });

  it('gives 0 for absent, empty and non-numeric input', () => {
    assert.equal(parseInt64(undefined), 0);
    assert.equal(parseInt64(''), 0);
    assert.equal(parseInt64('abc'), 0);
    assert.equal(parseInt64('-'), 0);
    assert.equal(parseInt64('+'), 0);
    assert.equal(parseInt64('   '), 0);
    assert.equal(parseInt64('--1'), 0);
    assert.equal(parseInt64('+-1'), 0);
  });

  it('stops at the first non-digit', () => {
    assert.equal(parseInt64('123abc'), 123);
    assert.equal(parseInt64('12.9'), 12);
    assert.equal(parseInt64('1e5'), 1);
    assert.equal(parseInt64('42 7'), 42);
    assert.equal(parseInt64('0x1f'), 0);
  });

  it('skips leading C whitespace but not other characters', () => {
    assert.equal(parseInt64(' \t\n\v\f\r42'), 42);
    assert.equal(parseInt64('\u00a042'), 0); // NBSP is not C isspace
    assert.equal(parseInt64('- 5'), 0); // no space between sign and digits
  });

  it('accepts a sign', () => {
    assert.equal(parseInt64('-17'), -17);
    assert.equal(parseInt64('+17'), 17);
    assert.ok(Object.is(parseInt64('-0'), 0), '-0 must come out as +0');
    assert.ok(Object.is(parseInt64('-000'), 0));
  });

  it('saturates at ±MAX_SAFE_INTEGER', () => {
    assert.equal(parseInt64('9007199254740991'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseInt64('9007199254740992'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseInt64('9223372036854775807'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseInt64('99999999999999999999999999999999'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseInt64('-9007199254740991'), -Number.MAX_SAFE_INTEGER);
    assert.equal(parseInt64('-99999999999999999999999999999999'), -Number.MAX_SAFE_INTEGER);
    assert.equal(parseInt64('1'.repeat(400)), Number.MAX_SAFE_INTEGER);
  });
});

describe('parseInt32', () => {
  it('parses within range', () => {
    assert.equal(parseInt32('6881'), 6881);
    assert.equal(parseInt32('-50'), -50);
    assert.equal(parseInt32('2147483647'), 2147483647);
    assert.equal(parseInt32('-2147483648'), -2147483648);
  });

  it('saturates to the int32 range', () => {
    assert.equal(parseInt32('2147483648'), 2147483647);
    assert.equal(parseInt32('99999999999'), 2147483647);
    assert.equal(parseInt32('-2147483649'), -2147483648);
    assert.equal(parseInt32('-99999999999'), -2147483648);
  });

  it('shares the leading-integer rules', () => {
    assert.equal(parseInt32(undefined), 0);
    assert.equal(parseInt32(''), 0);
    assert.equal(parseInt32(' 50x'), 50);
  });
});

describe('parsePort', () => {
  it('masks to 16 bits without validating', () => {
    assert.equal(parsePort('6881'), 6881);
    assert.equal(parsePort('0'), 0);
    assert.equal(parsePort('65535'), 65535);
    assert.equal(parsePort('65536'), 0);
    assert.equal(parsePort('65537'), 1);
    assert.equal(parsePort('-1'), 65535);
    assert.equal(parsePort('-65536'), 0);
    assert.equal(parsePort('99999999999'), 65535); // saturated 2^31-1 & 0xFFFF
    assert.equal(parsePort(undefined), 0);
    assert.equal(parsePort('abc'), 0);
  });
});

describe('clampNumwant', () => {
  it('uses the limit when absent', () => {
    assert.equal(clampNumwant(undefined, 50), 50);
  });

  it('passes values inside [0, limit] through', () => {
    assert.equal(clampNumwant('0', 50), 0);
    assert.equal(clampNumwant('1', 50), 1);
    assert.equal(clampNumwant('49', 50), 49);
    assert.equal(clampNumwant('50', 50), 50);
  });

  it('caps at the limit', () => {
    assert.equal(clampNumwant('51', 50), 50);
    assert.equal(clampNumwant('99999999999999', 50), 50);
  });

  it('gives 0 for negative values instead of every peer (compatibility F9)', () => {
    assert.equal(clampNumwant('-1', 50), 0);
    assert.equal(clampNumwant('-2147483648', 50), 0);
    assert.equal(clampNumwant('-99999999999', 50), 0);
  });

  it('gives 0 for empty or non-numeric values, like Ocelot', () => {
    assert.equal(clampNumwant('', 50), 0);
    assert.equal(clampNumwant('lots', 50), 0);
    assert.equal(clampNumwant('30abc', 50), 30);
  });

  it('never returns a negative count for a negative limit', () => {
    assert.equal(clampNumwant(undefined, -5), 0);
    assert.equal(clampNumwant('10', -5), 0);
  });
});
