import type { Activity, ConversationReference } from 'botbuilder';
import { CardFactory } from 'botbuilder';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { EntityManager, In } from 'typeorm';
import { ProviderError } from '../../adapters/channel';
import { Database } from '../../db/database';
import { OutboxItem, ServiceMembership, StaffMember, StaffNotice, StaffNoticeKind, TeamsUser } from '../../db/entities';
import type { ServiceDirectory } from '../config/services';
import type { EscalationNotification, QueuedNotifier } from '../escalation/ladder';
import { teamsCall, type TeamsPoster } from './cards';
import { staffOutboxRow } from '../outbox/queue';
import type { StaffIdentity } from '../identity';
import { recordAudit } from '../audit/record';

/** What the tab shows about a person's Teams notices. */
export interface NoticeSettings {
  /** Whether the bot can message them: the app is installed for them (their personal chat with it is known). */
  personalChat: boolean;
  muteNonUrgent: boolean;
}

/**
 * Personal notices in Teams: the bot messages a member of staff in their chat with it when a
 * conversation is assigned to them, when one is transferred to a service they lead, and when a
 * ladder step alerts them (urgent: never muted). Queued in the transaction that made the change and
 * sent by the outbox. Only to people the bot can reach (the app installed for them: Teams gave it
 * their personal chat); the tab says when it cannot. A notice names the service and carries a link
 * to the conversation: never message text, a contact's number or name.
 */
export class PersonalNotices implements QueuedNotifier {
  constructor(private readonly deps: {
    db: Database;
    directory: ServiceDirectory;
    teams: TeamsPoster;
    links: (conversationId: string) => { teams: string; web: string };
    log: Logger;
    now: () => number;
  }) {}

  /** A ladder step: everyone it alerted. */
  async queue(tx: EntityManager, n: EscalationNotification & { noticeId: string }, now: number): Promise<boolean> {
    return this.queueFor(tx, n.recipientStaffIds, {
      conversationId: n.conversationId, serviceSlug: n.serviceSlug, kind: n.final ? 'final-alert' : 'escalation', urgent: true,
      actorStaffId: null, detail: n.final ? null : `level ${n.level}, round ${n.round}`, escalationNoticeId: n.noticeId,
    }, now);
  }

  async changed(): Promise<boolean> {
    return false;
  }

  /** A conversation given to a colleague (not to oneself: they know). */
  async assigned(tx: EntityManager, input: { conversationId: string; serviceSlug: string; to: string; by: string }, now: number): Promise<boolean> {
    if (input.to === input.by) return false;
    return this.queueFor(tx, [input.to], { conversationId: input.conversationId, serviceSlug: input.serviceSlug, kind: 'assigned', urgent: false, actorStaffId: input.by, detail: null }, now);
  }

  /** A conversation transferred to a service: its duty leads, who will see it is picked up. */
  async transferred(tx: EntityManager, input: { conversationId: string; to: string; by: string }, now: number): Promise<boolean> {
    const leads = await tx.find(ServiceMembership, { where: { serviceSlug: input.to, role: 'duty-lead' } });
    return this.queueFor(tx, leads.map((m) => m.staffId).filter((id) => id !== input.by), { conversationId: input.conversationId, serviceSlug: input.to, kind: 'transferred', urgent: false, actorStaffId: input.by, detail: null }, now);
  }

  private async queueFor(tx: EntityManager, staffIds: string[], notice: Omit<StaffNotice, 'id' | 'staffId' | 'createdAt' | 'escalationNoticeId'> & { escalationNoticeId?: string }, now: number): Promise<boolean> {
    if (!staffIds.length) return false;
    const staff = await tx.find(StaffMember, { where: { id: In([...new Set(staffIds)]) } });
    const wanted = staff.filter((s) => s.oid && (notice.urgent || !s.muteNonUrgent));
    if (!wanted.length) return false;
    const reachable = new Set((await tx.find(TeamsUser, { where: { aadObjectId: In(wanted.map((s) => s.oid!)) } })).filter((u) => u.personalReference).map((u) => u.aadObjectId));
    let queued = false;
    for (const person of wanted.filter((s) => reachable.has(s.oid!)).sort((a, b) => a.id.localeCompare(b.id))) {
      const id = randomUUID();
      await tx.insert(StaffNotice, { escalationNoticeId: null, ...notice, id, staffId: person.id, createdAt: now });
      await tx.insert(OutboxItem, staffOutboxRow({ id, messageId: id, conversationId: notice.conversationId, channel: 'teams-notice', priority: notice.urgent ? 1 : 0, now }));
      queued = true;
    }
    return queued;
  }

