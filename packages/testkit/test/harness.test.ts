// Integration tests of the harness itself: real redis-server and mariadbd processes.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import {
  SQL_MODES,
  insertTokens,
  insertTorrents,
  insertUsers,
  insertWhitelist,
  isAlive,
  makeInfoHash,
  makePasskey,
  startMariaDb,
  startRedis,
  type MariaDbServer,
  type SeedTorrent,
  type SeedUser,
} from '@oncilla/testkit';

const ROOT = new URL('../../../', import.meta.url).pathname;


async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function redisClient(t: TestContext, url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 0, ...options });
  client.on('error', () => {}); // reconnect noise while a server is killed/paused
  t.after(() => client.disconnect());
  return client;
}

async function rows<T = RowDataPacket>(conn: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [result] = await conn.query<RowDataPacket[]>(sql, params);
  return result as T[];
}

async function withConn<T>(db: MariaDbServer, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

describe('redis-server', () => {
  test('SET/GET survive kill -9 and restart (AOF), same port, new pid', async (t) => {
    const started = performance.now();
    const redis = await startRedis();
    t.diagnostic(`redis start: ${(performance.now() - started).toFixed(0)} ms`);
    t.after(() => redis.cleanup());
    assert.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(redis.dir.includes('oncilla-redis-'));

    const before = redisClient(t, redis.url);
    assert.equal(await before.set('k', 'v1'), 'OK');
    assert.equal(await before.incr('n'), 1);
    assert.equal(await before.get('k'), 'v1');
    before.disconnect();

    const { port, pid } = redis;
    await redis.kill();
    assert.equal(redis.running, false);
    assert.ok(!isAlive(pid));

    const restartStarted = performance.now();
    await redis.restart();
    t.diagnostic(`redis restart after kill -9: ${(performance.now() - restartStarted).toFixed(0)} ms`);
    assert.equal(redis.port, port);
    assert.notEqual(redis.pid, pid);
    const afterRestart = redisClient(t, redis.url);
    assert.equal(await afterRestart.get('k'), 'v1');
    assert.equal(await afterRestart.get('n'), '1');
  });

  test('pause: a command times out; resume: it answers again', async (t) => {
    const redis = await startRedis({ appendonly: false });
    t.after(() => redis.cleanup());
    const client = redisClient(t, redis.url, { commandTimeout: 300 });
    assert.equal(await client.ping(), 'PONG');

    redis.pause();
    assert.equal(redis.paused, true);
    await assert.rejects(client.ping(), /timed out/i);

    redis.resume();
    assert.equal(redis.paused, false);
    assert.equal(await client.ping(), 'PONG');
    assert.equal(await client.set('after-resume', '1'), 'OK');
  });

  test('stop() works on a paused server; password; cleanup removes dir and process', async (t) => {
    const redis = await startRedis({ password: 's3cret', appendonly: false });
    t.after(() => redis.cleanup());
    assert.match(redis.url, /^redis:\/\/:s3cret@127\.0\.0\.1:\d+$/);
    assert.equal(await redisClient(t, redis.url).ping(), 'PONG');
    const anonymous = redisClient(t, `redis://127.0.0.1:${redis.port}`);
    await assert.rejects(anonymous.ping(), /NOAUTH/);

    redis.pause();
    await redis.stop(); // SIGTERM + SIGCONT
    assert.equal(redis.running, false);

    await redis.restart();
    const { pid, dir } = redis;
    await redis.cleanup();
    assert.ok(!isAlive(pid));
    assert.ok(!existsSync(dir));
  });
});

describe('mariadbd', () => {
  let strict: MariaDbServer;
  let gazelle: MariaDbServer;

  before(async () => {
    const t0 = performance.now();
    const one = await startMariaDb({ sqlMode: 'strict' });
    const t1 = performance.now();
    const two = await startMariaDb({ sqlMode: 'gazelle' });
    const t2 = performance.now();
    strict = one;
    gazelle = two;
    console.log(`# mariadb start (install-db + mariadbd + schema): ${(t1 - t0).toFixed(0)} ms, second: ${(t2 - t1).toFixed(0)} ms`);
  });
  after(async () => {
    await Promise.all([strict?.cleanup(), gazelle?.cleanup()]);
  });

  test('global sql_mode is the one asked for', async () => {
    for (const [db, mode] of [
      [strict, SQL_MODES.strict],
      [gazelle, SQL_MODES.gazelle],
    ] as const) {
      const [row] = await withConn(db, (c) => rows(c, 'SELECT @@GLOBAL.sql_mode AS m, @@innodb_flush_log_at_trx_commit AS f'));
      assert.equal(row.m, mode);
      assert.equal(row.f, 1);
      assert.equal(db.database, 'gazelle');
      assert.equal(db.url, `mysql://oncilla:oncilla@127.0.0.1:${db.port}/gazelle`);
    }
  });

  test('the eight tables exist with GazellePW columns', async () => {
    for (const db of [strict, gazelle]) {
      await withConn(db, async (c) => {
        const tables = await rows(
          c,
          `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS coll
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`,
        );
        assert.deepEqual(
          tables.map((r) => r.name),
          ['torrents', 'users_freeleeches', 'users_freetorrents', 'users_main', 'users_torrents', 'xbt_client_whitelist', 'xbt_files_users', 'xbt_snatched'],
        );
        for (const r of tables) {
          assert.equal(r.engine, 'InnoDB');
          assert.match(r.coll, /^utf8mb4_/);
        }

        const counts = await rows(
          c,
          `SELECT TABLE_NAME AS t, COUNT(*) AS n FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME ORDER BY TABLE_NAME`,
        );
        assert.deepEqual(Object.fromEntries(counts.map((r) => [r.t, Number(r.n)])), {
          torrents: 43,
          users_freeleeches: 6,
          users_freetorrents: 6,
          users_main: 34,
          users_torrents: 10,
          xbt_client_whitelist: 3,
          xbt_files_users: 18,
          xbt_snatched: 6,
        });

        // NOT NULL without default (gazellepw-tables.md, "NOT NULL columns with no default, per table").
        const required = await rows(
          c,
          `SELECT TABLE_NAME AS t, GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) AS cols
             FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND IS_NULLABLE = 'NO' AND COLUMN_DEFAULT IS NULL
              AND EXTRA NOT LIKE '%auto_increment%'
            GROUP BY TABLE_NAME ORDER BY TABLE_NAME`,
        );
        assert.deepEqual(Object.fromEntries(required.map((r) => [r.t, r.cols])), {
          torrents:
            'GroupID,RemasterTitle,info_hash,FileCount,FileList,Size,last_action,Time,LastReseedRequest,Checked,' +
            'dead_time,RemasterCustomTitle,Processing,ChineseDubbed,SpecialSub,MediaInfo,Note,SubtitleType,Slot,IsExtraSlot',
          users_main: 'Username,Email,PassHash,LastLogin,LastAccess,IP,Title,PermissionID,torrent_pass',
          users_freeleeches: 'UserID,TorrentID,Time',
          users_freetorrents: 'UserID,TorrentID,Time',
          users_torrents: 'uid,fid',
          xbt_files_users: 'uid,fid,ipv6',
          xbt_snatched: 'tstamp,fid,IP,ipv6',
        });

        const col = async (table: string, column: string) =>
          (
            await rows(
              c,
              `SELECT COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
              [table, column],
            )
          )[0];
        assert.deepEqual({ ...(await col('xbt_files_users', 'ipv6')) }, { type: 'varchar(45)', nullable: 'NO', def: null });
        assert.deepEqual({ ...(await col('users_main', 'IP')) }, { type: 'varchar(45)', nullable: 'NO', def: null });
        assert.deepEqual({ ...(await col('torrents', 'FreeTorrent')) }, { type: "enum('0','1','2','11','12','13')", nullable: 'NO', def: "'0'" });
        assert.deepEqual({ ...(await col('users_main', 'Visible')) }, { type: "enum('1','0')", nullable: 'NO', def: "'1'" });
        assert.deepEqual({ ...(await col('users_main', 'torrent_pass')) }, { type: 'char(32)', nullable: 'NO', def: null });
        assert.deepEqual({ ...(await col('users_torrents', 'end_time')) }, { type: 'timestamp', nullable: 'NO', def: 'current_timestamp()' });
        const peerId = await col('xbt_files_users', 'peer_id');
        assert.equal(peerId.type, 'binary(20)');
        assert.equal(peerId.nullable, 'NO');
      });
    }
  });

  test('strict mode rejects a missing NOT NULL column; gazelle mode only warns', async () => {
    const sql = "INSERT INTO xbt_snatched (uid, tstamp, fid) VALUES (1, 1, 1)"; // no IP, no ipv6
    await withConn(strict, async (c) => {
      await assert.rejects(c.query(sql), (err: { code?: string }) => err.code === 'ER_NO_DEFAULT_FOR_FIELD');
    });
    await withConn(gazelle, async (c) => {
      await c.query(sql);
      const warnings = await rows(c, 'SHOW WARNINGS');
      assert.ok(warnings.some((w) => w.Code === 1364), JSON.stringify(warnings));
      await c.query('DELETE FROM xbt_snatched');
    });
  });

  test('seeding 10,000 users and 10,000 torrents under strict mode', async (t) => {
    const N = 10_000;
    const users: SeedUser[] = Array.from({ length: N }, (_, i) => ({ id: i + 1, passkey: makePasskey(i + 1) }));
    users[1] = { ...users[1], canLeech: false, visible: false, ip: '127.0.0.1', enabled: '2', username: 'bob' };
    const torrents: SeedTorrent[] = Array.from({ length: N }, (_, i) => ({ id: i + 1, infoHash: makeInfoHash(i + 1) }));
    torrents[1] = { ...torrents[1], freeTorrent: '12', snatched: 7 };

    assert.match(makePasskey(1), /^[0-9a-f]{32}$/);
    assert.equal(makePasskey(1), makePasskey(1));
    assert.notEqual(makePasskey(1), makePasskey(2));
    assert.equal(makeInfoHash(1).length, 20);
    assert.ok(makeInfoHash(1).equals(makeInfoHash(1)));

    for (const db of [strict, gazelle]) {
      await withConn(db, async (c) => {
        const started = performance.now();
        await insertUsers(c, users);
        await insertTorrents(c, torrents);
        t.diagnostic(`${db === strict ? 'strict' : 'gazelle'}: seeded ${N} users + ${N} torrents in ${(performance.now() - started).toFixed(0)} ms`);
        await insertWhitelist(c, ['-qB', '-TR']);
        await insertTokens(c, [
          { userId: 1, torrentId: 1 },
          { userId: 1, torrentId: 2, expired: true },
        ]);
        if (db === strict) {
          const warnings = await rows(c, 'SHOW WARNINGS');
          assert.deepEqual(warnings, []);
        }

        const [counts] = await rows(
          c,
          `SELECT (SELECT COUNT(*) FROM users_main WHERE Enabled = '1') AS enabled,
                  (SELECT COUNT(*) FROM torrents) AS torrents,
                  (SELECT COUNT(*) FROM xbt_client_whitelist) AS wl,
                  (SELECT COUNT(*) FROM users_freeleeches WHERE Expired = 0) AS tokens`,
        );
        assert.deepEqual({ ...counts }, { enabled: N - 1, torrents: N, wl: 2, tokens: 1 });

        const [bob] = await rows(c, 'SELECT Username, can_leech, Visible, IP, Enabled, torrent_pass, PermissionID FROM users_main WHERE ID = 2');
        assert.deepEqual({ ...bob }, { Username: 'bob', can_leech: 0, Visible: '0', IP: '127.0.0.1', Enabled: '2', torrent_pass: makePasskey(2), PermissionID: 2 });
        const [tor] = await rows(c, 'SELECT info_hash, FreeTorrent, Snatched FROM torrents WHERE ID = 2');
        assert.ok(Buffer.from(tor.info_hash).equals(makeInfoHash(2)));
        assert.equal(tor.FreeTorrent, '12');
        assert.equal(tor.Snatched, 7);
        const [byHash] = await rows(c, 'SELECT ID FROM torrents WHERE info_hash = ?', [makeInfoHash(9999)]);
        assert.equal(byHash.ID, 9999);
      });
    }
  });

  test('kill -9 and restart keep committed rows (same port, datadir)', async (t) => {
    const { port, pid } = strict;
    await withConn(strict, async (c) => {
      await c.beginTransaction();
      await c.query("INSERT INTO xbt_snatched (uid, tstamp, fid, IP, ipv6) VALUES (1, 100, 1, '10.0.0.1', '')");
      await c.query('UPDATE users_main SET Uploaded = Uploaded + 12345 WHERE ID = 1');
      await c.commit();
      await c.beginTransaction();
      await c.query("INSERT INTO xbt_snatched (uid, tstamp, fid, IP, ipv6) VALUES (2, 200, 2, '10.0.0.2', '')");
      // left uncommitted: must be gone after the crash
      await strict.kill();
      c.destroy();
    }).catch(() => {}); // end() on the dead connection fails
    assert.ok(!isAlive(pid));

    const started = performance.now();
    await strict.restart();
    t.diagnostic(`mariadb restart after kill -9 (crash recovery): ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(strict.port, port);
    assert.notEqual(strict.pid, pid);
    await withConn(strict, async (c) => {
      assert.deepEqual((await rows(c, 'SELECT uid FROM xbt_snatched')).map((r) => r.uid), [1]);
      const [u] = await rows(c, 'SELECT Uploaded FROM users_main WHERE ID = 1');
      assert.equal(Number(u.Uploaded), 12345);
      const [n] = await rows(c, 'SELECT COUNT(*) AS n FROM torrents');
      assert.equal(Number(n.n), 10_000);
    });
  });

  test('pause: a query times out; resume: it answers again', async () => {
    const conn = await gazelle.connect();
    try {
      gazelle.pause();
      await assert.rejects(conn.query({ sql: 'SELECT 1', timeout: 300 }), /timeout/i);
    } finally {
      gazelle.resume();
      conn.destroy();
    }
    const [row] = await withConn(gazelle, (c) => rows(c, 'SELECT 1 AS one'));
    assert.equal(row.one, 1);
  });

  test('stop() and restart() (clean shutdown)', async () => {
    await gazelle.stop();
    assert.equal(gazelle.running, false);
    await gazelle.restart();
    const [n] = await withConn(gazelle, (c) => rows(c, 'SELECT COUNT(*) AS n FROM users_main'));
    assert.equal(Number(n.n), 10_000);
  });
});

describe('nothing is left behind', () => {
  // A child test process starts servers, then dies in two ways.
  const script = `
    import { startRedis, startMariaDb } from '@oncilla/testkit';
    const redis = await startRedis();
    const db = process.argv.includes('with-mariadb') ? await startMariaDb() : undefined;
    console.log(JSON.stringify({ pids: [redis.pid, db?.pid].filter(Boolean), dirs: [redis.dir, db?.dir].filter(Boolean) }));
    if (process.argv.includes('throw')) setTimeout(() => { throw new Error('test failure'); }, 10);
    else setInterval(() => {}, 1000);
  `;

  async function runChild(mode: string): Promise<{ pids: number[]; dirs: string[] }> {
    const child = spawn(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script, ...mode.split(' ')],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.resume();
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const info = JSON.parse(line) as { pids: number[]; dirs: string[] };
    for (const pid of info.pids) assert.ok(isAlive(pid));
    for (const dir of info.dirs) assert.ok(existsSync(dir));
    if (mode.startsWith('sigkill')) child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
    return info;
  }

  test('uncaught exception: exit hook kills servers and removes dirs', async () => {
    const { pids, dirs } = await runChild('throw');
    for (const pid of pids) assert.ok(!isAlive(pid), `pid ${pid} still alive`);
    await eventually('temp dirs removed', () => dirs.every((d) => !existsSync(d)));
  });

  test('SIGKILL of the test process: the watchdog kills servers and removes dirs', async () => {
    const { pids, dirs } = await runChild('sigkill with-mariadb');
    await eventually('servers killed', () => pids.every((p) => !isAlive(p)));
    await eventually('temp dirs removed', () => dirs.every((d) => !existsSync(d)));
  });
});
