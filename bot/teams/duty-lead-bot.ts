import { Activity, CardFactory, ConversationReference, TeamsActivityHandler, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { Database } from '../../db/database';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ProviderError } from '../../adapters/channel';
import { Escalation, EscalationNotice, OutboxItem, ServiceMembership, StaffMember, TeamsChannel } from '../../db/entities';
import type { StaffIdentity } from '../identity';
import { Problem } from '../problems';
import type { EscalationLadder, EscalationNotification, QueuedNotifier } from '../escalation/ladder';
import type { ServiceDirectory } from '../config/services';

/**
 * The Teams bot in the duty-lead channels. It remembers where each channel is (Teams tells it
 * when the app is added and whenever someone speaks to it), posts escalation cards there, and
 * takes the card's Acknowledge as the signed-in Teams user (matched to staff by Entra object id).
 */
export class DutyLeadBot extends TeamsActivityHandler {
  constructor(private readonly deps: { db: Database; escalations: EscalationLadder; log: Logger; now: () => number }) {
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
      const value = context.activity.value as { action?: string; escalationId?: string } | undefined;
      if (value?.action === 'acknowledge' && typeof value.escalationId === 'string') await this.acknowledge(context, value.escalationId);
      await next();
    });
  }

  private async remember(activity: Activity): Promise<void> {
    const channelId = (activity.channelData as { channel?: { id?: string } } | undefined)?.channel?.id;
    if (!channelId) return;
    // A new post in the channel, not a reply in whichever thread spoke last.
    const reference: Partial<ConversationReference> = { ...TurnContext.getConversationReference(activity), activityId: undefined };
    reference.conversation = { ...reference.conversation!, id: channelId };
    await this.deps.db.manager.upsert(TeamsChannel, { channelId, reference: JSON.stringify(reference), updatedAt: this.deps.now() }, ['channelId']);
  }

  private async acknowledge(context: TurnContext, escalationId: string): Promise<void> {
    const staff = await this.staffFor(context.activity.from.aadObjectId);
    if (!staff) {
      await context.sendActivity('Lamplight does not know your Teams account yet: open the Lamplight tab once, then try again.');
      return;
    }
    try {
      await this.deps.escalations.acknowledge(staff, escalationId, { via: 'teams' });
      await context.sendActivity(`Acknowledged by ${staff.name}.`);
    } catch (error) {
      await context.sendActivity(error instanceof Problem ? `Not acknowledged: ${error.message}.` : 'Not acknowledged: something went wrong.');
      if (!(error instanceof Problem)) this.deps.log.error({ event: 'teams.ack_failed', err: { name: (error as Error).name } }, 'acknowledge from Teams failed');
    }
  }

  private async staffFor(aadObjectId: string | undefined): Promise<StaffIdentity | undefined> {
    if (!aadObjectId) return undefined;
    const staff = await this.deps.db.manager.findOneBy(StaffMember, { oid: aadObjectId });
    if (!staff) return undefined;
    const memberships = await this.deps.db.manager.find(ServiceMembership, { where: { staffId: staff.id } });
    return { id: staff.id, email: staff.email, name: staff.name, memberships: memberships.map((m) => ({ serviceSlug: m.serviceSlug, role: m.role })) };
  }
}

/** The card for an escalation: ids, service and categories only; never message text or numbers. */
export function escalationCard(n: EscalationNotification, serviceName: string, links: { teams: string; web: string }) {
  return CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: n.final ? 'FINAL ALERT: high-risk message not acknowledged' : 'High-risk message needs a duty lead', weight: 'Bolder', size: 'Medium', color: 'Attention', wrap: true },
      { type: 'FactSet', facts: [
        { title: 'Service', value: serviceName },
        { title: 'Risk', value: n.categories.join(', ') || 'high' },
        { title: 'Alert', value: n.final ? 'final (fallback contacts)' : `level ${n.level}, round ${n.round}` },
      ] },
      { type: 'TextBlock', text: 'Open the conversation in Lamplight to read it. Acknowledging stops further alerts.', wrap: true, isSubtle: true },
    ],
    actions: [
      { type: 'Action.Submit', title: 'Acknowledge', data: { action: 'acknowledge', escalationId: n.escalationId } },
      { type: 'Action.OpenUrl', title: 'Open conversation', url: links.teams },
      { type: 'Action.OpenUrl', title: 'Open in a browser', url: links.web },
    ],
  });
}