  /** For the outbox: sends the notice if the row is one; undefined if it is not (a card's row). */
  async send(item: OutboxItem): Promise<{ providerMessageId: string } | undefined> {
    const { manager } = this.deps.db;
    const notice = await manager.findOneBy(StaffNotice, { id: item.messageId });
    if (!notice) return undefined;
    const staff = await manager.findOneBy(StaffMember, { id: notice.staffId });
    const user = staff?.oid ? await manager.findOneBy(TeamsUser, { aadObjectId: staff.oid }) : null;
    if (!user?.personalReference) throw new ProviderError('the Lamplight app is no longer installed for this person in Teams', false);
    const actor = notice.actorStaffId ? await manager.findOneBy(StaffMember, { id: notice.actorStaffId }) : null;
    const words = noticeWords(notice, this.deps.directory.bySlugOrUndefined(notice.serviceSlug)?.name ?? notice.serviceSlug, actor?.name ?? null);
    const links = this.deps.links(notice.conversationId);
    const activity: Partial<Activity> = {
      type: 'message',
      summary: words,
      attachments: [CardFactory.adaptiveCard({
        type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.5',
        body: [{ type: 'TextBlock', text: words, wrap: true, weight: notice.urgent ? 'Bolder' : 'Default', color: notice.urgent ? 'Attention' : 'Default' }],
        actions: [{ type: 'Action.OpenUrl', title: 'Open conversation', url: links.teams }, { type: 'Action.OpenUrl', title: 'Open in a browser', url: links.web }],
      })],
    };
    const id = await teamsCall(() => this.deps.teams.post(JSON.parse(user.personalReference!) as Partial<ConversationReference>, activity));
    this.deps.log.info({ event: 'teams.notice_sent', kind: notice.kind, service: notice.serviceSlug }, 'personal notice sent');
    return { providerMessageId: id ?? `teams:${item.id}` };
  }

  /** Mutes or unmutes this person's non-urgent notices (audited). */
  async setMute(staff: StaffIdentity, mute: boolean): Promise<NoticeSettings> {
    const now = this.deps.now();
    await this.deps.db.transaction(async (tx) => {
      await tx.update(StaffMember, { id: staff.id }, { muteNonUrgent: mute });
      await recordAudit(tx, now, { actorType: 'staff', actorId: staff.id, action: mute ? 'staff.notices_mute' : 'staff.notices_unmute', subjectType: 'staff', subjectId: staff.id, services: staff.memberships.map((m) => m.serviceSlug), detail: {} });
    });
    return this.settings(staff.id);
  }

  /** What the tab shows: can the bot reach this person, and have they muted the non-urgent notices. */
  async settings(staffId: string): Promise<NoticeSettings> {
    const { manager } = this.deps.db;
    const staff = await manager.findOneByOrFail(StaffMember, { id: staffId });
    const user = staff.oid ? await manager.findOneBy(TeamsUser, { aadObjectId: staff.oid }) : null;
    return { personalChat: !!user?.personalReference, muteNonUrgent: staff.muteNonUrgent };
  }
}

/** The notice in words: the service and what happened, never the conversation's content. */
export function noticeWords(notice: Pick<StaffNotice, 'kind' | 'detail'>, serviceName: string, actorName: string | null): string {
  const kinds: Record<StaffNoticeKind, string> = {
    assigned: `${actorName ?? 'A colleague'} assigned you a conversation in ${serviceName}.`,
    transferred: `${actorName ?? 'A colleague'} transferred a conversation to ${serviceName}. It is waiting in the unassigned queue.`,
    escalation: `Urgent: a high-risk message to ${serviceName} needs a duty lead, and you are alerted (${notice.detail ?? 'the ladder'}). Open it to acknowledge or claim it.`,
    'final-alert': `FINAL ALERT: a high-risk message to ${serviceName} has not been acknowledged by the duty-lead ladder. You are a fallback contact: open it now.`,
  };
  return kinds[notice.kind];
}
