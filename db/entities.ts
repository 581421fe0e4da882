import 'reflect-metadata';
import { Column, Entity, ForeignKey, Index, PrimaryColumn, ValueTransformer } from 'typeorm';
import type { ChannelName } from '../adapters/channel';

/**
 * Times are stored as epoch milliseconds in a BIGINT: one representation that SQLite, PostgreSQL
 * and SQL Server compare and sort the same way, with no driver time-zone conversion in between.
 * PostgreSQL and SQL Server hand BIGINT back as a string, hence the transformer.
 */
const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
const time = { type: 'bigint' as const, transformer: epochMs };
const optionalTime = { ...time, nullable: true };
/** A counter in a BIGINT, read back as a number like the times. */
const sequence = { type: 'bigint' as const, transformer: epochMs };
const id = { type: 'varchar' as const, length: 36 };
/** The hash the first audit row links to (db/audit-chain.ts GENESIS_HASH). */
const GENESIS = '0'.repeat(64);
/** Whether a value from outside (a URL, a callback) could be one of our ids (random UUIDs), before it reaches a query. */
export const looksLikeId = (value: string): boolean => /^[0-9a-f-]{36}$/i.test(value);

export type Channel = ChannelName;
/** Where outbox rows go: a contact's channel, or the duty-lead channel in Teams (escalation cards). */
export type OutboxChannel = Channel | StaffChannel;
/**
 * Outbox rows that go to staff, not to the conversation's contact: the duty-lead channel's card
 * (`teams`), a person's notice in their Teams chat with the bot (`teams-notice`), and escalation
 * alerts by text (`alert-sms`) and email (`alert-email`).
 */
export type StaffChannel = 'teams' | 'teams-notice' | 'alert-sms' | 'alert-email';
export const STAFF_CHANNELS: readonly StaffChannel[] = ['teams', 'teams-notice', 'alert-sms', 'alert-email'];
export const isStaffChannel = (channel: string): channel is StaffChannel => (STAFF_CHANNELS as readonly string[]).includes(channel);
export type Role = 'clinician' | 'duty-lead' | 'admin';
export type Consent = 'active' | 'opted_out';
export type RiskLevel = 'none' | 'medium' | 'high';
export type AuthorKind = 'contact' | 'clinician' | 'auto' | 'system';
export type AutoReplyKind = 'welcome' | 'out_of_hours' | 'safety' | 'holding' | 'opt_out' | 'opt_in' | 'text_only';
/** `cancelled`: a staff alert no longer needed when its turn came (the escalation was acknowledged meanwhile). */
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'delivered' | 'failed' | 'cancelled';

/**
 * Foreign keys are declared on the id columns themselves (`@ForeignKey`, no relation properties):
 * the code reads and writes `conversationId` and the rest as plain strings, and loaded rows carry
 * no extra fields. Why each deletes as it does is written in the migration that added them
 * (db/migrations/1764600000000-ForeignKeys.ts). Every foreign key column leads an index: PostgreSQL
 * and SQL Server make none for them, and a parent's delete would otherwise scan the child table.
 */

@Entity('staff_member')
export class StaffMember {
  @PrimaryColumn(id) id!: string;
  /** Lower-cased; the identity claim used when a token carries no matching `oid`. */
  @Index('uq_staff_email', { unique: true }) @Column({ type: 'varchar', length: 320 }) email!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  /** Entra ID object id, bound on first sign-in or by an admin. */
  @Index('ix_staff_oid') @Column({ type: 'varchar', length: 64, nullable: true }) oid!: string | null;
  @Column(time) createdAt!: number;
  /** No personal Teams notices of assignments and transfers (escalation alerts cannot be muted). */
  @Column({ type: Boolean, default: false }) muteNonUrgent!: boolean;
  /** Their work mobile for escalation alerts by text, sealed (db/sealed-fields.ts); null = none given. */
  @Column({ type: 'text', nullable: true }) workMobileCipher!: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) workMobileKeyId!: string | null;
}

@Entity('service_membership')
@Index('uq_membership', ['staffId', 'serviceSlug'], { unique: true })
export class ServiceMembership {
  @PrimaryColumn(id) id!: string;
  @ForeignKey(() => StaffMember, { name: 'fk_membership_staff', onDelete: 'CASCADE' }) @Column(id) staffId!: string;
  @Column({ type: 'varchar', length: 64 }) serviceSlug!: string;
  @Column({ type: 'varchar', length: 16 }) role!: Role;
  @Column(time) createdAt!: number;
}

