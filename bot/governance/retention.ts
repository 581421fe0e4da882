import { DateTime } from 'luxon';
import type { EntityManager } from 'typeorm';
import { pruneAuditTrail } from '../../db/audit-chain';
import { Database } from '../../db/database';
import { change, sql } from '../../db/rows';
import { recordAudit } from '../audit/record';
import { retentionYears, type ServiceDirectory } from '../config/services';
import { SERVICE_ZONE } from '../gateway/hours';
import { countContactsLeftEmpty, countMessages, deleteContactsLeftEmpty, deleteConversations, heldConversations, lockContact } from './records';

/**
 * Retention by the NHS Records Management Code of Practice (issue 15 item 2). A person's record
 * with a service (every conversation of one contact with one service, with what hangs off each) is
 * kept until the service's period (bot/config/services.ts retentionYears) has passed since their
 * last conversation there closed, counted in UK calendar years; a record with an open conversation
 * is kept whatever its age. Then the whole record goes in one transaction, never half of it, and
 * never while a legal hold is on any of its conversations or on the contact. A contact goes when
 * nothing of theirs is left. Web chat's delivery buffer goes some days after the chat was last
 * active (its messages are kept with the conversation). The audit trail is cut from its old end
 * after the governance period, longer than any record it describes, and stays verifiable.
 */

export interface RetentionOutcome {
  dryRun: boolean;
  at: number;
  /** Person-service records whose time had come: deleted (or, dry run, that would be). */
  records: number;
  conversations: number;
  messages: number;
  contacts: number;
  /** Records whose time had come but a legal hold keeps. */
  held: { records: number; conversations: number };
  webchatSessions: number;
  auditEvents: number;
  /** Services in the database that the config no longer names: their records are kept (no rule to apply). */
  unknownServices: string[];
  /** Records due whose deletion failed (a database error): left for the next run, and in the logs. */
  failed: number;
}

interface DueRecord { contactId: string; serviceSlug: string }

/** Records deleted per transaction. */
const BATCH = 100;

export class Retention {
  constructor(private readonly deps: { db: Database; directory: ServiceDirectory; now: () => number }) {}

  /** When a record whose last conversation closed at `closedAt` may go, for this service. */
  private dueAt(serviceSlug: string, closedAt: number): number | undefined {
    const service = this.deps.directory.bySlugOrUndefined(serviceSlug);
    if (!service) return undefined;
    return DateTime.fromMillis(closedAt, { zone: SERVICE_ZONE }).plus({ years: retentionYears(service.retention) }).toMillis();
  }

  /** Whether a person's record with a service (all their conversations there) may go at `at`: none open, and the years passed since the last closed. */
  recordDue(serviceSlug: string, record: { status: string; closedAt: number | null }[], at: number): boolean {
    if (!record.length || record.some((r) => r.status === 'open' || r.closedAt === null)) return false;
    const until = this.dueAt(serviceSlug, Math.max(...record.map((r) => r.closedAt!)));
    return until !== undefined && until <= at;
  }

  /** Every person-service record whose time has come, and the services the config does not know. */
  private async due(manager: EntityManager, at: number): Promise<{ due: DueRecord[]; unknown: string[] }> {
    const rows = await sql(manager, `SELECT "contactId" AS contact, "serviceSlug" AS service, MAX("closedAt") AS closed,
        SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open FROM conversation GROUP BY "contactId", "serviceSlug"`);
    const due: DueRecord[] = [];
    const unknown = new Set<string>();
    for (const row of rows) {
      if (Number(row.open) > 0 || row.closed === null) continue;
      const until = this.dueAt(String(row.service), Number(row.closed));
      if (until === undefined) unknown.add(String(row.service));
      else if (until <= at) due.push({ contactId: String(row.contact), serviceSlug: String(row.service) });
    }
    due.sort((a, b) => a.contactId.localeCompare(b.contactId) || a.serviceSlug.localeCompare(b.serviceSlug));
    return { due, unknown: [...unknown].sort() };
  }

