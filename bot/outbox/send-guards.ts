import { OutboundTemplate, REPLY_WINDOWS, TEMPLATE_BODY_LIMIT, TEMPLATE_REPLY_LIMITS } from '../../adapters/channel';
import type { AuthorKind, Contact, Conversation } from '../../db/entities';
import type { ReplyTemplateConfig, ServiceConfig } from '../config/services';

/** Why a message may not go to a contact now; the code is what the clinician API answers with. */
export interface SendRefusal {
  code: 'conversation_closed' | 'contact_opted_out' | 'contact_blocked' | 'reply_window_closed' | 'reply_too_long_for_template';
  reason: string;
}

/** A channel's reply window (WhatsApp: 24 hours from the contact's last message), as it stands now. */
export interface ReplyWindow {
  open: boolean;
  /** When it closes or closed (epoch ms); null when the contact has never written. */
  closesAt: number | null;
}

/** The window on this conversation's channel now; undefined for a channel without one (SMS). */
export function replyWindowOf(conversation: Pick<Conversation, 'channel' | 'lastInboundAt'>, now: number): ReplyWindow | undefined {
  const windowMs = REPLY_WINDOWS.get(conversation.channel);
  if (windowMs === undefined) return undefined;
  if (conversation.lastInboundAt === null) return { open: false, closesAt: null };
  const closesAt = conversation.lastInboundAt + windowMs;
  return { open: now < closesAt, closesAt };
}

/**
 * The approved template a message may go in once the window has closed: a clinician's reply only,
 * on a channel with a window, of a service that configured one. An automatic reply never goes
 * outside the window: it answers a message, so it is queued inside it, and if it is held up until
 * the window closes it is refused like any other late send.
 */
export function replyTemplateFor(service: ServiceConfig | undefined, conversation: Pick<Conversation, 'channel'>, authorKind: AuthorKind): ReplyTemplateConfig | undefined {
  if (authorKind !== 'clinician' || conversation.channel !== 'whatsapp') return undefined;
  return service?.whatsapp?.replyTemplate;
}

/**
 * The template message for a reply: `{reply}` becomes the reply on one line (Meta refuses newlines,
 * tabs and long runs of spaces in a parameter), `{service}` and `{organisation}` the service's.
 * A string is why it cannot be sent that way (too long for a template).
 */
export function renderReplyTemplate(template: ReplyTemplateConfig, service: ServiceConfig, channel: Conversation['channel'], reply: string): OutboundTemplate | SendRefusal {
  const oneLine = reply.replace(/\s*[\r\n]+\s*/g, ' ').replace(/\t/g, ' ').replace(/ {5,}/g, '    ').trim();
  const limit = templateReplyLimit(template, service, channel);
  if (oneLine.length > limit) {
    return { code: 'reply_too_long_for_template', reason: `the contact's reply window has closed, so this reply goes inside the service's approved template, which takes at most ${limit} characters; shorten it` };
  }
  return { name: template.name, language: template.language, parameters: fillParameters(template, service, oneLine) };
}

function fillParameters(template: ReplyTemplateConfig, service: ServiceConfig, reply: string): string[] {
  const values = new Map([['reply', reply], ['service', service.name], ['organisation', service.organisation]]);
  return template.parameters.map((p) => p.replace(/\{(\w+)\}/g, (whole, name: string) => values.get(name) ?? whole));
}

/** The approved body with every parameter filled but the reply (which shows as `reply`), when the config gives the body. */
export function templatePreview(template: ReplyTemplateConfig, service: ServiceConfig, reply: string): string | undefined {
  if (!template.body) return undefined;
  const parameters = fillParameters(template, service, reply);
  return template.body.replace(/\{\{(\d+)\}\}/g, (whole, n: string) => parameters[Number(n) - 1] ?? whole);
}

/**
 * The longest reply that fits the template: when the config gives the approved body, exactly what
 * Meta's 1,024 characters leave once the body's own words and the other parameters are filled;
 * otherwise the channel's cautious allowance (TEMPLATE_REPLY_LIMITS).
 */
