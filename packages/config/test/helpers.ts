// Shared fixtures: an in-memory file system and a loader that never touches disk or process.env.

import assert from 'node:assert/strict';
import { ConfigError, loadConfig, type LoadedConfig } from '@oncilla/config';

export function fakeFs(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

/** Loads from an optional `/t.conf` body plus env; no ./ocelot.conf exists. */
export function load(env: Record<string, string> = {}, fileText?: string): LoadedConfig {
  if (fileText === undefined) return loadConfig({ env, readFile: fakeFs({}) });
  return loadConfig({ configPath: '/t.conf', env, readFile: fakeFs({ '/t.conf': fileText }) });
}

/** Runs `fn`, asserts it throws a ConfigError, and returns it. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

/** The error for one bad env value. */
export function envError(key: string, value: string): ConfigError {
  return configError(() => load({ [`TRACKER_${key.toUpperCase()}`]: value }));
}
