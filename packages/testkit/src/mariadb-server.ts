// A throwaway MariaDB server for tests: own datadir in a temp dir, own free port, real
// mariadbd process, the GazellePW tracker tables loaded into a fresh database.

import { readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import { findBinary } from './find-binary.js';
import { ThrowawayServer } from './throwaway-server.js';
import { freePort } from './free-port.js';
import {
  ManagedProcess,
  fileSize,
  isAddressInUse,
  makeTempDir,
  readLogTail,
  removeTempDir,
  waitUntilReady,
} from './process.js';

/** The sql_mode strings behind MariaDbServerOptions.sqlMode. */
export const SQL_MODES = {
  /** MariaDB 10.11's default sql_mode. */
  strict: 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION',
  /** The non-strict mode GazellePW sites run with: a missing NOT NULL value becomes '' / 0 with a warning. */
  gazelle: 'ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION',
} as const;

export type SqlModeName = keyof typeof SQL_MODES;

/** Absolute path of packages/database/sql/gazellepw-tables.sql (the eight tracker tables). */
export const GAZELLEPW_TABLES_SQL = fileURLToPath(new URL('../../database/sql/gazellepw-tables.sql', import.meta.url));

export interface MariaDbServerOptions {
  /** 'strict' (MariaDB's default, the default here) or 'gazelle' (the site's non-strict mode). */
  sqlMode?: SqlModeName;
  /** Database created for the `oncilla` user (default `gazelle`). Letters, digits and _ only. */
  database?: string;
  /** Load gazellepw-tables.sql into the database (default true). */
  loadSchema?: boolean;
  /** How long to wait for the server to accept connections (default 60 s). */
  startTimeoutMs?: number;
  /** Extra `--name=value` options for mariadbd. */
  extraArgs?: string[];
}

export interface MariaDbServer {
  readonly host: string;
  /** Fixed for the life of the server, across restarts. */
  readonly port: number;
  /** `oncilla`, with ALL privileges on `database` (from '%' and 'localhost'). */
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The sql_mode the server runs with (global default for new sessions). */
  readonly sqlMode: string;
  /** `mysql://oncilla:oncilla@127.0.0.1:P/database`. */
  readonly url: string;
  /** Temp dir holding data/, the socket, the pid file and the logs. */
  readonly dir: string;
  readonly dataDir: string;
  readonly socketPath: string;
  /** mariadbd's error log (plus its stdout/stderr). */
  readonly logFile: string;
  /** pid of the current (or last) mariadbd process. */
  readonly pid: number;
  readonly running: boolean;
  readonly paused: boolean;
  /**
   * A new mysql2 connection as `oncilla` to `database`, multipleStatements on.
   * `overrides` may change anything (e.g. `{ user: 'root', password: '' }`).
   */
  connect(overrides?: ConnectionOptions): Promise<Connection>;
  /** SIGTERM and wait for a clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. Committed transactions survive (innodb_flush_log_at_trx_commit=1). */
  kill(): Promise<void>;
  /** Starts again with the same datadir and port (crash recovery runs after kill()); stops first if running. */
  restart(): Promise<void>;
  /** SIGSTOP: connections are accepted by the kernel but nothing is answered. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Kills the server if running (its data is being discarded anyway) and removes the dir. */
  cleanup(): Promise<void>;
}

const MAX_PORT_ATTEMPTS = 5;
const USER = 'oncilla';
const PASSWORD = 'oncilla';
// Unix socket paths are limited to 108 bytes (sun_path).
const MAX_SOCKET_PATH = 100;

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

interface Binaries {
  mariadbd: string;
  installDb: string;
}

function findBinaries(): Binaries {
  const opts = { debianPackage: 'mariadb-server' };
  return {
    mariadbd: findBinary('mariadbd', { ...opts, envVar: 'ONCILLA_MARIADBD' }),
    installDb: findBinary('mariadb-install-db', { ...opts, envVar: 'ONCILLA_MARIADB_INSTALL_DB' }),
  };
}

// Options shared by mariadb-install-db (which passes them on to its bootstrap mariadbd) and
// mariadbd, so the redo log is created at its final size and never resized.
const INNODB_SIZE_ARGS = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M'];

async function installDataDir(bin: string, dataDir: string, logFile: string, timeoutMs: number): Promise<void> {
  const args = [
    '--no-defaults', // must come first
    `--datadir=${dataDir}`,
    '--auth-root-authentication-method=normal', // root@localhost/127.0.0.1/::1 without password
    '--skip-test-db',
    '--skip-name-resolve',
    ...(isRoot() ? ['--user=root'] : []),
    ...INNODB_SIZE_ARGS,
  ];
  const logOffset = fileSize(logFile);
  const proc = await ManagedProcess.spawn('mariadb-install-db', bin, args, { logFile });
  const status = await proc.waitExit(timeoutMs);
  if (!status) {
    await proc.kill();
    throw new Error(`mariadb-install-db did not finish within ${timeoutMs} ms; log ${logFile}:\n${readLogTail(logFile, logOffset)}`);
  }
  if (status.code !== 0) {
    throw new Error(
      `mariadb-install-db failed (code ${status.code}, signal ${status.signal}); log ${logFile}:\n${readLogTail(logFile, logOffset)}`,
    );
  }
}

// mariadb-install-db takes most of a start (~0.6 s). It runs once per test process into a
// pristine datadir that every server then copies (~0.1 s for the 34 MB).
let pristineDataDir: Promise<string> | undefined;

function getPristineDataDir(bin: string, timeoutMs: number): Promise<string> {
  if (!pristineDataDir) {
    pristineDataDir = (async () => {
      const dir = makeTempDir('oncilla-mariadb-pristine-');
      try {
        await installDataDir(bin, join(dir, 'data'), join(dir, 'install.log'), timeoutMs);
      } catch (err) {
        removeTempDir(dir);
        throw err;
      }
      return join(dir, 'data');
    })();
    pristineDataDir.catch(() => {
      pristineDataDir = undefined; // let a later start try again
    });
  }
  return pristineDataDir;
}

class MariaDbServerImpl extends ThrowawayServer implements MariaDbServer {
  readonly user = USER;
  readonly password = PASSWORD;
  protected readonly processName = 'mariadbd';

  constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly socketPath: string,
    private readonly socketDir: string | undefined,
    readonly port: number,
    readonly database: string,
    readonly sqlMode: string,
    private readonly options: MariaDbServerOptions,
  ) {
    super();
  }

  protected override extraDirs(): string[] {
    return this.socketDir ? [this.socketDir] : [];
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get logFile(): string {
    return join(this.dir, 'mariadbd.log');
  }

  get url(): string {
    return `mysql://${this.user}:${this.password}@${this.host}:${this.port}/${this.database}`;
  }




  connect(overrides: ConnectionOptions = {}): Promise<Connection> {
    return createConnection({
      host: this.host,
      port: this.port,
      user: this.user,
      password: this.password,
      database: this.database,
      multipleStatements: true,
      ...overrides,
    });
  }

  /** Spawns mariadbd and waits until root can connect. Throws ProcessExitedError if it exits (e.g. EADDRINUSE). */
  async launch(): Promise<void> {
    if (this.cleanedUp) throw new Error('mariadbd was cleaned up');
    const args = [
      '--no-defaults', // must come first: ignore /etc/mysql/*.cnf
      `--datadir=${this.dataDir}`,
      `--socket=${this.socketPath}`,
      `--port=${this.port}`,
      `--bind-address=${this.host}`,
      ...(isRoot() ? ['--user=root'] : []),
      '--skip-name-resolve',
      ...INNODB_SIZE_ARGS,
      '--skip-log-bin',
      `--pid-file=${join(this.dir, 'mariadbd.pid')}`,
      `--log-error=${this.logFile}`,
      `--tmpdir=${this.dir}`,
      `--sql-mode=${this.sqlMode}`,
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      '--max-connections=500',
      // Smaller/faster, without weakening what a SIGKILL may lose: innodb_flush_log_at_trx_commit
      // stays 1 (every commit is fsync'd); the doublewrite buffer only protects against torn pages
      // on power loss, which a killed process cannot cause.
      '--innodb-doublewrite=0',
      // fsync instead of O_DIRECT: works on tmpfs too. No native AIO: many parallel instances
      // would otherwise exhaust fs.aio-max-nr.
      '--innodb-flush-method=fsync',
      '--innodb-use-native-aio=0',
      '--innodb-buffer-pool-dump-at-shutdown=0',
      '--innodb-buffer-pool-load-at-startup=0',
      ...(this.options.extraArgs ?? []),
    ];
    const logOffset = fileSize(this.logFile);
    const proc = await ManagedProcess.spawn('mariadbd', this.bin, args, { logFile: this.logFile, cwd: this.dir });
    this.proc = proc;
    try {
      await waitUntilReady(
        proc,
        async () => {
          const conn = await createConnection({
            host: this.host,
            port: this.port,
            user: 'root',
            password: '',
            connectTimeout: 2000,
          });
          conn.destroy();
          return true;
        },
        { timeoutMs: this.options.startTimeoutMs ?? 60_000, logFile: this.logFile, logOffset },
      );
    } catch (err) {
      await proc.kill();
      throw err;
    }
  }

  /** Creates the database and the `oncilla` user, and loads the schema. First start only. */
  async setUp(loadSchema: boolean): Promise<void> {
    const db = this.database;
    const root = await this.connect({ user: 'root', password: '', database: undefined });
    try {
      await root.query(
        `CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
         CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY '${PASSWORD}';
         CREATE USER IF NOT EXISTS '${USER}'@'localhost' IDENTIFIED BY '${PASSWORD}';
         GRANT ALL PRIVILEGES ON \`${db}\`.* TO '${USER}'@'%';
         GRANT ALL PRIVILEGES ON \`${db}\`.* TO '${USER}'@'localhost';`,
      );
    } finally {
      await root.end();
    }
    if (!loadSchema) return;
    const conn = await this.connect();
    try {
      await conn.query(readFileSync(GAZELLEPW_TABLES_SQL, 'utf8'));
    } finally {
      await conn.end();
    }
  }






}

/**
 * Starts a throwaway MariaDB on a free 127.0.0.1 port with a fresh datadir in a temp dir
 * (prefix `oncilla-mariadb-`), creates `database` and the `oncilla`/`oncilla` user, and loads
 * the GazellePW tracker tables.
 */
export async function startMariaDb(options: MariaDbServerOptions = {}): Promise<MariaDbServer> {
  const bins = findBinaries();
  const database = options.database ?? 'gazelle';
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) throw new Error(`invalid database name ${JSON.stringify(database)}`);
  const sqlMode = SQL_MODES[options.sqlMode ?? 'strict'];
  if (sqlMode === undefined) throw new Error(`unknown sqlMode ${String(options.sqlMode)}`);

  const dir = makeTempDir('oncilla-mariadb-');
  let socketDir: string | undefined;
  let socketPath = join(dir, 'mariadbd.sock');
  if (socketPath.length > MAX_SOCKET_PATH) {
    // os.tmpdir() is too deep for a unix socket path: put the socket in a short dir under /tmp.
    socketDir = makeTempDir('oncilla-sock-', '/tmp');
    socketPath = join(socketDir, 's');
  }
  try {
    const pristine = await getPristineDataDir(bins.installDb, options.startTimeoutMs ?? 60_000);
    await cp(pristine, join(dir, 'data'), { recursive: true });
    for (let attempt = 1; ; attempt++) {
      const server = new MariaDbServerImpl(bins.mariadbd, dir, socketPath, socketDir, await freePort(), database, sqlMode, options);
      try {
        await server.launch();
      } catch (err) {
        if (attempt < MAX_PORT_ATTEMPTS && isAddressInUse(err)) continue;
        throw err;
      }
      try {
        await server.setUp(options.loadSchema ?? true);
      } catch (err) {
        await server.kill();
        throw err;
      }
      return server;
    }
  } catch (err) {
    removeTempDir(dir);
    if (socketDir) removeTempDir(socketDir);
    throw err;
  }
}
