import { In, Not } from 'typeorm';
import { Keyring } from '../db/crypto';
import { Database } from '../db/database';
import { Contact, Conversation, Escalation, Message, Note, OutboxItem, StaffMember } from '../db/entities';
import { openContactAddress, openMessageBody, openNoteBody, openTriage } from '../db/sealed-fields';
import type { Reason } from '../triage';
import { findVisibleConversation, visibleServices } from './access';
import type { StaffIdentity } from './api/clinician-auth';
import { badRequest } from './api/http-error';
import { recordAudit } from './audit';
import type { ServiceDirectory } from './config';
import { transcriptPdf, transcriptText } from './transcript';

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
  constructor(private readonly deps: Dependencies) {}

  async list(staff: StaffIdentity, filter: { queue?: string; service?: string }) {
    const queue = (filter.queue ?? 'open') as Queue;
    if (!QUEUES.includes(queue)) throw badRequest(`queue must be one of ${QUEUES.join(', ')}`);
    if (filter.service !== undefined && !this.deps.directory.bySlugOrUndefined(filter.service)) throw badRequest('no such service');
    const services = visibleServices(staff, this.deps.directory, filter.service);
    const { manager } = this.deps.db;
    const open = services.length ? await manager.find(Conversation, { where: { serviceSlug: In(services), status: 'open' }, take: 2000 }) : [];
    const escalated = new Set(open.length
      ? (await manager.find(Escalation, { select: { conversationId: true }, where: { conversationId: In(open.map((c) => c.id)), status: In(['open', 'exhausted']) } })).map((e) => e.conversationId)
      : []);
    const closed = queue === 'closed' && services.length
      ? await manager.find(Conversation, { where: { serviceSlug: In(services), status: 'closed' }, order: { closedAt: 'DESC' }, take: 200 })
      : [];
    const inQueue: Record<Queue, (c: Conversation) => boolean> = {
      escalated: (c) => escalated.has(c.id),
      unassigned: (c) => c.assignedStaffId === null,
      mine: (c) => c.assignedStaffId === staff.id,
      open: () => true,
      closed: () => true,
    };
    const chosen = queue === 'closed' ? closed : open.filter(inQueue[queue]);
    const counts = {
      escalated: open.filter(inQueue.escalated).length,
      unassigned: open.filter(inQueue.unassigned).length,
      mine: open.filter(inQueue.mine).length,
      open: open.length,
      unread: open.filter(isUnread).length,
      notRecorded: open.filter((c) => c.recordedAt === null).length,
    };
    await recordAudit(manager, this.deps.now(), {
      actorType: 'staff', actorId: staff.id, action: 'conversation.list', subjectType: 'service', subjectId: null,
      detail: { services: services.join(','), queue, count: chosen.length },
    });
    const contacts = await this.contactsById(chosen.map((c) => c.contactId));
    const names = await this.staffNames(chosen.map((c) => c.assignedStaffId));
    // Risk first, then whoever has waited longest for a person to answer.
    const sorted = queue === 'closed' ? chosen : [...chosen].sort((a, b) => riskRank(b.riskLevel) - riskRank(a.riskLevel)
      || (a.awaitingReplySince ?? Infinity) - (b.awaitingReplySince ?? Infinity) || b.lastMessageAt - a.lastMessageAt);
    return { queue, counts, conversations: sorted.map((c) => this.summary(c, contacts.get(c.contactId), names, escalated.has(c.id))) };
  }

  async get(staff: StaffIdentity, conversationId: string) {
    const { manager } = this.deps.db;
    const conversation = await findVisibleConversation(manager, staff, this.deps.directory, conversationId);
    const contact = await manager.findOneByOrFail(Contact, { id: conversation.contactId });
    const messages = await manager.find(Message, { where: { conversationId }, order: { createdAt: 'ASC' } });
    const notes = await manager.find(Note, { where: { conversationId }, order: { createdAt: 'ASC' } });
    const outbox = new Map((await manager.find(OutboxItem, { where: { conversationId } })).map((o) => [o.messageId, o]));
    const escalation = await manager.findOne(Escalation, { where: { conversationId }, order: { createdAt: 'DESC' } });
    const names = await this.staffNames([...messages.map((m) => m.authorStaffId), ...notes.map((n) => n.authorStaffId), conversation.assignedStaffId, escalation?.acknowledgedBy ?? null]);
    const history = await manager.find(Conversation, {
      where: { contactId: contact.id, id: Not(conversation.id), serviceSlug: In(visibleServices(staff, this.deps.directory)) },
      order: { createdAt: 'DESC' },
      take: 20,
    });
    const at = this.deps.now();
    await manager.update(Conversation, { id: conversation.id }, { lastReadAt: at });
    await recordAudit(manager, at, {
      actorType: 'staff', actorId: staff.id, action: 'conversation.read', subjectType: 'conversation', subjectId: conversation.id,
      serviceSlug: conversation.serviceSlug, detail: { messages: messages.length, notes: notes.length },
    });
    return {
      ...this.summary({ ...conversation, lastReadAt: at }, contact, names, escalation?.status === 'open' || escalation?.status === 'exhausted'),
      contact: { id: contact.id, channel: contact.channel, address: openContactAddress(this.deps.keyring, contact), consent: contact.consent, blocked: contact.blockedAt !== null },
      escalation: escalation ? { id: escalation.id, status: escalation.status, acknowledgedBy: escalation.acknowledgedBy ? names.get(escalation.acknowledgedBy) ?? null : null, notificationsSent: escalation.step } : null,
      messages: messages.map((m) => {
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
          delivery: delivery ? { status: delivery.status, attempts: delivery.attempts, providerStatus: delivery.providerStatus, lastError: delivery.lastError } : null,
        };
      }),
      notes: notes.map((n) => ({ id: n.id, kind: n.kind, authorName: n.authorStaffId ? names.get(n.authorStaffId) ?? null : null, text: openNoteBody(this.deps.keyring, n), createdAt: iso(n.createdAt) })),
      history: history.map((h) => ({ id: h.id, service: h.serviceSlug, status: h.status, riskLevel: h.riskLevel, outcome: h.outcome, createdAt: iso(h.createdAt), closedAt: iso(h.closedAt) })),
    };
  }

  /** The transcript for the clinical record, as text or PDF. Audited as an export. */
  async transcript(staff: StaffIdentity, conversationId: string, format: 'text' | 'pdf'): Promise<string | Buffer> {
    const view = await this.get(staff, conversationId);
    const at = this.deps.now();
    await recordAudit(this.deps.db.manager, at, {
      actorType: 'staff', actorId: staff.id, action: 'conversation.export', subjectType: 'conversation', subjectId: conversationId, serviceSlug: view.service, detail: { format },
    });
    return format === 'pdf' ? transcriptPdf(view, staff.name, new Date(at)) : transcriptText(view, staff.name, new Date(at));
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

  private summary(c: Conversation, contact: Contact | undefined, names: Map<string, string>, escalated: boolean) {
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
      unread: isUnread(c),
      recorded: c.recordedAt !== null,
      outcome: c.outcome,
      createdAt: iso(c.createdAt),
      lastMessageAt: iso(c.lastMessageAt),
      closedAt: iso(c.closedAt),
      awaitingReplySince: iso(c.awaitingReplySince),
      replyDueBy: c.awaitingReplySince && service ? iso(c.awaitingReplySince + service.replyPromise.minutes * 60_000) : null,
    };
  }
}

const isUnread = (c: Conversation) => c.lastInboundAt !== null && (c.lastReadAt === null || c.lastInboundAt > c.lastReadAt);
const riskRank = (level: string) => (level === 'high' ? 2 : level === 'medium' ? 1 : 0);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Enough of an address to tell two contacts apart in a list; the whole one is in the audited read. */
export function maskedAddress(address: string): string {
  return address.length <= 4 ? '••••' : `•••• ${address.slice(-4)}`;
}
