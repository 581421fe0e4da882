import type { Contact, Conversation } from '../db/entities';

/** Why a message may not go to a contact now; the code is what the clinician API answers with. */
export interface SendRefusal {
  code: 'conversation_closed' | 'contact_opted_out' | 'contact_blocked';
  reason: string;
}

export interface SendCheck {
  contact: Pick<Contact, 'consent' | 'blockedAt'>;
  /** Given when a new message is being written into the conversation (a reply); not for one already queued. */
  conversation?: Pick<Conversation, 'status'>;
  /** The STOP/START confirmation itself may reach a contact who has just opted out. */
  consentNotice?: boolean;
}

/**
 * The rules every channel obeys before any provider call, in one place for the outbox worker (at
 * send time) and for a clinician's reply or retry (at queue time), so the two cannot drift.
 */
export function sendRefusal({ contact, conversation, consentNotice = false }: SendCheck): SendRefusal | undefined {
  if (conversation && conversation.status !== 'open') return { code: 'conversation_closed', reason: 'this conversation is closed; the contact must message again to reopen' };
  if (contact.consent === 'opted_out' && !consentNotice) return { code: 'contact_opted_out', reason: 'the contact has opted out (STOP); nothing can be sent until they text START' };
  if (contact.blockedAt) return { code: 'contact_blocked', reason: 'the contact is blocked; unblock them to send' };
  return undefined;
}
