import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { EntityManager, In, LessThanOrEqual } from 'typeorm';
import { Database, isUniqueViolation } from '../../db/database';
import type { Keyring } from '../../db/crypto';
import { Conversation, Escalation, EscalationNotice, looksLikeId, Note, Role, ServiceMembership, StaffMember } from '../../db/entities';
import { sealNoteBody } from '../../db/sealed-fields';
import { change, dialectOf } from '../../db/rows';
import { CANCELLED_ACKNOWLEDGED } from './staff-alerts';
import type { StaffIdentity } from '../identity';
import { conflict, forbidden, invalid, notFound } from '../problems';
import { auditingRefusals, recordAudit } from '../audit/record';
import type { ServiceConfig, ServiceDirectory } from '../config/services';
import { openingState } from '../gateway/hours';
import { Poller } from '../poller';
import { ACKNOWLEDGED_BY_CLAIM, ACKNOWLEDGED_IN_TEAMS, ACKNOWLEDGED_PREFIX, describeEscalations, EscalationView } from './view';

/** What a notification carries: ids, levels and categories, never message text. */
export interface EscalationNotification {
  escalationId: string;
  conversationId: string;
  serviceSlug: string;
  step: number;
  /** 1-based ladder level, 0 for the final alert. */
  level: number;
  round: number;
  final: boolean;
  categories: string[];
  recipientStaffIds: string[];
}

/** Told after a step commits: immediate and best-effort (in-app live events). */
export interface Notifier {
  notify(notification: EscalationNotification): Promise<void>;
}

/**
 * Queues what must reach people even if the process dies a moment later (the Teams card): rows
 * written in the step's own transaction and sent by the outbox, with its retries. Returns true
 * when it queued something.
 */
export interface QueuedNotifier {
  queue(tx: EntityManager, notification: EscalationNotification & { noticeId: string }, now: number): Promise<boolean>;
  /** Something the escalation's card shows has changed (acknowledged, claimed, assigned): bring it up to date. */
  changed(tx: EntityManager, conversationId: string, now: number): Promise<boolean>;
}

interface Dependencies {
  db: Database;
  /** Seals what a person writes (an acknowledgement's outcome) like every other note. */
  keyring: Keyring;
  directory: ServiceDirectory;
  notifier: Notifier;
  queued?: QueuedNotifier;
  /** After a commit that queued outbox rows (wake the outbox). */
  onQueued?: () => void;
  log: Logger;
  now: () => number;
  pollIntervalMs?: number;
}

/**
 * The duty-lead escalation ladder. An escalation is due as soon as it is raised; each due step
 * notifies the next level (levels accumulate: level 2 also tells level 1), then waits the
 * service's acknowledgement limit (in hours or out of hours, as the clock says at that moment).
 * After `rounds` climbs of the ladder the fallback contacts get a final alert and the timer stops.
 * Steps are claimed with a conditional update and recorded in the same transaction, so a restart
 * or a second instance neither loses nor repeats one.
 */
export class EscalationLadder {
  private readonly poller: Poller;

  constructor(private readonly deps: Dependencies) {
    this.poller = new Poller(() => this.runDue(), deps.pollIntervalMs ?? 1000, (error) => deps.log.error({ event: 'escalation.poll_failed', err: { name: (error as Error).name } }, 'escalation poll failed'));
  }

  /** Told after an acknowledgement commits (live events). */
  onAcknowledged: (escalation: { id: string; serviceSlug: string; conversationId: string }) => void = () => undefined;
  /** Told after a claim gave someone the conversation (live events). */
  onClaimed: (escalation: { id: string; serviceSlug: string; conversationId: string }) => void = () => undefined;

