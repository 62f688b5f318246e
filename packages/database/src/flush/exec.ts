import type { PoolConnection, QueryValues, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { rowsFormFor, type RowsForm } from './sql-literal.js';

/** Each server connection's RowsForm, asked once per connection (the pool hands the same ones out again). */
const formOf = new WeakMap<object, RowsForm>();

/**
 * The one connection a batch is written through, with a per-statement timeout: a MySQL that
 * stops answering (SIGSTOP, network partition) makes the flush fail and retry later instead of
 * hanging while the flush lease expires.
 */
export class Exec {
  constructor(
    readonly conn: PoolConnection,
    private readonly timeoutMs: number,
    /** How this server takes derived tables of literal rows (see `Exec.open`). */
    readonly rowsForm: RowsForm = 'select',
  ) {}

  /** An Exec on `conn`, with the server's RowsForm (one `SELECT VERSION()` per new connection). */
  static async open(conn: PoolConnection, timeoutMs: number, rowsForm?: RowsForm): Promise<Exec> {
    if (rowsForm) return new Exec(conn, timeoutMs, rowsForm);
    let form = formOf.get(conn.connection);
    if (!form) {
      const [rows] = await conn.query<RowDataPacket[]>({ sql: 'SELECT VERSION() AS v', timeout: timeoutMs });
      form = rowsFormFor(String(rows[0]?.v ?? ''));
      formOf.set(conn.connection, form);
    }
    return new Exec(conn, timeoutMs, form);
  }

  async run(sql: string, values: QueryValues = []): Promise<ResultSetHeader> {
    const [res] = await this.conn.query<ResultSetHeader>({ sql, values, timeout: this.timeoutMs });
    return res;
  }

  async select(sql: string, values: QueryValues = []): Promise<RowDataPacket[]> {
    const [rows] = await this.conn.query<RowDataPacket[]>({ sql, values, timeout: this.timeoutMs });
    return rows;
  }
}
