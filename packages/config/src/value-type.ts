// The contract every config value type fulfils: parse the trimmed text of one setting,
// describe what it accepts, and say how a bad value may be shown in an error message.

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason?: string };

export interface ValueType<T> {
  /** Short type name for docs: bool, uint, string, enum, secret, list, url, address. */
  readonly type: string;
  /** What a valid value looks like, phrased to follow "expected ...". */
  readonly validation: string;
  /** True: the value must never appear in messages or logs. */
  readonly secret: boolean;
  /** `reason` (if any) must never quote the input when the type holds a secret. */
  parse(raw: string): Parsed<T>;
  /** How the raw text may appear in messages and logs; null means never (a secret). */
  show(raw: string): string | null;
}

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function fail(reason?: string): Parsed<never> {
  return reason === undefined ? { ok: false } : { ok: false, reason };
}

/** Quotes a value for a message; JSON escaping keeps control characters visible. */
export function quote(raw: string): string {
  return JSON.stringify(raw);
}

export const showPlain = (raw: string): string => quote(raw);
export const showNever = (): null => null;

// C0 controls and DEL have no place in a setting that ends up in a URL, a socket or a log.
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