  /** In the inbound transaction: a new escalation, or one more message on the open one. */
  async raiseOrJoin(tx: EntityManager, input: { conversationId: string; serviceSlug: string; messageId: string; categories: string[]; at: number }): Promise<{ escalationId: string; isNew: boolean }> {
    // A conversation has at most one open (or exhausted) escalation: the partial unique index
    // uq_escalation_open says so on every database. Several high-risk messages arriving together
    // (PostgreSQL runs them side by side) either join the one there is or race to insert it, and
    // the losers of that race join the winner's.
    for (let attempt = 1; ; attempt++) {
      const joined = await this.join(tx, input);
      if (joined) return joined;
      const escalation: Escalation = {
        id: randomUUID(),
        conversationId: input.conversationId,
        serviceSlug: input.serviceSlug,
        messageId: input.messageId,
        status: 'open',
        step: 0,
        nextDueAt: input.at,
        categories: input.categories.join(',').slice(0, 200),
        messageCount: 1,
        createdAt: input.at,
        acknowledgedAt: null,
        acknowledgedBy: null,
      };
      if (await insertUnlessOpen(tx, escalation)) {
        await recordAudit(tx, input.at, { actorType: 'system', action: 'escalation.raise', subjectType: 'escalation', subjectId: escalation.id, services: [input.serviceSlug], detail: { conversationId: input.conversationId, categories: escalation.categories } });
        return { escalationId: escalation.id, isNew: true };
      }
      if (attempt >= 3) throw new Error('an open escalation for this conversation was neither joined nor raised');
    }
  }

  /**
   * Joins the conversation's open escalation, if there is one. The count is raised in SQL first,
   * which takes the row's lock (a concurrent joiner waits for this unit to commit), and only then
   * is the row read, so the categories are merged into what the last joiner wrote, never into a
   * stale copy. A new high-risk message after the ladder was exhausted starts it again.
   */
  private async join(tx: EntityManager, input: { conversationId: string; categories: string[]; at: number }): Promise<{ escalationId: string; isNew: boolean } | undefined> {
    const counted = await change(tx, `UPDATE escalation SET "messageCount" = "messageCount" + 1 WHERE "conversationId" = ? AND status IN ('open', 'exhausted')`, [input.conversationId]);
    if (counted === 0) return undefined;
    const open = await tx.findOneByOrFail(Escalation, { conversationId: input.conversationId, status: In(['open', 'exhausted']) });
    const categories = [...new Set([...open.categories.split(',').filter(Boolean), ...input.categories])].join(',').slice(0, 200);
    const restart = open.status === 'exhausted' ? { status: 'open' as const, step: 0, nextDueAt: input.at } : {};
    if (categories !== open.categories || open.status === 'exhausted') await tx.update(Escalation, { id: open.id }, { categories, ...restart });
    return { escalationId: open.id, isNew: open.status === 'exhausted' };
  }

  start(): void {
    this.poller.start();
  }

  /** A new escalation commits: fire its first step now rather than at the next poll. */
  wake(): void {
    this.poller.wake();
  }

  async stop(): Promise<void> {
    await this.poller.stop();
  }

  /** Fires every step that is due now; returns how many fired. */
  async runDue(): Promise<number> {
    const now = this.deps.now();
    const due = await this.deps.db.manager.find(Escalation, { where: { status: 'open', nextDueAt: LessThanOrEqual(now) }, order: { nextDueAt: 'ASC' }, take: 50 });
    let fired = 0;
    for (const escalation of due) if (await this.fire(escalation, now)) fired++;
    return fired;
  }

