import type { PoolConnection, QueryValues, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

/**
 * The one connection a batch is written through, with a per-statement timeout: a MySQL that
 * stops answering (SIGSTOP, network partition) makes the flush fail and retry later instead of
 * hanging while the flush lease expires.
 */
export class Exec {
  constructor(
    readonly conn: PoolConnection,
    private readonly timeoutMs: number,
  ) {}

  async run(sql: string, values: QueryValues = []): Promise<ResultSetHeader> {
    const [res] = await this.conn.query<ResultSetHeader>({ sql, values, timeout: this.timeoutMs });
    return res;
  }

  async select(sql: string, values: QueryValues = []): Promise<RowDataPacket[]> {
    const [rows] = await this.conn.query<RowDataPacket[]>({ sql, values, timeout: this.timeoutMs });
    return rows;
  }
}
