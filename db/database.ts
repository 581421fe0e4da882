import 'reflect-metadata';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, DataSourceOptions, EntityManager, ObjectLiteral } from 'typeorm';
import { appendingAuditRows } from './audit-chain';
import { countingMessages } from './report-hours';
import { entities } from './entities';
import { migrations } from './migrations';

export type Dialect = 'sqlite' | 'postgres' | 'mssql';

/**
 * Bounds on PostgreSQL work (issue 16): a transaction left idle for 60 s is ended by the server
 * (a request whose process stalled mid-transaction cannot hold its locks for ever), and a request
 * waits at most 5 s for a pooled connection. Statements themselves are not cut short: Twilio does
 * not send a webhook again by default, so a text whose commit is merely slow must still be stored
 * and escalated when it lands, even after Twilio has stopped waiting, rather than be rolled back
 * and lost. Migrations and operator commands open without the idle bound
 * (`Database.open(url, { requestTimeouts: false })`; `migrate()` runs on its own connection).
 */
export const POSTGRES_REQUEST_TIMEOUTS = { statement_timeout: 0, idle_in_transaction_session_timeout: 60_000 };
const NO_REQUEST_TIMEOUTS = { statement_timeout: 0, idle_in_transaction_session_timeout: 0 };

export function describeDatabaseUrl(url: string): { dialect: Dialect; options: DataSourceOptions } {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length) || './data/lamplight.sqlite';
    const database = file === ':memory:' ? file : resolve(file);
    return {
      dialect: 'sqlite',
      options: {
        type: 'better-sqlite3',
        database,
        // WAL lets readers (health checks, the API) run while the gateway commits; busy_timeout
        // covers a second process such as the CLI writing at the same moment. synchronous=FULL:
        // better-sqlite3 is built with WAL's default at NORMAL, where a commit survives the process
        // dying but not the power or the OS failing; a webhook is acknowledged only after its
        // commit, so the commit must be on disk. Group commit (Database.transaction) pays one fsync
        // for every transaction that arrived while the last one was committing.
        prepareDatabase: (db: { pragma(sql: string): unknown }) => {
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = FULL');
          db.pragma('busy_timeout = 5000');
          db.pragma('foreign_keys = ON');
          // 64 MiB of page cache rather than SQLite's 2 MiB: the inbox's lists and counts read the
          // same index pages on every call (measured at scale: the open queue 115 -> 80 ms at 256 MiB).
          db.pragma('cache_size = -65536');
        },
      },
    };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return { dialect: 'postgres', options: { type: 'postgres', url, extra: { max: 10, connectionTimeoutMillis: 5000, ...POSTGRES_REQUEST_TIMEOUTS } } };
  }
  if (url.startsWith('mssql://') || url.startsWith('sqlserver://')) {
    const parsed = new URL(url);
    return {
      dialect: 'mssql',
      options: {
        type: 'mssql',
        host: parsed.hostname,
        port: parsed.port ? Number(parsed.port) : 1433,
        username: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
        database: parsed.pathname.replace(/^\//, ''),
        options: {
          encrypt: parsed.searchParams.get('encrypt') !== 'false',
          trustServerCertificate: parsed.searchParams.get('trustServerCertificate') === 'true',
        },
      },
    };
  }
  throw new Error(`DATABASE_URL must start with sqlite:, postgres:// or mssql:// (got a value starting "${url.slice(0, 10)}")`);
}

/**
 * The embedded database holds sealed message bodies, but also who wrote when: only the service's
 * own account may read it. A folder Lamplight creates (or its default ./data) is 700, the file 600.
 */
function keepPrivate(file: string): void {
  const folder = dirname(file);
  if (!existsSync(folder) || folder === resolve('data')) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    chmodSync(folder, 0o700);
  }
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

/** A unit of work waiting for the next SQLite commit. */
interface Pending { work: (tx: EntityManager) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void }

/** At most this many units of work share one SQLite commit. */
const MAX_GROUP = 64;

export class Database {
  private readonly pending: Pending[] = [];
  private draining: Promise<void> | undefined;
  /** SQLite commits made, and units of work committed by them (group commit at work: more units than commits). */
  readonly commits = { commits: 0, units: 0 };

  private constructor(readonly dataSource: DataSource, readonly dialect: Dialect, private readonly url: string) {}

