import { describeEscalations } from '../escalation/view';
import { maskedAddress } from './masked-address';
import { REPLY_TEXT_LIMITS } from '../../adapters/channel';
import { replyTemplateFor, replyWindowOf, templatePreview, templateReplyLimit } from '../outbox/send-guards';
import { In, Not } from 'typeorm';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Contact, Conversation, ConversationRead, Escalation, Message, Note, OutboxItem, StaffMember, WebchatSession, STAFF_CHANNELS } from '../../db/entities';
import { filtersUsed, searchConversations, searchQueryFrom } from './search';
import type { EntityManager } from 'typeorm';
import { PAGE_PRESENT_MS } from '../../adapters/webchat/policy';
import { openContactAddress, openMessageBody, openNoteBody, openTriage } from '../../db/sealed-fields';
import type { Reason } from '../../triage';
import { findVisibleConversation, visibleServices } from './access';
import type { StaffIdentity } from '../identity';
import { invalid } from '../problems';
import { auditingRefusals, recordAudit } from '../audit/record';
import type { ServiceConfig, ServiceDirectory } from '../config/services';
import { SERVICE_ZONE } from '../gateway/hours';
import { transcriptText } from './transcript';
import { sql } from '../../db/rows';
import { TranscriptRenderer } from './transcript-worker';

/** A queue shows at most this many (the counts are always whole); risk first, so nothing urgent is beyond it. */
/**
 * The open queue's page: the most urgent 200, with every queue's exact count and "showing the first
 * 200 of N" (as the closed queue shows its newest 200). 500 cost 125 ms a list at 8,000 open
 * (issue 13's scale bench): each row is a contact, a preview and triage to decrypt.
 */
export const OPEN_LIMIT = 200;
const RISK_RANK = { high: 2, medium: 1, none: 0 } as const;
/** `items.map(view)`, with a turn of the event loop after each page's worth (decrypting 10,000 messages at once held it for tens of ms). */
async function inTurns<T, U>(items: T[], view: (item: T) => U): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < items.length; i += MESSAGE_PAGE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const item of items.slice(i, i + MESSAGE_PAGE)) out.push(view(item));
  }
  return out;
}

/** The open queue's order: risk, then waiting longest for a person (those not waiting last), then the most recent. */
const mostUrgentFirst = (a: Conversation, b: Conversation) =>
  RISK_RANK[b.riskLevel] - RISK_RANK[a.riskLevel]
  || (a.awaitingReplySince ?? Number.POSITIVE_INFINITY) - (b.awaitingReplySince ?? Number.POSITIVE_INFINITY)
  || b.lastMessageAt - a.lastMessageAt;
export const CLOSED_LIMIT = 200;
/** Messages in one answer for a conversation: the newest, with a cursor for the rest. */
export const MESSAGE_PAGE = 500;
const ESCALATION_OPEN = ['open', 'exhausted'];

interface Dependencies {
  db: Database;
  keyring: Keyring;
  directory: ServiceDirectory;
  now: () => number;
}

export const QUEUES = ['escalated', 'unassigned', 'mine', 'open', 'closed'] as const;
export type Queue = (typeof QUEUES)[number];

/**
 * What a clinician reads. Every read is scoped to the services the person belongs to and audited.
 */
export class ClinicianConversations {
  /** Lays PDFs out off the event loop. */
  private readonly pdfs = new TranscriptRenderer();

  constructor(private readonly deps: Dependencies) {}

  /** Stops the PDF worker (at shutdown). */
  close(): Promise<void> {
    return this.pdfs.close();
  }

