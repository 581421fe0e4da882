import { parseArgs } from 'node:util';
import { verifyAuditChain } from '../db/audit-chain';
import { Database } from '../db/database';
import { ServiceMembership, StaffMember } from '../db/entities';
import { loadConfig, ServiceDirectory } from './config/services';
import { configPathFrom, databaseUrlFrom } from './config/settings';
import { addStaff, checkStaffInput, ROLES } from './config/staff';
import { triageEval, triageJsonl, triageTrain } from '../triage/cli';

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
  triage-eval FILE.jsonl [--rules-only]
                                triage figures for a labelled file ({"id","text","label"[,"alt","class"]}
                                lines): by class, a confusion table, the second opinion alone
  triage-train                  train the second opinion from triage/model/corpus.jsonl
  audit verify [--anchor SEQ:HASH]
                                check the audit trail's hash chain: exit 0 when intact (prints the
                                head to keep elsewhere), 3 naming the first broken row; --anchor
                                also checks a head printed earlier is still in the chain
`;

/** A broken audit chain, told apart from a command that could not run (1) or was misused (2). */
const AUDIT_CHAIN_BROKEN = 3;

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
  if (command === 'triage-eval' && sub) return triageEval(sub, process.stdout, { rulesOnly: argv.includes('--rules-only') });
  if (command === 'triage-train') return triageTrain(process.stdout);
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
    // The same rules as an admin adding someone in the tab (bot/config/staff.ts), checked before the database is opened.
    const input = checkStaffInput(values, directory);
    const result = await withDatabase(async (db) => {
      await db.migrate();
      return addStaff(db, directory, input);
    });
    out(`${result.created ? 'added' : 'updated'} ${values.email!.toLowerCase()} as ${values.role} in ${values.service} (staff id ${result.staffId})`);
    return 0;
  }
  if (command === 'audit' && sub === 'verify') {
    const { values } = parseArgs({ args: argv.slice(2), options: { anchor: { type: 'string' } }, strict: true });
    const anchorMatch = values.anchor === undefined ? undefined : /^(\d{1,15}):([0-9a-f]{64})$/.exec(values.anchor);
    if (anchorMatch === null) throw new Error(`--anchor takes SEQ:HASH as audit verify printed it\n\n${USAGE}`);
    const anchor = anchorMatch ? { seq: Number(anchorMatch[1]), hash: anchorMatch[2] } : undefined;
    const verdict = await withDatabase(async (db) => {
      if (await db.dataSource.showMigrations()) throw new Error('the database has migrations to apply: run `npm run cli -- migrate` first');
      return verifyAuditChain(db.manager, { anchor });
    });
    if (verdict.intact) {
      out(`ok: ${verdict.count} audit events, chain intact; head seq ${verdict.head.seq} hash ${verdict.head.hash}`);
      return 0;
    }
    const { seq, id, problem } = verdict.broken;
    process.stderr.write(`audit chain broken at seq ${seq}${id ? ` (id ${id})` : ''}: ${problem}. ${verdict.count} events before it verify.\n`);
    return AUDIT_CHAIN_BROKEN;
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
