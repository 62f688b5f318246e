// Scalar value types: booleans, bounded unsigned integers, strings, enums and shared secrets.
// Unlike Ocelot (compatibility F29) nothing here silently turns garbage into false or 0.

import { fail, ok, showNever, showPlain, type Parsed, type ValueType } from './value-type.js';

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', '']);

export function bool(): ValueType<boolean> {
  return {
    type: 'bool',
    validation: 'true or false (also 1/0, yes/no, on/off, any case; blank = false)',
    parse(raw) {
      const word = raw.toLowerCase();
      if (TRUE_WORDS.has(word)) return ok(true);
      if (FALSE_WORDS.has(word)) return ok(false);
      return fail();
    },
    secret: false,
    show: showPlain,
  };
}

export function uint(min: number, max: number): ValueType<number> {
  return {
    type: 'uint',
    validation: `a whole number from ${min} to ${max}`,
    parse(raw) {
      // Digits only: no sign, exponent, hex or fraction, which Number() would accept.
      if (!/^[0-9]+$/.test(raw)) return fail();
      const n = Number(raw);
      return n >= min && n <= max ? ok(n) : fail('out of range');
    },
    secret: false,
    show: showPlain,
  };
}

/** Free text (user names, passwords, paths nobody interprets). */
export function anyText(opts: { secret?: boolean } = {}): ValueType<string> {
  return {
    type: opts.secret ? 'secret' : 'string',
    validation: 'any text',
    parse: (raw) => ok(raw),
    secret: opts.secret === true,
    show: opts.secret ? showNever : showPlain,
  };
}

/** Text with a custom check; `check` returns a reason when the value is bad. */
export function checkedText(validation: string, check: (raw: string) => string | undefined): ValueType<string> {
  return {
    type: 'string',
    validation,
    parse(raw): Parsed<string> {
      const reason = check(raw);
      return reason === undefined ? ok(raw) : fail(reason);
    },
    secret: false,
    show: showPlain,
  };
}

export function oneOf<const V extends readonly string[]>(values: V): ValueType<V[number]> {
  return {
    type: 'enum',
    validation: `one of ${values.join(', ')}`,
    parse(raw) {
      const word = raw.toLowerCase();
      const hit = values.find((v) => v === word);
      return hit === undefined ? fail() : ok(hit);
    },
    secret: false,
    show: showPlain,
  };
}

export const SECRET_LENGTH = 32;

// The secrets are path segments (`/<secret>/update`) and a query value in the site callback,
// so characters that end or escape a path segment would make them unusable.
// Printable ASCII excludes space and control characters already.
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const SECRET_FORBIDDEN = /[/?%#]/;

/** site_password / report_password: exactly 32 URL-path-safe characters, never echoed. */
export function sharedSecret(): ValueType<string> {
  return {
    type: 'secret',
    validation: `exactly ${SECRET_LENGTH} printable ASCII characters, none of / ? % # or space`,
    parse(raw) {
      // Reasons describe the problem without quoting any part of the secret.
      if (raw.length !== SECRET_LENGTH) return fail(`has ${raw.length} characters`);
      if (!PRINTABLE_ASCII.test(raw) || SECRET_FORBIDDEN.test(raw)) {
        return fail('contains a forbidden character');
      }
      return ok(raw);
    },
    secret: true,
    show: showNever,
  };
}