  async list(staff: StaffIdentity, filter: { queue?: string; service?: string }) {
    const queue = (filter.queue ?? 'open') as Queue;
    if (!QUEUES.includes(queue)) throw invalid(`queue must be one of ${QUEUES.join(', ')}`);
    if (filter.service !== undefined && !this.deps.directory.bySlugOrUndefined(filter.service)) throw invalid('no such service');
    const services = visibleServices(staff, this.deps.directory, filter.service);
    const { manager } = this.deps.db;
    const escalatedIds = await this.escalatedOpen(services);
    const counts = await this.counts(services, staff.id, escalatedIds.length);
    let chosen: Conversation[] = [];
    if (services.length && queue === 'closed') {
      chosen = await manager.find(Conversation, { where: { serviceSlug: In(services), status: 'closed' }, order: { closedAt: 'DESC' }, take: CLOSED_LIMIT });
    } else if (services.length && (queue !== 'escalated' || escalatedIds.length)) {
      chosen = await this.mostUrgentOpen(services, (q) => {
        if (queue === 'escalated') {
          // Few are escalated at once; past what one statement may bind, ask the database per row.
          if (escalatedIds.length <= 1000) q.andWhere('c.id IN (:...escalatedIds)', { escalatedIds });
          else q.andWhere(`EXISTS ${this.openEscalationOf(q)}`);
        }
        if (queue === 'unassigned') q.andWhere('c.assignedStaffId IS NULL');
        if (queue === 'mine') q.andWhere('c.assignedStaffId = :me', { me: staff.id });
      });
    }
    // An open conversation's flag is known already; a closed one's is asked of its own rows.
    const escalated = queue !== 'closed' ? new Set(escalatedIds) : new Set(chosen.length
      ? (await manager.find(Escalation, { select: { conversationId: true }, where: { conversationId: In(chosen.map((c) => c.id)), status: In(ESCALATION_OPEN) } })).map((e) => e.conversationId)
      : []);
    await this.deps.db.transaction((tx) => recordAudit(tx, this.deps.now(), {
      actorType: 'staff', actorId: staff.id, action: 'conversation.list', subjectType: 'service', subjectId: null, services,
      detail: { queue, count: chosen.length },
    }));
    const total = queue === 'closed' ? chosen.length : counts[queue];
    return { queue, counts, total, conversations: await this.rows(staff, chosen, escalated) };
  }

  /**
   * Find conversations by words, a number (whole or last four), dates, service, risk and status,
   * within the services the person belongs to (see search.ts for how, with sealed bodies). Audited
   * with the filters used, not the words or the number.
   */
  async search(staff: StaffIdentity, raw: Record<string, unknown>) {
    const query = searchQueryFrom(raw);
    if (query.service !== undefined && !this.deps.directory.bySlugOrUndefined(query.service)) throw invalid('no such service');
    const services = visibleServices(staff, this.deps.directory, query.service);
    const { manager } = this.deps.db;
    const answer = await searchConversations(manager, this.deps.keyring, services, query);
    await this.deps.db.transaction((tx) => recordAudit(tx, this.deps.now(), {
      actorType: 'staff', actorId: staff.id, action: 'conversation.search', subjectType: 'service', subjectId: null, services,
      detail: { filters: filtersUsed(query).join(' '), count: answer.hits.length, complete: answer.complete },
    }));
    const chosen = answer.hits.map((h) => h.conversation);
    const escalated = new Set(chosen.length
      ? (await manager.find(Escalation, { select: { conversationId: true }, where: { conversationId: In(chosen.map((c) => c.id)), status: In(ESCALATION_OPEN) } })).map((e) => e.conversationId)
      : []);
    const rows = await this.rows(staff, chosen, escalated);
    return {
      conversations: rows.map((row, i) => ({ ...row, match: answer.hits[i].match ?? null })),
      complete: answer.complete,
      scanned: answer.scanned,
    };
  }

