import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClinicianConversations, CLOSED_LIMIT, MESSAGE_PAGE, OPEN_LIMIT } from '../../bot/inbox/conversations';
import { loadConfig, ServiceDirectory } from '../../bot/config/services';
import type { StaffIdentity } from '../../bot/http/auth/clinician-auth';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import type { Contact, Conversation, ConversationRead, Escalation, Message, OutboxItem, ServiceMembership, StaffMember } from '../../db/entities';
import { rebuildStatements } from '../../db/report-hours';
import { contactLookupHash, sealContactAddress, sealMessageBody, sealTriage } from '../../db/sealed-fields';
import { buildTriageEngine } from '../../triage';
import { DateTime } from 'luxon';
import { REPORT_ZONE, Reports } from '../../bot/reports/reports';
import { load, Load, signedSms, startTarget, stopTarget } from './drive';

/**
 * Issue 13, Lamplight at scale on SQLite: with 100,000 conversations and 1,000,000 messages stored,
 * the inbox list stays within 50 ms (p95), opening a conversation within 20 ms, and ingest keeps at
 * least half the rate it has on an empty database. The database is seeded through the project's own
 * migrations and sealing, then filled with better-sqlite3 directly (TypeORM inserts a million rows
 * far too slowly); the list and the opening are timed in this process, the ingest against the real
 * server in a child process, as run.ts measures it.
 */
const CONVERSATIONS = Number(process.env.BENCH_SCALE_CONVERSATIONS ?? 100_000);
const PER_CONVERSATION = Number(process.env.BENCH_SCALE_MESSAGES_PER_CONVERSATION ?? 10);
/** Timed calls of each read, after WARMUP_ROUNDS untimed ones: enough for a p95. */
const ROUNDS = 100;
const WARMUP_ROUNDS = 10;
/** Timed year-long reports (each reads every message of the year). */
const REPORT_ROUNDS = 5;
const REPORT_GOAL_MS = 1000;
/** Ingest as run.ts drives it: signed Twilio posts, a fixed number, from CONTACTS numbers. */
const INGEST_REQUESTS = 2000;
const INGEST_WARMUP = 300;
const CONCURRENCY = 16;
const CONTACTS = 200;
/**
 * Empty and seeded are measured alternately this many times (a fresh empty file each time; the seeded
 * one kept), and the median of the pairs' ratios is reported: one pair alone moved by half either way
 * when anything else ran on the machine. At most 4: each run has its own 200 numbers of 07700 900xxx.
 */
const INGEST_RUNS = 3;
/** The issue's goals. */
const LIST_P95_GOAL_MS = 50;
const OPEN_P95_GOAL_MS = 20;
const INGEST_RATIO_GOAL = 0.5;

/** Rows per seeding transaction: about 50,000 messages. */
const CHUNK = Math.max(1, Math.floor(50_000 / PER_CONVERSATION));
/**
 * The seeded year ends at the bench target's clock (test/bench/target.ts runs the server at this
 * fixed time), so nothing seeded lies in the server's future and no seeded escalation falls due
 * while the ingest is measured.
 */
const SEED_END = Date.parse('2026-11-24T10:00:00Z');
const SEED_SPAN = 365 * 86_400_000;
/** Time between the messages of a conversation. */
const MESSAGE_GAP = 7 * 60_000;
/**
 * Conversations are dealt to the demo services in blocks of ten, most to school nursing: eight
 * blocks in ten there, one each to health visiting and sexual health.
 */
const SPREAD = ['school-nursing', 'school-nursing', 'school-nursing', 'school-nursing', 'school-nursing', 'school-nursing', 'school-nursing', 'school-nursing', 'health-visiting', 'sexual-health'];
const BENCH_SERVICE = 'school-nursing';
const STAFF_PER_SERVICE = 4;

