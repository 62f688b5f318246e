// Child-process bookkeeping shared by the server harnesses.
//
// Guarantees that a test process leaves nothing behind:
//  - every spawned server is tracked; a process.on('exit') hook SIGKILLs the ones still
//    alive and removes the temp dirs still registered (normal exit, process.exit(), an
//    uncaught exception);
//  - a tiny watchdog process (one per test process, started lazily) holds a pipe from us;
//    when the pipe closes because we died in a way that runs no JS at all (SIGKILL,
//    SIGTERM/SIGINT without handlers, a node:test timeout), it SIGKILLs the same pids and
//    removes the same dirs.
// Set ONCILLA_KEEP_TMP=1 to keep the temp dirs (logs, data files) for debugging.
//
// Children are unref()'d: a forgotten server does not keep the test process alive; the
// exit hook then kills it.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const keepTmp = (): boolean => {
  const v = process.env.ONCILLA_KEEP_TMP;
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
};

// ---------------------------------------------------------------- registry + exit hook

const liveProcesses = new Set<ManagedProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of liveProcesses) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (!keepTmp()) {
      for (const dir of liveDirs) {
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch {
          // best effort
        }
      }
    }
  });
}

// ---------------------------------------------------------------- watchdog

const WATCHDOG_SOURCE = String.raw`
const fs = require('node:fs');
const pids = new Set();
const dirs = new Set();
const keep = process.argv[1] === 'keep';
let buf = '';
let finished = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const op = line.slice(0, 1);
    const arg = line.slice(2);
    if (op === '+') pids.add(Number(arg));
    else if (op === '-') pids.delete(Number(arg));
    else if (op === 'D') dirs.add(arg);
    else if (op === 'd') dirs.delete(arg);
  }
});
// A zombie (dead, not yet reaped by its new parent, PID 1) counts as gone.
const alive = (pid) => {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    try { process.kill(pid, 0); return true; } catch { return false; }
  }
};
const finish = () => {
  if (finished) return;
  finished = true;
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  const deadline = Date.now() + 5000;
  const tick = () => {
    if ([...pids].some(alive) && Date.now() < deadline) { setTimeout(tick, 20); return; }
    if (!keep) for (const d of dirs) { try { fs.rmSync(d, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  };
  tick();
};
process.stdin.on('end', finish);
process.stdin.on('close', finish);
process.stdin.on('error', finish);
`;

let watchdog: ChildProcess | undefined;

function watchdogSend(line: string): void {
  if (!watchdog) {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, keepTmp() ? 'keep' : 'clean'], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true, // own process group: survives a Ctrl-C aimed at the test's group
      env,
    });
    watchdog.on('error', () => {
      watchdog = undefined;
    });
    watchdog.unref();
    const stdin = watchdog.stdin as Socket | null;
    stdin?.on('error', () => {});
    stdin?.unref();
  }
  const stdin = watchdog.stdin;
  if (stdin && !stdin.destroyed) stdin.write(line + '\n');
}

// ---------------------------------------------------------------- temp dirs

/** mkdtemp under `base` (default os.tmpdir()), registered for removal at exit. */
export function makeTempDir(prefix: string, base: string = tmpdir()): string {
  installExitHook();
  const dir = mkdtempSync(join(base, prefix));
  liveDirs.add(dir);
  watchdogSend(`D ${dir}`);
  return dir;
}

/** rm -rf a dir made by makeTempDir (kept when ONCILLA_KEEP_TMP is set). */
export function removeTempDir(dir: string): void {
  if (!keepTmp()) rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
  watchdogSend(`d ${dir}`);
}

// ---------------------------------------------------------------- processes

export class ProcessExitedError extends Error {
  constructor(
    message: string,
    readonly exit: ExitInfo,
    readonly logTail: string,
  ) {
    super(message);
    this.name = 'ProcessExitedError';
  }
}

export interface SpawnOptions {
  /** stdout and stderr are appended to this file. */
  logFile: string;
  cwd?: string;
}