/**
 * Escalation cards for the service's duty-lead channel, through the one outbox: the card is queued
 * in the ladder step's own transaction, and the outbox worker posts it with its retries, so a
 * restart or a Teams outage neither loses nor repeats an alert.
 */
export class TeamsCards implements QueuedNotifier {
  constructor(private readonly deps: {
    db: Database;
    directory: ServiceDirectory;
    /** Posts the activity as a new message in the channel; returns the Teams activity id. */
    post: (reference: Partial<ConversationReference>, activity: Partial<Activity>) => Promise<string | undefined>;
    /** Links to a conversation: the tab in Teams, the web app in a browser. */
    links: (conversationId: string) => { teams: string; web: string };
    log: Logger;
  }) {}

  async queue(tx: EntityManager, notification: EscalationNotification & { noticeId: string }, now: number): Promise<boolean> {
    const service = this.deps.directory.bySlugOrUndefined(notification.serviceSlug);
    const channelId = service?.escalation.teamsChannel;
    if (!service || !channelId) return false;
    if (!(await tx.findOneBy(TeamsChannel, { channelId }))) {
      this.deps.log.warn({ event: 'teams.channel_unknown', service: service.slug }, 'the duty-lead channel has not been seen by the bot yet: add the Lamplight app to it');
      return false;
    }
    const item: OutboxItem = {
      id: randomUUID(), messageId: notification.noticeId, conversationId: notification.conversationId, channel: 'teams', status: 'pending',
      consentNotice: false, holdsLater: false, retryFrom: null, priority: 1, attempts: 0, nextAttemptAt: now, lockedUntil: null, lastError: null, providerMessageId: null, providerStatus: null, templateName: null, createdAt: now, updatedAt: now,
    };
    await tx.insert(OutboxItem, item);
    return true;
  }

  /** For the outbox worker: rebuilds the card from the stored notice and posts it. */
  async send(item: OutboxItem): Promise<{ providerMessageId: string }> {
    const { db } = this.deps;
    const notice = await db.manager.findOneByOrFail(EscalationNotice, { id: item.messageId });
    const escalation = await db.manager.findOneByOrFail(Escalation, { id: notice.escalationId });
    const service = this.deps.directory.bySlugOrUndefined(escalation.serviceSlug);
    const channelId = service?.escalation.teamsChannel;
    const channel = channelId ? await db.manager.findOneBy(TeamsChannel, { channelId }) : null;
    if (!service || !channel) throw new ProviderError('the duty-lead channel is no longer configured or known', false);
    const notification: EscalationNotification = {
      escalationId: escalation.id, conversationId: escalation.conversationId, serviceSlug: service.slug, step: notice.step, level: notice.level,
      round: notice.round, final: notice.final, categories: escalation.categories.split(',').filter(Boolean), recipientStaffIds: notice.recipients.split(',').filter(Boolean),
    };
    let activityId: string | undefined;
    try {
      activityId = await this.deps.post(JSON.parse(channel.reference), { attachments: [escalationCard(notification, service.name, this.deps.links(notification.conversationId))] });
    } catch (error) {
      // The Bot Connector's answer: 429 and 5xx (or no answer) may pass; 401/403/404 (bot removed
      // from the team, wrong credentials) will not. The SDK's client has already retried 5xx a few
      // times within this attempt; the outbox's backoff comes on top.
      const status = (error as { statusCode?: number }).statusCode;
      throw new ProviderError(`Teams answered ${status ?? (error as Error).name}`, status === undefined || status === 429 || status >= 500, status);
    }
    this.deps.log.info({ event: 'teams.card_posted', escalationId: escalation.id, service: service.slug }, 'escalation card posted');
    return { providerMessageId: activityId ?? `teams:${item.id}` };
  }
}
