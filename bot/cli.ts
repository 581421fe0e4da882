import { parseArgs } from 'node:util';
import { verifyAuditChain } from '../db/audit-chain';
import { Database } from '../db/database';
import { ServiceMembership, StaffMember } from '../db/entities';
import { loadConfig, ServiceDirectory } from './config/services';
import { configPathFrom, databaseUrlFrom, keyringFrom } from './config/settings';
import { resolve } from 'node:path';
import { rebuildReportFigures } from '../db/report-hours';
import { contactLookupHash } from '../db/sealed-fields';
import { Contact } from '../db/entities';
import { LegalHolds } from './governance/records';
import { Retention } from './governance/retention';
import { SubjectAccess, subjectAddresses } from './governance/subject';
import { ClinicianConversations } from './inbox/conversations';
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
  reports rebuild               work every report figure out again from the records
  retention run [--dry-run] [--by NAME]
                                delete the records whose retention has passed (each service's rule
                                in the config), web chat buffers, and the audit trail's old end;
                                --dry-run counts without deleting. Progress on stderr, audited
  hold place (--conversation ID | --contact ID | --phone N) --reason R --by NAME
  hold release --id HOLD --reason R --by NAME
  hold list [--all]             legal holds: nothing held is deleted by retention or erasure
  subject export (--phone N | --whatsapp ID | --webchat ID) --out DIR --by NAME
                                everything held about one person, across services, as one folder in
                                DIR: subject.json, a PDF transcript per conversation, README.txt
  subject erase (--phone N | --whatsapp ID | --webchat ID) --reason R --by NAME
                [--within-retention] [--dry-run]
                                erase what may be: never what a legal hold keeps; what retention
                                still keeps only with --within-retention (the governance lead's
                                decision). Audited with the reason