@Entity('contact')
@Index('uq_contact_address', ['channel', 'addressHash'], { unique: true })
@Index('ix_contact_consent', ['consent', 'consentChangedAt'])
export class Contact {
  @PrimaryColumn(id) id!: string;
  @Column({ type: 'varchar', length: 16 }) channel!: Channel;
  /** HMAC of the normalised address (separate key): how a returning contact is found. */
  @Column({ type: 'varchar', length: 64 }) addressHash!: string;
  @Column({ type: 'text' }) addressCipher!: string;
  @Column({ type: 'varchar', length: 16 }) keyId!: string;
  @Column({ type: 'varchar', length: 16 }) consent!: Consent;
  @Column(optionalTime) consentChangedAt!: number | null;
  @Column(time) createdAt!: number;
  /** Blocked by staff: messages are still stored and triaged, but nothing is sent back. */
  @Column(optionalTime) blockedAt!: number | null;
}

@Entity('conversation')
@Index('ix_conversation_service_status', ['serviceSlug', 'status', 'lastMessageAt'])
@Index('ix_conversation_contact', ['contactId', 'createdAt'])
@Index('ix_conversation_assigned_staff', ['assignedStaffId'])
@Index('ix_conversation_closed', ['serviceSlug', 'status', 'closedAt'])
@Index('ix_conversation_report', ['serviceSlug', 'createdAt', 'firstReplyAt', 'outOfHoursAt', 'repeatContact'])
@Index('ix_conversation_open_queue', ['serviceSlug', 'status', 'riskLevel', 'awaitingReplySince', 'lastMessageAt', 'assignedStaffId', 'recordedAt', 'lastInboundAt', 'id'])
export class Conversation {
  @PrimaryColumn(id) id!: string;
  @Column({ type: 'varchar', length: 64 }) serviceSlug!: string;
  @ForeignKey(() => Contact, { name: 'fk_conversation_contact', onDelete: 'CASCADE' }) @Column(id) contactId!: string;
  @Column({ type: 'varchar', length: 16 }) channel!: Channel;
  /** The service's own address on the channel (SMS number, WhatsApp phone-number id) replies go out from. */
  @Column({ type: 'varchar', length: 64 }) endpointAddress!: string;
  @Column({ type: 'varchar', length: 16 }) status!: 'open' | 'closed';
  /**
   * `open:<contact>:<service>:<channel>` while open, `closed:<id>` after: a unique column that lets
   * every database refuse a second open conversation for the same contact and service, even when
   * two first messages race (a unique index over a nullable column behaves differently in SQL Server).
   */
  @Index('uq_conversation_open', { unique: true }) @Column({ type: 'varchar', length: 200 }) openKey!: string;
  @Column({ type: 'varchar', length: 8 }) riskLevel!: RiskLevel;
  /** SET NULL, except on SQL Server, where it is NO ACTION (sqlServerForeignKeys in db/database.ts says why). */
  @ForeignKey(() => StaffMember, { name: 'fk_conversation_assigned_staff', onDelete: 'SET NULL' }) @Column({ ...id, nullable: true }) assignedStaffId!: string | null;
  @Column(time) createdAt!: number;
  @Column(time) lastMessageAt!: number;
  @Column(optionalTime) lastInboundAt!: number | null;
  /** When the oldest inbound message not yet answered by a person arrived; null when answered. */
  @Column(optionalTime) awaitingReplySince!: number | null;
  @Column(optionalTime) closedAt!: number | null;
  @Column({ type: 'varchar', length: 40, nullable: true }) outcome!: string | null;
  /** When a clinician confirmed the conversation is in the clinical record (e.g. SystmOne, RiO). */
  @Column(optionalTime) recordedAt!: number | null;
  /** The last time a clinician opened it: later inbound messages are unread. */
  @Column(optionalTime) lastReadAt!: number | null;
  /** For reports (db/report-hours.ts): a clinician's first reply, the first out-of-hours auto-reply, and whether the contact had a conversation before. */
  @Column(optionalTime) firstReplyAt!: number | null;
  @Column(optionalTime) outOfHoursAt!: number | null;
  @Column({ type: Boolean, default: false }) repeatContact!: boolean;
}

