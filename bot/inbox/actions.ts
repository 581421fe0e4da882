import { moveConversationCounts } from '../../db/report-hours';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Contact, Conversation, Message, Note, OutboxItem, ServiceMembership, StaffMember } from '../../db/entities';
import { openContactAddress, openMessageBody, sealNoteBody } from '../../db/sealed-fields';
import { findVisibleConversation, requireRole, roleIn } from './access';
import type { StaffIdentity } from '../identity';
import { conflict, forbidden, invalid } from '../problems';
import { auditingRefusals, recordAudit } from '../audit/record';
import type { ServiceDirectory } from '../config/services';
import type { LiveEvents } from '../live/live-events';
import { queueOutbound } from '../outbox/queue';
import { planSend } from '../outbox/send-guards';
import { REPLY_TEXT_LIMITS } from '../../adapters/channel';
import type { QueuedNotifier } from '../escalation/ladder';
import type { PersonalNotices } from '../teams/personal-notices';

/** No channel takes a longer reply; each conversation's own channel may take less (REPLY_TEXT_LIMITS). */
export const MAX_REPLY_LENGTH = Math.max(...REPLY_TEXT_LIMITS.values());
const MAX_NOTE_LENGTH = 4000;

interface Dependencies {
  db: Database;
  keyring: Keyring;
  directory: ServiceDirectory;
  events: LiveEvents;
  now: () => number;
  onQueued: () => void;
  /** The escalation cards in Teams, which show who has the conversation: told in the transaction that changes it. */
  cards?: Pick<QueuedNotifier, 'changed'>;
  /** Personal notices in Teams to the person a conversation is assigned to, or the duty leads of the service it is transferred to. */
  notices?: Pick<PersonalNotices, 'assigned' | 'transferred'>;
  /** Shows "typing" on the contact's open chat page (web chat), given the service's and the contact's addresses. */
  onTyping?: (endpoint: string, contactAddress: string) => Promise<void>;
}

/**
 * What a clinician does to a conversation. Each action is one transaction with its audit event;
 * the live event that tells other inboxes goes out after the commit.
 */
export class ConversationActions {
  constructor(private readonly deps: Dependencies) {}

  /**
   * A clinician's reply. `idempotencyKey` (the `Idempotency-Key` header, made by the tab for each
   * reply it composes): the same key again, from the same person, sends nothing more and answers
   * with the reply already stored, so a double click or a retried request sends once. Invisible
   * controls (bidi overrides, NUL and other C0 controls but tab and newline) are taken out before it
   * is stored or sent, and the answer says how many.
   */
  async reply(staff: StaffIdentity, conversationId: string, body: unknown, idempotencyKey?: string) {
    if (idempotencyKey !== undefined && !/^[A-Za-z0-9_-]{8,80}$/.test(idempotencyKey)) throw invalid('the Idempotency-Key must be 8 to 80 letters, digits, "-" or "_"');
    const typed = requiredText(body, 'text', MAX_REPLY_LENGTH, 'the reply');
    const text = typed.replace(OUTBOUND_CONTROLS, '').trim();
    const removedControls = [...typed.matchAll(OUTBOUND_CONTROLS)].length;
    if (!text) throw invalid('the reply is empty once invisible control characters are taken out');
    const externalId = idempotencyKey ? `out:key:${staff.id}:${idempotencyKey}` : undefined;
    // The answer for a reply stored now or earlier under the same key: the same shape both times.
    const replyView = (id: string, conversationId: string, createdAt: number, delivery: { status: string; attempts: number; template: string | null }, replayed: boolean) => ({
      id, conversationId, direction: 'out', authorKind: 'clinician', authorName: staff.name, text, createdAt: new Date(createdAt).toISOString(), removedControls, replayed,
      delivery: { ...delivery, providerStatus: null, lastError: null },
    });
    const result = await this.act(staff, conversationId, 'message.send', async (tx, conversation, at) => {
      if (externalId) {
        const earlier = await tx.findOneBy(Message, { channel: conversation.channel, externalId });
        if (earlier) {
          if (earlier.conversationId !== conversation.id || openMessageBody(this.deps.keyring, earlier) !== text) {
            throw conflict('idempotency_key_reused', 'this Idempotency-Key was already used for a different reply');
          }
          const item = await tx.findOneBy(OutboxItem, { messageId: earlier.id });
          return {
            audit: { messageId: earlier.id, replayed: true } as Record<string, string | number | boolean | null>,
            view: replyView(earlier.id, conversation.id, earlier.createdAt, { status: item?.status ?? 'pending', attempts: item?.attempts ?? 0, template: item?.templateName ?? null }, true),
          };
        }
      }
      const limit = REPLY_TEXT_LIMITS.get(conversation.channel)!;
      if (text.length > limit) throw invalid(`the reply is longer than ${limit} characters, the most one ${conversation.channel} message takes`);
      const contact = await tx.findOneByOrFail(Contact, { id: conversation.contactId });
      // Outside the channel's reply window the reply goes inside the approved template: say so now,
      // and refuse now what the template cannot carry.
      const plan = planSend({ contact, conversation, service: this.deps.directory.bySlugOrUndefined(conversation.serviceSlug), authorKind: 'clinician', text, now: at, requireOpen: true });
      if (plan.refusal) throw conflict(plan.refusal.code, plan.refusal.reason);
      const sendsAs = plan.template?.name ?? null;
      const message = await queueOutbound(tx, this.deps.keyring, { conversation, text, authorKind: 'clinician', authorStaffId: staff.id, at, externalId });
      // Replying takes the conversation if nobody has it: the reply's author is who the contact is talking to.
      await tx.update(Conversation, { id: conversation.id }, { lastMessageAt: at, awaitingReplySince: null, assignedStaffId: conversation.assignedStaffId ?? staff.id });
      return {
        audit: { messageId: message.id, length: text.length, ...(sendsAs ? { template: sendsAs } : {}), ...(removedControls ? { removedControls } : {}) } as Record<string, string | number | boolean | null>,
        view: replyView(message.id, conversation.id, at, { status: 'pending', attempts: 0, template: sendsAs }, false),
        cardChanged: conversation.assignedStaffId === null,
      };
    });
    this.deps.onQueued();
    return result;
  }

