import type { Activity, ConversationReference } from 'botbuilder';
import type { Logger } from 'pino';
import { EntityManager, In } from 'typeorm';
import { ProviderError } from '../../adapters/channel';
import { staffOutboxRow } from '../outbox/queue';
import type { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Conversation, Escalation, EscalationNotice, OutboxItem, ServiceMembership, StaffMember, TeamsCard, TeamsChannel, TeamsUser } from '../../db/entities';
import type { ServiceDirectory } from '../config/services';
import type { EscalationNotification, QueuedNotifier } from '../escalation/ladder';
import { describeEscalations } from '../escalation/view';
import type { ChannelLinks } from './channel-links';
import { CardState, escalationCard } from './escalation-card';

/** How the bot reaches Teams: app.ts binds these to the Bot Framework adapter. */
export interface TeamsPoster {
  /** Posts the activity as a new message in the conversation (a channel, or a thread of it); returns the Teams activity id. */
  post(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<string | undefined>;
  /** Replaces a message the bot posted (the card, updated in place for everyone). */
  update(reference: Partial<ConversationReference>, activityId: string, activity: Partial<Activity>): Promise<void>;
}

/** At most this many people get Teams' automatic refresh of a card (Teams' own limit). */
const REFRESH_USERS_MAX = 60;

/**
 * Escalation cards for the service's duty-lead channel, through the one outbox. The first ladder
 * step queues a card; later steps, an acknowledgement or a claim (in Teams or in the tab) queue an
 * update of the same card, in the same transaction as the change, and the outbox posts or updates it
 * with its retries, in order per conversation. What is sent is rendered when it is sent, from the
 * escalation as it is then: an update that waited out a Teams outage never shows a stale state.
 * The final alert also replies in the card's thread, @mentioning the fallback contacts.
 */
export class TeamsCards implements QueuedNotifier {
  constructor(private readonly deps: {
    db: Database;
    keyring: Keyring;
    directory: ServiceDirectory;
    teams: TeamsPoster;
    /** Which channel each service's cards go to. */
    channels: Pick<ChannelLinks, 'channelFor'>;
    /** Links to a conversation: the tab in Teams, the web app in a browser. */
    links: (conversationId: string) => { teams: string; web: string };
    log: Logger;
    now: () => number;
  }) {}

  /** A ladder step: the card, or an update of it, queued in the step's own transaction. */
  async queue(tx: EntityManager, notification: EscalationNotification & { noticeId: string }, now: number): Promise<boolean> {
    const service = this.deps.directory.bySlugOrUndefined(notification.serviceSlug);
    const channelId = service ? await this.deps.channels.channelFor(tx, service.slug) : undefined;
    if (!service || !channelId) return false;
    if (!(await tx.findOneBy(TeamsChannel, { channelId }))) {
      this.deps.log.warn({ event: 'teams.channel_unknown', service: service.slug }, 'the duty-lead channel has not been seen by the bot yet: add the Lamplight app to it');
      return false;
    }
    if (!(await tx.existsBy(TeamsCard, { escalationId: notification.escalationId }))) {
      await tx.insert(TeamsCard, { escalationId: notification.escalationId, conversationId: notification.conversationId, channelId, activityId: null, createdAt: now, updatedAt: now });
    }
    await tx.insert(OutboxItem, this.row(notification.noticeId, notification.conversationId, now));
    return true;
  }

  /**
   * Something the conversation's latest card shows has changed (acknowledged, claimed, assigned,
   * transferred, closed): queues an update of that card, if it has one.
   */
  async changed(tx: EntityManager, conversationId: string, now: number): Promise<boolean> {
    const [card] = await tx.find(TeamsCard, { where: { conversationId }, order: { createdAt: 'DESC' }, take: 1 });
    if (!card) return false;
    await tx.insert(OutboxItem, this.row(card.escalationId, conversationId, now));
    return true;
  }

  private row(messageId: string, conversationId: string, now: number): OutboxItem {
    return staffOutboxRow({ messageId, conversationId, channel: 'teams', priority: 1, now });
  }

  /** The card as it should look now, for the escalation with this id; undefined if there is no such escalation. */
  async cardFor(escalationId: string): Promise<CardState | undefined> {
    const { manager } = this.deps.db;
    const escalation = await manager.findOneBy(Escalation, { id: escalationId });
    if (!escalation) return undefined;
    const [view] = await describeEscalations(manager, this.deps.keyring, this.deps.directory, [escalation], this.deps.now());
    const conversation = await manager.findOneBy(Conversation, { id: escalation.conversationId });
    const assignee = conversation?.assignedStaffId ? await manager.findOneBy(StaffMember, { id: conversation.assignedStaffId }) : null;
    return {
      escalation: view,
      assignee: assignee ? { id: assignee.id, name: assignee.name } : null,
      conversationOpen: conversation?.status === 'open',
      acknowledgedById: escalation.acknowledgedBy,
      refreshUserIds: await this.refreshUserIds(manager, escalation.serviceSlug),
      links: this.deps.links(escalation.conversationId),
    };
  }

