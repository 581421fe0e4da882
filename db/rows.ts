import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/**
 * Plain SQL for the paths that run on every message (ingest, the outbox), next to TypeORM for the
 * rest. TypeORM builds each query afresh from find options and hydrates rows through its entity
 * machinery, which cost more CPU per message than the database did (issue 13). These helpers take
 * their table and column names from the same entity metadata, so the entities and the migrations
 * stay the one schema source of truth; values are always bound parameters, written `?` here and
 * turned into the driver's own placeholders ($1 on PostgreSQL, @0 on SQL Server).
 */

export type Dialect = 'sqlite' | 'postgres' | 'mssql';

const nativeSql = new Map<string, string>();

/** `?` placeholders as the driver wants them. The SQL handed here never holds a literal `?`. */
export function native(dialect: Dialect, sql: string): string {
  if (dialect === 'sqlite') return sql;
  const key = `${dialect}\u0000${sql}`;
  let converted = nativeSql.get(key);
  if (converted === undefined) {
    let n = 0;
    converted = sql.replace(/\?/g, () => (dialect === 'postgres' ? `$${++n}` : `@${n++}`));
    nativeSql.set(key, converted);
  }
  return converted;
}

export function dialectOf(tx: EntityManager): Dialect {
  const type = tx.connection.options.type;
  return type === 'better-sqlite3' ? 'sqlite' : type === 'postgres' ? 'postgres' : 'mssql';
}

/** SQL that joins strings: `||`, or `+` on SQL Server. */
export function concat(tx: EntityManager, ...parts: string[]): string {
  return parts.join(dialectOf(tx) === 'mssql' ? ' + ' : ' || ');
}

/** A value as the driver binds it: better-sqlite3 takes no booleans. */
function bindable(dialect: Dialect, value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean' && dialect === 'sqlite') return value ? 1 : 0;
  return value;
}

interface Table { name: string; columns: { property: string; column: ColumnMetadata }[]; selects: Map<string, string>; insert?: string }

const tables = new WeakMap<object, Table>();

function tableOf(tx: EntityManager, entity: EntityTarget<ObjectLiteral>): Table {
  const metadata = tx.connection.getMetadata(entity);
  let table = tables.get(metadata);
  if (!table) {
    table = { name: metadata.tableName, columns: metadata.columns.map((column) => ({ property: column.propertyName, column })), selects: new Map() };
    tables.set(metadata, table);
  }
  return table;
}

/** A column's value as read back: BIGINT times as numbers on every database, booleans as booleans. */
function readValue(column: ColumnMetadata, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (column.type === Boolean || column.type === 'boolean') return value === true || value === 1 || value === '1';
  const transformer = column.transformer;
  if (transformer && !Array.isArray(transformer)) return transformer.from(value);
  return value;
}

/** Runs one statement with `?` parameters; returns the rows a SELECT gives (raw). */
export async function sql(tx: EntityManager, text: string, parameters: unknown[] = []): Promise<ObjectLiteral[]> {
  const dialect = dialectOf(tx);
  const result = await tx.query(native(dialect, text), parameters.map((p) => bindable(dialect, p)));
  return Array.isArray(result) ? result : [];
}

/** Runs an UPDATE or DELETE with `?` parameters; returns the number of rows it changed. */
export async function change(tx: EntityManager, text: string, parameters: unknown[]): Promise<number> {
  const dialect = dialectOf(tx);
  const runner = tx.queryRunner ?? tx.connection.createQueryRunner();
  try {
    const result = await runner.query(native(dialect, text), parameters.map((p) => bindable(dialect, p)), true);
    return (result as { affected?: number }).affected ?? 0;
  } finally {
    if (!tx.queryRunner) await runner.release();
  }
}

/** Inserts one row of an entity, every column named, nothing read back. */
export async function insertRow<T extends ObjectLiteral>(tx: EntityManager, entity: EntityTarget<T>, row: T): Promise<void> {
  const table = tableOf(tx, entity);
  table.insert ??= `INSERT INTO "${table.name}" (${table.columns.map((c) => `"${c.column.databaseName}"`).join(', ')}) VALUES (${table.columns.map(() => '?').join(', ')})`;
  await sql(tx, table.insert, table.columns.map((c) => row[c.property]));
}

/** The column list to select an entity's row under `alias`, each column named `<prefix><property>`. */
export function columnsOf(tx: EntityManager, entity: EntityTarget<ObjectLiteral>, alias: string, prefix: string): string {
  const table = tableOf(tx, entity);
  const key = `${alias}\u0000${prefix}`;
  let list = table.selects.get(key);
  if (list === undefined) {
    list = table.columns.map((c) => `${alias}."${c.column.databaseName}" AS "${prefix}${c.property}"`).join(', ');
    table.selects.set(key, list);
  }
  return list;
}

/** The entity's row out of a raw result selected with columnsOf, or undefined when its id is null (an outer join found none). */
export function rowOf<T extends ObjectLiteral>(tx: EntityManager, entity: EntityTarget<T>, raw: ObjectLiteral, prefix: string): T | undefined {
  const table = tableOf(tx, entity);
  if (raw[`${prefix}id`] === null || raw[`${prefix}id`] === undefined) return undefined;
  const row: Record<string, unknown> = {};
  for (const { property, column } of table.columns) row[property] = readValue(column, raw[`${prefix}${property}`]);
  return row as T;
}