  private async fire(escalation: Escalation, now: number): Promise<boolean> {
    const service = this.deps.directory.bySlugOrUndefined(escalation.serviceSlug);
    if (!service) return false;
    const ladder = openingState(service, new Date(now)).open ? service.escalation.inHours : service.escalation.outOfHours;
    const levels = ladder.levels.length;
    const final = escalation.step >= levels * service.escalation.rounds;
    const level = final ? 0 : (escalation.step % levels) + 1;
    const round = Math.floor(escalation.step / levels) + 1;
    const recipientsSpec = final ? service.escalation.fallback : ladder.levels.slice(0, level).flat();

    let queued = false;
    const notification = await this.deps.db.transaction(async (tx) => {
      const claimed = await tx.createQueryBuilder().update(Escalation)
        .set(final ? { status: 'exhausted', nextDueAt: null, step: escalation.step + 1 } : { step: escalation.step + 1, nextDueAt: now + ladder.acknowledgeWithinMinutes * 60_000 })
        .where('id = :id AND step = :step AND status = :open', { id: escalation.id, step: escalation.step, open: 'open' })
        .execute();
      if (claimed.affected !== 1) return undefined;
      const recipientStaffIds = await resolveRecipients(tx, service, recipientsSpec);
      const noticeId = randomUUID();
      await tx.insert(EscalationNotice, { id: noticeId, escalationId: escalation.id, step: escalation.step, level, round, final, recipients: recipientStaffIds.join(','), createdAt: now });
      await recordAudit(tx, now, { actorType: 'system', action: final ? 'escalation.final_alert' : 'escalation.notify', subjectType: 'escalation', subjectId: escalation.id, services: [service.slug], detail: { step: escalation.step, level, round, recipients: recipientStaffIds.length } });
      const built: EscalationNotification = { escalationId: escalation.id, conversationId: escalation.conversationId, serviceSlug: service.slug, step: escalation.step, level, round, final, categories: escalation.categories.split(',').filter(Boolean), recipientStaffIds };
      queued = (await this.deps.queued?.queue(tx, { ...built, noticeId }, now)) ?? false;
      return built;
    });
    if (!notification) return false;
    if (queued) this.deps.onQueued?.();
    this.deps.log.warn({ event: final ? 'escalation.final_alert' : 'escalation.notify', escalationId: escalation.id, ladderLevel: level, round, recipients: notification.recipientStaffIds.length }, 'escalation notified');
    await this.deps.notifier.notify(notification).catch((error) => this.deps.log.error({ event: 'escalation.notifier_failed', err: { name: (error as Error).name } }, 'notifier failed'));
    return true;
  }

  /**
   * Open escalations (oldest first: the longest wait is the most urgent), then, for `acknowledged`
   * or `all`, the most recent others, in the services where this person is a duty lead or an admin.
   * A clinician gets none.
   */
  async list(staff: StaffIdentity, status: string | undefined): Promise<EscalationView[]> {
    const services = staff.memberships.filter((m) => m.role === 'duty-lead' || m.role === 'admin').map((m) => m.serviceSlug);
    const { manager } = this.deps.db;
    const wanted = status ?? 'open';
    const open = services.length && wanted !== 'acknowledged' ? await manager.find(Escalation, { where: { serviceSlug: In(services), status: In(['open', 'exhausted']) }, order: { createdAt: 'ASC' }, take: 200 }) : [];
    const done = services.length && wanted !== 'open' ? await manager.find(Escalation, { where: { serviceSlug: In(services), status: 'acknowledged' }, order: { acknowledgedAt: 'DESC' }, take: 100 }) : [];
    const escalations = [...open, ...done];
    await this.deps.db.transaction((tx) => recordAudit(tx, this.deps.now(), { actorType: 'staff', actorId: staff.id, action: 'escalation.list', subjectType: 'service', services: staff.memberships.map((m) => m.serviceSlug), detail: { count: escalations.length, status: wanted } }));
    return describeEscalations(manager, this.deps.keyring, this.deps.directory, escalations, this.deps.now());
  }

  /**
   * Acknowledges: stops the ladder, and says in the conversation's thread who did and what was
   * done. From the tab the person says what was done (`outcome`); the Teams card asks nothing,
   * and the thread says so rather than inventing words.
   */
  async acknowledge(staff: StaffIdentity, id: string, how: { outcome: unknown } | { via: 'teams' }): Promise<EscalationView> {
    const { view, queued } = await auditingRefusals(this.deps, staff, { action: 'escalation.acknowledge', subjectType: 'escalation', subjectId: id }, () => this.acknowledgeVisible(staff, id, how));
    this.onAcknowledged({ id: view.id, serviceSlug: view.service, conversationId: view.conversationId });
    if (queued) this.deps.onQueued?.();
    return view;
  }

