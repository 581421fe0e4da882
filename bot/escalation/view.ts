import { EntityManager, In } from 'typeorm';
import type { Keyring } from '../../db/crypto';
import { Contact, Conversation, Escalation, EscalationNotice, Note, OutboxItem, OutboxStatus, StaffAlert, StaffMember, StaffNotice } from '../../db/entities';
import { openContactAddress, openNoteBody } from '../../db/sealed-fields';
import type { ServiceConfig, ServiceDirectory } from '../config/services';
import { openingState } from '../gateway/hours';
import { maskedAddress } from '../inbox/masked-address';

/** The words an acknowledgement's note starts with; the rest is what the person said was done. */
export const ACKNOWLEDGED_PREFIX = 'Escalation acknowledged: ';
/** The note when the Teams card acknowledged: the card asks for nothing, and the record says so. */
export const ACKNOWLEDGED_IN_TEAMS = 'Escalation acknowledged in Teams (the card asks for no outcome).';
/** The note when the card's Claim acknowledged: the claim itself shows as who has the conversation. */
export const ACKNOWLEDGED_BY_CLAIM = 'Escalation acknowledged by Claim in Teams (the card asks for no outcome).';

/** An escalation as a duty lead reads it: who holds it now, who was alerted, what comes next, who acknowledged and what was done. */
export interface EscalationView {
  id: string;
  conversationId: string;
  service: string;
  serviceName: string;
  status: Escalation['status'];
  categories: string[];
  riskLevel: string;
  contactLabel: string | null;
  raisedAt: string;
  messageCount: number;
  rounds: { reached: number; of: number };
  /** The last level alerted: who holds it now. Null before the first alert. */
  holder: { level: number; final: boolean; label: string; names: string[] } | null;
  alerts: { at: string; level: number; round: number; final: boolean; to: string[]; routes: string[]; deliveries: AlertDelivery[] }[];
  /** Alerts to people (texts, emails, Teams notices) that failed: the screen flags them. */
  undelivered: number;
  nextStep: { at: string; description: string } | null;
  acknowledgement: { by: string | null; at: string; outcome: string | null } | null;
}

/** One way a ladder step reached (or failed to reach) someone: the channel's card, or a person by Teams, text or email. */
export interface AlertDelivery {
  route: 'teams-channel' | 'teams-chat' | 'sms' | 'email';
  /** The person; null for the channel's card. */
  to: string | null;
  /** `retrying` while a failed attempt waits for the next one; `skipped` when it could not be sent at all (no work mobile). */
  status: OutboxStatus | 'retrying' | 'skipped';
  /** Why it failed or is retrying (the provider's answer, never an address). */
  problem: string | null;
}

const ROLE_WORDS = new Map([['duty-lead', 'duty leads'], ['admin', 'admins'], ['clinician', 'clinicians']]);

/** A ladder level in words: "duty leads", "admins, Alex Morgan". */
function recipientsInWords(spec: string[], namesByEmail: Map<string, string>): string {
  return spec.map((r) => (r.startsWith('role:') ? ROLE_WORDS.get(r.slice(5)) ?? r.slice(5) : namesByEmail.get(r.slice(6).toLowerCase()) ?? r.slice(6))).join(', ');
}

/** The ladder in force at a moment: in hours or out of hours, as the step itself would have chosen. */
function ladderAt(service: ServiceConfig, at: number) {
  return openingState(service, new Date(at)).open ? service.escalation.inHours : service.escalation.outOfHours;
}

function levelLabel(service: ServiceConfig | undefined, level: number, final: boolean, at: number, namesByEmail: Map<string, string>): string {
  if (!service) return final ? 'Final alert' : `Level ${level}`;
  if (final) return `Final alert: ${recipientsInWords(service.escalation.fallback, namesByEmail)}`;
  // Levels accumulate: level 2 tells level 1 again as well.
  const levels = ladderAt(service, at).levels;
  return level >= 1 && level <= levels.length ? `Level ${level}: ${recipientsInWords([...new Set(levels.slice(0, level).flat())], namesByEmail)}` : `Level ${level}`;
}

/**
 * Describes escalations for the screen, the conversation banner and the transcript, in a few
 * queries whatever the count: notices, the Teams card rows, the acknowledgement notes, names.
 */