  /**
   * Deletes what is due (or, `dryRun`, counts it), prints nothing itself: `progress` hears after
   * each batch. Audited as `retention.run` (or `retention.dry-run`) with the counts, by the
   * operator or the server's daily job.
   */
  async run(options: { dryRun?: boolean; actor: { type: 'operator' | 'system'; name?: string }; progress?: (done: number, total: number) => void } ): Promise<RetentionOutcome> {
    const dryRun = options.dryRun ?? false;
    const { db, directory } = this.deps;
    const at = this.deps.now();
    const outcome: RetentionOutcome = { dryRun, at, records: 0, conversations: 0, messages: 0, contacts: 0, held: { records: 0, conversations: 0 }, webchatSessions: 0, auditEvents: 0, unknownServices: [], failed: 0 };
    const { due, unknown } = await this.due(db.manager, at);
    outcome.unknownServices = unknown;

    const work = async (tx: EntityManager, batch: DueRecord[]) => {
      const deleting: string[] = [];
      const contacts: string[] = [];
      const counts = { records: 0, conversations: 0, messages: 0, heldRecords: 0, heldConversations: 0, contacts: 0 };
      for (const record of batch) {
        // The person's contact row first (records.ts lockContact): a message arriving now either
        // waits for this transaction or is seen by the read below and keeps the record.
        if (!dryRun && !(await lockContact(tx, record.contactId))) continue;
        // Read again in this transaction: a message since the plan reopens the record, a hold since keeps it.
        const rows = await sql(tx, `SELECT id, status, "closedAt" AS closed FROM conversation WHERE "contactId" = ? AND "serviceSlug" = ?`, [record.contactId, record.serviceSlug]);
        if (!this.recordDue(record.serviceSlug, rows.map((r) => ({ status: String(r.status), closedAt: r.closed === null ? null : Number(r.closed) })), at)) continue;
        const conversationIds = rows.map((r) => String(r.id));
        const held = await heldConversations(tx, conversationIds);
        if (held.size) {
          counts.heldRecords++;
          counts.heldConversations += conversationIds.length;
          continue;
        }
        counts.records++;
        deleting.push(...conversationIds);
        contacts.push(record.contactId);
      }
      if (dryRun) {
        counts.conversations = deleting.length;
        counts.messages = deleting.length ? await countMessages(tx, deleting) : 0;
        counts.contacts = await countContactsLeftEmpty(tx, contacts, deleting);
      } else {
        const deleted = await deleteConversations(tx, deleting);
        counts.conversations = deleted.conversations;
        counts.messages = deleted.messages;
        counts.contacts = await deleteContactsLeftEmpty(tx, [...new Set(contacts)]);
      }
      return counts;
    };
    const add = (counts: Awaited<ReturnType<typeof work>>) => {
      outcome.records += counts.records;
      outcome.conversations += counts.conversations;
      outcome.messages += counts.messages;
      outcome.contacts += counts.contacts;
      outcome.held.records += counts.heldRecords;
      outcome.held.conversations += counts.heldConversations;
    };
    for (let i = 0; i < due.length; i += BATCH) {
      const batch = due.slice(i, i + BATCH);
      // A dry run writes nothing: it reads outside a transaction.
      if (dryRun) add(await work(db.manager, batch));
      else {
        try {
          add(await db.transaction((tx) => work(tx, batch)));
        } catch {
          // One record that cannot go (a database error) must not keep the other 99: each on its own, the failing ones counted.
          for (const record of batch) {
            try {
              add(await db.transaction((tx) => work(tx, [record])));
            } catch {
              outcome.failed++;
            }
          }
        }
      }
      options.progress?.(Math.min(i + BATCH, due.length), due.length);
    }

    const bufferBefore = at - directory.config.governance.webchatBufferDays * 86_400_000;
    const auditBefore = DateTime.fromMillis(at, { zone: SERVICE_ZONE }).minus({ years: directory.config.governance.auditYears }).toMillis();
    const finish = async (tx: EntityManager) => {
      // Web chat's buffer: chats quiet for the period, every message in from them stored as a message.
      const quiet = `FROM webchat_session s WHERE s."lastActiveAt" < ? AND NOT EXISTS (SELECT 1 FROM webchat_activity a WHERE a."sessionId" = s.id AND a.direction = 'in' AND a."storedAt" IS NULL)`;
      if (dryRun) {
        outcome.webchatSessions = Number((await sql(tx, `SELECT COUNT(*) AS n ${quiet}`, [bufferBefore]))[0].n);
        outcome.auditEvents = await countAuditBefore(tx, auditBefore);
      } else {
        outcome.webchatSessions = await change(tx, `DELETE FROM webchat_session WHERE id IN (SELECT s.id ${quiet})`, [bufferBefore]);
        outcome.auditEvents = (await pruneAuditTrail(tx, auditBefore)).removed;
      }
      await recordAudit(tx, this.deps.now(), {
        actorType: options.actor.type, action: dryRun ? 'retention.dry-run' : 'retention.run', subjectType: 'retention', subjectId: null,
        services: directory.services.map((s) => s.slug),
        detail: {
          by: options.actor.name ?? null, records: outcome.records, conversations: outcome.conversations, messages: outcome.messages, contacts: outcome.contacts,
          heldRecords: outcome.held.records, heldConversations: outcome.held.conversations, webchatSessions: outcome.webchatSessions, auditEvents: outcome.auditEvents,
          unknownServices: outcome.unknownServices.join(',') || null, failed: outcome.failed,
        },
      });
    };
    await db.transaction(finish);
    return outcome;
  }
}

