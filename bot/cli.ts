import { parseArgs } from 'node:util';
import { Database } from '../db/database';
import { ServiceMembership, StaffMember } from '../db/entities';
import { loadConfig, ServiceDirectory } from './config';
import { configPathFrom, databaseUrlFrom } from './settings';
import { addStaff, ROLES } from './staff';
import { triageEval, triageJsonl } from '../triage/cli';

/**
 * Operator commands: `npm run cli -- <command>`. Results go to stdout, problems to stderr with a
 * non-zero exit, so the commands compose in scripts.
 */
const USAGE = `Usage: npm run cli -- <command>

  migrate                       apply database migrations (DATABASE_URL)
  config check                  validate the services config (LAMPLIGHT_CONFIG)
  staff add --email E --name N --role ${ROLES.join('|')} --service SLUG
  staff list                    staff and their service memberships
  triage --jsonl                JSON lines {"id","text"} on stdin -> {"id","level","reasons"} on stdout
  triage-eval FILE.jsonl        triage figures for a labelled file ({"id","text","label"[,"alt"]} lines)
`;

async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.open(databaseUrlFrom());
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

async function run(argv: string[]): Promise<number> {
  const [command, sub] = argv;
  const out = (line: string) => process.stdout.write(line + '\n');
  if (command === 'triage' && sub === '--jsonl') return triageJsonl(process.stdin, process.stdout, process.stderr);
  if (command === 'triage-eval' && sub) return triageEval(sub, process.stdout);
  if (command === 'migrate') {
    const applied = await withDatabase((db) => db.migrate());
    out(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
    return 0;
  }
  if (command === 'config' && sub === 'check') {
    const config = loadConfig(configPathFrom());
    out(`ok: ${config.services.length} services (${config.services.map((s) => s.slug).join(', ')})`);
    return 0;
  }
  if (command === 'staff' && sub === 'add') {
    const { values } = parseArgs({ args: argv.slice(2), options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, service: { type: 'string' } }, strict: true });
    const missing = ['email', 'name', 'role', 'service'].filter((k) => !values[k as keyof typeof values]);
    if (missing.length) throw new Error(`missing ${missing.map((m) => `--${m}`).join(', ')}\n\n${USAGE}`);
    const directory = new ServiceDirectory(loadConfig(configPathFrom()));
    const result = await withDatabase(async (db) => {
      await db.migrate();
      return addStaff(db, directory, values as { email: string; name: string; role: string; service: string });
    });
    out(`${result.created ? 'added' : 'updated'} ${values.email!.toLowerCase()} as ${values.role} in ${values.service} (staff id ${result.staffId})`);
    return 0;
  }
  if (command === 'staff' && sub === 'list') {
    await withDatabase(async (db) => {
      const staff = await db.manager.find(StaffMember, { order: { email: 'ASC' } });
      const memberships = await db.manager.find(ServiceMembership);
      for (const s of staff) {
        const roles = memberships.filter((m) => m.staffId === s.id).map((m) => `${m.serviceSlug}:${m.role}`);
        out(`${s.email}\t${s.name}\t${roles.join(' ')}`);
      }
    });
    return 0;
  }
  process.stderr.write(USAGE);
  return command ? 2 : 0;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