  /** First claim wins: a conditional update, so two clinicians clicking at once cannot both have it. */
  async claim(staff: StaffIdentity, conversationId: string) {
    return this.act(staff, conversationId, 'conversation.claim', async (tx, conversation) => {
      if (conversation.status !== 'open') throw conflict('conversation_closed', 'this conversation is closed');
      const claimed = await tx.createQueryBuilder().update(Conversation).set({ assignedStaffId: staff.id })
        .where('id = :id AND "assignedStaffId" IS NULL', { id: conversation.id }).execute();
      if (claimed.affected !== 1) {
        const current = await tx.findOneByOrFail(Conversation, { id: conversation.id });
        if (current.assignedStaffId === staff.id) return { audit: {}, view: { assignedTo: { id: staff.id, name: staff.name } } };
        const holder = current.assignedStaffId ? await tx.findOneBy(StaffMember, { id: current.assignedStaffId }) : null;
        throw conflict('already_claimed', `${holder?.name ?? 'someone else'} has this conversation`);
      }
      return { audit: {}, view: { assignedTo: { id: staff.id, name: staff.name } } };
    });
  }

  async assign(staff: StaffIdentity, conversationId: string, body: unknown) {
    const staffId = requiredText(body, 'staffId', 36, 'staffId');
    return this.act(staff, conversationId, 'conversation.assign', async (tx, conversation) => {
      const mayReassign = conversation.assignedStaffId === null || conversation.assignedStaffId === staff.id || ['duty-lead', 'admin'].includes(roleIn(staff, conversation.serviceSlug) ?? '');
      if (!mayReassign) throw forbidden('only the clinician who has it, a duty lead or an admin can reassign this conversation', [conversation.serviceSlug]);
      const membership = await tx.findOneBy(ServiceMembership, { staffId, serviceSlug: conversation.serviceSlug });
      const colleague = membership ? await tx.findOneBy(StaffMember, { id: staffId }) : null;
      if (!colleague) throw invalid('that person is not a member of this service');
      await tx.update(Conversation, { id: conversation.id }, { assignedStaffId: colleague.id });
      const queued = conversation.assignedStaffId !== colleague.id && ((await this.deps.notices?.assigned(tx, { conversationId: conversation.id, serviceSlug: conversation.serviceSlug, to: colleague.id, by: staff.id }, this.deps.now())) ?? false);
      return { audit: { to: colleague.id }, view: { assignedTo: { id: colleague.id, name: colleague.name } }, queued };
    });
  }

