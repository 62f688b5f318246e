import { insertTorrents, insertUsers, makeInfoHash, makePasskey, startMariaDb } from '@oncilla/testkit';
import { cpuSeconds } from './proc-stats.js';
const db = await startMariaDb({ sqlMode: 'gazelle' });
const conn = await db.connect();
const N = 10000;
await insertUsers(conn, Array.from({ length: N }, (_, i) => ({ id: i + 1, passkey: makePasskey(i + 1) })));
await insertTorrents(conn, Array.from({ length: N }, (_, i) => ({ id: i + 1, infoHash: makeInfoHash(i + 1) })));
const rows = (k: number) => Array.from({ length: 1000 }, (_, i) => [1 + ((i * 7 + k * 1000) % N), 16384 * (i % 5 + 1), 8192 * (k % 3)]);
async function measure(name: string, fn: (r: number[][], k: number) => Promise<void>) {
  for (let k = 0; k < 2; k++) await fn(rows(k), k);
  const c0 = cpuSeconds(db.pid); const t0 = Date.now();
  for (let k = 0; k < 20; k++) { await conn.query('START TRANSACTION'); await fn(rows(k), k); await conn.query('COMMIT'); }
  console.log(name, ((cpuSeconds(db.pid) - c0) * 1e6 / 20000).toFixed(1), 'µs/row mysql,', ((Date.now() - t0) / 20).toFixed(1), 'ms/1000 rows');
}
const lit = (r: number[][]) => r.map((x, i) => i === 0 ? `SELECT ${x[0]} AS ID, ${x[1]} AS up, ${x[2]} AS down` : `SELECT ${x[0]},${x[1]},${x[2]}`).join(' UNION ALL ');
await measure('union', async (r) => { await conn.query(`UPDATE users_main AS u JOIN (${lit(r)}) AS v ON v.ID = u.ID SET u.Uploaded = u.Uploaded + v.up, u.Downloaded = u.Downloaded + v.down`); });
await measure('tvc', async (r) => { await conn.query(`UPDATE users_main AS u JOIN (SELECT 0 AS ID, 0 AS up, 0 AS down UNION ALL VALUES ${r.map((x) => `(${x.join(',')})`).join(',')}) AS v ON v.ID = u.ID SET u.Uploaded = u.Uploaded + v.up, u.Downloaded = u.Downloaded + v.down`); });
await conn.query('CREATE TEMPORARY TABLE tmp_u (ID INT UNSIGNED PRIMARY KEY, up BIGINT, down BIGINT) ENGINE=MEMORY');
await measure('temp', async (r) => { await conn.query(`INSERT INTO tmp_u VALUES ${r.map((x) => `(${x.join(',')})`).join(',')}`); await conn.query('UPDATE users_main AS u JOIN tmp_u AS v ON v.ID = u.ID SET u.Uploaded = u.Uploaded + v.up, u.Downloaded = u.Downloaded + v.down'); await conn.query('DELETE FROM tmp_u'); });
await measure('case', async (r) => { await conn.query(`UPDATE users_main SET Uploaded = Uploaded + CASE ID ${r.map((x) => `WHEN ${x[0]} THEN ${x[1]}`).join(' ')} END, Downloaded = Downloaded + CASE ID ${r.map((x) => `WHEN ${x[0]} THEN ${x[2]}`).join(' ')} END WHERE ID IN (${r.map((x) => x[0]).join(',')})`); });
await measure('noidx-union-up-only', async (r) => { await conn.query(`UPDATE users_main AS u JOIN (${lit(r)}) AS v ON v.ID = u.ID SET u.LastAccess = u.LastAccess`); });
await measure('select-lock', async (r) => { await conn.query(`SELECT ID FROM users_main WHERE ID IN (${r.map((x) => x[0]).join(',')}) LOCK IN SHARE MODE`); });
await conn.end(); await db.cleanup();