export function templateReplyLimit(template: ReplyTemplateConfig, service: ServiceConfig, channel: Conversation['channel']): number {
  const preview = templatePreview(template, service, '');
  if (preview !== undefined) return Math.max(0, TEMPLATE_BODY_LIMIT - preview.length);
  return TEMPLATE_REPLY_LIMITS.get(channel) ?? 0;
}

export interface SendCheck {
  contact: Pick<Contact, 'consent' | 'blockedAt'>;
  /** Given when a new message is being written into the conversation (a reply); not for one already queued. */
  conversation?: Pick<Conversation, 'status'>;
  /** The STOP/START confirmation itself may reach a contact who has just opted out. */
  consentNotice?: boolean;
  /**
   * The conversation's channel and when the contact last wrote, for channels with a reply window;
   * `template`, when this message may go as an approved template after the window closed.
   */
  window?: { conversation: Pick<Conversation, 'channel' | 'lastInboundAt'>; now: number; template?: ReplyTemplateConfig; automatic?: boolean };
}

export interface SendPlanInput {
  contact: Pick<Contact, 'consent' | 'blockedAt'>;
  conversation: Pick<Conversation, 'channel' | 'lastInboundAt' | 'status'>;
  service: ServiceConfig | undefined;
  authorKind: AuthorKind;
  text: string;
  now: number;
  consentNotice?: boolean;
  /** A message being written now (a reply) needs the conversation open; one already queued does not. */
  requireOpen?: boolean;
  /** The provider has said this message's window has closed (131047), whatever our clock says. */
  windowKnownClosed?: boolean;
}

/** How a message may go now: refused (and why), as free text, or inside this approved template. */
export type SendPlan = { refusal: SendRefusal; template?: undefined } | { refusal?: undefined; template?: OutboundTemplate };

/**
 * The one decision, for the outbox worker (at send time) and for a clinician's reply or Retry (at
 * queue time), so they cannot drift: the send guards, then the reply window and its template.
 */
export function planSend(input: SendPlanInput): SendPlan {
  const { contact, conversation, service, authorKind, now } = input;
  const template = replyTemplateFor(service, conversation, authorKind);
  const refusal = sendRefusal({
    contact,
    conversation: input.requireOpen ? conversation : undefined,
    consentNotice: input.consentNotice,
    window: { conversation, now, template, automatic: authorKind === 'auto' },
  });
  if (refusal) return { refusal };
  const windowClosed = input.windowKnownClosed || replyWindowOf(conversation, now)?.open === false;
  if (!windowClosed || !template || !service) return {};
  const rendered = renderReplyTemplate(template, service, conversation.channel, input.text);
  return 'code' in rendered ? { refusal: rendered } : { template: rendered };
}

/** The send guards on their own: closed, opted out, blocked, and the window when no template may go. */
export function sendRefusal({ contact, conversation, consentNotice = false, window }: SendCheck): SendRefusal | undefined {
  if (conversation && conversation.status !== 'open') return { code: 'conversation_closed', reason: 'this conversation is closed; the contact must message again to reopen' };
  if (contact.consent === 'opted_out' && !consentNotice) return { code: 'contact_opted_out', reason: 'the contact has opted out (STOP); nothing can be sent until they text START' };
  if (contact.blockedAt) return { code: 'contact_blocked', reason: 'the contact is blocked; unblock them to send' };
  const state = window ? replyWindowOf(window.conversation, window.now) : undefined;
  if (state && !state.open && !window?.template) {
    const hours = REPLY_WINDOWS.get(window!.conversation.channel)! / 3_600_000;
    if (window?.automatic) return { code: 'reply_window_closed', reason: `an automatic reply never goes outside the ${hours}-hour reply window, and this one was held up until it had closed` };
    return { code: 'reply_window_closed', reason: `the contact last wrote more than ${hours} hours ago, so only an approved template may go now, and this service has none set up for replies (services config: whatsapp.replyTemplate)` };
  }
  return undefined;
}