/** An internal note: staff only, never sent; encrypted like a message body. */
@Entity('note')
@Index('ix_note_conversation', ['conversationId', 'createdAt'])
@Index('ix_note_author_staff', ['authorStaffId'])
export class Note {
  @PrimaryColumn(id) id!: string;
  @ForeignKey(() => Conversation, { name: 'fk_note_conversation', onDelete: 'CASCADE' }) @Column(id) conversationId!: string;
  @ForeignKey(() => StaffMember, { name: 'fk_note_author_staff', onDelete: 'SET NULL' }) @Column({ ...id, nullable: true }) authorStaffId!: string | null;
  /** `note` is written by a person; the others record an action in the thread: who, when and why. */
  @Column({ type: 'varchar', length: 16 }) kind!: 'note' | 'transfer' | 'system' | 'risk-cleared' | 'closed' | 'reopened' | 'acknowledged';
  @Column({ type: 'text' }) bodyCipher!: string;
  @Column({ type: 'varchar', length: 16 }) keyId!: string;
  @Column(time) createdAt!: number;
}

@Entity('message')
@Index('uq_message_external', ['channel', 'externalId'], { unique: true })
@Index('ix_message_conversation', ['conversationId', 'createdAt'])
@Index('ix_message_author_staff', ['authorStaffId'])
export class Message {
  @PrimaryColumn(id) id!: string;
  @ForeignKey(() => Conversation, { name: 'fk_message_conversation', onDelete: 'CASCADE' }) @Column(id) conversationId!: string;
  @Column({ type: 'varchar', length: 16 }) channel!: Channel;
  /** Provider's message id for inbound (idempotency key); `out:<id>` for outbound. */
  @Column({ type: 'varchar', length: 160 }) externalId!: string;
  @Column({ type: 'varchar', length: 3 }) direction!: 'in' | 'out';
  @Column({ type: 'varchar', length: 16 }) authorKind!: AuthorKind;
  @ForeignKey(() => StaffMember, { name: 'fk_message_author_staff', onDelete: 'SET NULL' }) @Column({ ...id, nullable: true }) authorStaffId!: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) autoReplyKind!: AutoReplyKind | null;
  @Column({ type: 'text' }) bodyCipher!: string;
  @Column({ type: 'varchar', length: 16 }) keyId!: string;
  @Column(time) createdAt!: number;
  /** Triage of an inbound message; its reasons quote the text, so they are sealed like the body. */
  @Column({ type: 'varchar', length: 8, nullable: true }) riskLevel!: RiskLevel | null;
  @Column({ type: 'text', nullable: true }) triageCipher!: string | null;
}

export type EscalationStatus = 'open' | 'acknowledged' | 'exhausted';

/**
 * A high-risk message waiting for a person to take it on. The ladder's timer is `nextDueAt`:
 * whatever instance finds it due first advances `step` with a conditional update, so a restart
 * neither loses nor repeats a notification.
 */
@Entity('escalation')
@Index('ix_escalation_due', ['status', 'nextDueAt'])
@Index('ix_escalation_service', ['serviceSlug', 'status', 'createdAt'])
@Index('ix_escalation_conversation', ['conversationId', 'status'])
@Index('ix_escalation_acknowledged_by', ['acknowledgedBy'])
@Index('ix_escalation_acknowledged', ['serviceSlug', 'status', 'acknowledgedAt'])
/** At most one open (or exhausted: still to be acknowledged) escalation per conversation. */
@Index('uq_escalation_open', ['conversationId'], { unique: true, where: `"status" IN ('open', 'exhausted')` })
export class Escalation {
  @PrimaryColumn(id) id!: string;
  @ForeignKey(() => Conversation, { name: 'fk_escalation_conversation', onDelete: 'CASCADE' }) @Column(id) conversationId!: string;
  @Column({ type: 'varchar', length: 64 }) serviceSlug!: string;
  /** The message that raised it (a message of the same conversation; no foreign key: see the migration). */
  @Column(id) messageId!: string;
  @Column({ type: 'varchar', length: 16 }) status!: EscalationStatus;
  /** Notifications sent so far; the next one climbs to ladder level (step % levels) + 1. */
  @Column({ type: 'integer' }) step!: number;
  @Column(optionalTime) nextDueAt!: number | null;
  /** Risk categories (e.g. "suicide,overdose"): never message text. */
  @Column({ type: 'varchar', length: 200 }) categories!: string;
  /** High-risk messages in the conversation since it was raised. */
  @Column({ type: 'integer' }) messageCount!: number;
  @Column(time) createdAt!: number;
  @Column(optionalTime) acknowledgedAt!: number | null;
  @ForeignKey(() => StaffMember, { name: 'fk_escalation_acknowledged_by', onDelete: 'SET NULL' }) @Column({ ...id, nullable: true }) acknowledgedBy!: string | null;
}

