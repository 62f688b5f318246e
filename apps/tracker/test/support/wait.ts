/** Waits for a condition that becomes true through another process's work (bounded). */
export async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs = 20000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