  async transfer(staff: StaffIdentity, conversationId: string, body: unknown) {
    const target = requiredText(body, 'service', 64, 'service');
    const note = requiredText(body, 'note', MAX_NOTE_LENGTH, 'the transfer note');
    const service = this.deps.directory.bySlugOrUndefined(target);
    if (!service) throw invalid('no such service');
    return this.act(staff, conversationId, 'conversation.transfer', async (tx, conversation, at) => {
      if (conversation.serviceSlug === target) throw invalid('the conversation is already with that service');
      if (conversation.status !== 'open') throw conflict('conversation_closed', 'this conversation is closed');
      const openKey = `open:${conversation.contactId}:${target}:${conversation.channel}`;
      if (await tx.exists(Conversation, { where: { openKey } })) throw conflict('already_open_there', `the contact already has an open conversation with ${service.name}`);
      // Replies keep going from the number the contact texted, so the thread stays in one place on their phone.
      await moveConversationCounts(tx, conversation.id, target);
      await tx.update(Conversation, { id: conversation.id }, { serviceSlug: target, openKey, assignedStaffId: null });
      await this.addNoteRow(tx, conversation.id, staff.id, 'transfer', `Transferred from ${this.deps.directory.bySlugOrUndefined(conversation.serviceSlug)?.name ?? conversation.serviceSlug} to ${service.name}: ${note}`, at);
      const queued = (await this.deps.notices?.transferred(tx, { conversationId: conversation.id, to: target, by: staff.id }, at)) ?? false;
      return { audit: { from: conversation.serviceSlug, to: target }, view: { service: target }, alsoNotify: target, queued };
    });
  }

  /**
   * Closing takes an outcome; a conversation still flagged high or medium risk also takes a note
   * saying why it is safe to close, which is kept in the thread with who wrote it.
   */
  async close(staff: StaffIdentity, conversationId: string, body: unknown) {
    const outcome = requiredText(body, 'outcome', 40, 'outcome');
    if (!this.deps.directory.config.outcomes.includes(outcome)) throw invalid(`outcome must be one of ${this.deps.directory.config.outcomes.join(', ')}`);
    const note = optionalText(body, 'note', MAX_NOTE_LENGTH, 'the note');
    return this.act(staff, conversationId, 'conversation.close', async (tx, conversation, at) => {
      if (conversation.status !== 'open') throw conflict('conversation_closed', 'this conversation is already closed');
      if (conversation.riskLevel !== 'none' && !note) throw invalid(`this conversation is flagged ${conversation.riskLevel} risk: closing it needs a note saying why it is safe to`);
      await tx.update(Conversation, { id: conversation.id }, { status: 'closed', openKey: `closed:${conversation.id}`, closedAt: at, outcome, awaitingReplySince: null });
      const noteId = await this.addNoteRow(tx, conversation.id, staff.id, 'closed', `Closed (${outcome.replace(/-/g, ' ')})${conversation.riskLevel !== 'none' ? ` while flagged ${conversation.riskLevel} risk` : ''}${note ? `: ${note}` : ''}`, at);
      return { audit: { outcome, riskLevel: conversation.riskLevel, noteId }, view: { status: 'closed', outcome } };
    });
  }

  /**
   * Reopens a conversation closed in the last REOPEN_WITHIN_DAYS days, unless the contact has
   * started a newer one with the service on that channel (that one is where they are now).
   */
  async reopen(staff: StaffIdentity, conversationId: string, body: unknown) {
    const note = requiredText(body, 'note', MAX_NOTE_LENGTH, 'the note');
    return this.act(staff, conversationId, 'conversation.reopen', async (tx, conversation, at) => {
      if (conversation.status !== 'closed') throw conflict('conversation_open', 'this conversation is open');
      if (conversation.closedAt !== null && at - conversation.closedAt > REOPEN_WITHIN_DAYS * 86_400_000) {
        throw conflict('reopen_too_late', `this conversation closed more than ${REOPEN_WITHIN_DAYS} days ago: the contact's next message starts a new one`);
      }
      const openKey = `open:${conversation.contactId}:${conversation.serviceSlug}:${conversation.channel}`;
      if (await tx.exists(Conversation, { where: { openKey } })) throw conflict('newer_conversation_open', 'this contact has a newer open conversation with the service: carry on there');
      await tx.update(Conversation, { id: conversation.id }, { status: 'open', openKey, closedAt: null, outcome: null });
      const noteId = await this.addNoteRow(tx, conversation.id, staff.id, 'reopened', `Reopened: ${note}`, at);
      return { audit: { closedOutcome: conversation.outcome, noteId }, view: { status: 'open' } };
    });
  }