async function countAuditBefore(tx: EntityManager, before: number): Promise<number> {
  const [head] = await sql(tx, 'SELECT "startSeq" AS start FROM audit_chain_head');
  const start = Number(head?.start ?? 0);
  const [first] = await sql(tx, 'SELECT MIN(seq) AS seq FROM audit_event WHERE seq > ? AND at >= ?', [start, before]);
  const [last] = await sql(tx, 'SELECT MAX(seq) AS seq FROM audit_event');
  const through = first?.seq !== null && first?.seq !== undefined ? Number(first.seq) - 1 : Number(last?.seq ?? start);
  return Math.max(0, through - start);
}

/** How often the server asks whether a day has passed since retention last ran. */
const CHECK_EVERY_MS = 60 * 60_000;
/** The first check after a start: not at once, so a crash loop never becomes a deletion loop. */
const FIRST_CHECK_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

/**
 * The server's daily retention run. When it last ran comes from the audit trail (the last
 * `retention.run`, by this job or an operator), so a restart neither skips a day nor runs twice.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: { db: Database; retention: Retention; now: () => number; log: { info: (o: object, m: string) => void; error: (o: object, m: string) => void } }) {}

  start(firstCheckMs = FIRST_CHECK_MS, everyMs = CHECK_EVERY_MS): void {
    const tick = () => {
      this.running = this.runDue().catch((error) => this.deps.log.error({ event: 'retention.failed', err: error }, 'retention run failed'));
    };
    this.timer = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, everyMs);
      this.timer.unref();
    }, firstCheckMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Runs retention when a day has passed since it last ran (or it never has); the outcome, or undefined when not due. */
  async runDue(): Promise<RetentionOutcome | undefined> {
    // One instance at a time; the one that gets the lock reads when retention last ran under it.
    return this.deps.db.exclusively('retention', async () => {
      const [last] = await sql(this.deps.db.manager, `SELECT MAX(at) AS at FROM audit_event WHERE "subjectType" = 'retention' AND action = 'retention.run'`);
      if (last?.at !== null && last?.at !== undefined && this.deps.now() - Number(last.at) < DAY_MS) return undefined;
      return this.runNow();
    });
  }

  private async runNow(): Promise<RetentionOutcome> {
    const outcome = await this.deps.retention.run({ actor: { type: 'system' } });
    this.deps.log.info({
      event: 'retention.run', records: outcome.records, conversations: outcome.conversations, messages: outcome.messages, contacts: outcome.contacts,
      heldRecords: outcome.held.records, webchatSessions: outcome.webchatSessions, auditEvents: outcome.auditEvents, unknownServices: outcome.unknownServices, failed: outcome.failed,
    }, 'retention ran');
    return outcome;
  }
}