  /** List rows: who, risk and why, the newest words from the young person, and whether I have read it. */
  private async rows(staff: StaffIdentity, chosen: Conversation[], escalated: Set<string>) {
    const contacts = await this.contactsById(chosen.map((c) => c.contactId));
    const names = await this.staffNames(chosen.map((c) => c.assignedStaffId));
    const reads = await this.myReads(this.deps.db.manager, staff.id, chosen.map((c) => c.id));
    const previews = await this.previews(chosen);
    const undelivered = await this.undelivered(chosen.map((c) => c.id));
    return chosen.map((c) => ({
      ...this.summary(c, contacts.get(c.contactId), names, escalated.has(c.id), reads.get(c.id) ?? null),
      preview: previews.text.get(c.id) ?? null,
      riskCategories: previews.categories.get(c.id) ?? [],
      undelivered: undelivered.get(c.id) ?? null,
    }));
  }

  /**
   * Conversations with a message to the young person that failed, for the list to flag: `held` when a
   * reply failed after the whole retry window and holds the replies queued after it.
   */
  private async undelivered(ids: string[]): Promise<Map<string, { held: boolean }>> {
    const found = new Map<string, { held: boolean }>();
    for (let i = 0; i < ids.length; i += 500) {
      const failed = await this.deps.db.manager.find(OutboxItem, { select: { conversationId: true, holdsLater: true }, where: { conversationId: In(ids.slice(i, i + 500)), status: 'failed', channel: Not(In(STAFF_CHANNELS)) } });
      for (const f of failed) found.set(f.conversationId, { held: (found.get(f.conversationId)?.held ?? false) || f.holdsLater });
    }
    return found;
  }

