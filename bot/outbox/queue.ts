import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Keyring } from '../../db/crypto';
import { AuthorKind, AutoReplyKind, Conversation, Message, OutboxItem, StaffChannel } from '../../db/entities';
import { sealMessageBody } from '../../db/sealed-fields';
import { insertRow } from '../../db/rows';
import { countMessage, noteReplyForReports } from '../../db/report-hours';

export interface OutboundDraft {
  conversation: Conversation;
  text: string;
  authorKind: Extract<AuthorKind, 'clinician' | 'auto' | 'system'>;
  authorStaffId?: string;
  autoReplyKind?: AutoReplyKind;
  consentNotice?: boolean;
  /** When the message was written; also its place in the thread and the outbox's order. */
  at: number;
  /** When the transaction runs: the row is due from then. */
  queuedAt?: number;
  /** Unique per channel: a clinician's idempotency key (`out:key:...`); default `out:<id>`. */
  externalId?: string;
}

/**
 * The one way anything leaves Lamplight: a stored outbound message plus its outbox row, written in
 * the caller's transaction. The outbox worker does the sending.
 */
export async function queueOutbound(manager: EntityManager, keyring: Keyring, draft: OutboundDraft): Promise<Message> {
  const id = randomUUID();
  const message: Message = {
    id,
    conversationId: draft.conversation.id,
    channel: draft.conversation.channel,
    externalId: draft.externalId ?? `out:${id}`,
    direction: 'out',
    authorKind: draft.authorKind,
    authorStaffId: draft.authorStaffId ?? null,
    autoReplyKind: draft.autoReplyKind ?? null,
    ...sealMessageBody(keyring, id, draft.text),
    createdAt: draft.at,
    riskLevel: null,
    triageCipher: null,
  };
  await insertRow(manager, Message, message);
  await countMessage(manager, { ...message, serviceSlug: draft.conversation.serviceSlug });
  await noteReplyForReports(manager, draft.conversation.id, message);
  const item: OutboxItem = {
    id: randomUUID(),
    messageId: id,
    conversationId: draft.conversation.id,
    channel: draft.conversation.channel,
    status: 'pending',
    consentNotice: draft.consentNotice ?? false,
    attempts: 0,
    nextAttemptAt: draft.queuedAt ?? draft.at,
    lockedUntil: null,
    lastError: null,
    providerMessageId: null,
    providerStatus: null,
    templateName: null,
    holdsLater: false,
    retryFrom: null,
    // Where to get help now goes before anything else that is waiting.
    priority: draft.autoReplyKind === 'safety' || draft.autoReplyKind === 'holding' ? 2 : 0,
    createdAt: draft.at,
    updatedAt: draft.at,
  };
  await insertRow(manager, OutboxItem, item);
  return message;
}

/**
 * An outbox row for staff (the channel's card, a person's notice, an alert by text or email): due
 * now, about `conversationId`, sending what `messageId` names (not a message: the card's notice or
 * escalation, a notice, an alert). Priority 1 sends it before ordinary replies, after safety texts.
 */
export function staffOutboxRow(input: { id?: string; messageId: string; conversationId: string; channel: StaffChannel; priority: number; now: number }): OutboxItem {
  const { id = randomUUID(), messageId, conversationId, channel, priority, now } = input;
  return {
    id, messageId, conversationId, channel, status: 'pending', consentNotice: false, holdsLater: false, retryFrom: null, priority,
    attempts: 0, nextAttemptAt: now, lockedUntil: null, lastError: null, providerMessageId: null, providerStatus: null, templateName: null, createdAt: now, updatedAt: now,
  };
}
