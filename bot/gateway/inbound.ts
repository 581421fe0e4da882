import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { EntityManager, MoreThanOrEqual } from 'typeorm';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { AutoReplyKind, Channel, Contact, Conversation, Message, Note, ServiceMembership } from '../../db/entities';
import { contactLookupHash, normaliseAddress, sealContactAddress, sealMessageBody, sealNoteBody, sealTriage } from '../../db/sealed-fields';
import { SERVICE_ZONE } from './hours';
import { assessSafely, type Assessment } from '../../triage';
import type { TriageEngine } from '../../triage/engine';
import type { EscalationLadder } from '../escalation/ladder';
import { AutoReplyDecision, consentKeyword, decideAutoReplies } from './auto-replies';
import type { ServiceConfig, ServiceDirectory } from '../config/services';
import { queueOutbound } from '../outbox/queue';
import { change, columnsOf, concat, insertRow, rowOf, sql } from '../../db/rows';
import { countMessage } from '../../db/report-hours';
import { INBOUND_TEXT_LIMITS } from '../../adapters/channel';

/** An inbound message as every channel delivers it to the gateway, free of provider and SDK types. */
export interface InboundMessage {
  channel: Channel;
  /** The provider's id for the message: the idempotency key. */
  providerMessageId: string;
  /** The contact's address (phone number, WhatsApp id, web-chat user id). */
  from: string;
  /** The service's address the message was sent to. */
  to: string;
  text: string;
  /**
   * The message carried something Lamplight does not read (a photo, voice note, file, location,
   * contact card): `text` holds a placeholder such as "[image]" and any caption, and the contact
   * is told, once, that only typed messages are read.
   */
  notText?: boolean;
}

export interface InboundResult {
  outcome: 'stored' | 'duplicate';
  conversationId?: string;
  messageId?: string;
  serviceSlug: string;
  autoReplies: AutoReplyKind[];
  risk?: { level: Assessment['level']; categories: string[]; escalationId?: string; escalationIsNew?: boolean };
}

const RISK_RANK = { none: 0, medium: 1, high: 2 } as const;

/** The text up to the channel's limit, cut between characters, saying how much was not kept. */
export function capText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit;
  // Never split a surrogate pair (an emoji) in two.
  if (/[\uD800-\uDBFF]/.test(text[end - 1])) end--;
  return `${text.slice(0, end)}\n[Lamplight: this message was ${text.length} characters long; only the first ${end} are kept]`;
}

/**
 * The one lookup an inbound message starts with (parameters: channel, provider id, channel, address
 * hash, and `:<service>:<channel>`, the end of the open conversation's openKey, whose unique index
 * finds it). Exported for the schema test that checks every part of it is read off an index.
 */
export function inboundLookupSql(manager: EntityManager): string {
  return `SELECT (SELECT m.id FROM message m WHERE m.channel = ? AND m."externalId" = ?) AS "duplicateId", ${columnsOf(manager, Contact, 'c', 'c_')}, ${columnsOf(manager, Conversation, 'v', 'v_')}
    FROM (SELECT 1 AS one) AS lookup
    LEFT JOIN contact c ON c.channel = ? AND c."addressHash" = ?
    LEFT JOIN conversation v ON v."openKey" = ${concat(manager, "'open:'", 'c.id', '?')}`;
}

export class UnknownEndpointError extends Error {
  constructor(channel: Channel) {
    super(`no service is configured for this ${channel} address`);
    this.name = 'UnknownEndpointError';
  }
}

export interface TriageEngines {
  forService(slug: string): Pick<TriageEngine, 'assess'>;
}

interface Dependencies {
  db: Database;
  keyring: Keyring;
  directory: ServiceDirectory;
  triage: TriageEngines;
  escalations: EscalationLadder;
  now: () => Date;
  /** Told when triage threw (the message is still stored, as high risk). */
  onTriageFailed?: (error: unknown) => void;
}


/**
 * Receiving a message, as the story reads: resolve the service, then in one transaction the
 * contact, the conversation, the message itself and every auto-reply it earns. A provider's retry
 * of a message already stored changes nothing.
 */
export class InboundMessages {
  constructor(private readonly deps: Dependencies) {}