  private async myReads(manager: EntityManager, staffId: string, ids: string[]): Promise<Map<string, number>> {
    const reads = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 500) {
      for (const r of await manager.findBy(ConversationRead, { staffId, conversationId: In(ids.slice(i, i + 500)) })) reads.set(r.conversationId, r.readAt);
    }
    return reads;
  }

  /**
   * The first line of each conversation's newest message from the young person (as text, cut to
   * 120 characters), and the risk categories of the messages that set its level.
   */
  private async previews(chosen: Conversation[]) {
    const text = new Map<string, string>();
    const categories = new Map<string, string[]>();
    const { manager } = this.deps.db;
    for (let i = 0; i < chosen.length; i += 500) {
      const batch = chosen.slice(i, i + 500);
      const ids = batch.map((c) => c.id);
      // The newest message from the young person is the one stamped with the conversation's
      // lastInboundAt (both are set from the same instant): one index probe per conversation.
      const newest = await manager.createQueryBuilder(Message, 'm')
        .select(['m.id', 'm.conversationId', 'm.bodyCipher', 'm.keyId'])
        .innerJoin(Conversation, 'c', 'c.id = m.conversationId AND m.createdAt = c.lastInboundAt')
        .where('c.id IN (:...ids)', { ids }).andWhere("m.direction = 'in'")
        .getMany();
      // Rows stored otherwise (none are, today) are found the slow way: the newest inbound message of each.
      const missing = batch.filter((c) => c.lastInboundAt !== null && !newest.some((m) => m.conversationId === c.id)).map((c) => c.id);
      if (missing.length) {
        newest.push(...await manager.createQueryBuilder(Message, 'm')
          .select(['m.id', 'm.conversationId', 'm.bodyCipher', 'm.keyId'])
          .where('m.conversationId IN (:...missing)', { missing }).andWhere("m.direction = 'in'")
          .andWhere((q) => `m.createdAt = ${q.subQuery().select('MAX(m2.createdAt)').from(Message, 'm2').where('m2.conversationId = m.conversationId').andWhere("m2.direction = 'in'").getQuery()}`)
          .getMany());
      }
      for (const m of newest) {
        if (text.has(m.conversationId)) continue;
        const line = openMessageBody(this.deps.keyring, m).split(/\r?\n/).find((l) => l.trim()) ?? '';
        const chars = [...line.trim()];
        text.set(m.conversationId, chars.length > 120 ? `${chars.slice(0, 119).join('')}…` : chars.join(''));
      }
      const flagged = batch.filter((c) => c.riskLevel !== 'none');
      if (flagged.length === 0) continue;
      const level = new Map(flagged.map((c) => [c.id, c.riskLevel]));
      const risky = await manager.find(Message, {
        select: { id: true, conversationId: true, riskLevel: true, triageCipher: true, keyId: true },
        where: { conversationId: In(flagged.map((c) => c.id)), riskLevel: In(['high', 'medium']) },
      });
      for (const m of risky) {
        if (m.riskLevel !== level.get(m.conversationId)) continue;
        const found = categories.get(m.conversationId) ?? [];
        for (const r of openTriage<Reason[]>(this.deps.keyring, m) ?? []) if (r.level === m.riskLevel && !found.includes(r.category)) found.push(r.category);
        categories.set(m.conversationId, found);
      }
    }
    return { text, categories };
  }

  /** Open conversations of these services (the queues' common ground). */
  private openIn(services: string[]) {
    return this.deps.db.manager.createQueryBuilder(Conversation, 'c')
      .where('c.serviceSlug IN (:...services)', { services })
      .andWhere('c.status = :open', { open: 'open' });
  }

  private openEscalationOf(q: ReturnType<ClinicianConversations['openIn']>): string {
    return q.subQuery().select('1').from(Escalation, 'e')
      .where('e.conversationId = c.id').andWhere('e.status IN (:...escalationOpen)', { escalationOpen: ESCALATION_OPEN })
      .getQuery();
  }

  /**
   * The first page of the open queue, most urgent first: risk, then whoever has waited longest for a
   * person to answer, then the most recent. Asked of the database a service, a risk level and
   * waiting-or-not at a time, each in the order ix_conversation_open_queue keeps, so each read stops
   * at the page's end instead of sorting every open conversation (8,000 in a service took 18 ms a
   * call); the pieces are put in order here.
   */
  private async mostUrgentOpen(services: string[], narrow: (q: ReturnType<ClinicianConversations['openIn']>) => void): Promise<Conversation[]> {
    const found: Conversation[] = [];
    for (const service of services) {
      let fromService = 0;
      for (const level of ['high', 'medium', 'none'] as const) {
        for (const waiting of [true, false]) {
          const left = OPEN_LIMIT - fromService;
          if (left <= 0) break;
          const q = this.openIn([service]).andWhere('c.riskLevel = :level', { level });
          if (waiting) q.andWhere('c.awaitingReplySince IS NOT NULL').orderBy('c.awaitingReplySince', 'ASC').addOrderBy('c.lastMessageAt', 'DESC');
          else q.andWhere('c.awaitingReplySince IS NULL').orderBy('c.lastMessageAt', 'DESC');
          narrow(q);
          const rows = await q.limit(left).getMany();
          found.push(...rows);
          fromService += rows.length;
        }
      }
    }
    return found.sort(mostUrgentFirst).slice(0, OPEN_LIMIT);
  }

  /**
   * The ids of the open conversations in these services with an open escalation, read from the
   * escalations' side (the schema test checks the plan): there are few, where probing every open
   * conversation for one took 16 ms at 8,000 open.
   */
  private async escalatedOpen(services: string[]): Promise<string[]> {
    if (services.length === 0) return [];
    const rows = await this.deps.db.manager.createQueryBuilder()
      .select('DISTINCT e.conversationId', 'id')
      .from(Escalation, 'e')
      .innerJoin(Conversation, 'c', 'c.id = e.conversationId')
      .where('e.status IN (:...escalationOpen)', { escalationOpen: ESCALATION_OPEN })
      .andWhere('c.serviceSlug IN (:...services)', { services })
      .andWhere('c.status = :open', { open: 'open' })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /**
   * Every queue's count, counted by the database rather than by loading conversations, so the
   * numbers stay right however many are open: from ix_conversation_open_queue alone (it covers every
   * column counted), and unread as those with a message minus those I have read since, counted from
   * my reads (a join to every open conversation's read row took 18 ms at 8,000 open).
   */
  private async counts(services: string[], me: string, escalated: number) {
    if (services.length === 0) return { escalated: 0, unassigned: 0, mine: 0, open: 0, unread: 0, notRecorded: 0 };
    const row = await this.openIn(services)
      .select('COUNT(*)', 'open')
      .addSelect('SUM(CASE WHEN c.assignedStaffId IS NULL THEN 1 ELSE 0 END)', 'unassigned')
      .addSelect('SUM(CASE WHEN c.assignedStaffId = :me THEN 1 ELSE 0 END)', 'mine')
      .addSelect('SUM(CASE WHEN c.lastInboundAt IS NOT NULL THEN 1 ELSE 0 END)', 'withInbound')
      .addSelect('SUM(CASE WHEN c.recordedAt IS NULL THEN 1 ELSE 0 END)', 'notRecorded')
      .setParameter('me', me)
      .getRawOne<Record<string, string | number | null>>();
    // Two statements, so on PostgreSQL a conversation read between them could count as read but not
    // as having a message: the difference is kept from going below zero.
    // From the open conversations (CROSS JOIN keeps SQLite to that order), each probing my read in
    // ix_conversation_read_open: a nurse's reads of closed conversations, tens of thousands over
    // the years, are never walked.
    const [read] = await sql(this.deps.db.manager, `SELECT COUNT(*) AS n FROM "conversation" c CROSS JOIN "conversation_read" r
      WHERE c."serviceSlug" IN (${services.map(() => '?').join(', ')}) AND c.status = 'open' AND c."lastInboundAt" IS NOT NULL
      AND r."conversationId" = c.id AND r."staffId" = ? AND c."lastInboundAt" < r."readAt"`, [...services, me]);
    const n = (v: string | number | null | undefined) => Number(v ?? 0);
    return { escalated, unassigned: n(row?.unassigned), mine: n(row?.mine), open: n(row?.open), unread: Math.max(0, n(row?.withInbound) - n(read?.n)), notRecorded: n(row?.notRecorded) };
  }

  /**
   * A conversation with its newest messages: at most `limit` (default 500), and with `before` (the
   * `olderMessages.before` of an earlier answer) the page before that. A transcript reads them all.
   */
  async get(staff: StaffIdentity, conversationId: string, page: { limit?: unknown; before?: unknown } = {}) {
    const limit = page.limit === undefined ? MESSAGE_PAGE : Number(page.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MESSAGE_PAGE) throw invalid(`limit must be a whole number from 1 to ${MESSAGE_PAGE}`);
    let before: { at: number; id: string } | undefined;
    if (page.before !== undefined) {
      const match = typeof page.before === 'string' ? /^(\d{1,15}):([0-9a-f-]{36})$/.exec(page.before) : null;
      if (!match) throw invalid('before must be the olderMessages.before of an earlier answer');
      before = { at: Number(match[1]), id: match[2] };
    }
    return auditingRefusals(this.deps, staff, { action: 'conversation.read', subjectType: 'conversation', subjectId: conversationId }, () => this.read(staff, conversationId, { limit, before }));
  }

  /**
   * A whole conversation as its transcript shows it, for a subject access request an operator runs
   * (bot/governance/subject.ts, which audits it): every service, and no read receipt, as nobody on
   * the staff read it.
   */
  async forSubjectAccess(conversationId: string) {
    const reader: StaffIdentity = { id: 'subject-access', email: 'subject-access', name: 'Subject access request', memberships: this.deps.directory.services.map((s) => ({ serviceSlug: s.slug, role: 'admin' as const })) };
    return this.read(reader, conversationId, 'all', { receipt: false, anyService: true });
  }

  /** A transcript's PDF, laid out off the event loop. */
  transcriptPdf(view: Awaited<ReturnType<ClinicianConversations['forSubjectAccess']>>, exportedBy: string, at: Date): Promise<Buffer> {
    return this.pdfs.pdf(view, exportedBy, at);
  }

  private async read(staff: StaffIdentity, conversationId: string, page: { limit: number; before?: { at: number; id: string } } | 'all' = 'all', options: { receipt: boolean; anyService?: boolean } = { receipt: true }) {
    const { manager } = this.deps.db;
    // Subject access reads every service's records, including a service the config no longer names (retention keeps those).
    const conversation = options.anyService ? await manager.findOneByOrFail(Conversation, { id: conversationId }) : await findVisibleConversation(manager, staff, this.deps.directory, conversationId);
    const contact = await manager.findOneByOrFail(Contact, { id: conversation.contactId });
    // A conversation that fits in one page comes whole, in time order as stored (messages in the
    // same millisecond keep the order they arrived in). A longer one comes newest first a page at a
    // time (one more than asked, to know if there are older), ordered by time and then id so the
    // cursor is exact, then turned back into time order.
    const count = page === 'all' || !page.before ? await manager.countBy(Message, { conversationId }) : undefined;
    if (page !== 'all' && count !== undefined && count <= page.limit) page = 'all';
    const q = manager.createQueryBuilder(Message, 'm').where('m.conversationId = :conversationId', { conversationId });
    if (page !== 'all' && page.before) q.andWhere('(m.createdAt < :at OR (m.createdAt = :at AND m.id < :id))', { at: page.before.at, id: page.before.id });
    if (page !== 'all') q.orderBy('m.createdAt', 'DESC').addOrderBy('m.id', 'DESC').take(page.limit + 1);
    else q.orderBy('m.createdAt', 'ASC');
    // A whole conversation longer than a page (a transcript) is read a page at a time, by time and
    // id as the paged view orders it, with a turn of the event loop between pages: one read of
    // 10,000 messages held every other request for 50-80 ms.
    const found = page === 'all' && count !== undefined && count > MESSAGE_PAGE ? await this.allInPages(conversationId) : await q.getMany();
    const more = page !== 'all' && found.length > page.limit;
    const messages = page === 'all' ? found : found.slice(0, page.limit).reverse();
    const notes = await manager.find(Note, { where: { conversationId }, order: { createdAt: 'ASC' } });
    const outbox = new Map((await manager.find(OutboxItem, { where: { conversationId } })).map((o) => [o.messageId, o]));
    const escalationRows = await manager.find(Escalation, { where: { conversationId }, order: { createdAt: 'DESC' } });
    const escalation = escalationRows[0];
    const names = await this.staffNames([...messages.map((m) => m.authorStaffId), ...notes.map((n) => n.authorStaffId), conversation.assignedStaffId]);
    const history = await manager.find(Conversation, {
      where: { contactId: contact.id, id: Not(conversation.id), serviceSlug: In(visibleServices(staff, this.deps.directory)) },
      order: { createdAt: 'DESC' },
      take: 20,
    });
    const at = this.deps.now();
    const readBefore = (await this.myReads(manager, staff.id, [conversation.id])).get(conversation.id) ?? null;
    if (options.receipt) await this.deps.db.transactionRetryingConflicts(async (tx) => {
      await tx.update(Conversation, { id: conversation.id }, { lastReadAt: at });
      if (await tx.existsBy(ConversationRead, { conversationId: conversation.id, staffId: staff.id })) await tx.update(ConversationRead, { conversationId: conversation.id, staffId: staff.id }, { readAt: at });
      else await tx.insert(ConversationRead, { conversationId: conversation.id, staffId: staff.id, readAt: at });
      await recordAudit(tx, at, {
        actorType: 'staff', actorId: staff.id, action: 'conversation.read', subjectType: 'conversation', subjectId: conversation.id,
        services: [conversation.serviceSlug], detail: { messages: messages.length, notes: notes.length },
      });
    });
    const address = openContactAddress(this.deps.keyring, contact);
    const escalationViews = await describeEscalations(manager, this.deps.keyring, this.deps.directory, escalationRows, at);
    return {
      ...this.summary(conversation, contact, names, escalation?.status === 'open' || escalation?.status === 'exhausted', at),
      contact: { id: contact.id, channel: contact.channel, address, consent: contact.consent, blocked: contact.blockedAt !== null },
      // What this person had read before this opening: the tab opens the thread at the first
      // message after it, or at the highest-risk message if that comes earlier.
      readUpTo: iso(readBefore),
      reply: { ...this.replyRules(conversation, at), page: conversation.channel === 'webchat' ? await this.chatPage(conversation, address, at) : null },
      // Every escalation of this conversation, newest first, as the escalations screen shows them;
      // `escalation` is the newest (the banner's).
      escalation: escalationViews[0] ?? null,
      escalations: escalationViews,
      messages: await inTurns(messages, (m) => {
        const delivery = outbox.get(m.id);
        return {
          id: m.id,
          direction: m.direction,
          authorKind: m.authorKind,
          authorName: m.authorStaffId ? names.get(m.authorStaffId) ?? null : null,
          autoReplyKind: m.autoReplyKind,
          text: openMessageBody(this.deps.keyring, m),
          createdAt: iso(m.createdAt),
          risk: m.riskLevel ? { level: m.riskLevel, reasons: openTriage<Reason[]>(this.deps.keyring, m) ?? [] } : null,
          delivery: delivery ? { status: delivery.status, attempts: delivery.attempts, providerStatus: delivery.providerStatus, lastError: delivery.lastError, template: delivery.templateName, holdsLater: delivery.holdsLater } : null,
        };
      }),
      notes: notes.map((n) => ({ id: n.id, kind: n.kind, authorName: n.authorStaffId ? names.get(n.authorStaffId) ?? null : null, text: openNoteBody(this.deps.keyring, n), createdAt: iso(n.createdAt) })),
      history: history.map((h) => ({ id: h.id, service: h.serviceSlug, status: h.status, riskLevel: h.riskLevel, outcome: h.outcome, createdAt: iso(h.createdAt), closedAt: iso(h.closedAt) })),
      // Where the next page back starts, when there are older messages than these.
      olderMessages: more ? { before: `${messages[0].createdAt}:${messages[0].id}` } : null,
    };
  }

  private async allInPages(conversationId: string): Promise<Message[]> {
    const all: Message[] = [];
    for (let after: Message | undefined; ;) {
      const q = this.deps.db.manager.createQueryBuilder(Message, 'm').where('m.conversationId = :conversationId', { conversationId });
      if (after) q.andWhere('(m.createdAt > :at OR (m.createdAt = :at AND m.id > :id))', { at: after.createdAt, id: after.id });
      const page = await q.orderBy('m.createdAt', 'ASC').addOrderBy('m.id', 'ASC').take(MESSAGE_PAGE).getMany();
      all.push(...page);
      if (page.length < MESSAGE_PAGE) return all;
      after = page[page.length - 1];
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * What a reply may be here now: the longest the channel takes and, on a channel with a reply
   * window, whether it is open, when it closes, and which approved template a reply goes in after.
   */
  private replyRules(conversation: Conversation, now: number) {
    const service = this.deps.directory.bySlugOrUndefined(conversation.serviceSlug);
    const template = replyTemplateFor(service, conversation, 'clinician');
    const window = replyWindowOf(conversation, now);
    const outside = window !== undefined && !window.open;
    return {
      maxLength: outside && template && service ? templateReplyLimit(template, service, conversation.channel) : REPLY_TEXT_LIMITS.get(conversation.channel)!,
      window: window ? {
        open: window.open,
        closesAt: iso(window.closesAt),
        template: template?.name ?? null,
        // What the contact reads when a reply goes inside the template, the reply shown as [your reply].
        preview: template && service ? templatePreview(template, service, '[your reply]') ?? null : null,
      } : null,
    };
  }

  /**
   * Web chat only: whether the young person's chat page is open now. A reply to a closed page is
   * kept, and seen only if they reopen it in the same browser session; the clinician must know.
   */
  private async chatPage(conversation: Conversation, userId: string, now: number) {
    const session = await this.deps.db.manager.findOneBy(WebchatSession, { endpoint: conversation.endpointAddress, userId });
    if (!session) return { open: false, lastSeenAt: null };
    return { open: session.endedAt === null && now - session.lastActiveAt <= PAGE_PRESENT_MS, lastSeenAt: iso(session.lastActiveAt) };
  }

  /** The transcript for the clinical record, as text or PDF. Audited as an export. */
  /**
   * A transcript's file name says what it is without saying who: the service, the date it was
   * exported (UK date) and the contact's last four characters ("lamplight-school-nursing-2026-11-24-0555").
   */
  transcriptName(view: { service: string; contact: { address: string } }, at: number): string {
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: SERVICE_ZONE }).format(new Date(at));
    const last4 = view.contact.address.replace(/[^A-Za-z0-9]/g, '').slice(-4);
    return `lamplight-${view.service}-${day}-${last4}`;
  }

  async transcript(staff: StaffIdentity, conversationId: string, format: 'text' | 'pdf'): Promise<{ body: string | Buffer; name: string }> {
    const view = await auditingRefusals(this.deps, staff, { action: 'conversation.export', subjectType: 'conversation', subjectId: conversationId }, () => this.read(staff, conversationId));
    const at = this.deps.now();
    await this.deps.db.transaction((tx) => recordAudit(tx, at, {
      actorType: 'staff', actorId: staff.id, action: 'conversation.export', subjectType: 'conversation', subjectId: conversationId, services: [view.service], detail: { format },
    }));
    const body = format === 'pdf' ? await this.pdfs.pdf(view, staff.name, new Date(at)) : transcriptText(view, staff.name, new Date(at));
    return { body, name: this.transcriptName(view, at) };
  }

  private async contactsById(ids: string[]): Promise<Map<string, Contact>> {
    if (ids.length === 0) return new Map();
    const contacts = await this.deps.db.manager.findBy(Contact, { id: In([...new Set(ids)]) });
    return new Map(contacts.map((c) => [c.id, c]));
  }

  private async staffNames(ids: (string | null)[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((id): id is string => !!id))];
    if (wanted.length === 0) return new Map();
    return new Map((await this.deps.db.manager.findBy(StaffMember, { id: In(wanted) })).map((s) => [s.id, s.name]));
  }

  private summary(c: Conversation, contact: Contact | undefined, names: Map<string, string>, escalated: boolean, myReadAt: number | null) {
    const service = this.deps.directory.bySlugOrUndefined(c.serviceSlug);
    return {
      id: c.id,
      service: c.serviceSlug,
      serviceName: service?.name ?? c.serviceSlug,
      channel: c.channel,
      status: c.status,
      riskLevel: c.riskLevel,
      escalated,
      assignedTo: c.assignedStaffId ? { id: c.assignedStaffId, name: names.get(c.assignedStaffId) ?? null } : null,
      contactLabel: contact ? maskedAddress(openContactAddress(this.deps.keyring, contact)) : null,
      // A message in the same millisecond as a read may not have been in it: unread, to be safe.
      unread: c.lastInboundAt !== null && (myReadAt === null || c.lastInboundAt >= myReadAt),
      recorded: c.recordedAt !== null,
      outcome: c.outcome,
      createdAt: iso(c.createdAt),
      lastMessageAt: iso(c.lastMessageAt),
      closedAt: iso(c.closedAt),
      awaitingReplySince: iso(c.awaitingReplySince),
      replyDueBy: c.awaitingReplySince && service ? iso(c.awaitingReplySince + replyPromiseMinutes(service, c.riskLevel) * 60_000) : null,
    };
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());


/** The promise a conversation is held to: the service's urgent one once it is flagged, if it has one. */
export function replyPromiseMinutes(service: ServiceConfig, riskLevel: string): number {
  const urgent = riskLevel === 'high' || riskLevel === 'medium' ? service.urgentReplyPromise : undefined;
  return Math.min(service.replyPromise.minutes, urgent?.minutes ?? Infinity);
}
