import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout (what docker logs and log shippers expect); level from config. */
export function createLogger(level: string, role: string): Logger {
  return pino({ level, base: { role, pid: process.pid } });
}
