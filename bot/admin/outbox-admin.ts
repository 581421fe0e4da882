import { In } from 'typeorm';
import type { Keyring } from '../../db/crypto';
import type { Database } from '../../db/database';
import { Contact, Conversation, looksLikeId, Message, OutboxItem, isStaffChannel } from '../../db/entities';
import { openContactAddress } from '../../db/sealed-fields';
import type { StaffIdentity } from '../identity';
import type { ServiceDirectory } from '../config/services';
import type { ConversationActions } from '../inbox/actions';
import { maskedAddress } from '../inbox/masked-address';
import { auditingRefusals, recordAudit } from '../audit/record';
import { conflict, invalid, notFound } from '../problems';
import { adminServices, requireAdminOf } from './access';

/** A send still queued or being retried this long after it was queued counts as delayed. */
export const DELAYED_AFTER_MINUTES = 5;
/** The most rows one list gives (newest first); the total is always whole. */
export const OUTBOX_LIST_LIMIT = 200;
const STATES = ['failed', 'delayed'] as const;
type State = (typeof STATES)[number];
const PARAMETERS = ['state', 'service'];

/** What went: a clinician's reply, one sent inside an approved template, an automatic reply, or a notice (consent, escalation card). */
export type SendKind = 'clinician' | 'template' | 'auto-reply' | 'notice';

export interface OutboxView {
  id: string;
  conversationId: string;
  service: string;
  serviceName: string;
  channel: string;
  kind: SendKind;
  status: string;
  attempts: number;
  /** The provider's or the guard's reason (status and error codes), never the message. */
  lastError: string | null;
  errorCode: string | null;
  contactLabel: string | null;
  createdAt: string;
  updatedAt: string;
  nextAttemptAt: string | null;
  /** Whether Retry can take it: a failed message to a contact (escalation cards are the ladder's to send again). */
  retryable: boolean;
}

interface Dependencies {
  db: Database;
  keyring: Keyring;
  directory: ServiceDirectory;
  actions: ConversationActions;
  now: () => number;
}

/**
 * Sends that failed, or have waited too long, in the services where the caller is an admin; and
 * Retry, which is the inbox's Retry (ConversationActions.retry: the same send guards, the same audit).
 */
export class OutboxAdministration {
  constructor(private readonly deps: Dependencies) {}

  async list(staff: StaffIdentity, raw: Record<string, unknown>): Promise<{ state: State; delayedAfterMinutes: number; total: number; items: OutboxView[] }> {
    return auditingRefusals(this.deps, staff, { action: 'outbox.list', subjectType: 'service' }, async () => {
      let services = adminServices(staff, this.deps.directory, 'see failed and delayed sends');
      const unknown = Object.keys(raw).filter((k) => !PARAMETERS.includes(k));
      if (unknown.length) throw invalid(`unknown parameter ${unknown[0].slice(0, 40)}; known: ${PARAMETERS.join(', ')}`);
      const state = raw.state === undefined || raw.state === '' ? 'failed' : STATES.find((s) => s === raw.state);
      if (!state) throw invalid('state must be failed or delayed');
      if (raw.service !== undefined && raw.service !== '') {
        if (typeof raw.service !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(raw.service)) throw invalid('service must be a service slug');
        requireAdminOf(staff, this.deps.directory, raw.service, 'see its failed and delayed sends');
        services = [raw.service];
      }
      const now = this.deps.now();
      const q = this.deps.db.manager.createQueryBuilder(OutboxItem, 'o')
        .innerJoin(Conversation, 'c', 'c.id = o.conversationId')
        .where('c.serviceSlug IN (:...services)', { services });
      if (state === 'failed') q.andWhere('o.status = :failed', { failed: 'failed' });
      else q.andWhere('o.status IN (:...waiting) AND o.createdAt <= :since', { waiting: ['pending', 'sending'], since: now - DELAYED_AFTER_MINUTES * 60_000 });
      const total = await q.getCount();
      const rows = await q.orderBy('o.updatedAt', 'DESC').addOrderBy('o.id', 'ASC').take(OUTBOX_LIST_LIMIT).getMany();
      const items = await this.views(rows);
      await this.deps.db.transaction((tx) => recordAudit(tx, now, {
        actorType: 'staff', actorId: staff.id, action: 'outbox.list', subjectType: 'service', services, detail: { state, count: items.length, total },
      }));
      return { state, delayedAfterMinutes: DELAYED_AFTER_MINUTES, total, items };
    });
  }