const INBOUND_TEXTS = [
  'Hi, can I talk to someone about my periods?',
  'I have been feeling really tired at school and I keep getting headaches',
  'Is it normal to feel this anxious before exams?',
  'My friend said I should message you about my skin',
  'ok thank you, what time is the drop in on thursday?',
  'I think I need to see someone about my eating but I dont want my parents to know',
];
const OUTBOUND_TEXTS = [
  "Hi, I'm one of the school nurses. Thanks for getting in touch. How can I help?",
  'Thanks for telling us. Can you tell me a bit more about how long this has been going on?',
  'You can also see a school nurse at the drop-in at your school; ask at reception for the times.',
  "That's really common, and you did the right thing messaging. Would you like to come and talk it through?",
];
const WELCOME_TEXT = "Hi, you've reached the School Nursing team. A school nurse will read your message and reply within one working day.";
/** The last inbound message of the flagged conversations: triaged by the real engine when seeding. */
const RISK_TEXTS = { high: 'I have been thinking about killing myself and I have the pills saved up', medium: "I've been cutting again and I don't know how to stop" } as const;

// better-sqlite3 ships no types here; this is the part of its API the seeding uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as new (file: string) => SqliteFile;
interface SqliteFile {
  pragma(sql: string): unknown;
  prepare(sql: string): { run(parameters: Record<string, unknown>): unknown; get(...values: unknown[]): unknown };
  exec(sql: string): void;
  transaction(work: () => void): () => void;
  close(): void;
}


/**
 * An INSERT of whole entity rows into `table`, prepared from the first row's fields: the rows are
 * typed as the entities, so the column names are theirs. better-sqlite3 binds no booleans.
 */
function inserter<T extends object>(file: SqliteFile, table: string): (row: T) => void {
  let statement: ReturnType<SqliteFile['prepare']> | undefined;
  return (row) => {
    if (!statement) {
      const columns = Object.keys(row);
      statement = file.prepare(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
    }
    statement.run(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'boolean' ? Number(v) : v])));
  };
}

/** A Twilio message SID ("SM" and 32 hex digits), unique because the id it is made from is. */
const twilioSid = (id: string) => `SM${id.replace(/-/g, '')}`;

interface Seeded {
  /** The bench service's conversations, to open: the open ones and the closed ones. */
  open: string[];
  closed: string[];
  /** A clinician of the bench service, as a staff member in the database. */
  staff: StaffIdentity;
  rows: { contacts: number; conversations: number; messages: number; outbox: number; escalations: number; reads: number };
  /** Seeding from the first row to the file flushed to disk, ANALYZE included. */
  seedMs: number;
  analyzeMs: number;
  /** Working out the report figures (report_hour, the conversations' report columns) from the seeded rows. */
  figuresMs: number;
}

/**
 * Fills a migrated database the way a year of service would leave it: contacts (one in four has a
 * second conversation with the same service, later), conversations (one in ten open, the rest
 * closed with an outcome), their messages alternating in and out (a welcome first, then clinicians;
 * half the open ones end with an unanswered message), an outbox row for every message sent, the
 * clinicians' read receipts, and an open escalation on 4% of the open conversations (another 4%
 * medium risk), whose messages the real triage engine assessed. Then ANALYZE.
 */