  /** The service's duty leads and admins whom the bot has met in Teams. */
  private async refreshUserIds(manager: EntityManager, serviceSlug: string): Promise<string[]> {
    const memberships = await manager.find(ServiceMembership, { where: { serviceSlug, role: In(['duty-lead', 'admin']) } });
    if (!memberships.length) return [];
    const staff = await manager.find(StaffMember, { where: { id: In(memberships.map((m) => m.staffId)) } });
    const oids = staff.map((s) => s.oid).filter((oid): oid is string => !!oid);
    if (!oids.length) return [];
    const users = await manager.find(TeamsUser, { where: { aadObjectId: In(oids) }, order: { updatedAt: 'DESC' }, take: REFRESH_USERS_MAX });
    return users.map((u) => u.teamsUserId).sort();
  }

  /** For the outbox worker: posts or updates the card (and, for the final alert, replies in its thread). */
  async send(item: OutboxItem): Promise<{ providerMessageId: string }> {
    const { db } = this.deps;
    const notice = await db.manager.findOneBy(EscalationNotice, { id: item.messageId });
    const escalationId = notice?.escalationId ?? item.messageId;
    const card = await db.manager.findOneBy(TeamsCard, { escalationId });
    const channel = card ? await db.manager.findOneBy(TeamsChannel, { channelId: card.channelId }) : null;
    const state = await this.cardFor(escalationId);
    if (!card || !channel || !state) throw new ProviderError('the duty-lead channel is no longer known to the bot', false);
    const reference = JSON.parse(channel.reference) as Partial<ConversationReference>;
    const activity: Partial<Activity> = { type: 'message', attachments: [escalationCard(state)] };

    let activityId = card.activityId;
    if (!activityId && !notice && state.escalation.status === 'acknowledged') {
      // The card never reached the channel (Teams refused it) and there is no alert left to give.
      return { providerMessageId: `teams:not-posted:${item.id}` };
    }
    if (activityId) {
      try {
        await teamsCall(() => this.deps.teams.update(reference, activityId!, activity));
      } catch (error) {
        // Someone deleted the card in Teams: post it again rather than lose the alert.
        if (!(error instanceof ProviderError) || error.status !== 404) throw error;
        activityId = null;
      }
    }
    if (!activityId) {
      activityId = (await teamsCall(() => this.deps.teams.post(reference, activity))) ?? null;
      if (!activityId) throw new ProviderError('Teams did not say which message the card is', true);
      await db.manager.update(TeamsCard, { escalationId }, { activityId, updatedAt: this.deps.now() });
    }
    if (notice?.final) {
      const reply = await this.finalAlert(notice, state);
      const thread = { ...reference, conversation: { ...reference.conversation!, id: `${card.channelId};messageid=${activityId}` } };
      await teamsCall(() => this.deps.teams.post(thread, reply));
    }
    this.deps.log.info({ event: notice ? 'teams.card_posted' : 'teams.card_updated', escalationId, service: state.escalation.service }, notice ? 'escalation card posted' : 'escalation card updated');
    return { providerMessageId: activityId };
  }

  /**
   * The final alert, as a reply in the card's thread: @mentions the fallback contacts (by their
   * Entra object id, which Teams accepts for a mention); anyone not yet linked to Teams is named.
   */
  private async finalAlert(notice: EscalationNotice, state: CardState): Promise<Partial<Activity>> {
    const ids = notice.recipients.split(',').filter(Boolean);
    const staff = ids.length ? await this.deps.db.manager.find(StaffMember, { where: { id: In(ids) }, order: { name: 'ASC' } }) : [];
    const mentions = staff.filter((s) => s.oid).map((s) => ({ type: 'mention', text: `<at>${escapeAt(s.name)}</at>`, mentioned: { id: s.oid!, name: s.name } }));
    const unlinked = staff.filter((s) => !s.oid).map((s) => s.name);
    const e = state.escalation;
    const text = [
      mentions.map((m) => m.text).join(' '),
      `FINAL ALERT: a high-risk message to ${e.serviceName} has not been acknowledged after ${e.rounds.of} ${e.rounds.of === 1 ? 'round' : 'rounds'} of the duty-lead ladder. Acknowledge or claim it on the card above.`,
      unlinked.length ? `Also alerted, not yet linked to Teams: ${unlinked.join(', ')}.` : '',
    ].filter(Boolean).join(' ');
    return { type: 'message', text, textFormat: 'xml', entities: mentions };
  }
}

/** A call to the Bot Connector, its failure as the outbox reads it: 429 and 5xx (or no answer) may pass; 401/403/404 will not. */
export async function teamsCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    // The SDK's client has already retried 5xx (and waited out a Retry-After) within this attempt;
    // the outbox's backoff comes on top.
    const status = (error as { statusCode?: number }).statusCode;
    throw new ProviderError(`Teams answered ${status ?? (error as Error).name}`, status === undefined || status === 429 || status === 412 || status >= 500, status);
  }
}

/** A name inside `<at>…</at>` (Teams reads the text as XML). */
function escapeAt(name: string): string {
  return name.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));
}
