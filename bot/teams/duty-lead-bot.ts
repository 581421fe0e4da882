import { Activity, AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, ConversationReference, TeamsActivityHandler, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { Database } from '../../db/database';
import { looksLikeId, ServiceMembership, StaffMember, TeamsChannel, TeamsUser } from '../../db/entities';
import type { StaffIdentity } from '../identity';
import { Problem } from '../problems';
import type { EscalationLadder } from '../escalation/ladder';
import type { TeamsCards } from './cards';
import type { ChannelLinks } from './channel-links';
import type { PersonalNotices } from './personal-notices';
import { CARD_VERBS, CardVerb, escalationCard } from './escalation-card';

const CHANNEL_COMMANDS: ReadonlySet<string> = new Set(['link', 'unlink']);
const PERSONAL_COMMANDS: ReadonlySet<string> = new Set(['mute', 'unmute']);
const CHANNEL_HELP = 'In a duty-lead channel: "@Lamplight link school-nursing" sends that service\'s escalation cards here (an admin of the service); "@Lamplight unlink school-nursing" stops them. Acknowledge and Claim are on each card.';
const PERSONAL_HELP = 'Here Lamplight tells you when a conversation is assigned to you, when one is transferred to your service, and when an escalation alerts you. "mute" stops the notices of assignments and transfers ("unmute" brings them back); escalation alerts cannot be muted.';
const NOT_KNOWN = 'Lamplight does not know your Teams account yet: open the Lamplight tab once, then try again.';

/**
 * The Teams bot in the duty-lead channels. It remembers where each channel is (Teams tells it
 * when the app is added and whenever someone speaks to it) and whom it has met, and takes the
 * card's Acknowledge and Claim as the signed-in Teams user (matched to staff by Entra object id):
 * as Universal Actions (`adaptiveCard/action` invokes, answered with the card as it now is), or as
 * the `Action.Submit` fallback older clients send as a message.
 */
export class DutyLeadBot extends TeamsActivityHandler {
  constructor(private readonly deps: {
    db: Database;
    escalations: EscalationLadder;
    cards: TeamsCards;
    channels: Pick<ChannelLinks, 'link' | 'unlink' | 'channelFor'>;
    notices: Pick<PersonalNotices, 'setMute'>;
    /** The names of the channel and team the activity came from, as Teams tells them (null where it does not). */
    channelNames: (context: TurnContext) => Promise<{ name: string | null; teamName: string | null }>;
    log: Logger;
    now: () => number;
  }) {
    super();
    this.onConversationUpdate(async (context, next) => {
      await this.remember(context.activity);
      await next();
    });
    this.onInstallationUpdate(async (context, next) => {
      const { activity } = context;
      if (activity.action === 'remove' && activity.conversation?.conversationType === 'personal' && activity.from?.aadObjectId) {
        // Uninstalled for them: the bot can no longer write to them, and the tab says so.
        await this.deps.db.manager.update(TeamsUser, { aadObjectId: activity.from.aadObjectId }, { personalReference: null, updatedAt: this.deps.now() });
      } else {
        await this.remember(activity);
      }
      await next();
    });
    this.onMessage(async (context, next) => {
      await this.remember(context.activity);
      const value = context.activity.value as { action?: unknown; escalationId?: unknown } | undefined;
      if ((value?.action === 'acknowledge' || value?.action === 'claim') && typeof value.escalationId === 'string') {
        const outcome = await this.act(context, value.action, value.escalationId);
        await context.sendActivity(outcome.words);
      } else if (typeof context.activity.text === 'string') {
        await this.command(context);
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

  /**
   * A command typed to the bot. In a channel: `link <service>`, `unlink <service>` (admins of the
   * service), `help`. In the personal chat: `mute` and `unmute` (the non-urgent notices), `help`.
   * The command list is in the app package (teams-app/package/build-package.ts).
   */
  private async command(context: TurnContext): Promise<void> {
    const text = TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '';
    const [verb = '', argument = '', ...rest] = text.replace(/&nbsp;/g, ' ').trim().split(/\s+/);
    const channelId = (context.activity.channelData as { channel?: { id?: unknown } } | undefined)?.channel?.id;
    const personal = context.activity.conversation?.conversationType === 'personal';
    const word = verb.toLowerCase();
    if (word === 'help' || (!CHANNEL_COMMANDS.has(word) && !PERSONAL_COMMANDS.has(word))) {
      await context.sendActivity(personal ? PERSONAL_HELP : CHANNEL_HELP);
      return;
    }
    const staff = await this.staffFor(context.activity.from?.aadObjectId);
    if (!staff) {
      await context.sendActivity(NOT_KNOWN);
      return;
    }
    try {
      if (CHANNEL_COMMANDS.has(word)) {
        if (typeof channelId !== 'string' || !channelId) return void (await context.sendActivity(`Type "${word}" in the duty-lead channel, mentioning the bot: @Lamplight ${word} school-nursing.`));
        if (!argument || rest.length) return void (await context.sendActivity(`Say which service: @Lamplight ${word} school-nursing.`));
        if (word === 'link') {
          const names = await this.deps.channelNames(context);
          const linked = await this.deps.channels.link(staff, argument.toLowerCase(), { id: channelId, ...names });
          await context.sendActivity(`Linked: escalation cards for ${linked.serviceName} now come to this channel${linked.replaced ? ' (instead of the channel it was linked to before)' : ''}. Add the duty leads to this channel; they acknowledge and claim from the cards.`);
        } else {
          const unlinked = await this.deps.channels.unlink(staff, argument.toLowerCase(), channelId);
          // Where they go now: the config's channel, if it names one, or no channel at all.
          const fallback = await this.deps.channels.channelFor(this.deps.db.manager, argument.toLowerCase());
          await context.sendActivity(`Unlinked: escalation cards for ${unlinked.serviceName} no longer come to this channel. ${fallback && fallback !== channelId
            ? 'They go to the channel named in the services config again.'
            : fallback ? 'The services config names this channel too, so they keep coming here until it is taken out of the config.'
              : 'Until another channel is linked, escalations reach duty leads in the Lamplight tab, by personal notices in Teams, and by text and email where set up.'}`);
        }
        return;
      }
      if (!personal) return void (await context.sendActivity(`"${word}" is for your personal chat with Lamplight.`));
      const settings = await this.deps.notices.setMute(staff, word === 'mute');
      await context.sendActivity(settings.muteNonUrgent
        ? 'Muted: no notices of assignments and transfers. Escalation alerts still come: they cannot be muted. Type "unmute" to have them again.'
        : 'Unmuted: you will get notices of conversations assigned to you and transferred to your service, as well as escalation alerts.');
    } catch (error) {
      if (error instanceof Problem) return void (await context.sendActivity(`Not done: ${error.message}.`));
      this.deps.log.error({ event: 'teams.command_failed', command: word, err: { name: (error as Error).name } }, 'a Teams command failed');
      await context.sendActivity('Not done: something went wrong. Try again.');
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