/** Each notification the ladder sent: who was told, at which level and round. */
@Entity('escalation_notice')
@Index('ix_notice_escalation', ['escalationId', 'step'])
export class EscalationNotice {
  @PrimaryColumn(id) id!: string;
  @ForeignKey(() => Escalation, { name: 'fk_notice_escalation', onDelete: 'CASCADE' }) @Column(id) escalationId!: string;
  @Column({ type: 'integer' }) step!: number;
  /** 1-based ladder level; 0 for the final alert to the fallback contacts. */
  @Column({ type: 'integer' }) level!: number;
  @Column({ type: 'integer' }) round!: number;
  @Column({ type: Boolean }) final!: boolean;
  /** Staff ids notified, comma-separated. */
  @Column({ type: 'text' }) recipients!: string;
  @Column(time) createdAt!: number;
}

@Entity('outbox_item')
@Index('ix_outbox_due', ['status', 'nextAttemptAt'])
@Index('ix_outbox_provider', ['channel', 'providerMessageId'])
@Index('ix_outbox_conversation', ['conversationId'])
export class OutboxItem {
  @PrimaryColumn(id) id!: string;
  /**
   * The message to send. For channel `teams`: the EscalationNotice of a ladder step (post the card,
   * or update it; the final one also replies in its thread), or the Escalation whose card is brought
   * up to date after an acknowledgement or a claim (bot/teams/cards.ts). So no foreign key.
   */
  @Column(id) messageId!: string;
  /** The conversation on every channel: for `teams`, the escalated conversation the card is about. */
  @ForeignKey(() => Conversation, { name: 'fk_outbox_conversation', onDelete: 'CASCADE' }) @Column(id) conversationId!: string;
  @Column({ type: 'varchar', length: 16 }) channel!: OutboxChannel;
  @Column({ type: 'varchar', length: 16 }) status!: OutboxStatus;
  /** Consent confirmations are the one thing still sent to a contact who has just opted out. */
  @Column({ type: Boolean, default: false }) consentNotice!: boolean;
  @Column({ type: 'integer' }) attempts!: number;
  @Column(time) nextAttemptAt!: number;
  @Column(optionalTime) lockedUntil!: number | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) lastError!: string | null;
  @Column({ type: 'varchar', length: 160, nullable: true }) providerMessageId!: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) providerStatus!: string | null;
  /**
   * The approved template the message went in, when it went as one (a WhatsApp reply after the
   * contact's 24-hour window closed); null for free text. Set when the send is attempted.
   */
  @Column({ type: 'varchar', length: 512, nullable: true }) templateName!: string | null;
  /**
   * A clinician's reply that failed because the provider stayed unreachable for the whole retry
   * window: it holds the rows queued after it in its conversation, so the young person never gets
   * a later reply without this one. Retry sends it (and then the rest, in order).
   */
  @Column({ type: Boolean, default: false }) holdsLater!: boolean;
  /** When a person last asked for it to be sent again (Retry): its retry window starts there; null = at createdAt. */
  @Column(optionalTime) retryFrom!: number | null;
  /** Sent first when several are due: 2 a safety or holding text, 1 an escalation card, 0 the rest. */
  @Column({ type: 'integer', default: 0 }) priority!: number;
  @Column(time) createdAt!: number;
  @Column(time) updatedAt!: number;
}

export type AuditOutcome = 'ok' | 'denied';
export type AuditActorType = 'staff' | 'system' | 'operator' | 'anonymous';

/**
 * Append-only: who read or wrote what, and when, or tried to and was refused. Never carries message
 * bodies or addresses. Rows form a hash chain in `seq` order (db/audit-chain.ts): each stores the
 * hash of its own content, its services included, and the hash of the row before it.
 */