  /**
   * Claim, from the Teams card: acknowledges the escalation if nobody has yet, and gives the
   * conversation to this person if nobody has it (a conversation someone else has stays theirs; the
   * card then says who). Either alone is still done: a card acknowledged by a colleague can still be
   * claimed. One transaction; audited as the acknowledgement and the claim it made.
   */
  async claim(staff: StaffIdentity, id: string): Promise<{ acknowledged: boolean; assigned: boolean; holder: string | null }> {
    const result = await auditingRefusals(this.deps, staff, { action: 'escalation.claim', subjectType: 'escalation', subjectId: id }, async () => {
      if (!looksLikeId(id)) throw notFound('escalation not found');
      const now = this.deps.now();
      return this.deps.db.transaction(async (tx) => {
        const escalation = await this.escalationFor(tx, staff, id, 'claim');
        const acknowledged = await this.settle(tx, staff, escalation, 'claim', ACKNOWLEDGED_BY_CLAIM, now);
        const conversation = await tx.findOneByOrFail(Conversation, { id: escalation.conversationId });
        let assigned = false;
        if (conversation.status === 'open') {
          const taken = await tx.createQueryBuilder().update(Conversation).set({ assignedStaffId: staff.id })
            .where('id = :id AND "assignedStaffId" IS NULL', { id: conversation.id }).execute();
          assigned = taken.affected === 1;
          if (assigned) await recordAudit(tx, now, { actorType: 'staff', actorId: staff.id, action: 'conversation.claim', subjectType: 'conversation', subjectId: conversation.id, services: [escalation.serviceSlug], detail: { via: 'teams', escalationId: escalation.id } });
        }
        const queued = (acknowledged || assigned) && ((await this.deps.queued?.changed(tx, escalation.conversationId, now)) ?? false);
        const current = assigned ? staff.id : (await tx.findOneByOrFail(Conversation, { id: conversation.id })).assignedStaffId;
        const holder = current === null ? null : current === staff.id ? staff.name : (await tx.findOneBy(StaffMember, { id: current }))?.name ?? 'a former staff member';
        return { acknowledged, assigned, holder, escalation, queued };
      });
    });
    const ref = { id: result.escalation.id, serviceSlug: result.escalation.serviceSlug, conversationId: result.escalation.conversationId };
    if (result.acknowledged) this.onAcknowledged(ref);
    if (result.assigned) this.onClaimed(ref);
    if (result.queued) this.deps.onQueued?.();
    return { acknowledged: result.acknowledged, assigned: result.assigned, holder: result.holder };
  }

  private async acknowledgeVisible(staff: StaffIdentity, id: string, how: { outcome: unknown } | { via: 'teams' }): Promise<{ view: EscalationView; queued: boolean }> {
    if (!looksLikeId(id)) throw notFound('escalation not found');
    const now = this.deps.now();
    return this.deps.db.transaction(async (tx) => {
      const escalation = await this.escalationFor(tx, staff, id, 'acknowledge');
      // Who may is settled before what they wrote, so a refusal is audited as one whatever the body.
      const text = 'via' in how ? ACKNOWLEDGED_IN_TEAMS : `${ACKNOWLEDGED_PREFIX}${checkOutcome(how.outcome)}`;
      if (!(await this.settle(tx, staff, escalation, 'via' in how ? 'teams' : 'tab', text, now))) {
        const by = escalation.acknowledgedBy ? await tx.findOneBy(StaffMember, { id: escalation.acknowledgedBy }) : null;
        throw conflict('already_acknowledged', `already acknowledged${by ? ` by ${by.name}` : ''}`);
      }
      const queued = (await this.deps.queued?.changed(tx, escalation.conversationId, now)) ?? false;
      const [view] = await describeEscalations(tx, this.deps.keyring, this.deps.directory, [{ ...escalation, status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: staff.id, nextDueAt: null }], now);
      return { view, queued };
    });
  }

  /** The escalation, if this person may act on it: a duty lead or an admin of its service; to anyone else it does not exist, or is refused. */
  private async escalationFor(tx: EntityManager, staff: StaffIdentity, id: string, verb: string): Promise<Escalation> {
    const escalation = await tx.findOneBy(Escalation, { id });
    if (!escalation) throw notFound('escalation not found');
    const role = staff.memberships.find((m) => m.serviceSlug === escalation.serviceSlug)?.role;
    if (!role) throw notFound('escalation not found', [escalation.serviceSlug]);
    if (role !== 'duty-lead' && role !== 'admin') throw forbidden(`only a duty lead or an admin of this service can ${verb} an escalation`, [escalation.serviceSlug]);
    return escalation;
  }

