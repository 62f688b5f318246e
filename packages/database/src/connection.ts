import mysql from 'mysql2/promise';

export interface MysqlSettings {
  host: string;
  /** 0 means the default, 3306. */
  port: number;
  user: string;
  password: string;
  database: string;
  /**
   * The Unix socket used when host is 'localhost': libmysqlclient's rule, which Ocelot follows
   * (port unused then). A site that grants the tracker 'user'@'localhost' under
   * skip-name-resolve, or runs MariaDB with skip-networking, depends on it.
   */
  socket?: string;
}

export type MysqlEndpoint = { socketPath: string } | { host: string; port: number };

/** Where a connection goes: the Unix socket for 'localhost' when one is set, else TCP (0 = 3306). */
export function mysqlEndpoint(s: Pick<MysqlSettings, 'host' | 'port' | 'socket'>): MysqlEndpoint {
  return s.host === 'localhost' && s.socket ? { socketPath: s.socket } : { host: s.host, port: s.port || 3306 };
}

/** `unix:<path>` or `host:port`, for logs. */
export function describeEndpoint(e: MysqlEndpoint): string {
  return 'socketPath' in e ? `unix:${e.socketPath}` : `${e.host}:${e.port}`;
}

export type Pool = mysql.Pool;

export function createPool(s: MysqlSettings, connectionLimit = 4): Pool {
  return mysql.createPool({
    ...mysqlEndpoint(s),
    user: s.user,
    password: s.password,
    database: s.database,
    connectionLimit,
    // info_hash and peer_id are binary: keep BLOB/BINARY columns as Buffers.
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: true,
    // Statements without values (the flush writes its literals itself) skip mysql2's scan of
    // the whole text for placeholders, which cost more than building a 1,000-row statement.
    queryFormat: (sql: string, values: unknown) =>
      values === undefined || (Array.isArray(values) && values.length === 0) ? sql : mysql.format(sql, values as Parameters<typeof mysql.format>[1]),
  });
}

export interface RetryLog {
  warn(msg: string): void;
}

/**
 * Waits until MySQL answers, logging each failed attempt, with capped exponential backoff.
 * A tracker started before its database (docker compose) should wait, not exit.
 */
export async function waitForMysql(pool: Pool, log: RetryLog, opts: { maxWaitMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const started = Date.now();
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query('SELECT 1');
      return;
    } catch (err) {
      const waited = Date.now() - started;
      if (opts.signal?.aborted || (opts.maxWaitMs !== undefined && waited >= opts.maxWaitMs)) throw err;
      log.warn(`MySQL not reachable (attempt ${attempt}: ${(err as Error).message}); retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