@Entity('audit_event')
@Index('ix_audit_subject', ['subjectType', 'subjectId', 'at'])
@Index('ix_audit_actor', ['actorId', 'at'])
export class AuditEvent {
  @PrimaryColumn(id) id!: string;
  /** Position in the chain, from 1 with no gaps: the order rows were appended, and the paging key. */
  @Index('uq_audit_seq', { unique: true }) @Column(sequence) seq!: number;
  @Column(time) at!: number;
  @Column({ type: 'varchar', length: 16 }) actorType!: AuditActorType;
  @Column({ ...id, nullable: true }) actorId!: string | null;
  @Column({ type: 'varchar', length: 64 }) action!: string;
  @Column({ type: 'varchar', length: 32 }) subjectType!: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) subjectId!: string | null;
  @Column({ type: 'varchar', length: 8 }) outcome!: AuditOutcome;
  @Column({ type: 'text', nullable: true }) detail!: string | null;
  /** SHA-256 (hex) of the row before, or 64 zeros for the first. */
  @Column({ type: 'varchar', length: 64 }) prevHash!: string;
  @Column({ type: 'varchar', length: 64 }) hash!: string;
}

/**
 * The services an audit event concerns, one row each: a read that spans three services is found
 * by an admin of any of them. Keyed by service first, so "the newest events of my services" reads
 * the primary key in order; the second index finds the services of a page of events.
 */
@Entity('audit_event_service')
@Index('ix_audit_service_event', ['auditSeq'])
export class AuditEventService {
  @PrimaryColumn({ type: 'varchar', length: 64 }) serviceSlug!: string;
  @PrimaryColumn(sequence) auditSeq!: number;
}

/**
 * The end of the audit chain: the last row's seq and hash, updated in the transaction that appends
 * it. Appends take this row first, which serialises them on every database; and a trail whose last
 * rows were deleted no longer reaches it.
 */
@Entity('audit_chain_head')
export class AuditChainHead {
  @PrimaryColumn({ type: 'varchar', length: 16 }) id!: string;
  @Column(sequence) seq!: number;
  @Column({ type: 'varchar', length: 64 }) hash!: string;
  /**
   * Where the trail starts: the seq and hash of the last row retention removed from its old end (0
   * and the genesis hash until then). The first row kept must link to exactly this.
   */
  @Column({ ...sequence, default: 0 }) startSeq!: number;
  @Column({ type: 'varchar', length: 64, default: GENESIS }) startHash!: string;
}

/** Where the bot can post in a Teams channel: the conversation reference Teams gave it. */
@Entity('teams_channel')
export class TeamsChannel {
  @PrimaryColumn({ type: 'varchar', length: 200 }) channelId!: string;
  @Column({ type: 'text' }) reference!: string;
  @Column(time) updatedAt!: number;
}

/**
 * The card an escalation has in its service's duty-lead channel: one per escalation, posted by the
 * first ladder step and updated in place after (each round, an acknowledgement, a claim). The row
 * is written when the first card is queued; `activityId` is the Teams message id once posted.
 */
@Entity('teams_card')
@Index('ix_teams_card_conversation', ['conversationId'])
export class TeamsCard {
  @ForeignKey(() => Escalation, { name: 'fk_teams_card_escalation', onDelete: 'CASCADE' }) @PrimaryColumn(id) escalationId!: string;
  /** The escalated conversation (denormalised: a claim or a transfer in the tab finds its card by it). */
  @Column(id) conversationId!: string;
  @Column({ type: 'varchar', length: 200 }) channelId!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) activityId!: string | null;
  @Column(time) createdAt!: number;
  @Column(time) updatedAt!: number;
}

/**
 * A Teams user the bot has met (by their Entra object id): their Teams id (the MRI a card's
 * refresh names) and, once the app is installed for them, where to send them a personal message.
 */
@Entity('teams_user')
export class TeamsUser {
  @PrimaryColumn({ type: 'varchar', length: 64 }) aadObjectId!: string;
  @Column({ type: 'varchar', length: 200 }) teamsUserId!: string;
  /** The conversation reference of their personal chat with the bot; null until the app is installed for them. */
  @Column({ type: 'text', nullable: true }) personalReference!: string | null;
  @Column(time) updatedAt!: number;
}

export type StaffNoticeKind = 'assigned' | 'transferred' | 'escalation' | 'final-alert';

/**
 * A personal message to a member of staff in Teams (from the bot, in their chat with it): a
 * conversation assigned to them, transferred to their service, or an escalation they are alerted
 * about. Sent through the outbox (channel `teams`, `messageId` = this id). Carries the kind and the
 * conversation only: the words are made when it is sent, never with message text or a number.
 */
