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

/** `(?,?,?),(?,?,?)`: `count` copies of `tuple` for a multi-row INSERT. */
export function tuples(tuple: string, count: number): string {
  return new Array<string>(count).fill(tuple).join(',');
}

/**
 * `SELECT ? AS a, ? AS b UNION ALL SELECT ?,? ...`: a derived table of `count` literal rows.
 * An UPDATE joined against it changes existing rows only and never creates one, so a deleted
 * user or torrent cannot come back as a junk row (Ocelot §14 item 17), and it needs none of the
 * NOT NULL columns a strict-mode INSERT would (gazellepw-integration §3.2).
 */
export function literalRows(columns: readonly string[], count: number): string {
  const first = `SELECT ${columns.map((c) => `? AS ${c}`).join(', ')}`;
  const rest = `SELECT ${columns.map(() => '?').join(',')}`;
  const selects = [first];
  for (let i = 1; i < count; i++) selects.push(rest);
  return selects.join(' UNION ALL ');
}
