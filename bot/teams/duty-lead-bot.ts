import { Activity, AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, ConversationReference, TeamsActivityHandler, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { Database } from '../../db/database';
import { looksLikeId, ServiceMembership, StaffMember, TeamsChannel, TeamsUser } from '../../db/entities';
import type { StaffIdentity } from '../identity';
import { Problem } from '../problems';
import type { EscalationLadder } from '../escalation/ladder';
import type { TeamsCards } from './cards';
import { CARD_VERBS, CardVerb, escalationCard } from './escalation-card';

const NOT_KNOWN = 'Lamplight does not know your Teams account yet: open the Lamplight tab once, then try again.';

/**
 * The Teams bot in the duty-lead channels. It remembers where each channel is (Teams tells it
 * when the app is added and whenever someone speaks to it) and whom it has met, and takes the
 * card's Acknowledge and Claim as the signed-in Teams user (matched to staff by Entra object id):
 * as Universal Actions (`adaptiveCard/action` invokes, answered with the card as it now is), or as
 * the `Action.Submit` fallback older clients send as a message.
 */
export class DutyLeadBot extends TeamsActivityHandler {
  constructor(private readonly deps: { db: Database; escalations: EscalationLadder; cards: TeamsCards; log: Logger; now: () => number }) {
    super();
    this.onConversationUpdate(async (context, next) => {
      await this.remember(context.activity);
      await next();
    });
    this.onInstallationUpdate(async (context, next) => {
      await this.remember(context.activity);
      await next();
    });
    this.onMessage(async (context, next) => {
      await this.remember(context.activity);
      const value = context.activity.value as { action?: unknown; escalationId?: unknown } | undefined;
      if ((value?.action === 'acknowledge' || value?.action === 'claim') && typeof value.escalationId === 'string') {
        const outcome = await this.act(context, value.action, value.escalationId);
        await context.sendActivity(outcome.words);
      }
      await next();
    });
  }

  /**
   * A card button (Action.Execute) or Teams refreshing a card: always answered with the card as it
   * is now, so a second click, or a click on a card someone else has just acknowledged, shows who
   * did rather than an error. Only what cannot be shown as a card (an unknown person, a refusal) is
   * answered with a message.
   */
  protected override async onAdaptiveCardInvoke(context: TurnContext, invoke: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    await this.remember(context.activity);
    const verb = invoke.action?.verb;
    const escalationId = (invoke.action?.data as { escalationId?: unknown } | undefined)?.escalationId;
    if (typeof verb !== 'string' || !CARD_VERBS.has(verb) || typeof escalationId !== 'string' || !looksLikeId(escalationId)) {
      return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: 'not a Lamplight card action' } as never };
    }
    if (verb !== 'refresh') {
      const outcome = await this.act(context, verb as Exclude<CardVerb, 'refresh'>, escalationId);
      if (!outcome.ok) return message(outcome.words);
    }
    const state = await this.deps.cards.cardFor(escalationId);
    if (!state) return message('This escalation is no longer in Lamplight.');
    return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: escalationCard(state).content };
  }

  /** Acknowledge or Claim as this Teams user. `ok` false: refused (unknown person, not a duty lead here); the words say why. */
  private async act(context: TurnContext, verb: 'acknowledge' | 'claim', escalationId: string): Promise<{ ok: boolean; words: string }> {
    const staff = await this.staffFor(context.activity.from?.aadObjectId);
    if (!staff) return { ok: false, words: NOT_KNOWN };
    try {
      if (verb === 'acknowledge') {
        await this.deps.escalations.acknowledge(staff, escalationId, { via: 'teams' });
        return { ok: true, words: `Acknowledged by ${staff.name}.` };
      }
      const claim = await this.deps.escalations.claim(staff, escalationId);
      const words = claim.assigned ? `Claimed by ${staff.name}.` : claim.holder ? `${claim.acknowledged ? `Acknowledged by ${staff.name}. ` : ''}${claim.holder} has the conversation.` : `Acknowledged by ${staff.name}.`;
      return { ok: true, words };
    } catch (error) {
      if (error instanceof Problem && error.code === 'already_acknowledged') return { ok: true, words: `Already ${error.message.replace(/^already /, '')}.` };
      if (error instanceof Problem) return { ok: false, words: `Not done: ${error.message}.` };
      this.deps.log.error({ event: 'teams.card_action_failed', verb, err: { name: (error as Error).name } }, 'a card action from Teams failed');
      return { ok: false, words: 'Not done: something went wrong. Try again, or use the Lamplight tab.' };
    }
  }

  /** Where the bot can post (a channel), and whom it has met (for a card's refresh list and personal messages). */
  private async remember(activity: Activity): Promise<void> {
    const now = this.deps.now();
    const from = activity.from;
    if (from?.aadObjectId && typeof from.id === 'string' && from.aadObjectId.length <= 64 && from.id.length <= 200) {
      const personal = activity.conversation?.conversationType === 'personal';
      const reference = personal ? JSON.stringify({ ...TurnContext.getConversationReference(activity), activityId: undefined }) : undefined;
      await this.deps.db.manager.upsert(TeamsUser, { aadObjectId: from.aadObjectId, teamsUserId: from.id, updatedAt: now, ...(reference ? { personalReference: reference } : {}) }, ['aadObjectId']);
    }
    const channelId = (activity.channelData as { channel?: { id?: string } } | undefined)?.channel?.id;
    if (!channelId) return;
    // A new post in the channel, not a reply in whichever thread spoke last.
    const reference: Partial<ConversationReference> = { ...TurnContext.getConversationReference(activity), activityId: undefined };
    reference.conversation = { ...reference.conversation!, id: channelId };
    await this.deps.db.manager.upsert(TeamsChannel, { channelId, reference: JSON.stringify(reference), updatedAt: now }, ['channelId']);
  }

  private async staffFor(aadObjectId: string | undefined): Promise<StaffIdentity | undefined> {
    if (!aadObjectId) return undefined;
    const staff = await this.deps.db.manager.findOneBy(StaffMember, { oid: aadObjectId });
    if (!staff) return undefined;
    const memberships = await this.deps.db.manager.find(ServiceMembership, { where: { staffId: staff.id } });
    return { id: staff.id, email: staff.email, name: staff.name, memberships: memberships.map((m) => ({ serviceSlug: m.serviceSlug, role: m.role })) };
  }
}

/** An invoke answered with a message instead of a card (Teams shows it to the person who clicked). */
function message(words: string): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: words as never };
}
