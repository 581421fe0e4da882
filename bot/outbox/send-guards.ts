import { REPLY_WINDOWS } from '../../adapters/channel';
import type { Contact, Conversation } from '../../db/entities';

/** Why a message may not go to a contact now; the code is what the clinician API answers with. */
export interface SendRefusal {
  code: 'conversation_closed' | 'contact_opted_out' | 'contact_blocked' | 'reply_window_closed';
  reason: string;
}

export interface SendCheck {
  contact: Pick<Contact, 'consent' | 'blockedAt'>;
  /** Given when a new message is being written into the conversation (a reply); not for one already queued. */
  conversation?: Pick<Conversation, 'status'>;
  /** The STOP/START confirmation itself may reach a contact who has just opted out. */
  consentNotice?: boolean;
  /** The conversation's channel and when the contact last wrote, for channels with a reply window. */
  window?: { conversation: Pick<Conversation, 'channel' | 'lastInboundAt'>; now: number };
}

/**
 * The rules every channel obeys before any provider call, in one place for the outbox worker (at
 * send time) and for a clinician's reply or retry (at queue time), so the two cannot drift.
 */
export function sendRefusal({ contact, conversation, consentNotice = false, window }: SendCheck): SendRefusal | undefined {
  if (conversation && conversation.status !== 'open') return { code: 'conversation_closed', reason: 'this conversation is closed; the contact must message again to reopen' };
  if (contact.consent === 'opted_out' && !consentNotice) return { code: 'contact_opted_out', reason: 'the contact has opted out (STOP); nothing can be sent until they text START' };
  if (contact.blockedAt) return { code: 'contact_blocked', reason: 'the contact is blocked; unblock them to send' };
  const windowMs = window ? REPLY_WINDOWS.get(window.conversation.channel) : undefined;
  if (window && windowMs !== undefined && (window.conversation.lastInboundAt === null || window.now - window.conversation.lastInboundAt >= windowMs)) {
    return { code: 'reply_window_closed', reason: `the contact last wrote more than ${windowMs / 3_600_000} hours ago: this channel allows only an approved template now, and templates are not set up yet` };
  }
  return undefined;
}