export async function describeEscalations(manager: EntityManager, keyring: Keyring, directory: ServiceDirectory, escalations: Escalation[], now: number): Promise<EscalationView[]> {
  if (escalations.length === 0) return [];
  const ids = escalations.map((e) => e.id);
  const conversationIds = [...new Set(escalations.map((e) => e.conversationId))];
  const notices = await manager.find(EscalationNotice, { where: { escalationId: In(ids) }, order: { step: 'ASC' } });
  const cards = notices.length ? await manager.find(OutboxItem, { where: { messageId: In(notices.map((n) => n.id)), channel: 'teams' } }) : [];
  const cardByNotice = new Map(cards.map((c) => [c.messageId, c]));
  // Each person's alerts by text and email, and their notices in Teams: the outbox row of each says how it went.
  const noticeIds = notices.map((n) => n.id);
  const staffAlerts = noticeIds.length ? await manager.find(StaffAlert, { where: { escalationNoticeId: In(noticeIds) } }) : [];
  const teamsNotices = noticeIds.length ? await manager.find(StaffNotice, { where: { escalationNoticeId: In(noticeIds) } }) : [];
  const personalIds = [...staffAlerts.map((a) => a.id), ...teamsNotices.map((t) => t.id)];
  const personalRows = new Map((personalIds.length ? await manager.find(OutboxItem, { where: { id: In(personalIds) } }) : []).map((o) => [o.id, o]));
  const conversations = new Map((await manager.findBy(Conversation, { id: In(conversationIds) })).map((c) => [c.id, c]));
  const contactIds = [...new Set([...conversations.values()].map((c) => c.contactId))];
  const contacts = new Map((contactIds.length ? await manager.findBy(Contact, { id: In(contactIds) }) : []).map((c) => [c.id, c]));
  const acknowledgedNotes = await manager.find(Note, { where: { conversationId: In(conversationIds), kind: 'acknowledged' } });

  const staffIds = new Set<string>();
  for (const n of notices) for (const id of n.recipients.split(',').filter(Boolean)) staffIds.add(id);
  for (const e of escalations) if (e.acknowledgedBy) staffIds.add(e.acknowledgedBy);
  for (const a of [...staffAlerts, ...teamsNotices]) staffIds.add(a.staffId);
  const staff = staffIds.size ? await manager.findBy(StaffMember, { id: In([...staffIds]) }) : [];
  const names = new Map(staff.map((s) => [s.id, s.name]));
  // Named people in a ladder ("staff:someone@trust.nhs.uk") by name where we know them.
  const ladderEmails = new Set<string>();
  for (const e of escalations) {
    const service = directory.bySlugOrUndefined(e.serviceSlug);
    if (!service) continue;
    for (const r of [...service.escalation.inHours.levels.flat(), ...service.escalation.outOfHours.levels.flat(), ...service.escalation.fallback]) if (r.startsWith('staff:')) ladderEmails.add(r.slice(6).toLowerCase());
  }
  const namesByEmail = new Map((ladderEmails.size ? await manager.findBy(StaffMember, { email: In([...ladderEmails]) }) : []).map((s) => [s.email.toLowerCase(), s.name]));

  // People by name, in alphabetical order (stored by id, which says nothing to a reader).
  const namesOf = (recipients: string) => recipients.split(',').filter(Boolean).map((id) => names.get(id) ?? 'a former staff member').sort((a, b) => a.localeCompare(b, 'en-GB'));
  return escalations.map((e) => {
    const service = directory.bySlugOrUndefined(e.serviceSlug);
    const conversation = conversations.get(e.conversationId);
    const contact = conversation ? contacts.get(conversation.contactId) : undefined;
    const mine = notices.filter((n) => n.escalationId === e.id);
    const alerts = mine.map((n) => {
      const card = cardByNotice.get(n.id);
      const personal = [
        ...teamsNotices.filter((t) => t.escalationNoticeId === n.id).map((t) => ({ route: 'teams-chat' as const, staffId: t.staffId, row: personalRows.get(t.id) })),
        ...staffAlerts.filter((a) => a.escalationNoticeId === n.id).map((a) => ({ route: a.medium, staffId: a.staffId, row: personalRows.get(a.id) ?? (a.medium === 'sms' ? NO_WORK_MOBILE : undefined) })),
      ].map((d) => ({ ...delivery(d.route, names.get(d.staffId) ?? 'a former staff member', d.row) }))
        .sort((a, b) => (a.to ?? '').localeCompare(b.to ?? '', 'en-GB') || ROUTE_ORDER.indexOf(a.route) - ROUTE_ORDER.indexOf(b.route));
      const deliveries = [...(card ? [delivery('teams-channel', null, card)] : []), ...personal];
      return {
        deliveries,
        at: iso(n.createdAt),
        level: n.level,
        round: n.round,
        final: n.final,
        to: namesOf(n.recipients),
        // Where it went: every alert reaches the open tabs (live); a card goes to the service's Teams channel when one is linked.
        routes: ['Lamplight tab', ...(card ? [`Teams channel (${card.status})`] : [])],
      };
    });
    const last = mine.at(-1);
    const holder = last ? {
      level: last.level,
      final: last.final,
      label: levelLabel(service, last.level, last.final, last.createdAt, namesByEmail),
      names: namesOf(last.recipients),
    } : null;
    const note = e.acknowledgedAt === null ? undefined : acknowledgedNotes.find((n) => n.createdAt === e.acknowledgedAt && n.authorStaffId === e.acknowledgedBy);
    const noteText = note ? openNoteBody(keyring, note) : null;
    const rounds = service?.escalation.rounds ?? 1;
    return {
      id: e.id,
      conversationId: e.conversationId,
      service: e.serviceSlug,
      serviceName: service?.name ?? e.serviceSlug,
      status: e.status,
      categories: e.categories.split(',').filter(Boolean),
      riskLevel: conversation?.riskLevel ?? 'none',
      contactLabel: contact ? maskedAddress(openContactAddress(keyring, contact)) : null,
      raisedAt: iso(e.createdAt),
      messageCount: e.messageCount,
      rounds: { reached: mine.filter((n) => !n.final).reduce((max, n) => Math.max(max, n.round), 0), of: rounds },
      holder,
      alerts,
      undelivered: alerts.reduce((count, a) => count + a.deliveries.filter((d) => d.route !== 'teams-channel' && d.status === 'failed').length, 0),
      nextStep: e.status === 'open' && e.nextDueAt !== null && service ? { at: iso(e.nextDueAt), description: nextStepWords(service, e.step, e.nextDueAt, now, namesByEmail) } : null,
      acknowledgement: e.acknowledgedAt === null ? null : {
        by: e.acknowledgedBy ? names.get(e.acknowledgedBy) ?? 'a former staff member' : 'a former staff member',
        at: iso(e.acknowledgedAt),
        outcome: noteText?.startsWith(ACKNOWLEDGED_PREFIX) ? noteText.slice(ACKNOWLEDGED_PREFIX.length) : null,
      },
    };
  });
}