export function seed(path: string, keyring: Keyring, directory: ServiceDirectory): Seeded {
  const started = performance.now();
  const triage = buildTriageEngine();
  const assessed = { high: triage.assess(RISK_TEXTS.high), medium: triage.assess(RISK_TEXTS.medium) };
  if (assessed.high.level !== 'high' || assessed.medium.level !== 'medium') throw new Error('the scale bench\'s risk texts no longer triage as high and medium');
  const outcomes = directory.config.outcomes;
  const services = SPREAD.map((slug) => {
    const sms = directory.bySlugOrUndefined(slug)?.channels.sms;
    if (!sms) throw new Error(`the demo config has no SMS number for ${slug}`);
    return { slug, sms };
  });

  const file = new BetterSqlite3(path);
  // A scratch database: no fsync while filling it, and its indexes kept in memory.
  file.pragma('synchronous = OFF');
  file.pragma('cache_size = -524288');
  file.pragma('foreign_keys = ON');
  const insert = {
    staff: inserter<StaffMember>(file, 'staff_member'),
    membership: inserter<ServiceMembership>(file, 'service_membership'),
    contact: inserter<Contact>(file, 'contact'),
    conversation: inserter<Conversation>(file, 'conversation'),
    message: inserter<Message>(file, 'message'),
    outbox: inserter<OutboxItem>(file, 'outbox_item'),
    escalation: inserter<Escalation>(file, 'escalation'),
    read: inserter<ConversationRead>(file, 'conversation_read'),
  };
  const rows = { contacts: 0, conversations: 0, messages: 0, outbox: 0, escalations: 0, reads: 0 };
  const open: string[] = [];
  const closed: string[] = [];

  // Each service's clinicians; the first of the bench service's is the one the bench reads as.
  const staffOf = new Map<string, string[]>();
  file.transaction(() => {
    for (const slug of new Set(SPREAD)) {
      const ids: string[] = [];
      for (let n = 1; n <= STAFF_PER_SERVICE; n++) {
        const id = randomUUID();
        insert.staff({ id, email: `${slug}.${n}@example.nhs.uk`, name: `${slug} clinician ${n}`, oid: null, createdAt: SEED_END - SEED_SPAN - 86_400_000, muteNonUrgent: false, workMobileCipher: null, workMobileKeyId: null });
        insert.membership({ id: randomUUID(), staffId: id, serviceSlug: slug, role: n === 2 ? 'duty-lead' : 'clinician', createdAt: SEED_END - SEED_SPAN - 86_400_000 });
        ids.push(id);
      }
      staffOf.set(slug, ids);
    }
  })();
  const benchStaffId = staffOf.get(BENCH_SERVICE)![0];

  const spacing = Math.floor(SEED_SPAN / CONVERSATIONS);
  const firstAt = SEED_END - SEED_SPAN - (PER_CONVERSATION * MESSAGE_GAP + 3_600_000);
  let contactId = '';
  let contactNumber = 0;
  for (let start = 0; start < CONVERSATIONS; start += CHUNK) {
    file.transaction(() => {
      for (let i = start; i < Math.min(CONVERSATIONS, start + CHUNK); i++) {
        const block = Math.floor(i / 10);
        const service = services[block % services.length];
        const isOpen = i % 10 === 0;
        const risk = isOpen && block % 25 === 0 ? 'high' : isOpen && block % 25 === 5 ? 'medium' : 'none';
        const awaiting = isOpen && i % 20 === 0;
        const assigned = isOpen && i % 30 === 0 ? null : staffOf.get(service.slug)![i % STAFF_PER_SERVICE];
        const createdAt = firstAt + i * spacing;

        // Conversation 5n+1 is the second of 5n's contact: closed, same service (same block of ten).
        if (i % 5 !== 1) {
          contactId = randomUUID();
          const address = `+4478${String(contactNumber++).padStart(8, '0')}`;
          insert.contact({ id: contactId, channel: 'sms', addressHash: contactLookupHash(keyring, 'sms', address), ...sealContactAddress(keyring, contactId, address), consent: 'active', consentChangedAt: null, createdAt, blockedAt: null });
          rows.contacts++;
        }

        // The messages first (in memory), for the conversation's times.
        const id = randomUUID();
        const direction = (k: number) => (k % 2 === 0 || (awaiting && k === PER_CONVERSATION - 1) ? 'in' : 'out');
        let lastIn = 0;
        for (let k = 0; k < PER_CONVERSATION; k++) if (direction(k) === 'in') lastIn = k;
        const lastMessageAt = createdAt + (PER_CONVERSATION - 1) * MESSAGE_GAP;
        const lastInboundAt = createdAt + lastIn * MESSAGE_GAP;
        const closedAt = isOpen ? null : lastMessageAt + 3_600_000;
        const readAt = awaiting ? lastInboundAt - 1 : lastMessageAt;
        insert.conversation({
          id, serviceSlug: service.slug, contactId, channel: 'sms', endpointAddress: service.sms, status: isOpen ? 'open' : 'closed',
          openKey: isOpen ? `open:${contactId}:${service.slug}:sms` : `closed:${id}`, riskLevel: risk, assignedStaffId: assigned, createdAt,
          lastMessageAt, lastInboundAt, awaitingReplySince: awaiting ? lastInboundAt : null, closedAt, outcome: isOpen ? null : outcomes[i % outcomes.length],
          recordedAt: closedAt, lastReadAt: assigned ? readAt : null, firstReplyAt: null, outOfHoursAt: null, repeatContact: false,
        });
        rows.conversations++;
        if (service.slug === BENCH_SERVICE) (isOpen ? open : closed).push(id);

        let flaggedMessage = '';
        for (let k = 0; k < PER_CONVERSATION; k++) {
          const messageId = randomUUID();
          const at = createdAt + k * MESSAGE_GAP;
          if (direction(k) === 'in') {
            const flagged = risk !== 'none' && k === lastIn;
            if (flagged) flaggedMessage = messageId;
            const text = flagged ? RISK_TEXTS[risk] : INBOUND_TEXTS[(i + k) % INBOUND_TEXTS.length];
            insert.message({
              id: messageId, conversationId: id, channel: 'sms', externalId: twilioSid(messageId), direction: 'in', authorKind: 'contact',
              authorStaffId: null, autoReplyKind: null, ...sealMessageBody(keyring, messageId, text), createdAt: at,
              riskLevel: flagged ? risk : 'none', triageCipher: flagged ? sealTriage(keyring, messageId, assessed[risk].reasons) : null,
            });
          } else {
            const welcome = k === 1;
            insert.message({
              id: messageId, conversationId: id, channel: 'sms', externalId: `out:${messageId}`, direction: 'out', authorKind: welcome ? 'auto' : 'clinician',
              authorStaffId: welcome ? null : staffOf.get(service.slug)![(i + k) % STAFF_PER_SERVICE], autoReplyKind: welcome ? 'welcome' : null,
              ...sealMessageBody(keyring, messageId, welcome ? WELCOME_TEXT : OUTBOUND_TEXTS[(i + k) % OUTBOUND_TEXTS.length]), createdAt: at, riskLevel: null, triageCipher: null,
            });
            const outboxId = randomUUID();
            insert.outbox({
              id: outboxId, messageId, conversationId: id, channel: 'sms', status: 'sent', consentNotice: false, attempts: 1, nextAttemptAt: at, lockedUntil: null,
              lastError: null, providerMessageId: twilioSid(outboxId), providerStatus: 'sent', templateName: null, holdsLater: false, retryFrom: null,
              priority: 0, createdAt: at, updatedAt: at + 1000,
            });
            rows.outbox++;
          }
          rows.messages++;
        }
        if (risk === 'high') {
          insert.escalation({
            id: randomUUID(), conversationId: id, serviceSlug: service.slug, messageId: flaggedMessage, status: 'open', step: 1, nextDueAt: SEED_END + 600_000,
            categories: [...new Set(assessed.high.reasons.filter((r) => r.level === 'high').map((r) => r.category))].join(','), messageCount: 1, createdAt: lastInboundAt,
            acknowledgedAt: null, acknowledgedBy: null,
          });
          rows.escalations++;
        }
        if (assigned) {
          insert.read({ conversationId: id, staffId: assigned, readAt });
          rows.reads++;
        }
      }
    })();
  }
  const stored = file.prepare('SELECT COUNT(*) AS n FROM message').get() as { n: number };
  if (stored.n !== CONVERSATIONS * PER_CONVERSATION) throw new Error(`the scale bench stored ${stored.n} messages, not ${CONVERSATIONS * PER_CONVERSATION}`);
  // The report figures a year of service would have kept as it went (db/report-hours.ts), worked out from the rows.
  const figuring = performance.now();
  file.transaction(() => { for (const statement of rebuildStatements('sqlite')) file.exec(statement); })();
  const figuresMs = performance.now() - figuring;
  // A database in service has planner statistics.
  const analyzing = performance.now();
  file.exec('ANALYZE');
  const analyzeMs = performance.now() - analyzing;
  file.pragma('wal_checkpoint(TRUNCATE)');
  file.close();
  // synchronous=OFF left the pages to the OS: on disk now, so their write-back does not run under
  // the measurements (it held up the commits that list and get make).
  const fd = openSync(path, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  const seedMs = performance.now() - started;
  return {
    open, closed, rows, seedMs, analyzeMs, figuresMs,
    staff: { id: benchStaffId, email: `${BENCH_SERVICE}.1@example.nhs.uk`, name: `${BENCH_SERVICE} clinician 1`, memberships: [{ serviceSlug: BENCH_SERVICE, role: 'clinician' }] },
  };
}

/** Nearest-rank percentile of a set of times. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Times `rounds` calls of `work` (the call number passed in) after `warmup` untimed ones: p50 and p95 in ms. */
async function timed(warmup: number, rounds: number, work: (n: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let n = 0; n < warmup; n++) await work(n);
  const times: number[] = [];
  for (let n = warmup; n < warmup + rounds; n++) {
    const started = performance.now();
    await work(n);
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

/** n distinct random items of `from`, without changing it. */
function sample<T>(from: T[], n: number): T[] {
  const copy = [...from];
  for (let i = 0; i < Math.min(n, copy.length); i++) {
    const j = i + Math.floor(Math.random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

/**
 * The inbox as a clinician of the bench service reads it: the open queue and the closed queue
 * (each with every queue's count), and opening conversations picked at random, alternately open and
 * closed. Opening writes the read receipt and the audit row, as it does in service.
 */
async function reads(url: string, keyring: Keyring, directory: ServiceDirectory, seeded: Seeded) {
  const db = await Database.open(url);
  const conversations = new ClinicianConversations({ db, keyring, directory, now: Date.now });
  try {
    const { staff } = seeded;
    // Measured what was seeded: every open conversation counted, a full closed page, whole threads.
    const openList = await conversations.list(staff, { queue: 'open' });
    if (openList.counts.open !== seeded.open.length || openList.conversations.length !== Math.min(OPEN_LIMIT, seeded.open.length)) {
      throw new Error(`the scale bench listed ${openList.counts.open} open conversations, not the ${seeded.open.length} it seeded`);
    }
    const closedList = await conversations.list(staff, { queue: 'closed' });
    if (closedList.conversations.length !== Math.min(CLOSED_LIMIT, seeded.closed.length)) throw new Error('the scale bench\'s closed queue does not hold what it seeded');
    const listOpen = await timed(WARMUP_ROUNDS, ROUNDS, () => conversations.list(staff, { queue: 'open' }));
    const listClosed = await timed(WARMUP_ROUNDS, ROUNDS, () => conversations.list(staff, { queue: 'closed' }));

    const half = Math.ceil((WARMUP_ROUNDS + ROUNDS) / 2);
    const openPicks = sample(seeded.open, half);
    const closedPicks = sample(seeded.closed, half);
    const picks = openPicks.flatMap((id, n) => [id, closedPicks[n]]).filter((id) => id !== undefined);
    if (picks.length < WARMUP_ROUNDS + ROUNDS) throw new Error('the scale bench seeded too few conversations to open');
    const opening = await timed(WARMUP_ROUNDS, ROUNDS, async (n) => {
      const view = await conversations.get(staff, picks[n]);
      if (view.messages.length !== Math.min(MESSAGE_PAGE, PER_CONVERSATION)) throw new Error(`the scale bench opened a conversation with ${view.messages.length} messages, not ${PER_CONVERSATION}`);
    });
    // Reports (issue 15): the seeded year, for the bench service and for all three, by month.
    const reports = new Reports({ db, directory, now: Date.now });
    const year = { from: DateTime.fromMillis(SEED_END - SEED_SPAN, { zone: REPORT_ZONE }).toISODate()!, to: DateTime.fromMillis(SEED_END, { zone: REPORT_ZONE }).toISODate()!, bucket: 'month' as const };
    const one = directory.services.filter((x) => x.slug === BENCH_SERVICE);
    const yearOne = await reports.compute({ ...year, services: [BENCH_SERVICE] }, one);
    const yearAll = await reports.compute({ ...year, services: directory.services.map((x) => x.slug) }, directory.services);
    if (yearAll.totals.inbound + yearAll.totals.outbound !== seeded.rows.messages) throw new Error(`the year's report counted ${yearAll.totals.inbound + yearAll.totals.outbound} messages, not the ${seeded.rows.messages} seeded`);
    const reportOne = await timed(1, REPORT_ROUNDS, () => reports.compute({ ...year, services: [BENCH_SERVICE] }, one));
    const reportAll = await timed(1, REPORT_ROUNDS, () => reports.compute({ ...year, services: directory.services.map((x) => x.slug) }, directory.services));
    return { listOpen, listClosed, opening, reportOne, reportAll, reportMessages: { one: yearOne.totals.inbound + yearOne.totals.outbound, all: yearAll.totals.inbound + yearAll.totals.outbound } };
  } finally {
    await conversations.close();
    await db.close();
  }
}

/**
 * Post `i` of run `run`: a signed Twilio post from one of the run's CONTACTS numbers (run 0:
 * +447700900100 to +447700900299, run 1 the next 200): none of them seeded (seeded contacts are
 * +4478...) nor used by an earlier run, so on either database their conversations are new at first
 * and then existing. Message ids are never repeated either.
 */
const runPosts = (run: number): Load => (i) => signedSms(run * (INGEST_WARMUP + INGEST_REQUESTS) + i, `+447700900${String(100 + run * CONTACTS + (i % CONTACTS)).padStart(3, '0')}`);

/** The real server on this SQLite file: warm-up, then the timed load. Every post must have had its 200. */
async function ingest(file: string, run: number): Promise<{ rps: number; p50: number; p99: number }> {
  const { url, child } = await startTarget('lamplight', { DATABASE_URL: `sqlite:${file}` });
  try {
    await load(url, 0, INGEST_WARMUP, runPosts(run), CONCURRENCY);
    const result = await load(url, INGEST_WARMUP, INGEST_REQUESTS, runPosts(run), CONCURRENCY);
    if (result.errors > 0) throw new Error(`the scale bench's ingest had ${result.errors} failed posts`);
    return result;
  } finally {
    await stopTarget(child);
  }
}

export async function scaleBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lamplight-bench-scale-'));
  try {
    const file = join(dir, 'scale.sqlite');
    const url = `sqlite:${file}`;
    // The schema by the project's own migrations; then the file is filled without TypeORM.
    const migrating = await Database.open(url);
    try {
      await migrating.migrate();
    } finally {
      await migrating.close();
    }
    const keyring = new Keyring(randomBytes(32));
    const directory = new ServiceDirectory(loadConfig());
    const seeded = seed(file, keyring, directory);
    const megabytes = statSync(file).size / 1024 / 1024;

    const { listOpen, listClosed, opening, reportOne, reportAll, reportMessages } = await reads(url, keyring, directory, seeded);
    // The same load on an empty database, then on the seeded one (closed by this process by now), in turn.
    const pairs: { empty: Awaited<ReturnType<typeof ingest>>; seeded: Awaited<ReturnType<typeof ingest>> }[] = [];
    for (let run = 0; run < INGEST_RUNS; run++) pairs.push({ empty: await ingest(join(dir, `empty-${run}.sqlite`), run), seeded: await ingest(file, run) });
    const median = (values: number[]) => percentile(values, 50);
    const ratios = pairs.map((p) => p.seeded.rps / p.empty.rps);
    const ratio = median(ratios);

    const met = (ok: boolean) => (ok ? 'yes' : '**no**');
    const ms = (t: { p50: number; p95: number }) => `p50 ${t.p50.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms`;
    const r = seeded.rows;
    return [
      `## Scale on SQLite: ${CONVERSATIONS.toLocaleString('en-GB')} conversations, ${r.messages.toLocaleString('en-GB')} messages (issue 13)`,
      '',
      `A scratch SQLite file, migrated by Lamplight's own migrations, then filled with better-sqlite3 using Lamplight's sealing: ${r.contacts.toLocaleString('en-GB')} contacts, ${r.conversations.toLocaleString('en-GB')} conversations over a year across the demo services (${seeded.open.length.toLocaleString('en-GB')} open and ${seeded.closed.length.toLocaleString('en-GB')} closed in ${BENCH_SERVICE}; one in ten open overall), ${PER_CONVERSATION} messages each (${r.messages.toLocaleString('en-GB')}), ${r.outbox.toLocaleString('en-GB')} sent outbox rows, ${r.reads.toLocaleString('en-GB')} read receipts and ${r.escalations} open escalations, then the report figures worked out from those rows as "npm run cli -- reports rebuild" does, ANALYZE and a flush to disk: **seeding took ${(seeded.seedMs / 1000).toFixed(1)} s** in all (report figures ${(seeded.figuresMs / 1000).toFixed(1)} s and ANALYZE ${(seeded.analyzeMs / 1000).toFixed(1)} s of it), ${megabytes.toFixed(0)} MB. `
        + `The inbox list (ClinicianConversations.list, every queue's count included) and opening a conversation (get, read receipt and audit row included; random ${BENCH_SERVICE} conversations, open and closed alternately) are timed in process as a ${BENCH_SERVICE} clinician, ${WARMUP_ROUNDS} warm-up calls then ${ROUNDS} timed. `
        + `Ingest is the real server in a child process (as \`npm run bench\`): ${INGEST_REQUESTS} signed Twilio posts after ${INGEST_WARMUP} warm-up, ${CONCURRENCY} connections, ${CONTACTS} contacts not among the seeded ones, on an empty database and on the seeded one in turn, ${INGEST_RUNS} times (new contacts each time); posts/s are the median of the runs, the ratio the median of the pairs' ratios. `
        + `The opening goal is read as p95. ${cpus().length} cores, Node ${process.version}.`,
      '',
      '| measure | goal | measured | met? |',
      '|---|---|---|---|',
      `| inbox list, open queue (${Math.min(OPEN_LIMIT, seeded.open.length)} rows shown of ${seeded.open.length}) | p95 <= ${LIST_P95_GOAL_MS} ms | ${ms(listOpen)} | ${met(listOpen.p95 <= LIST_P95_GOAL_MS)} |`,
      `| inbox list, closed queue (newest ${Math.min(CLOSED_LIMIT, seeded.closed.length)} of ${seeded.closed.length}) | p95 <= ${LIST_P95_GOAL_MS} ms | ${ms(listClosed)} | ${met(listClosed.p95 <= LIST_P95_GOAL_MS)} |`,
      `| opening a conversation (${PER_CONVERSATION} messages) | <= ${OPEN_P95_GOAL_MS} ms | ${ms(opening)} | ${met(opening.p95 <= OPEN_P95_GOAL_MS)} |`,
      `| report, the year by month, ${BENCH_SERVICE} (${reportMessages.one.toLocaleString('en-GB')} messages) | < ${REPORT_GOAL_MS} ms | ${ms(reportOne)} | ${met(reportOne.p95 < REPORT_GOAL_MS)} |`,
      `| report, the year by month, all services (${reportMessages.all.toLocaleString('en-GB')} messages) | < ${REPORT_GOAL_MS} ms | ${ms(reportAll)} | ${met(reportAll.p95 < REPORT_GOAL_MS)} |`,
      ...(['empty', 'seeded'] as const).map((which) => {
        const runs = pairs.map((p) => p[which]);
        return `| ingest, ${which} database | ${which === 'empty' ? '(reference)' : ''} | ${median(runs.map((x) => x.rps)).toFixed(0)} posts/s (runs: ${runs.map((x) => x.rps.toFixed(0)).join(', ')}; p50 ${median(runs.map((x) => x.p50)).toFixed(1)} ms, p99 ${median(runs.map((x) => x.p99)).toFixed(1)} ms) | |`;
      }),
      `| ingest, seeded / empty | >= ${INGEST_RATIO_GOAL} of empty | ${ratio.toFixed(2)} (runs: ${ratios.map((x) => x.toFixed(2)).join(', ')}) | ${met(ratio >= INGEST_RATIO_GOAL)} |`,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
