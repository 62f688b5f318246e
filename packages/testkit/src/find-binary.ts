import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Directories searched after PATH: daemons such as mariadbd live in sbin, which is often not on a user's PATH. */
export const EXTRA_BINARY_DIRS: readonly string[] = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

export interface FindBinaryOptions {
  /** Debian package that provides the binary; named in the error message. */
  debianPackage?: string;
  /** Environment variable that may hold an explicit path (checked first). */
  envVar?: string;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like findBinary, but returns undefined instead of throwing. */
export function tryFindBinary(name: string, options: FindBinaryOptions = {}): string | undefined {
  if (options.envVar) {
    const explicit = process.env[options.envVar];
    if (explicit) return isExecutableFile(explicit) ? explicit : undefined;
  }
  if (isAbsolute(name)) return isExecutableFile(name) ? name : undefined;
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of [...pathDirs, ...EXTRA_BINARY_DIRS]) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Absolute path of an executable, searched on PATH and then in /usr/bin, /usr/sbin,
 * /usr/local/bin and /usr/local/sbin. Throws an error naming the Debian package when missing.
 */
export function findBinary(name: string, options: FindBinaryOptions = {}): string {
  const found = tryFindBinary(name, options);
  if (found) return found;
  if (options.envVar && process.env[options.envVar]) {
    throw new Error(`${options.envVar}=${process.env[options.envVar]} is not an executable file`);
  }
  const where = `PATH or ${EXTRA_BINARY_DIRS.join(', ')}`;
  const hint = options.debianPackage
    ? ` Install the Debian package: apt-get install -y ${options.debianPackage}`
    : '';
  const override = options.envVar ? ` (or set ${options.envVar} to its path)` : '';
  throw new Error(`${name} not found on ${where}.${hint}${override}`);
}
