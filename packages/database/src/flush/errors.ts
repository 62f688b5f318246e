/**
 * How the flush reacts to a MySQL error depends on whose fault it is:
 * - `transient`: the server or the link (connection refused or lost, timeout, shutdown, lock wait
 *   timeout, read-only replica...). Nothing is wrong with the rows: give up on the batch and let
 *   the caller retry it later; parts already committed are skipped then.
 * - `deadlock`: InnoDB rolled the transaction back to break a cycle. Retrying it right away works.
 * - `data`: MySQL refuses a value (out of range, too long, bad enum...). Retrying the same rows
 *   fails the same way, so the part is split and the offending row set aside (Ocelot's F6 in docs/ocelot-compatibility.md).
 * - `other`: syntax, unknown table or column, missing privilege: a bug or a schema mismatch that
 *   needs an operator. Treated like transient (the batch is kept and retried) because setting
 *   rows aside would throw away good data.
 */
export type MysqlErrorKind = 'transient' | 'deadlock' | 'data' | 'other';

/** The fields mysql2 puts on its errors (all optional: a socket error has only `code`). */
export interface MysqlErrorLike {
  code?: string;
  errno?: number;
  sqlState?: string;
  fatal?: boolean;
  message?: string;
}

const DEADLOCK_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_CHECKREAD']);
const DEADLOCK_ERRNOS = new Set([1213, 1020]);

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_OUT_OF_RESOURCES',
  'ER_LOCK_TABLE_FULL',
  'ER_OPTION_PREVENTS_STATEMENT', // read_only: the primary failed over to a replica
  'ER_CONNECTION_KILLED',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);
// The same errors by number, for servers whose message table mysql2 does not name.
const TRANSIENT_ERRNOS = new Set([1040, 1053, 1077, 1079, 1080, 1152, 1153, 1154, 1155, 1156, 1157, 1158, 1159, 1160, 1161, 1203, 1205, 1206, 1290, 1317, 1927, 4031]);

const DATA_ERRNOS = new Set([
  1048, // column cannot be null
  1062, // duplicate entry (xbt_snatched has no unique key, but a site may have added one)
  1264, // out of range value for column
  1265, // data truncated (an invalid enum value in strict mode, sqlState 01000)
  1292, // incorrect datetime/double value
  1364, // field doesn't have a default value
  1366, // incorrect integer/string value
  1367, // illegal value
  1406, // data too long
  1411, // incorrect value for function
  1451, // foreign key (a site may have added some)
  1452,
  1690, // value out of range in an expression (Uploaded + negative delta on an unsigned column)
]);

export function asMysqlError(err: unknown): MysqlErrorLike {
  return typeof err === 'object' && err !== null ? (err as MysqlErrorLike) : { message: String(err) };
}

export function classifyMysqlError(err: unknown): MysqlErrorKind {
  const e = asMysqlError(err);
  if ((e.code && DEADLOCK_CODES.has(e.code)) || (e.errno !== undefined && DEADLOCK_ERRNOS.has(e.errno)) || e.sqlState === '40001') {
    return 'deadlock';
  }
  if (e.code && TRANSIENT_CODES.has(e.code)) return 'transient';
  if (e.errno !== undefined && TRANSIENT_ERRNOS.has(e.errno)) return 'transient';
  // No SQLSTATE: the error never came from the server (socket, pool, timeout).
  if (!e.sqlState) return 'transient';
  // 08xxx: connection exception.
  if (e.sqlState.startsWith('08')) return 'transient';
  if (e.errno !== undefined && DATA_ERRNOS.has(e.errno)) return 'data';
  // 22xxx: data exception; 23xxx: integrity constraint violation.
  if (e.sqlState.startsWith('22') || e.sqlState.startsWith('23')) return 'data';
  if (e.fatal) return 'transient';
  return 'other';
}

/** True when applyBatch gave up because of the server or the link, not the rows: retry later. */
export function isTransientMysqlError(err: unknown): boolean {
  const kind = classifyMysqlError(err);
  return kind === 'transient' || kind === 'deadlock';
}

export function isDuplicateKey(err: unknown): boolean {
  const e = asMysqlError(err);
  return e.errno === 1062 || e.code === 'ER_DUP_ENTRY';
}