/** What the ladder does next if nobody acknowledges: the same arithmetic as the step that will fire. */
function nextStepWords(service: ServiceConfig, step: number, dueAt: number, now: number, namesByEmail: Map<string, string>): string {
  const ladder = ladderAt(service, Math.max(dueAt, now));
  const levels = ladder.levels.length;
  if (step >= levels * service.escalation.rounds) return `${levelLabel(service, 0, true, dueAt, namesByEmail)} alerted if not acknowledged`;
  const level = (step % levels) + 1;
  const round = Math.floor(step / levels) + 1;
  return `${levelLabel(service, level, false, Math.max(dueAt, now), namesByEmail)} alerted${round > 1 ? ` (round ${round})` : ''} if not acknowledged`;
}

const iso = (ms: number) => new Date(ms).toISOString();

const ROUTE_ORDER: AlertDelivery['route'][] = ['teams-channel', 'teams-chat', 'sms', 'email'];

/** An alert by text a step could not send: the person had no work mobile on record. */
const NO_WORK_MOBILE = 'no work mobile' as const;

function delivery(route: AlertDelivery['route'], to: string | null, row: OutboxItem | typeof NO_WORK_MOBILE | undefined): AlertDelivery {
  if (row === NO_WORK_MOBILE) return { route, to, status: 'skipped', problem: 'no work mobile on record' };
  if (!row) return { route, to, status: 'failed', problem: 'its record is gone' };
  const retrying = row.status === 'pending' && row.attempts > 0;
  return { route, to, status: retrying ? 'retrying' : row.status, problem: row.status === 'failed' || row.status === 'cancelled' || retrying ? row.lastError : null };
}
