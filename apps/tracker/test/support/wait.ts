import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';

/** Waits for a condition that becomes true through another process's work (bounded). */
export async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs = 20000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The site's changes to the lists workers keep in memory reach every worker within a second:
 * reads until `read()` gives `expected` or `withinMs` passed, then asserts on the last read.
 */
export async function eventually<T>(read: () => Promise<T>, expected: T, message?: string, withinMs = 1000): Promise<void> {
  const deadline = Date.now() + withinMs;
  let last = await read();
  while (!isDeepStrictEqual(last, expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    last = await read();
  }
  assert.deepEqual(last, expected, message);
}