  async receive(received: InboundMessage): Promise<InboundResult> {
    const inbound = { ...received, text: capText(received.text, INBOUND_TEXT_LIMITS.get(received.channel)!) };
    const service = this.resolveService(inbound);
    return this.deps.db.transactionRetryingConflicts(async (tx) => {
      // One statement says whether the message is already stored and finds the contact and its
      // open conversation with this service; a message in a running conversation then costs two
      // more (the message, the conversation's times), or three when an automatic reply may be due.
      const found = await this.lookUp(tx, inbound, service);
      if (found.duplicate) return { outcome: 'duplicate', serviceSlug: service.slug, autoReplies: [] };
      const now = this.deps.now();
      const at = now.getTime();
      const contact = found.contact ?? await this.createContact(tx, inbound, at);
      const { conversation, isNew, returning } = found.conversation
        ? { conversation: found.conversation, isNew: false, returning: undefined }
        : await this.openConversation(tx, contact, !found.contact, service, inbound, at);
      const assessment = this.triageSafely(service.slug, inbound.text);
      const message = await this.storeInboundMessage(tx, conversation, inbound, assessment, at);
      const risk = await this.actOnRisk(tx, conversation, message, assessment, at);

      const keyword = consentKeyword(inbound.channel, inbound.text);
      const consentBefore = contact.consent;
      await this.applyConsentKeyword(tx, contact, keyword, at);

      // A blocked contact is still heard (stored, triaged, escalated) but gets no automatic replies.
      const decide = (lastSent: Partial<Record<AutoReplyKind, number>>) => contact.blockedAt ? [] : decideAutoReplies({
        service,
        now,
        risk: assessment.level,
        conversationRisk: conversation.riskLevel,
        // A new conversation starts awaiting a reply; an answered one has this cleared.
        awaitingHumanReply: conversation.awaitingReplySince !== null,
        // A returning contact was welcomed last time; the new conversation carries on from it.
        conversationIsNew: isNew && !returning,
        keyword,
        consentBefore,
        notText: inbound.notText,
        lastSent,
      });
      // What was sent before only ever holds a reply back, so when nothing is due even as if
      // nothing had been sent, there is nothing to look up.
      const unthrottled = decide({});
      const replies = unthrottled.length === 0 || (isNew && !returning) ? unthrottled
        : decide(await this.lastAutoReplies(tx, [conversation.id, ...(returning ? [returning.id] : [])], at - Math.max(service.autoReplyIntervalMinutes, service.safetyReplyIntervalMinutes, service.holdingReplyIntervalMinutes) * 60_000));
      await this.queueAutoReplies(tx, conversation, replies, at);
      await this.markConversationAwaitingReply(tx, conversation, assessment.level, at, replies.length);
      return { outcome: 'stored', conversationId: conversation.id, messageId: message.id, serviceSlug: service.slug, autoReplies: replies.map((r) => r.kind), risk };
    });
  }

  /**
   * Triage must never cost a message: if it fails, the message is still stored and acknowledged,
   * and treated as high risk (escalated, safety reply) with a reason that says triage failed.
   */
  private triageSafely(serviceSlug: string, text: string): Assessment {
    const engine = { assess: (t: string) => this.deps.triage.forService(serviceSlug).assess(t) };
    return assessSafely(engine, text, this.deps.onTriageFailed);
  }

  private resolveService(inbound: InboundMessage): ServiceConfig {
    const service = this.deps.directory.byAddress(inbound.channel, inbound.to);
    if (!service) throw new UnknownEndpointError(inbound.channel);
    return service;
  }

  /**
   * Whether this provider message is already stored, the contact, and the contact's open
   * conversation with this service on this channel, in one statement.
   */
  private async lookUp(tx: EntityManager, inbound: InboundMessage, service: ServiceConfig): Promise<{ duplicate: boolean; contact?: Contact; conversation?: Conversation }> {
    const addressHash = contactLookupHash(this.deps.keyring, inbound.channel, inbound.from);
    const [raw] = await sql(tx, inboundLookupSql(tx), [inbound.channel, inbound.providerMessageId, inbound.channel, addressHash, `:${service.slug}:${inbound.channel}`]);
    return { duplicate: raw.duplicateId !== null && raw.duplicateId !== undefined, contact: rowOf(tx, Contact, raw, 'c_'), conversation: rowOf(tx, Conversation, raw, 'v_') };
  }