@Entity('staff_notice')
@Index('ix_staff_notice_staff', ['staffId', 'createdAt'])
@Index('ix_staff_notice_conversation', ['conversationId'])
export class StaffNotice {
  @PrimaryColumn(id) id!: string;
  @ForeignKey(() => StaffMember, { name: 'fk_staff_notice_staff', onDelete: 'CASCADE' }) @Column(id) staffId!: string;
  @ForeignKey(() => Conversation, { name: 'fk_staff_notice_conversation', onDelete: 'CASCADE' }) @Column(id) conversationId!: string;
  @Column({ type: 'varchar', length: 16 }) kind!: StaffNoticeKind;
  /** The service it concerns (for a transfer, the one it went to); the words name it. */
  @Column({ type: 'varchar', length: 64 }) serviceSlug!: string;
  /** Who did it (an assignment, a transfer); null for the ladder. */
  @Column({ ...id, nullable: true }) actorStaffId!: string | null;
  /** The ladder level and round (escalation notices), as "level 2, round 1"; null otherwise. */
  @Column({ type: 'varchar', length: 40, nullable: true }) detail!: string | null;
  @Column({ type: Boolean, default: false }) urgent!: boolean;
  /** The ladder step that alerted them (escalation notices), for the escalations screen; null otherwise. */
  @Index('ix_staff_notice_escalation_notice') @ForeignKey(() => EscalationNotice, { name: 'fk_staff_notice_escalation_notice', onDelete: 'CASCADE' }) @Column({ ...id, nullable: true }) escalationNoticeId!: string | null;
  @Column(time) createdAt!: number;
}

/**
 * The Teams channel a service's escalation cards go to, linked by an admin with a command in the
 * channel (`@Lamplight link <service>`); wins over `teamsChannel` in the services config.
 */
@Entity('service_channel')
export class ServiceChannel {
  @PrimaryColumn({ type: 'varchar', length: 64 }) serviceSlug!: string;
  @Column({ type: 'varchar', length: 200 }) channelId!: string;
  /** The channel's name as Teams gave it when linked, if it did. */
  @Column({ type: 'varchar', length: 200, nullable: true }) channelName!: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) teamName!: string | null;
  @ForeignKey(() => StaffMember, { name: 'fk_service_channel_linked_by', onDelete: 'SET NULL' }) @Column({ ...id, nullable: true }) linkedBy!: string | null;
  @Column(time) linkedAt!: number;
}

/**
 * A web chat as the Direct Line surface serves it (adapters/webchat/): one per page session, bound
 * to one contact (`userId`, the contact's address on the channel) of one service. `lastSeq` numbers
 * its activities; taking the next number updates this row, which serialises writers per chat on
 * every database, so activities commit in the order of their numbers and a watermark never skips one.
 */
@Entity('webchat_session')
@Index('uq_webchat_session_user', ['endpoint', 'userId'], { unique: true })
export class WebchatSession {
  /** The Direct Line conversationId: URL-safe, random. */
  @PrimaryColumn({ type: 'varchar', length: 40 }) id!: string;
  /** The service's web chat address (its `channels.webchat` slug), as a conversation's endpointAddress holds it. */
  @Column({ type: 'varchar', length: 64 }) endpoint!: string;
  @Column({ type: 'varchar', length: 40 }) userId!: string;
  /** SHA-256 (hex) of the resume secret the page keeps in session storage to get a new token after sleep. */
  @Column({ type: 'varchar', length: 64 }) resumeHash!: string;
  @Column({ type: 'integer' }) lastSeq!: number;
  @Column(time) createdAt!: number;
  @Column(time) lastActiveAt!: number;
  @Column(optionalTime) endedAt!: number | null;
}

/**
 * One activity of a web chat, in order (`seq` is the watermark): the young person's messages as
 * echoed back to their page, and what the service sent. The text is sealed like a message body.
 * `dedupeKey` makes both directions idempotent: `c:<clientActivityID>` for a post, `o:<outbox id>`
 * for a send. An inbound row with no `storedAt` has not yet reached the gateway: it is driven
 * there again until it has.
 */