  /** `requestTimeouts: false` for operator commands (PostgreSQL; see POSTGRES_REQUEST_TIMEOUTS); a custom bound for tests. */
  static async open(url: string, open: { requestTimeouts?: boolean | Partial<typeof POSTGRES_REQUEST_TIMEOUTS> } = {}): Promise<Database> {
    const described = describeDatabaseUrl(url);
    const { dialect } = described;
    let { options } = described;
    if (options.type === 'postgres' && open.requestTimeouts !== undefined && open.requestTimeouts !== true) {
      options = { ...options, extra: { ...options.extra, ...(open.requestTimeouts === false ? NO_REQUEST_TIMEOUTS : open.requestTimeouts) } };
    }
    const sqliteFile = options.type === 'better-sqlite3' && options.database !== ':memory:' ? (options.database as string) : undefined;
    if (sqliteFile) keepPrivate(sqliteFile);
    const dataSource = new DataSource({ ...options, entities, migrations, synchronize: false, logging: false });
    await dataSource.initialize();
    if (dialect === 'mssql') sqlServerForeignKeys(dataSource);
    if (dialect === 'sqlite') bindNumbers(dataSource);
    // SQLite gives its -wal and -shm files the database file's mode; set it again in case they predate it.
    if (sqliteFile) for (const file of [`${sqliteFile}-wal`, `${sqliteFile}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    return new Database(dataSource, dialect, url);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * Applies pending migrations. On PostgreSQL on a connection of its own, without request timeouts
   * (a migration may rewrite a large table), and under a session advisory lock: instances started
   * together take turns, and the later ones find nothing left to apply.
   */
  async migrate(): Promise<string[]> {
    if (this.dialect !== 'postgres') return (await this.dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
    const unbounded = await Database.open(this.url, { requestTimeouts: false });
    const lock = unbounded.dataSource.createQueryRunner();
    try {
      await lock.connect();
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', ['lamplight:migrate']);
      try {
        return (await unbounded.dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
      } finally {
        await lock.query('SELECT pg_advisory_unlock(hashtext($1))', ['lamplight:migrate']);
      }
    } finally {
      await lock.release();
      await unbounded.close();
    }
  }

  /**
   * One unit of work, with the audit rows it records appended at its end; it resolves only once
   * its commit is durable.
   *
   * On PostgreSQL (and SQL Server) each unit is its own transaction on the pool, and the server
   * already groups the WAL flushes of concurrent commits.
   *
   * On SQLite, TypeORM shares one connection, where concurrent transactions would silently nest;
   * and with synchronous=FULL each commit is an fsync that blocks the event loop (better-sqlite3
   * is synchronous). So units are committed in groups: the units that arrive while a commit is
   * running are gathered (no fixed wait) and run one after another in one transaction, each in
   * its own savepoint. A unit that fails is rolled back to its savepoint and fails alone; the
   * others commit. Every unit's promise settles after the group's commit, never before.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    // A unit's message counts for reports, then its audit rows, are written at its end.
    const withAudit = (tx: EntityManager) => appendingAuditRows(tx, (inner) => countingMessages(inner, work));
    if (this.dialect !== 'sqlite') return this.dataSource.transaction(withAudit);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work: withAudit, resolve: resolve as (value: unknown) => void, reject });
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = (async () => {
      while (this.pending.length) {
        // better-sqlite3 is synchronous: a unit's queries resolve as microtasks, so without a turn of
        // the event loop here no other webhook is ever parsed while a group forms, and every
        // message pays its own fsync. One turn lets what has arrived on the sockets join.
        await new Promise((resolve) => setImmediate(resolve));
        await this.commitGroup(this.pending.splice(0, MAX_GROUP));
      }
    })().finally(() => {
      this.draining = undefined;
      if (this.pending.length) this.drain();
    });
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      if (group.length === 1) {
        // Alone: no savepoint needed; its failure is the transaction's.
        try {
          outcomes.push({ ok: true, value: await this.dataSource.transaction(group[0].work) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      } else {
        await this.dataSource.transaction(async (tx) => {
          for (const [i, unit] of group.entries()) {
            await tx.query(`SAVEPOINT lamplight_unit_${i}`);
            try {
              const value = await unit.work(tx);
              await tx.query(`RELEASE lamplight_unit_${i}`);
              outcomes.push({ ok: true, value });
            } catch (error) {
              await tx.query(`ROLLBACK TO lamplight_unit_${i}`);
              await tx.query(`RELEASE lamplight_unit_${i}`);
              outcomes.push({ ok: false, error });
            }
          }
        });
      }
      const committed = outcomes.filter((o) => o.ok).length;
      if (committed) {
        this.commits.commits++;
        this.commits.units += committed;
      }
    } catch (error) {
      // The group's commit itself failed (disk full, I/O): nothing in it is stored.
      for (const unit of group) unit.reject(error);
      return;
    }
    group.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }

  /**
   * Runs `work` in a transaction and, if it lost a race on a unique key (two webhooks for the same
   * new contact, a retried provider message), runs it once more: the second run sees the winner's
   * row. Likewise if a row it refers to went meanwhile (a foreign key: retention or erasure deleted
   * the contact it had found): the second run no longer finds it and makes a new one.
   */
  async transactionRetryingConflicts<T>(work: (manager: EntityManager) => Promise<T>, attempts = 3): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transaction(work);
      } catch (error) {
        if (attempt >= attempts || !(isUniqueViolation(error) || isForeignKeyViolation(error))) throw error;
      }
    }
  }

  /**
   * Runs `work` unless another process is running the job of that name (PostgreSQL: a session
   * advisory lock, held on a connection of its own for as long as the work runs; a process that
   * dies lets it go with its connection). Undefined when another has it. SQLite is one writer at a
   * time already, and the jobs re-read what they act on inside each transaction; SQL Server: not
   * yet (sp_getapplock would be its equivalent).
   */
  async exclusively<T>(job: string, work: () => Promise<T>): Promise<T | undefined> {
    if (this.dialect !== 'postgres') return work();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`lamplight:${job}`]);
      if (!locked) return undefined;
      try {
        return await work();
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`lamplight:${job}`]);
      }
    } finally {
      await runner.release();
    }
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * SQL Server refuses a foreign key that would let one delete reach a table by two paths of
 * cascading actions, and its check is conservative: it counts SET NULL as a path and does not ask
 * whether the rows it sets are then deleted. Deleting a staff member reaches message, note and
 * escalation directly (their author and acknowledger keys, SET NULL) and, on that reading, again
 * through conversation.assignedStaffId (SET NULL) and the conversation's cascades. So on SQL Server
 * that one key is NO ACTION, as the ForeignKeys migration creates it there: a staff member still
 * assigned a conversation cannot be deleted until it is handed to someone or unassigned. (No SQL
 * Server runs here: this follows its documented rule, not a test.) The entities say SET NULL; this
 * makes TypeORM's view of the schema match the database on SQL Server too.
 */
function sqlServerForeignKeys(dataSource: DataSource): void {
  for (const metadata of dataSource.entityMetadatas) {
    for (const foreignKey of metadata.foreignKeys) if (foreignKey.name === 'fk_conversation_assigned_staff') foreignKey.onDelete = 'NO ACTION';
  }
}

/**
 * TypeORM's SQLite drivers write every number parameter into the SQL text ("... VALUES (?, ?,
 * 1764000000123)"), so each insert or update with a timestamp is new SQL to prepare, and
 * better-sqlite3's statement cache never hits. Whole numbers are handed on as BigInt instead, which
 * TypeORM binds as a parameter and better-sqlite3 binds as a 64-bit INTEGER (what the columns hold).
 */
function bindNumbers(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { escapeQueryWithParameters(sql: string, parameters: ObjectLiteral, nativeParameters: ObjectLiteral): [string, unknown[]] };
  const escape = driver.escapeQueryWithParameters.bind(driver);
  driver.escapeQueryWithParameters = (sql, parameters, nativeParameters) => {
    if (!parameters) return escape(sql, parameters, nativeParameters);
    const bound: ObjectLiteral = {};
    for (const key of Object.keys(parameters)) {
      const value = parameters[key];
      bound[key] = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
    }
    return escape(sql, bound, nativeParameters);
  };
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; number?: number; driverError?: { code?: string; number?: number }; message?: string };
  const code = e?.driverError?.code ?? e?.code;
  const num = e?.driverError?.number ?? e?.number;
  return (
    code === '23505' || // PostgreSQL unique_violation
    code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    num === 2627 || num === 2601 // SQL Server duplicate key
  );
}

/** A row referred to by a foreign key is not there (PostgreSQL 23503, SQLite FOREIGNKEY, SQL Server 547). */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string; number?: number; driverError?: { code?: string; number?: number } };
  const code = e?.driverError?.code ?? e?.code;
  const num = e?.driverError?.number ?? e?.number;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || num === 547;
}
