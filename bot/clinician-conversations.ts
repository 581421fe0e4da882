import { In } from 'typeorm';
import { Keyring } from '../db/crypto';
import { Database } from '../db/database';
import { Contact, Conversation, Message, OutboxItem, StaffMember } from '../db/entities';
import { openContactAddress, openMessageBody, openTriage } from '../db/sealed-fields';
import type { Reason } from '../triage';
import type { StaffIdentity } from './api/clinician-auth';
import { badRequest, conflict, notFound } from './api/http-error';
import { recordAudit } from './audit';
import type { ServiceDirectory } from './config';
import { queueOutbound } from './outbound';

/** SMS concatenation tops out at 10 segments on most UK networks; 1,600 is Twilio's hard limit. */
export const MAX_REPLY_LENGTH = 1600;

interface Dependencies {
  db: Database;
  keyring: Keyring;
  directory: ServiceDirectory;
  now: () => number;
  onQueued: () => void;
}

export interface ListFilter {
  status?: 'open' | 'closed';
  service?: string;
}

/**
 * What a clinician can see and do with conversations. Every method scopes to the services the
 * person belongs to (another service's conversation is simply not found) and audits the access.
 */
export class ClinicianConversations {
  constructor(private readonly deps: Dependencies) {}

  async list(staff: StaffIdentity, filter: ListFilter) {
    const services = this.visibleServices(staff, filter.service);
    const conversations = services.length === 0 ? [] : await this.deps.db.manager.find(Conversation, {
      where: { serviceSlug: In(services), status: filter.status ?? 'open' },
      order: { lastMessageAt: 'DESC' },
      take: 500,
    });
    await recordAudit(this.deps.db.manager, this.deps.now(), {
      actorType: 'staff', actorId: staff.id, action: 'conversation.list', subjectType: 'service', subjectId: null,
      detail: { services: services.join(','), status: filter.status ?? 'open', count: conversations.length },
    });
    const contacts = await this.contactsById(conversations.map((c) => c.contactId));
    return conversations
      .sort((a, b) => riskRank(b.riskLevel) - riskRank(a.riskLevel) || (a.awaitingReplySince ?? Infinity) - (b.awaitingReplySince ?? Infinity))
      .map((c) => this.summary(c, contacts.get(c.contactId)));
  }

  async get(staff: StaffIdentity, conversationId: string) {
    const conversation = await this.findVisible(staff, conversationId);
    const { manager } = this.deps.db;
    const contact = await manager.findOneByOrFail(Contact, { id: conversation.contactId });
    const messages = await manager.find(Message, { where: { conversationId }, order: { createdAt: 'ASC' } });
    const outbox = await manager.find(OutboxItem, { where: { conversationId } });
    const outboxByMessage = new Map(outbox.map((o) => [o.messageId, o]));
    const authorIds = [...new Set(messages.map((m) => m.authorStaffId).filter((id): id is string => !!id))];
    const authors = new Map((authorIds.length ? await manager.findBy(StaffMember, { id: In(authorIds) }) : []).map((s) => [s.id, s.name]));
    await recordAudit(manager, this.deps.now(), {
      actorType: 'staff', actorId: staff.id, action: 'conversation.read', subjectType: 'conversation', subjectId: conversation.id,
      serviceSlug: conversation.serviceSlug, detail: { messages: messages.length },
    });
    return {
      ...this.summary(conversation, contact),
      contact: { id: contact.id, channel: contact.channel, address: openContactAddress(this.deps.keyring, contact), consent: contact.consent },
      messages: messages.map((m) => {
        const delivery = outboxByMessage.get(m.id);
        return {
          id: m.id,
          direction: m.direction,
          authorKind: m.authorKind,
          authorName: m.authorStaffId ? authors.get(m.authorStaffId) ?? null : null,
          autoReplyKind: m.autoReplyKind,
          text: openMessageBody(this.deps.keyring, m),
          createdAt: new Date(m.createdAt).toISOString(),
          risk: m.riskLevel ? { level: m.riskLevel, reasons: openTriage<Reason[]>(this.deps.keyring, m) ?? [] } : null,
          delivery: delivery ? { status: delivery.status, attempts: delivery.attempts, providerStatus: delivery.providerStatus, lastError: delivery.lastError } : null,
        };
      }),
    };
  }