`;

/** A broken audit chain, told apart from a command that could not run (1) or was misused (2). */
const AUDIT_CHAIN_BROKEN = 3;

async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  // Operator commands are not requests: no request timeouts on PostgreSQL (a rebuild or a big retention run may take longer).
  const db = await Database.open(databaseUrlFrom(), { requestTimeouts: false });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** Governance commands refuse a database behind the code, rather than migrating it themselves. */
async function requireMigrated(db: Database): Promise<void> {
  if (await db.dataSource.showMigrations()) throw new Error('the database has migrations to apply: run `npm run cli -- migrate` first');
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
  if (command === 'reports' && sub === 'rebuild') {
    await withDatabase(async (db) => {
      await requireMigrated(db);
      await db.transaction((tx) => rebuildReportFigures(tx));
    });
    out('report figures worked out again from the records');
    return 0;
  }
  if (command === 'retention' && sub === 'run') {
    const { values } = parseArgs({ args: argv.slice(2), options: { 'dry-run': { type: 'boolean' }, by: { type: 'string' } }, strict: true });
    const directory = new ServiceDirectory(loadConfig(configPathFrom()));
    const outcome = await withDatabase(async (db) => {
      await requireMigrated(db);
      const retention = new Retention({ db, directory, now: Date.now });
      return db.exclusively('retention', () => retention.run({
        dryRun: values['dry-run'] ?? false,
        actor: { type: 'operator', name: values.by },
        progress: (done, total) => process.stderr.write(`records checked: ${done.toLocaleString('en-GB')} of ${total.toLocaleString('en-GB')}\n`),
      }));
    });
    if (!outcome) throw new Error('another instance is running retention now: try again when it has finished');
    const verb = outcome.dryRun ? 'would delete' : 'deleted';
    out(`${outcome.dryRun ? 'dry run: ' : ''}${verb} ${outcome.records} record(s): ${outcome.conversations} conversation(s), ${outcome.messages} message(s), ${outcome.contacts} contact(s); ${outcome.webchatSessions} web chat buffer(s); ${outcome.auditEvents} audit event(s) from the trail's old end`);
    if (outcome.held.records) out(`kept under a legal hold: ${outcome.held.records} record(s) due (${outcome.held.conversations} conversation(s))`);
    if (outcome.failed) out(`not deleted, for a database error: ${outcome.failed} record(s) due; the next run tries again (the server's log says why)`);
    if (outcome.unknownServices.length) out(`kept: records of services the config no longer names (${outcome.unknownServices.join(', ')}): no rule to apply`);
    return 0;
  }
  if (command === 'hold') {
    const { values } = parseArgs({ args: argv.slice(2), options: { conversation: { type: 'string' }, contact: { type: 'string' }, phone: { type: 'string' }, reason: { type: 'string' }, by: { type: 'string' }, id: { type: 'string' }, all: { type: 'boolean' } }, strict: true });
    return withDatabase(async (db) => {
      await requireMigrated(db);
      const holds = new LegalHolds({ db, now: Date.now });
      if (sub === 'list') {
        for (const h of await holds.list(values.all ?? false)) {
          out([h.id, h.subjectType, h.subjectId, new Date(h.placedAt).toISOString(), h.placedBy, h.reason, h.releasedAt ? `released ${new Date(h.releasedAt).toISOString()} by ${h.releasedBy}: ${h.releaseReason}` : 'in place'].join('\t'));
        }
        return 0;
      }
      if (sub === 'release') {
        if (!values.id || !values.reason || !values.by) throw new Error(`hold release needs --id, --reason and --by\n\n${USAGE}`);
        const released = await holds.release({ holdId: values.id, reason: values.reason, by: values.by });
        out(`released hold ${released.id} on ${released.subjectType} ${released.subjectId}`);
        return 0;
      }
      if (sub === 'place') {
        if (!values.reason || !values.by) throw new Error(`hold place needs --reason and --by\n\n${USAGE}`);
        const subjects: { subjectType: 'conversation' | 'contact'; subjectId: string }[] = [];
        if (values.conversation) subjects.push({ subjectType: 'conversation', subjectId: values.conversation });
        if (values.contact) subjects.push({ subjectType: 'contact', subjectId: values.contact });
        if (values.phone) {
          const keyring = keyringFrom();
          for (const { channel, address } of subjectAddresses({ phone: values.phone })) {
            const contact = await db.manager.findOneBy(Contact, { channel, addressHash: contactLookupHash(keyring, channel, address) });
            if (contact) subjects.push({ subjectType: 'contact', subjectId: contact.id });
          }
          if (!subjects.length) throw new Error('no contact has that number');
        }
        if (subjects.length === 0) throw new Error(`say what to hold: --conversation, --contact or --phone\n\n${USAGE}`);
        for (const subject of subjects) {
          const hold = await holds.place({ ...subject, reason: values.reason, by: values.by });
          out(`placed hold ${hold.id} on ${hold.subjectType} ${hold.subjectId}`);
        }
        return 0;
      }
      process.stderr.write(USAGE);
      return 2;
    });
  }
  if (command === 'subject' && (sub === 'export' || sub === 'erase')) {
    const { values } = parseArgs({ args: argv.slice(2), options: { phone: { type: 'string' }, whatsapp: { type: 'string' }, webchat: { type: 'string' }, out: { type: 'string' }, by: { type: 'string' }, reason: { type: 'string' }, 'within-retention': { type: 'boolean' }, 'dry-run': { type: 'boolean' } }, strict: true });
    if (!values.by) throw new Error(`say who is running it: --by NAME\n\n${USAGE}`);
    const query = { phone: values.phone, whatsapp: values.whatsapp, webchat: values.webchat };
    subjectAddresses(query);
    if (sub === 'export' && !values.out) throw new Error(`subject export needs --out DIR\n\n${USAGE}`);
    if (sub === 'erase' && !values.reason) throw new Error(`subject erase needs --reason\n\n${USAGE}`);
    const directory = new ServiceDirectory(loadConfig(configPathFrom()));
    const keyring = keyringFrom();
    return withDatabase(async (db) => {
      await requireMigrated(db);
      const conversations = new ClinicianConversations({ db, keyring, directory, now: Date.now });
      try {
        const subject = new SubjectAccess({ db, keyring, directory, conversations, retention: new Retention({ db, directory, now: Date.now }), now: Date.now });
        if (sub === 'export') {
          const exported = await subject.export(query, resolve(values.out!), values.by!);
          out(`wrote ${exported.folder}: ${exported.contacts} contact record(s), ${exported.conversations} conversation(s), ${exported.messages} message(s), ${exported.files.length} file(s)`);
          return 0;
        }
        const erased = await subject.erase(query, { reason: values.reason!, by: values.by!, withinRetention: values['within-retention'] ?? false, dryRun: values['dry-run'] ?? false });
        out(`${erased.dryRun ? 'dry run: would erase' : 'erased'} ${erased.conversations} conversation(s), ${erased.messages} message(s), ${erased.contacts} contact record(s)${erased.dryRun ? '' : `, ${erased.webchatSessions} web chat buffer(s)`}`);
        if (erased.kept.held) out(`kept under a legal hold: ${erased.kept.held} conversation(s)`);
        if (erased.kept.open) out(`kept, still open: ${erased.kept.open} conversation(s) (close them first: a nurse or a duty lead may be on them)`);
        if (erased.kept.withinRetention) out(`kept by retention: ${erased.kept.withinRetention} conversation(s) the Records Management Code still keeps (--within-retention erases them, on the governance lead's decision)`);
        return 0;
      } finally {
        await conversations.close();
      }
    });
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
