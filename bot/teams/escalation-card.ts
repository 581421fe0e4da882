import { Attachment, CardFactory } from 'botbuilder';
import type { EscalationView } from '../escalation/view';
import { SERVICE_ZONE } from '../gateway/hours';

/** What the card shows: the escalation as the tab describes it, who has the conversation, and who gets automatic refreshes. */
export interface CardState {
  escalation: EscalationView;
  /** Who the conversation is assigned to now (by name), if anyone; whether it is still open. */
  assignee: { id: string; name: string } | null;
  conversationOpen: boolean;
  acknowledgedById: string | null;
  /** Teams user ids (MRIs) of the service's duty leads and admins the bot has met, at most 60: Teams refreshes the card for them when they see it. */
  refreshUserIds: string[];
  links: { teams: string; web: string };
}

/** The verbs the card's buttons send (Action.Execute), and the same as `action` in the Action.Submit fallback. */
export type CardVerb = 'acknowledge' | 'claim' | 'refresh';
export const CARD_VERBS: ReadonlySet<string> = new Set<CardVerb>(['acknowledge', 'claim', 'refresh']);

const WHEN = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'short', timeZone: SERVICE_ZONE });
/** "23:04, 4 Dec" in the service's time zone. */
export function when(iso: string): string {
  const parts = new Map(WHEN.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.get('hour')}:${parts.get('minute')}, ${parts.get('day')} ${parts.get('month')}`;
}

/**
 * Adaptive Card 1.5 with Universal Actions: Acknowledge and Claim are `Action.Execute` (answered
 * by the bot's `adaptiveCard/action` invoke with the card as it is now), each with an
 * `Action.Submit` fallback for clients without Universal Actions; `refresh` makes Teams fetch the
 * current card for the duty leads when they look at it. Carries ids, the service, risk categories
 * and staff names only: never message text, a contact's number or name.
 */
export function escalationCard(state: CardState): Attachment {
  const e = state.escalation;
  const done = e.status === 'acknowledged';
  const claimedBySelf = done && state.assignee !== null && state.assignee.id === state.acknowledgedById;
  const headline = done
    ? `${claimedBySelf ? 'Claimed' : 'Acknowledged'} by ${e.acknowledgement?.by ?? 'a former staff member'} at ${when(e.acknowledgement!.at)}`
    : e.status === 'exhausted' ? 'FINAL ALERT: high-risk message not acknowledged' : 'High-risk message needs a duty lead';
  const facts = [
    { title: 'Service', value: e.serviceName },
    { title: 'Risk', value: e.categories.join(', ') || 'high' },
    { title: 'Raised', value: when(e.raisedAt) + (e.messageCount > 1 ? ` (${e.messageCount} high-risk messages)` : '') },
  ];
  if (e.holder) {
    facts.push({ title: 'Alerted', value: `${e.holder.final ? 'Final alert' : `Level ${e.holder.level}, round ${Math.max(1, e.rounds.reached)} of ${e.rounds.of}`}: ${namesInBrief(e.holder.names)}` });
  }
  if (e.nextStep) facts.push({ title: 'Next', value: `${e.nextStep.description} by ${when(e.nextStep.at)}` });
  facts.push({ title: 'Conversation', value: !state.conversationOpen ? 'closed' : state.assignee ? `with ${state.assignee.name}` : 'nobody has claimed it yet' });

  const execute = (verb: Exclude<CardVerb, 'refresh'>, title: string) => ({
    type: 'Action.Execute', title, verb, data: { escalationId: e.id },
    // Older Teams clients without Universal Actions send this instead, as a message to the bot.
    fallback: { type: 'Action.Submit', title, data: { action: verb, escalationId: e.id } },
  });
  const actions: object[] = [];
  if (!done) actions.push(execute('acknowledge', 'Acknowledge'));
  if (state.conversationOpen && (!done || state.assignee === null)) actions.push(execute('claim', done ? 'Claim the conversation' : 'Claim'));
  actions.push({ type: 'Action.OpenUrl', title: 'Open conversation', url: state.links.teams }, { type: 'Action.OpenUrl', title: 'Open in a browser', url: state.links.web });

  return CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    refresh: { action: { type: 'Action.Execute', verb: 'refresh', data: { escalationId: e.id } }, userIds: state.refreshUserIds.slice(0, 60) },
    body: [
      { type: 'TextBlock', text: headline, weight: 'Bolder', size: 'Medium', color: done ? 'Good' : 'Attention', wrap: true },
      { type: 'FactSet', facts },
      {
        type: 'TextBlock', wrap: true, isSubtle: true,
        // Not what the person said was done: a note may name the contact or a number, and the card
        // is seen by the whole channel.
        text: done
          ? 'Alerts have stopped. Open the conversation in Lamplight to read it and what was done.'
          : 'Open the conversation in Lamplight to read it. Acknowledge stops further alerts; Claim also gives you the conversation.',
      },
    ],
    actions,
  });
}

/** "Ann Lee, Bo Li and 3 others": a card stays short however many people a level alerts. */
function namesInBrief(names: string[]): string {
  if (names.length === 0) return 'nobody (no one holds that role)';
  if (names.length <= 4) return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} others`;
}