  async markRecorded(staff: StaffIdentity, conversationId: string) {
    return this.act(staff, conversationId, 'conversation.recorded', async (tx, conversation, at) => {
      await tx.update(Conversation, { id: conversation.id }, { recordedAt: conversation.recordedAt ?? at });
      return { audit: {}, view: { recorded: true } };
    });
  }

  async addNote(staff: StaffIdentity, conversationId: string, body: unknown) {
    const text = requiredText(body, 'text', MAX_NOTE_LENGTH, 'the note');
    return this.act(staff, conversationId, 'note.add', async (tx, conversation, at) => {
      const id = await this.addNoteRow(tx, conversation.id, staff.id, 'note', text, at);
      return { audit: { noteId: id, length: text.length }, view: { id, kind: 'note', authorName: staff.name, text, createdAt: new Date(at).toISOString() } };
    });
  }

  /** Sends a failed message again (after the provider's trouble, or an unblock / START). */
  async retry(staff: StaffIdentity, conversationId: string, body: unknown) {
    const messageId = requiredText(body, 'messageId', 36, 'messageId');
    const result = await this.act(staff, conversationId, 'message.retry', async (tx, conversation, at) => {
      const contact = await tx.findOneByOrFail(Contact, { id: conversation.contactId });
      // The same rules as a new reply: outside the window only a clinician's reply may go, inside the template.
      const message = await tx.findOneBy(Message, { id: messageId, conversationId: conversation.id });
      if (!message) throw conflict('not_failed', 'only a failed message of this conversation can be retried');
      const plan = planSend({ contact, conversation, service: this.deps.directory.bySlugOrUndefined(conversation.serviceSlug), authorKind: message.authorKind, text: openMessageBody(this.deps.keyring, message), now: at });
      if (plan.refusal) throw conflict(plan.refusal.code, plan.refusal.reason);
      const requeued = await tx.createQueryBuilder().update(OutboxItem)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: at, lastError: null, holdsLater: false, retryFrom: at, updatedAt: at })
        .where('"messageId" = :messageId AND "conversationId" = :conversationId AND status = :failed', { messageId, conversationId: conversation.id, failed: 'failed' })
        .execute();
      if (requeued.affected !== 1) throw conflict('not_failed', 'only a failed message of this conversation can be retried');
      return { audit: { messageId }, view: { messageId, delivery: { status: 'pending', attempts: 0, providerStatus: null, lastError: null } } };
    });
    this.deps.onQueued();
    return result;
  }

  /** The highest risk seen stays until a clinician says it no longer applies; that decision is audited. */
  /**
   * Clearing a risk flag takes a reason from RISK_CLEAR_REASONS and a note; both are kept in the
   * thread with who cleared it, and in the audit trail.
   */
  async clearRisk(staff: StaffIdentity, conversationId: string, body: unknown) {
    const reason = requiredText(body, 'reason', 40, 'the reason');
    if (!RISK_CLEAR_REASONS.has(reason)) throw invalid(`reason must be one of ${[...RISK_CLEAR_REASONS.keys()].join(', ')}`);
    const note = requiredText(body, 'note', MAX_NOTE_LENGTH, 'the note');
    return this.act(staff, conversationId, 'conversation.clear_risk', async (tx, conversation, at) => {
      if (conversation.riskLevel === 'none') throw conflict('no_risk_flag', 'this conversation has no risk flag to clear');
      await tx.update(Conversation, { id: conversation.id }, { riskLevel: 'none' });
      const noteId = await this.addNoteRow(tx, conversation.id, staff.id, 'risk-cleared', `Risk flag cleared (was ${conversation.riskLevel}): ${RISK_CLEAR_REASONS.get(reason)}. ${note}`, at);
      return { audit: { from: conversation.riskLevel, reason, noteId }, view: { id: conversation.id, riskLevel: 'none', clearedFrom: conversation.riskLevel } };
    });
  }

  async block(staff: StaffIdentity, conversationId: string) {
    return this.act(staff, conversationId, 'contact.block', async (tx, conversation, at) => {
      await tx.update(Contact, { id: conversation.contactId }, { blockedAt: at });
      return { audit: { contactId: conversation.contactId }, view: { blocked: true } };
    });
  }

  /** Unblocking lets messages flow to someone staff decided to stop: a duty lead's or admin's call. */
  async unblock(staff: StaffIdentity, conversationId: string) {
    return this.act(staff, conversationId, 'contact.unblock', async (tx, conversation) => {
      requireRole(staff, conversation.serviceSlug, ['duty-lead', 'admin'], 'unblock a contact');
      await tx.update(Contact, { id: conversation.contactId }, { blockedAt: null });
      return { audit: { contactId: conversation.contactId }, view: { blocked: false } };
    });
  }

  private async addNoteRow(tx: EntityManager, conversationId: string, staffId: string, kind: Note['kind'], text: string, at: number): Promise<string> {
    const id = randomUUID();
    await tx.insert(Note, { id, conversationId, authorStaffId: staffId, kind, ...sealNoteBody(this.deps.keyring, id, text), createdAt: at });
    return id;
  }

  /**
   * The clinician is writing a reply: a web chat page shows "typing". Nothing is stored or audited
   * (no record is read or changed); a conversation the clinician may not see is refused as usual.
   */
  async typing(staff: StaffIdentity, conversationId: string): Promise<void> {
    const conversation = await findVisibleConversation(this.deps.db.manager, staff, this.deps.directory, conversationId);
    if (conversation.channel !== 'webchat' || conversation.status !== 'open' || !this.deps.onTyping) return;
    const contact = await this.deps.db.manager.findOneByOrFail(Contact, { id: conversation.contactId });
    await this.deps.onTyping(conversation.endpointAddress, openContactAddress(this.deps.keyring, contact));
  }

  private async act<T>(
    staff: StaffIdentity,
    conversationId: string,
    action: string,
    work: (tx: EntityManager, conversation: Conversation, at: number) => Promise<{ audit: Record<string, string | number | boolean | null>; view: T; alsoNotify?: string; cardChanged?: boolean; queued?: boolean }>,
  ): Promise<T> {
    const at = this.deps.now();
    const { view, serviceSlug, alsoNotify, queuedCard } = await auditingRefusals(this.deps, staff, { action, subjectType: 'conversation', subjectId: conversationId }, () => this.deps.db.transactionRetryingConflicts(async (tx) => {
      const conversation = await findVisibleConversation(tx, staff, this.deps.directory, conversationId);
      const result = await work(tx, conversation, at);
      // A transfer concerns both teams: the one that gave it and the one that took it.
      const services = [conversation.serviceSlug, ...(result.alsoNotify ? [result.alsoNotify] : [])];
      await recordAudit(tx, at, { actorType: 'staff', actorId: staff.id, action, subjectType: 'conversation', subjectId: conversation.id, services, detail: result.audit });
      const queuedCard = (CARD_SHOWS.has(action) || result.cardChanged === true) && ((await this.deps.cards?.changed(tx, conversation.id, at)) ?? false);
      return { view: result.view, serviceSlug: conversation.serviceSlug, alsoNotify: result.alsoNotify, queuedCard: queuedCard || result.queued === true };
    }));
    if (queuedCard) this.deps.onQueued();
    for (const slug of new Set([serviceSlug, alsoNotify].filter((s): s is string => !!s))) {
      this.deps.events.publish({ type: 'conversation.updated', serviceSlug: slug, conversationId, action });
    }
    return view;
  }
}