export class ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private isPaused = false;
  private waiters = 0;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.pid = child.pid!;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.isPaused = false;
        liveProcesses.delete(this);
        watchdogSend(`- ${this.pid}`);
        resolve(this.exitInfo);
      });
    });
  }

  /** Spawns `file args`, stdio to the log file; rejects if the binary cannot be executed. */
  static async spawn(name: string, file: string, args: string[], options: SpawnOptions): Promise<ManagedProcess> {
    installExitHook();
    const fd = openSync(options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(file, args, { stdio: ['ignore', fd, fd], cwd: options.cwd });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`cannot start ${name} (${file}): ${err.message}`);
    }
    child.on('error', () => {}); // errors after a successful spawn (e.g. kill on a dead pid) are not fatal
    child.unref();
    const proc = new ManagedProcess(name, child);
    liveProcesses.add(proc);
    watchdogSend(`+ ${proc.pid}`);
    return proc;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get exitStatus(): ExitInfo | undefined {
    return this.exitInfo;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Resolves with the exit status, or undefined if timeoutMs passes first. */
  async waitExit(timeoutMs?: number): Promise<ExitInfo | undefined> {
    if (this.exitInfo) return this.exitInfo;
    if (this.waiters++ === 0) this.child.ref(); // keep the event loop alive while someone waits
    try {
      if (timeoutMs === undefined) return await this.exited;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      });
      try {
        return await Promise.race([this.exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      if (--this.waiters === 0) this.child.unref();
    }
  }

  /** SIGTERM (with SIGCONT if paused) and wait; SIGKILL if it has not exited after timeoutMs. */
  async stop(timeoutMs = 30_000): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.signal('SIGTERM');
    if (this.isPaused) this.resume();
    const info = await this.waitExit(timeoutMs);
    if (info) return info;
    return this.kill();
  }

  /** SIGKILL and wait for the exit (works on a paused process too). */
  async kill(): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.signal('SIGKILL');
    return (await this.waitExit())!;
  }

  pause(): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.signal('SIGSTOP');
    this.isPaused = true;
    waitUntilStopped(this.pid);
  }

  resume(): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.signal('SIGCONT');
    this.isPaused = false;
  }
}

// ---------------------------------------------------------------- helpers

/**
 * SIGSTOP is delivered asynchronously: a thread already running can still answer a request.
 * Wait (bounded, 2 s) until every thread of the process is in the stopped state.
 */
function waitUntilStopped(pid: number): void {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    let allStopped = true;
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'T' && state !== 't') allStopped = false;
      }
    } catch {
      return; // no /proc (not Linux) or the process is gone: nothing to wait for
    }
    if (allStopped) return;
    Atomics.wait(tick, 0, 0, 1);
  }
}

/** Alive and not a zombie (an orphan reaped late by a non-reaping PID 1 still "exists"). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Current size of a file (0 if missing); used to read only what a new run appended to a log. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Up to maxBytes from the end of a file, starting no earlier than fromOffset. */
export function readLogTail(path: string, fromOffset = 0, maxBytes = 4096): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(fromOffset, size - maxBytes);
    const length = Math.max(0, size - start);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, start);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export interface WaitReadyOptions {
  timeoutMs: number;
  logFile: string;
  logOffset: number;
}

/**
 * Polls `probe` with a growing backoff (5 ms .. 100 ms) until it returns true. Fails at once
 * with a ProcessExitedError if the process exits, or with a timeout error after timeoutMs.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  options: WaitReadyOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 5;
  let lastError: unknown;
  for (;;) {
    const status = proc.exitStatus;
    if (status) {
      const tail = readLogTail(options.logFile, options.logOffset);
      throw new ProcessExitedError(
        `${proc.name} exited during startup (code ${status.code}, signal ${status.signal}); ` +
          `log ${options.logFile}:\n${tail}`,
        status,
        tail,
      );
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const tail = readLogTail(options.logFile, options.logOffset);
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(
        `${proc.name} did not become ready within ${options.timeoutMs} ms${last}; log ${options.logFile}:\n${tail}`,
      );
    }
    await Promise.race([sleep(delay), proc.exited]);
    delay = Math.min(delay * 2, 100);
  }
}

/** True when a startup failure was caused by the port being taken (bind race). */
export function isAddressInUse(err: unknown): boolean {
  return err instanceof ProcessExitedError && /address already in use|EADDRINUSE|errno: 98|error: 98/i.test(err.logTail);
}