@Entity('webchat_activity')
@Index('uq_webchat_activity_dedupe', ['sessionId', 'dedupeKey'], { unique: true })
@Index('ix_webchat_activity_unstored', ['direction', 'storedAt'])
export class WebchatActivity {
  @ForeignKey(() => WebchatSession, { name: 'fk_webchat_activity_session', onDelete: 'CASCADE' }) @PrimaryColumn({ type: 'varchar', length: 40 }) sessionId!: string;
  @PrimaryColumn({ type: 'integer' }) seq!: number;
  @Column({ type: 'varchar', length: 3 }) direction!: 'in' | 'out';
  @Column({ type: 'varchar', length: 140 }) dedupeKey!: string;
  /** Outbound: who wrote it, as the page labels it (clinician, auto). */
  @Column({ type: 'varchar', length: 16, nullable: true }) authorKind!: string | null;
  @Column({ type: 'text' }) bodyCipher!: string;
  @Column({ type: 'varchar', length: 16 }) keyId!: string;
  /** Inbound: the message carried attachments Lamplight does not read. */
  @Column({ type: Boolean, default: false }) notRead!: boolean;
  @Column(time) createdAt!: number;
  /** Inbound: when the gateway stored it as a message (null: not yet). */
  @Column(optionalTime) storedAt!: number | null;
  /** Outbound: when a page of the chat first received it. */
  @Column(optionalTime) deliveredAt!: number | null;
}

/**
 * When each person last read a conversation: "unread" is per person, so one nurse opening a
 * thread does not hide a new message from the colleague who shares the queue.
 */
@Entity('conversation_read')
@Index('ix_conversation_read_staff', ['staffId'])
@Index('ix_conversation_read_open', ['conversationId', 'staffId', 'readAt'])
export class ConversationRead {
  @ForeignKey(() => Conversation, { name: 'fk_conversation_read_conversation', onDelete: 'CASCADE' }) @PrimaryColumn(id) conversationId!: string;
  @ForeignKey(() => StaffMember, { name: 'fk_conversation_read_staff', onDelete: 'CASCADE' }) @PrimaryColumn(id) staffId!: string;
  @Column(time) readAt!: number;
}


/** An escalation alert a ladder step queued for a member of staff by text or email (sent through the outbox, whose row has this id). */
@Entity('staff_alert')
export class StaffAlert {
  @PrimaryColumn(id) id!: string;
  @Index('ix_staff_alert_notice') @ForeignKey(() => EscalationNotice, { name: 'fk_staff_alert_notice', onDelete: 'CASCADE' }) @Column(id) escalationNoticeId!: string;
  @Index('ix_staff_alert_staff') @ForeignKey(() => StaffMember, { name: 'fk_staff_alert_staff', onDelete: 'CASCADE' }) @Column(id) staffId!: string;
  @Column({ type: 'varchar', length: 8 }) medium!: 'sms' | 'email';
  @Column(time) createdAt!: number;
}


/**
 * Messages per service, UTC hour (epoch ms / 3,600,000), direction, channel and risk (inbound:
 * none, medium or high; outbound ''): what reports read (db/report-hours.ts). Counts only.
 */
@Entity('report_hour')
export class ReportHour {
  @PrimaryColumn({ type: 'varchar', length: 64 }) serviceSlug!: string;
  @PrimaryColumn({ type: 'integer' }) hour!: number;
  @PrimaryColumn({ type: 'varchar', length: 3 }) direction!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) channel!: string;
  @PrimaryColumn({ type: 'varchar', length: 8 }) risk!: string;
  @Column({ type: 'integer' }) messages!: number;
}

/**
 * A legal hold (issue 15): while one is in place on a conversation or a contact, nothing of it is
 * deleted, by retention or by erasure. Released holds stay, as the record that they were held.
 */
@Entity('legal_hold')
@Index('ix_legal_hold_subject', ['subjectType', 'subjectId', 'releasedAt'])
export class LegalHold {
  @PrimaryColumn(id) id!: string;
  @Column({ type: 'varchar', length: 16 }) subjectType!: 'conversation' | 'contact';
  @Column(id) subjectId!: string;
  @Column({ type: 'varchar', length: 500 }) reason!: string;
  /** Who placed it, as the operator named themselves on the command line. */
  @Column({ type: 'varchar', length: 200 }) placedBy!: string;
  @Column(time) placedAt!: number;
  @Column(optionalTime) releasedAt!: number | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) releasedBy!: string | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) releaseReason!: string | null;
}

export const entities = [StaffMember, ServiceMembership, Contact, Conversation, Message, OutboxItem, AuditEvent, AuditEventService, AuditChainHead, Escalation, EscalationNotice, Note, TeamsChannel, WebchatSession, WebchatActivity, ConversationRead, TeamsCard, TeamsUser, StaffNotice, ServiceChannel, StaffAlert, ReportHour, LegalHold];