  private async createContact(tx: EntityManager, inbound: InboundMessage, at: number): Promise<Contact> {
    const id = randomUUID();
    const contact: Contact = {
      id,
      channel: inbound.channel,
      addressHash: contactLookupHash(this.deps.keyring, inbound.channel, inbound.from),
      ...sealContactAddress(this.deps.keyring, id, normaliseAddress(inbound.channel, inbound.from)),
      consent: 'active',
      consentChangedAt: null,
      createdAt: at,
      blockedAt: null,
    };
    // Two first messages from one new number can race here: the loser's unique violation reruns
    // the whole unit (transactionRetryingConflicts), and the rerun finds the winner's contact.
    await insertRow(tx, Contact, contact);
    return contact;
  }

  private async openConversation(tx: EntityManager, contact: Contact, contactIsNew: boolean, service: ServiceConfig, inbound: InboundMessage, at: number): Promise<{ conversation: Conversation; isNew: boolean; returning?: Conversation }> {
    const openKey = `open:${contact.id}:${service.slug}:${inbound.channel}`;
    const returning = await this.recentlyClosed(tx, contact, service, at);
    const clinician = returning?.assignedStaffId && await tx.existsBy(ServiceMembership, { staffId: returning.assignedStaffId, serviceSlug: service.slug })
      ? returning.assignedStaffId : null;
    const conversation: Conversation = {
      id: randomUUID(),
      serviceSlug: service.slug,
      contactId: contact.id,
      channel: inbound.channel,
      endpointAddress: inbound.to,
      status: 'open',
      openKey,
      riskLevel: returning?.riskLevel ?? 'none',
      assignedStaffId: clinician,
      createdAt: at,
      lastMessageAt: at,
      lastInboundAt: at,
      awaitingReplySince: at,
      closedAt: null,
      outcome: null,
      recordedAt: null,
      lastReadAt: null,
      firstReplyAt: null,
      outOfHoursAt: null,
      // For reports: a contact who has been in touch before, with any service.
      repeatContact: !contactIsNew && await tx.existsBy(Conversation, { contactId: contact.id }),
    };
    await insertRow(tx, Conversation, conversation);
    if (returning) await this.noteReturn(tx, conversation, returning, at);
    return { conversation, isNew: true, returning };
  }

  /** The contact's conversation with this service that closed most recently, if within the service's returning period. */
  private async recentlyClosed(tx: EntityManager, contact: Contact, service: ServiceConfig, at: number): Promise<Conversation | undefined> {
    if (service.returningContactDays === 0) return undefined;
    const last = await tx.findOne(Conversation, {
      where: { contactId: contact.id, serviceSlug: service.slug, status: 'closed', closedAt: MoreThanOrEqual(at - service.returningContactDays * 86_400_000) },
      order: { closedAt: 'DESC' },
    });
    return last ?? undefined;
  }

  /** Says in the new thread why it starts where it does: the clinician reads it with the first message. */
  private async noteReturn(tx: EntityManager, conversation: Conversation, previous: Conversation, at: number): Promise<void> {
    const when = DateTime.fromMillis(previous.closedAt!, { zone: SERVICE_ZONE }).setLocale('en-GB').toFormat("d LLL yyyy 'at' HH:mm");
    const level = previous.riskLevel === 'high' ? 'high risk' : previous.riskLevel === 'medium' ? 'priority (medium risk)' : 'no risk flag';
    const text = [
      `Returning contact: their last conversation with this service closed on ${when}${previous.outcome ? ` (${previous.outcome})` : ''}, with ${level}.`,
      previous.riskLevel !== 'none' ? 'This conversation starts at the same level until someone clears it.' : '',
      conversation.assignedStaffId ? 'It goes to the clinician who had the last one.' : '',
    ].filter(Boolean).join(' ');
    const id = randomUUID();
    await tx.insert(Note, { id, conversationId: conversation.id, authorStaffId: null, kind: 'system', ...sealNoteBody(this.deps.keyring, id, text), createdAt: at });
  }

  /**
   * Risk acts in the same transaction as the message: the conversation keeps the highest level
   * seen until a clinician clears it, and a high-risk message raises (or joins) an escalation.
   */
  private async actOnRisk(tx: EntityManager, conversation: Conversation, message: Message, assessment: Assessment, at: number): Promise<InboundResult['risk']> {
    if (assessment.level === 'none') return undefined;
    const categories = [...new Set(assessment.reasons.filter((r) => r.level === assessment.level).map((r) => r.category))];
    // This unit's view, for its auto-replies; the row is raised at the end of the unit (RECORD_INBOUND_SQL).
    if (RISK_RANK[assessment.level] > RISK_RANK[conversation.riskLevel]) conversation.riskLevel = assessment.level;
    if (assessment.level !== 'high') return { level: assessment.level, categories };
    const escalation = await this.deps.escalations.raiseOrJoin(tx, { conversationId: conversation.id, serviceSlug: conversation.serviceSlug, messageId: message.id, categories, at });
    return { level: assessment.level, categories, escalationId: escalation.escalationId, escalationIsNew: escalation.isNew };
  }