  /** Acknowledges if nobody has yet (first one wins): stops the ladder, notes it in the thread, audits it. False if already acknowledged. */
  private async settle(tx: EntityManager, staff: StaffIdentity, escalation: Escalation, via: 'tab' | 'teams' | 'claim', text: string, now: number): Promise<boolean> {
    const claimed = await tx.createQueryBuilder().update(Escalation)
      .set({ status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: staff.id, nextDueAt: null })
      .where('id = :id AND status IN (:...statuses)', { id: escalation.id, statuses: ['open', 'exhausted'] })
      .execute();
    if (claimed.affected !== 1) return false;
    // Alerts by text and email still waiting for their turn (or a retry) are not needed now: nobody
    // should be told "URGENT" about what someone has in hand. One already being sent goes.
    await change(tx, `UPDATE outbox_item SET status = 'cancelled', "lastError" = ?, "updatedAt" = ? WHERE status = 'pending' AND "conversationId" = ? AND channel IN ('alert-sms', 'alert-email')
      AND id IN (SELECT a.id FROM staff_alert a JOIN escalation_notice n ON n.id = a."escalationNoticeId" WHERE n."escalationId" = ?)`, [CANCELLED_ACKNOWLEDGED, now, escalation.conversationId, escalation.id]);
    const noteId = randomUUID();
    await tx.insert(Note, { id: noteId, conversationId: escalation.conversationId, authorStaffId: staff.id, kind: 'acknowledged', ...sealNoteBody(this.deps.keyring, noteId, text), createdAt: now });
    await recordAudit(tx, now, { actorType: 'staff', actorId: staff.id, action: 'escalation.acknowledge', subjectType: 'escalation', subjectId: escalation.id, services: [escalation.serviceSlug], detail: { conversationId: escalation.conversationId, afterSteps: escalation.step, noteId, via: via === 'tab' ? 'tab' : 'teams', ...(via === 'claim' ? { claim: true } : {}) } });
    return true;
  }
}

/** What was done, in the person's words: required, short, and with no control characters but line breaks. */
const OUTCOME_MAX = 500;
function checkOutcome(outcome: unknown): string {
  if (typeof outcome !== 'string' || !outcome.trim()) throw invalid('say what was done: outcome is required (1 to 500 characters)');
  const text = outcome.trim().replace(/\r\n?/g, '\n');
  if ([...text].length > OUTCOME_MAX) throw invalid(`outcome is longer than ${OUTCOME_MAX} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000B-\u001F\u007F\u202A-\u202E\u2066-\u2069]/.test(text)) throw invalid('outcome contains control characters');
  return text;
}

async function resolveRecipients(tx: EntityManager, service: ServiceConfig, spec: string[]): Promise<string[]> {
  const ids = new Set<string>();
  const roles = spec.filter((r) => r.startsWith('role:')).map((r) => r.slice(5) as Role);
  if (roles.length) {
    for (const m of await tx.find(ServiceMembership, { where: { serviceSlug: service.slug, role: In(roles) } })) ids.add(m.staffId);
  }
  const emails = spec.filter((r) => r.startsWith('staff:')).map((r) => r.slice(6).toLowerCase());
  if (emails.length) {
    for (const s of await tx.find(StaffMember, { where: { email: In(emails) } })) ids.add(s.id);
  }
  return [...ids].sort();
}

/**
 * Inserts an escalation unless the conversation already has an open one (uq_escalation_open);
 * whether it went in. PostgreSQL and SQLite skip the row (ON CONFLICT DO NOTHING: on PostgreSQL
 * after waiting for a concurrent insert to commit or roll back); SQL Server refuses the statement
 * alone, leaving the transaction usable.
 */
async function insertUnlessOpen(tx: EntityManager, e: Escalation): Promise<boolean> {
  const columns = ['id', 'conversationId', 'serviceSlug', 'messageId', 'status', 'step', 'nextDueAt', 'categories', 'messageCount', 'createdAt', 'acknowledgedAt', 'acknowledgedBy'] as const;
  const insert = `INSERT INTO escalation (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
  const values = columns.map((c) => e[c]);
  if (dialectOf(tx) === 'mssql') {
    try {
      await change(tx, insert, values);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
  return (await change(tx, `${insert} ON CONFLICT ("conversationId") WHERE status IN ('open', 'exhausted') DO NOTHING`, values)) > 0;
}