  async reply(staff: StaffIdentity, conversationId: string, body: unknown) {
    const text = validReplyText(body);
    const result = await this.deps.db.transaction(async (tx) => {
      const conversation = await this.findVisible(staff, conversationId, tx);
      if (conversation.status !== 'open') throw conflict('conversation_closed', 'this conversation is closed; the contact must message again to reopen');
      const contact = await tx.findOneByOrFail(Contact, { id: conversation.contactId });
      if (contact.consent === 'opted_out') throw conflict('contact_opted_out', 'the contact texted STOP; nothing can be sent until they text START');
      const at = this.deps.now();
      const message = await queueOutbound(tx, this.deps.keyring, { conversation, text, authorKind: 'clinician', authorStaffId: staff.id, at });
      await tx.update(Conversation, { id: conversation.id }, { lastMessageAt: at, awaitingReplySince: null });
      await recordAudit(tx, at, {
        actorType: 'staff', actorId: staff.id, action: 'message.send', subjectType: 'message', subjectId: message.id,
        serviceSlug: conversation.serviceSlug, detail: { conversationId: conversation.id, length: text.length },
      });
      return { id: message.id, conversationId: conversation.id, direction: 'out', authorKind: 'clinician', authorName: staff.name, text, createdAt: new Date(at).toISOString(), delivery: { status: 'pending', attempts: 0, providerStatus: null, lastError: null } };
    });
    this.deps.onQueued();
    return result;
  }

  /** The highest risk seen stays until a clinician says it no longer applies; that decision is audited. */
  async clearRisk(staff: StaffIdentity, conversationId: string) {
    return this.deps.db.transaction(async (tx) => {
      const conversation = await this.findVisible(staff, conversationId, tx);
      const at = this.deps.now();
      await tx.update(Conversation, { id: conversation.id }, { riskLevel: 'none' });
      await recordAudit(tx, at, {
        actorType: 'staff', actorId: staff.id, action: 'conversation.clear_risk', subjectType: 'conversation', subjectId: conversation.id,
        serviceSlug: conversation.serviceSlug, detail: { from: conversation.riskLevel },
      });
      return { id: conversation.id, riskLevel: 'none', clearedFrom: conversation.riskLevel };
    });
  }

  private visibleServices(staff: StaffIdentity, only?: string): string[] {
    const mine = staff.memberships.map((m) => m.serviceSlug).filter((slug) => this.deps.directory.bySlugOrUndefined(slug));
    return only ? mine.filter((slug) => slug === only) : mine;
  }

  private async findVisible(staff: StaffIdentity, conversationId: string, manager = this.deps.db.manager): Promise<Conversation> {
    // A malformed id and another service's id both answer 404: existence is not disclosed.
    if (!/^[0-9a-f-]{36}$/i.test(conversationId)) throw notFound('conversation not found');
    const conversation = await manager.findOneBy(Conversation, { id: conversationId });
    if (!conversation || !this.visibleServices(staff).includes(conversation.serviceSlug)) throw notFound('conversation not found');
    return conversation;
  }

  private async contactsById(ids: string[]): Promise<Map<string, Contact>> {
    if (ids.length === 0) return new Map();
    const contacts = await this.deps.db.manager.findBy(Contact, { id: In([...new Set(ids)]) });
    return new Map(contacts.map((c) => [c.id, c]));
  }

  private summary(c: Conversation, contact: Contact | undefined) {
    const service = this.deps.directory.bySlugOrUndefined(c.serviceSlug);
    return {
      id: c.id,
      service: c.serviceSlug,
      serviceName: service?.name ?? c.serviceSlug,
      channel: c.channel,
      status: c.status,
      riskLevel: c.riskLevel,
      assignedStaffId: c.assignedStaffId,
      contactLabel: contact ? maskedAddress(openContactAddress(this.deps.keyring, contact)) : null,
      createdAt: iso(c.createdAt),
      lastMessageAt: iso(c.lastMessageAt),
      awaitingReplySince: iso(c.awaitingReplySince),
      replyDueBy: c.awaitingReplySince && service ? iso(c.awaitingReplySince + service.replyPromise.minutes * 60_000) : null,
    };
  }
}

function validReplyText(body: unknown): string {
  const text = (body as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') throw badRequest('the body must be JSON like {"text": "..."}');
  const trimmed = text.trim();
  if (!trimmed) throw badRequest('the reply is empty');
  if (trimmed.length > MAX_REPLY_LENGTH) throw badRequest(`the reply is longer than ${MAX_REPLY_LENGTH} characters`);
  return trimmed;
}

const riskRank = (level: string) => (level === 'high' ? 2 : level === 'medium' ? 1 : 0);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Enough of an address to tell two contacts apart in a list; the whole one is in the audited read. */
export function maskedAddress(address: string): string {
  return address.length <= 4 ? '••••' : `•••• ${address.slice(-4)}`;
}