  /** Sends a failed message again, by the inbox's own Retry. */
  async retry(staff: StaffIdentity, outboxId: string): Promise<{ id: string; conversationId: string; status: string }> {
    const item = await auditingRefusals(this.deps, staff, { action: 'outbox.retry', subjectType: 'outbox_item', subjectId: outboxId }, async () => {
      adminServices(staff, this.deps.directory, 'retry a send');
      if (!looksLikeId(outboxId)) throw notFound('send not found');
      const found = await this.deps.db.manager.findOneBy(OutboxItem, { id: outboxId });
      const conversation = found ? await this.deps.db.manager.findOneBy(Conversation, { id: found.conversationId }) : null;
      if (!found || !conversation) throw notFound('send not found');
      // Another service's send is "not found", as its conversation is to a clinician of another service.
      if (!adminServices(staff, this.deps.directory, 'retry a send').includes(conversation.serviceSlug)) throw notFound('send not found', [conversation.serviceSlug]);
      return found;
    });
    if (isStaffChannel(item.channel)) throw conflict('not_retryable', 'an escalation card, notice or alert to staff is not retried here: the escalation ladder sends the next alert itself');
    const result = await this.deps.actions.retry(staff, item.conversationId, { messageId: item.messageId });
    return { id: item.id, conversationId: item.conversationId, status: result.delivery.status };
  }

  private async views(rows: OutboxItem[]): Promise<OutboxView[]> {
    if (rows.length === 0) return [];
    const { manager } = this.deps.db;
    const conversations = new Map((await manager.findBy(Conversation, { id: In([...new Set(rows.map((r) => r.conversationId))]) })).map((c) => [c.id, c]));
    const contacts = new Map((await manager.findBy(Contact, { id: In([...new Set([...conversations.values()].map((c) => c.contactId))]) })).map((c) => [c.id, c]));
    const messageIds = rows.filter((r) => !isStaffChannel(r.channel)).map((r) => r.messageId);
    // Who wrote each message: its author only (the body stays sealed).
    const authors = new Map(messageIds.length
      ? (await manager.find(Message, { select: { id: true, authorKind: true }, where: { id: In(messageIds) } })).map((m) => [m.id, m.authorKind])
      : []);
    return rows.map((r) => {
      const conversation = conversations.get(r.conversationId)!;
      const contact = contacts.get(conversation.contactId);
      const author = authors.get(r.messageId);
      const kind: SendKind = isStaffChannel(r.channel) || r.consentNotice || author === 'system' ? 'notice' : r.templateName ? 'template' : author === 'auto' ? 'auto-reply' : 'clinician';
      return {
        id: r.id,
        conversationId: r.conversationId,
        service: conversation.serviceSlug,
        serviceName: this.deps.directory.bySlugOrUndefined(conversation.serviceSlug)?.name ?? conversation.serviceSlug,
        channel: r.channel,
        kind,
        status: r.status,
        attempts: r.attempts,
        lastError: r.lastError,
        errorCode: /\bcode (\w+)/.exec(r.lastError ?? '')?.[1] ?? null,
        // A card, notice or alert went to staff, not to the young person: no contact to name.
        contactLabel: contact && !isStaffChannel(r.channel) ? maskedAddress(openContactAddress(this.deps.keyring, contact)) : null,
        createdAt: new Date(r.createdAt).toISOString(),
        updatedAt: new Date(r.updatedAt).toISOString(),
        nextAttemptAt: r.status === 'pending' ? new Date(r.nextAttemptAt).toISOString() : null,
        retryable: r.status === 'failed' && !isStaffChannel(r.channel),
      };
    });
  }
}
