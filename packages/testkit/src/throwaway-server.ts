// What every throwaway server shares: one managed process in a temp dir, and the controls the
// tests use on it (stop, kill -9, restart on the same port and data, SIGSTOP/SIGCONT, cleanup).
import { removeTempDir, type ManagedProcess } from './process.js';

export abstract class ThrowawayServer {
  readonly host = '127.0.0.1';
  protected proc: ManagedProcess | undefined;
  protected cleanedUp = false;
  /** The binary's name, for messages. */
  protected abstract readonly processName: string;
  abstract readonly dir: string;

  /** Starts the process and waits until it answers. */
  abstract launch(): Promise<void>;

  /** Temp dirs besides `dir` to remove on cleanup. */
  protected extraDirs(): string[] {
    return [];
  }

  get pid(): number {
    if (!this.proc) throw new Error(`${this.processName} has not been started`);
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  get paused(): boolean {
    return this.proc?.paused ?? false;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  async kill(): Promise<void> {
    await this.proc?.kill();
  }

  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.launch();
  }

  pause(): void {
    if (!this.proc?.running) throw new Error(`${this.processName} is not running`);
    this.proc.pause();
  }

  resume(): void {
    if (!this.proc?.running) throw new Error(`${this.processName} is not running`);
    this.proc.resume();
  }

  async cleanup(): Promise<void> {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    await this.proc?.kill();
    removeTempDir(this.dir);
    for (const d of this.extraDirs()) removeTempDir(d);
  }
}
