/**
 * What users_main credits, and the check the fault tests end with: every user credited exactly
 * the bytes their peers reported since a baseline.
 */
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import type { MariaDbServer } from '@oncilla/testkit';
import type { Traffic } from './traffic.js';

/** uid -> [Uploaded, Downloaded] */
export type Credits = Map<number, [number, number]>;

export async function credited(db: MariaDbServer): Promise<Credits> {
  const conn = await db.connect();
  try {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT ID, Uploaded, Downloaded FROM users_main');
    return new Map(rows.map((r) => [Number(r.ID), [Number(r.Uploaded), Number(r.Downloaded)] as [number, number]]));
  } finally {
    await conn.end();
  }
}

/** users_main grew by exactly what the traffic reported since `baseline`. */
export async function assertCreditedExactly(db: MariaDbServer, baseline: Credits, traffics: Traffic[]): Promise<void> {
  const expected: Credits = new Map();
  for (const t of traffics) for (const [uid, [u, d]] of t.expected()) {
    const [u0, d0] = expected.get(uid) ?? [0, 0];
    expected.set(uid, [u0 + u, d0 + d]);
  }
  const now = await credited(db);
  for (const [uid, [up, down]] of expected) {
    const [u0, d0] = baseline.get(uid) ?? [0, 0];
    const [u1, d1] = now.get(uid) ?? [0, 0];
    assert.deepEqual([uid, u1 - u0, d1 - d0], [uid, up, down], `user ${uid}: credited exactly what was reported`);
  }
}