  private async storeInboundMessage(tx: EntityManager, conversation: Conversation, inbound: InboundMessage, assessment: Assessment, at: number): Promise<Message> {
    const id = randomUUID();
    const message: Message = {
      id,
      conversationId: conversation.id,
      channel: inbound.channel,
      externalId: inbound.providerMessageId,
      direction: 'in',
      authorKind: 'contact',
      authorStaffId: null,
      autoReplyKind: null,
      ...sealMessageBody(this.deps.keyring, id, inbound.text),
      createdAt: at,
      riskLevel: assessment.level,
      triageCipher: assessment.reasons.length ? sealTriage(this.deps.keyring, id, assessment.reasons) : null,
    };
    await insertRow(tx, Message, message);
    await countMessage(tx, { ...message, serviceSlug: conversation.serviceSlug });
    return message;
  }

  private async applyConsentKeyword(tx: EntityManager, contact: Contact, keyword: 'stop' | 'start' | undefined, at: number): Promise<void> {
    const consent = keyword === 'stop' ? 'opted_out' : keyword === 'start' ? 'active' : contact.consent;
    if (consent === contact.consent) return;
    await tx.update(Contact, { id: contact.id }, { consent, consentChangedAt: at });
    contact.consent = consent;
  }

  private async lastAutoReplies(tx: EntityManager, conversationIds: string[], since: number): Promise<Partial<Record<AutoReplyKind, number>>> {
    const recent = await sql(tx, `SELECT "autoReplyKind", MAX("createdAt") AS "at" FROM message
      WHERE "conversationId" IN (${conversationIds.map(() => '?').join(', ')}) AND "autoReplyKind" IS NOT NULL AND "createdAt" >= ?
      GROUP BY "autoReplyKind"`, [...conversationIds, since]);
    const last: Partial<Record<AutoReplyKind, number>> = {};
    for (const row of recent) last[row.autoReplyKind as AutoReplyKind] = Number(row.at);
    return last;
  }

  private async queueAutoReplies(tx: EntityManager, conversation: Conversation, replies: AutoReplyDecision[], at: number): Promise<void> {
    // Each reply is stamped a millisecond after the last so the thread and the outbox keep their order.
    for (const [index, reply] of replies.entries()) {
      await queueOutbound(tx, this.deps.keyring, {
        conversation,
        text: reply.text,
        authorKind: 'auto',
        autoReplyKind: reply.kind,
        consentNotice: reply.consentNotice,
        at: at + index + 1,
        queuedAt: at,
      });
    }
  }

  private async markConversationAwaitingReply(tx: EntityManager, conversation: Conversation, level: Assessment['level'], at: number, replies: number): Promise<void> {
    await change(tx, RECORD_INBOUND_SQL, [at, at, at + replies, at + replies, at, level, level, conversation.id]);
  }
}

/**
 * What an inbound message changes on its conversation, written so that it never undoes a
 * concurrent change (PostgreSQL runs two messages of one conversation side by side, each having
 * read the row before the other wrote it): times only move forward, an unanswered wait keeps its
 * start, and risk only rises, from this message's own level; it is never written back from what
 * was read, which could lower a level a concurrent message raised or restore one a clinician
 * cleared. Parameters: at, at, last message at, last message at, at, level, level, conversation id.
 */
export const RECORD_INBOUND_SQL = `UPDATE conversation SET
  "lastInboundAt" = CASE WHEN "lastInboundAt" > ? THEN "lastInboundAt" ELSE ? END,
  "lastMessageAt" = CASE WHEN "lastMessageAt" > ? THEN "lastMessageAt" ELSE ? END,
  "awaitingReplySince" = COALESCE("awaitingReplySince", ?),
  "riskLevel" = CASE WHEN ? = 'high' THEN 'high' WHEN ? = 'medium' AND "riskLevel" = 'none' THEN 'medium' ELSE "riskLevel" END
  WHERE id = ?`;
