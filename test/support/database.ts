import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Database } from '../../db/database';
import { migrations } from '../../db/migrations';

/** Which database the integration suite runs against: set by test/run-suites.js. */
export const TEST_DIALECT = (process.env.TEST_DATABASE ?? 'sqlite') as 'sqlite' | 'postgres';
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface ScratchDatabase {
  url: string;
  /** The SQLite file, for tests that read the bytes on disk. */
  file?: string;
  drop(): Promise<void>;
}

/**
 * A new database for one app instance: a temp SQLite file, or a throwaway PostgreSQL database.
 * Empty by default; with `migrated`, on PostgreSQL it is copied from a template that already has
 * every migration (about 0.6 s saved per database: the suite makes hundreds). The app's own start
 * still runs its migrations, and finds nothing to do.
 */
export async function scratchDatabase(options: { migrated?: boolean } = {}): Promise<ScratchDatabase> {
  if (TEST_DIALECT === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'lamplight-test-'));
    const file = join(dir, 'lamplight.sqlite');
    return { url: `sqlite:${file}`, file, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `lamplight_t_${randomBytes(6).toString('hex')}`;
  const template = options.migrated ? await migratedTemplate() : undefined;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let template: Promise<string> | undefined;

/**
 * A PostgreSQL database with every migration applied, named after the migrations' code (so a new
 * or edited migration makes a new one), built once and kept for later runs. Built under a temporary name
 * and renamed when complete, so a run stopped half way never leaves a half-built template.
 */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `lamplight_tpl_${createHash('sha256').update(migrations.map((m) => m.toString()).join('\n')).digest('hex').slice(0, 16)}`;
    const exists = await withAdmin(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
    if (exists) return name;
    const building = `${name}_b${randomBytes(4).toString('hex')}`;
    await withAdmin((c) => c.query(`CREATE DATABASE ${building}`));
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${building}`;
    const db = await Database.open(url.toString());
    try {
      await db.migrate();
    } finally {
      await db.close();
    }
    await withAdmin(async (c) => {
      try {
        await c.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      } catch {
        // Another run built it meanwhile: use theirs.
        await c.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      }
    });
    return name;
  })();
  return template;
}