/** Actions that change what an escalation card shows about its conversation: who has it, whether it is open. */
const CARD_SHOWS: ReadonlySet<string> = new Set(['conversation.claim', 'conversation.assign', 'conversation.transfer', 'conversation.close', 'conversation.reopen']);

/**
 * Characters a reply never carries to a phone: bidi embeddings, overrides and isolates (which can
 * make a number or a link read backwards), NUL and the other C0 controls but tab, newline and
 * carriage return, and DEL.
 */
const OUTBOUND_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;

/** Why a clinician may clear a risk flag: kept as the code, shown in the thread as the words. */
export const RISK_CLEAR_REASONS: ReadonlyMap<string, string> = new Map([
  ['assessed-safe', 'assessed, and safe now'],
  ['read-wrongly', 'triage read the words wrongly'],
  ['safety-plan-in-place', 'a safety plan or safeguarding action is in place'],
  ['other', 'other'],
]);

/** A closed conversation can be reopened for this long after it closed. */
export const REOPEN_WITHIN_DAYS = 14;

function optionalText(body: unknown, field: string, max: number, what: string): string | undefined {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`"${field}" must be a string`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw invalid(`${what} is longer than ${max} characters`);
  return trimmed || undefined;
}

function requiredText(body: unknown, field: string, max: number, what: string): string {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string') throw invalid(`the body must be JSON with "${field}" (a string)`);
  const trimmed = value.trim();
  if (!trimmed) throw invalid(`${what} is empty`);
  if (trimmed.length > max) throw invalid(`${what} is longer than ${max} characters`);
  return trimmed;
}

