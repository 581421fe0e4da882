import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { EntityManager, In } from 'typeorm';
import { ChannelSender, ProviderError } from '../../adapters/channel';
import type { Mailer } from '../../adapters/email/smtp';
import type { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Escalation, EscalationNotice, OutboxItem, StaffAlert, StaffMember } from '../../db/entities';
import { normaliseAddress, openWorkMobile, sealWorkMobile } from '../../db/sealed-fields';
import { recordAudit } from '../audit/record';
import type { StaffIdentity } from '../identity';
import { maskedAddress } from '../inbox/masked-address';
import { invalid } from '../problems';
import type { ServiceConfig, ServiceDirectory } from '../config/services';
import type { EscalationNotification, QueuedNotifier } from './ladder';
import { staffOutboxRow } from '../outbox/queue';

/** Why an alert did not go: someone acknowledged the escalation first. */
export const CANCELLED_ACKNOWLEDGED = 'not sent: the escalation was acknowledged before the alert could go';

/** How a staff alert goes: by text to a work mobile, or by email. */
export type AlertMedium = 'sms' | 'email';

/** What the tab's settings show a person about their escalation alerts. */
export interface AlertSettings {
  /** Whether a ladder of one of their services can alert them (a duty lead or admin, or named in it). */
  onLadder: boolean;
  /** Their work mobile, masked (last four), or null. */
  workMobile: string | null;
  /** Whether their services alert by text and by email in this deployment. */
  bySms: boolean;
  byEmail: boolean;
  /** Where email alerts go: their staff email. */
  email: string;
}

/** What this deployment can send, for the tab's settings and the startup log. */
export interface AlertRoutes {
  /** A service's alerts by text come from this number; undefined = that service sends none. */
  smsFrom(service: ServiceConfig): string | undefined;
  email: boolean;
}

/**
 * Escalation alerts that reach a person with no tab open and no Teams: each ladder step texts the
 * work mobile of everyone it alerts (from the service's SMS number) and emails them, as the
 * service's `escalation.alertBy` says. Queued in the step's own transaction and sent by the outbox
 * in its urgent lanes, with its retries; an alert whose escalation was acknowledged before its turn
 * is not sent (cancelled). An alert names the service, the level and round, and links to the
 * conversation: never message text, a contact's number or a risk category (a lock screen shows it).
 */
export class StaffAlerts implements QueuedNotifier, AlertRoutes {
  constructor(private readonly deps: {
    db: Database;
    keyring: Keyring;
    directory: ServiceDirectory;
    /** The SMS channel's sender (Twilio, or the simulator's stand-in in the demo). */
    sms?: ChannelSender;
    mailer?: Mailer;
    links: (conversationId: string) => { teams: string; web: string };
    log: Logger;
    now: () => number;
  }) {}

  /** A person's alert settings, as the tab shows them. */
  async settings(staff: StaffIdentity): Promise<AlertSettings> {
    const person = await this.deps.db.manager.findOneByOrFail(StaffMember, { id: staff.id });
    const services = staff.memberships.map((m) => this.deps.directory.bySlugOrUndefined(m.serviceSlug)).filter((s): s is ServiceConfig => !!s);
    const named = (service: ServiceConfig) => [...service.escalation.inHours.levels.flat(), ...service.escalation.outOfHours.levels.flat(), ...service.escalation.fallback]
      .some((r) => r.toLowerCase() === `staff:${person.email.toLowerCase()}` || (r.startsWith('role:') && staff.memberships.some((m) => m.serviceSlug === service.slug && `role:${m.role}` === r)));
    const ladders = services.filter(named);
    const mobile = openWorkMobile(this.deps.keyring, person);
    return {
      onLadder: ladders.length > 0,
      workMobile: mobile ? maskedAddress(mobile) : null,
      bySms: ladders.some((s) => this.mediaFor(s).includes('sms')),
      byEmail: ladders.some((s) => this.mediaFor(s).includes('email')),
      email: person.email,
    };
  }

  /**
   * Sets (or with null, removes) the person's own work mobile, sealed; audited without the number.
   * A UK number may be written as 07700 900123; anything else in international form (+...).
   */
  async setWorkMobile(staff: StaffIdentity, raw: unknown): Promise<AlertSettings> {
    if (raw !== null && typeof raw !== 'string') throw invalid('"workMobile" must be a phone number, or null to remove it');
    const number = raw === null || raw.trim() === '' ? null : normaliseAddress('sms', raw);
    if (number !== null && !/^\+[1-9]\d{7,14}$/.test(number)) throw invalid('that is not a mobile number: write it as 07700 900123, or in international form like +447700900123');
    const now = this.deps.now();
    await this.deps.db.transaction(async (tx) => {
      await tx.update(StaffMember, { id: staff.id }, number ? sealWorkMobile(this.deps.keyring, staff.id, number) : { workMobileCipher: null, workMobileKeyId: null });
      await recordAudit(tx, now, { actorType: 'staff', actorId: staff.id, action: number ? 'staff.work_mobile_set' : 'staff.work_mobile_removed', subjectType: 'staff', subjectId: staff.id, services: staff.memberships.map((m) => m.serviceSlug), detail: {} });
    });
    return this.settings(staff);
  }

  smsFrom(service: ServiceConfig): string | undefined {
    if (!this.deps.sms || !service.escalation.alertBy.includes('sms')) return undefined;
    return service.escalation.alertSmsFrom ?? service.channels.sms;
  }

