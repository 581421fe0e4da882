import { Activity, CardFactory, ConversationReference, TeamsActivityHandler, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { Database } from '../../db/database';
import { ServiceMembership, StaffMember, TeamsChannel } from '../../db/entities';
import type { StaffIdentity } from '../api/clinician-auth';
import { HttpError } from '../api/http-error';
import type { EscalationLadder, EscalationNotification, Notifier } from '../escalations';
import type { ServiceDirectory } from '../config';

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
      await this.deps.escalations.acknowledge(staff, escalationId);
      await context.sendActivity(`Acknowledged by ${staff.name}.`);
    } catch (error) {
      await context.sendActivity(error instanceof HttpError ? `Not acknowledged: ${error.message}.` : 'Not acknowledged: something went wrong.');
      if (!(error instanceof HttpError)) this.deps.log.error({ event: 'teams.ack_failed', err: { name: (error as Error).name } }, 'acknowledge from Teams failed');
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
export function escalationCard(n: EscalationNotification, serviceName: string, inboxUrl: string) {
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
      { type: 'TextBlock', text: 'Open the Lamplight inbox to read the conversation. Acknowledging stops further alerts.', wrap: true, isSubtle: true },
    ],
    actions: [
      { type: 'Action.Submit', title: 'Acknowledge', data: { action: 'acknowledge', escalationId: n.escalationId } },
      { type: 'Action.OpenUrl', title: 'Open inbox', url: inboxUrl },
    ],
  });
}

/** Posts escalation cards to the service's duty-lead channel, when one is configured and known. */
export class TeamsCardNotifier implements Notifier {
  constructor(private readonly deps: {
    db: Database;
    directory: ServiceDirectory;
    send: (reference: Partial<ConversationReference>, activity: Partial<Activity>) => Promise<void>;
    inboxUrl: () => string;
    log: Logger;
  }) {}

  async notify(notification: EscalationNotification): Promise<void> {
    const service = this.deps.directory.bySlugOrUndefined(notification.serviceSlug);
    const channelId = service?.escalation.teamsChannel;
    if (!service || !channelId) return;
    const channel = await this.deps.db.manager.findOneBy(TeamsChannel, { channelId });
    if (!channel) {
      this.deps.log.warn({ event: 'teams.channel_unknown', service: service.slug }, 'the duty-lead channel has not been seen by the bot yet: add the Lamplight app to it');
      return;
    }
    await this.deps.send(JSON.parse(channel.reference), { attachments: [escalationCard(notification, service.name, this.deps.inboxUrl())] });
    this.deps.log.info({ event: 'teams.card_posted', escalationId: notification.escalationId, service: service.slug }, 'escalation card posted');
  }
}

/** Tells every notifier; one failing does not stop the others. */
export class AllNotifiers implements Notifier {
  constructor(private readonly notifiers: Notifier[], private readonly log: Logger) {}

  async notify(notification: EscalationNotification): Promise<void> {
    await Promise.all(this.notifiers.map((n) => n.notify(notification).catch((error) => this.log.error({ event: 'notifier.failed', err: { name: (error as Error).name } }, 'a notifier failed'))));
  }
}
