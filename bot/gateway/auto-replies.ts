import { CONSENT_KEYWORDS } from '../../adapters/channel';
import type { AutoReplyKind, Channel, Consent } from '../../db/entities';
import type { ServiceConfig } from '../config/services';
import { describeOpening, openingState } from './hours';

/**
 * Which automatic replies a new inbound message earns. Pure: the caller supplies what has already
 * been sent, so the same rules hold in the gateway, in tests and in a replay.
 */

export type ConsentKeyword = 'stop' | 'start';

/** STOP or START, by the words the channel's policy names (adapters/channel.ts CONSENT_KEYWORDS). */
export function consentKeyword(channel: Channel, text: string): ConsentKeyword | undefined {
  const word = text.trim().toLowerCase().replace(/[.!\s]+$/u, '');
  const keywords = CONSENT_KEYWORDS.get(channel);
  if (keywords?.stop.has(word)) return 'stop';
  if (keywords?.start.has(word)) return 'start';
  return undefined;
}

export interface AutoReplyDecision {
  kind: AutoReplyKind;
  text: string;
  /** Sent even though the contact has opted out: the confirmation of that opt-out. */
  consentNotice: boolean;
}

export interface AutoReplyInput {
  service: ServiceConfig;
  now: Date;
  /** Triage of the message: `high` earns the safety signposting at any hour. */
  risk: 'none' | 'medium' | 'high';
  /** The conversation's level with this message counted (it stays until a clinician clears it). */
  conversationRisk?: 'none' | 'medium' | 'high';
  /** No person has replied since the contact's first unanswered message (or the conversation is new). */
  awaitingHumanReply?: boolean;
  conversationIsNew: boolean;
  keyword: ConsentKeyword | undefined;
  /** The contact's consent before this message. */
  consentBefore: Consent;
  /** The message carried something Lamplight does not read (a photo, voice note, file, location, contact card). */
  notText?: boolean;
  /** When each kind was last sent in this conversation (epoch ms). */
  lastSent: Partial<Record<AutoReplyKind, number>>;
}

export function decideAutoReplies(input: AutoReplyInput): AutoReplyDecision[] {
  const { service, now, keyword, consentBefore } = input;
  const allowed = (kind: AutoReplyKind) => {
    const last = input.lastSent[kind];
    const interval = kind === 'safety' ? service.safetyReplyIntervalMinutes : service.autoReplyIntervalMinutes;
    return last === undefined || now.getTime() - last >= interval * 60_000;
  };
  const render = (kind: AutoReplyKind, template: string, consentNotice = false): AutoReplyDecision => ({
    kind,
    consentNotice,
    text: renderAutoReply(template, service, now),
  });

  if (keyword === 'stop') return consentBefore === 'opted_out' || !allowed('opt_out') ? [] : [render('opt_out', service.autoReplies.optOut, true)];
  if (keyword === 'start') return consentBefore === 'active' || !allowed('opt_in') ? [] : [render('opt_in', service.autoReplies.optIn, true)];
  if (consentBefore === 'opted_out') return [];

  const replies: AutoReplyDecision[] = [];
  const open = openingState(service, now).open;
  // Safety first, and alone: someone at risk reads where to get help now, and nothing after it
  // says "we reply within one working day" or "we are closed" (issue 12). The safety text itself
  // says what the welcome would have: confidentiality, and when a person will answer.
  if (input.risk === 'high' && allowed('safety')) {
    return [render('safety', open ? service.autoReplies.safety : service.autoReplies.safetyOutOfHours ?? service.autoReplies.safety)];
  }
  // A high-risk conversation nobody has answered yet: a further message is not met with silence
  // for hours, nor with the routine texts; a short holding reply, at most once per interval.
  if (input.conversationRisk === 'high' && input.awaitingHumanReply) {
    const lastCare = Math.max(input.lastSent.safety ?? -Infinity, input.lastSent.holding ?? -Infinity);
    if (now.getTime() - lastCare >= service.holdingReplyIntervalMinutes * 60_000) replies.push(render('holding', service.autoReplies.holding));
    if (input.notText && allowed('text_only')) replies.push(render('text_only', service.autoReplies.textOnly));
    return replies;
  }
  if (input.conversationIsNew && allowed('welcome')) replies.push(render('welcome', service.autoReplies.welcome));
  if (!open && allowed('out_of_hours')) replies.push(render('out_of_hours', service.autoReplies.outOfHours));
  // Last: the welcome or closed notice says who they reached; this says what to do next.
  if (input.notText && allowed('text_only')) replies.push(render('text_only', service.autoReplies.textOnly));
  return replies;
}

export function renderAutoReply(template: string, service: ServiceConfig, now: Date): string {
  const values: Record<string, () => string> = {
    service: () => service.name,
    organisation: () => service.organisation,
    replyPromise: () => service.replyPromise.wording,
    urgentReplyPromise: () => (service.urgentReplyPromise ?? service.replyPromise).wording,
    nextOpening: () => describeOpening(openingState(service, now).nextOpening),
  };
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name]?.() ?? whole);
}