  get email(): boolean {
    return !!this.deps.mailer;
  }

  /** The media this service alerts by in this deployment. */
  mediaFor(service: ServiceConfig): AlertMedium[] {
    return [...(this.smsFrom(service) ? ['sms' as const] : []), ...(this.email && service.escalation.alertBy.includes('email') ? ['email' as const] : [])];
  }

  async queue(tx: EntityManager, n: EscalationNotification & { noticeId: string }, now: number): Promise<boolean> {
    const service = this.deps.directory.bySlugOrUndefined(n.serviceSlug);
    if (!service || !n.recipientStaffIds.length) return false;
    const media = this.mediaFor(service);
    if (!media.length) return false;
    const staff = await tx.find(StaffMember, { where: { id: In([...new Set(n.recipientStaffIds)]) }, order: { id: 'ASC' } });
    let queued = false;
    for (const person of staff) {
      for (const medium of media) {
        const id = randomUUID();
        await tx.insert(StaffAlert, { id, escalationNoticeId: n.noticeId, staffId: person.id, medium, createdAt: now });
        // No work mobile on record: nothing to text. The alert is kept unsent, so the escalations screen says so for that person.
        if (medium === 'sms' && !person.workMobileCipher) continue;
        await tx.insert(OutboxItem, staffOutboxRow({ id, messageId: id, conversationId: n.conversationId, channel: medium === 'sms' ? 'alert-sms' : 'alert-email', priority: 1, now }));
        queued = true;
      }
    }
    return queued;
  }

  async changed(): Promise<boolean> {
    return false;
  }

  /** For the outbox: one alert row. */
  async send(item: OutboxItem): Promise<{ providerMessageId: string } | { cancelled: string }> {
    const { manager } = this.deps.db;
    const alert = await manager.findOneBy(StaffAlert, { id: item.messageId });
    const notice = alert ? await manager.findOneBy(EscalationNotice, { id: alert.escalationNoticeId }) : null;
    const escalation = notice ? await manager.findOneBy(Escalation, { id: notice.escalationId }) : null;
    const staff = alert ? await manager.findOneBy(StaffMember, { id: alert.staffId }) : null;
    if (!alert || !notice || !escalation || !staff) throw new ProviderError('the alert, its escalation or its person is gone', false);
    // Acknowledged meanwhile: not needed. (The final alert's step leaves it exhausted, not acknowledged: that alert goes.)
    if (escalation.acknowledgedAt !== null) return { cancelled: CANCELLED_ACKNOWLEDGED };
    const service = this.deps.directory.bySlugOrUndefined(escalation.serviceSlug);
    if (!service) throw new ProviderError(`the service ${escalation.serviceSlug} is no longer in the config`, false);
    const words = alertWords(service.name, notice, this.deps.links(escalation.conversationId));
    if (alert.medium === 'sms') {
      const from = this.smsFrom(service);
      const to = openWorkMobile(this.deps.keyring, staff);
      if (!from || !this.deps.sms) throw new ProviderError('alerts by text are no longer set up for this service', false);
      if (!to) throw new ProviderError('no work mobile on record any more', false);
      const sent = await this.deps.sms.send({ from, to, text: words.sms, outboxItemId: item.id, authorKind: 'system' });
      this.deps.log.info({ event: 'escalation.alert_sent', medium: 'sms', escalationId: escalation.id, ladderLevel: notice.level }, 'escalation alert sent by text');
      return sent;
    }
    if (!this.deps.mailer) throw new ProviderError('alerts by email are no longer set up (SMTP_URL)', false);
    const sent = await this.deps.mailer.send({ to: staff.email, subject: words.subject, text: words.email, outboxItemId: item.id });
    this.deps.log.info({ event: 'escalation.alert_sent', medium: 'email', escalationId: escalation.id, ladderLevel: notice.level }, 'escalation alert sent by email');
    return sent;
  }
}

/**
 * The alert in words. A text is read on a lock screen, perhaps by someone else: it says what to do
 * and where, and nothing about the young person or what they wrote.
 */
export function alertWords(serviceName: string, notice: Pick<EscalationNotice, 'level' | 'round' | 'final'>, links: { teams: string; web: string }): { sms: string; subject: string; email: string } {
  const what = notice.final
    ? `FINAL ALERT: a high-risk message to ${serviceName} has not been acknowledged by the duty-lead ladder. You are a fallback contact`
    : `URGENT: a high-risk message to ${serviceName} needs a duty lead now (level ${notice.level}, round ${notice.round})`;
  const subject = notice.final
    ? `FINAL ALERT: high-risk message to ${serviceName} not acknowledged`
    : `URGENT: high-risk message to ${serviceName} needs a duty lead (level ${notice.level})`;
  return {
    sms: `Lamplight ${what}. Open it to acknowledge: ${links.web} (Do not reply to this text.)`,
    subject,
    email: [
      `${what}.`,
      '',
      'Open the conversation in Lamplight to acknowledge or claim it:',
      `  In Teams: ${links.teams}`,
      `  In a browser: ${links.web}`,
      '',
      'Until someone acknowledges it, the escalation ladder alerts more people.',
      '',
      'This email holds no message text. You get it because you are on the escalation ladder for this service.',
      'Do not reply: nobody reads replies to this address.',
    ].join('\n'),
  };
}
