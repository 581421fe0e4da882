import type { Logger } from 'pino';
import { Database } from '../../db/database';
import { WINDOW_CLOSED_CODES, type DeliveryStatusUpdate } from '../../adapters/channel';
import { In } from 'typeorm';
import { Conversation, looksLikeId, OutboxItem, OutboxStatus } from '../../db/entities';

// Providers' callbacks can arrive out of order; a status only ever moves forwards.
const RANK: Record<OutboxStatus, number> = { pending: 0, sending: 1, sent: 2, delivered: 3, failed: 3, cancelled: 4 };
/** The outbox channels a provider's callback may be about: an SMS callback can be for an escalation alert to staff. */
const rowChannels = (channel: string) => (channel === 'sms' ? ['sms', 'alert-sms'] : [channel]);

function toOutboxStatus(providerStatus: string): OutboxStatus | undefined {
  switch (providerStatus) {
    case 'delivered':
    case 'read':
      return 'delivered';
    case 'undelivered':
    case 'failed':
      return 'failed';
    case 'queued':
    case 'accepted':
    case 'sending':
    case 'sent':
      return 'sent';
    default:
      return undefined;
  }
}

/**
 * Returns where the change happened (for live events), or undefined when nothing was recorded.
 * The row is found by the outbox id the callback carries, else by the provider's message id; so a
 * callback that arrives before the worker has recorded the provider's id (the provider answered the
 * send, called back, and only then did our update commit) is kept, and records that id itself.
 */
export async function recordDeliveryStatus(
  db: Database, log: Logger, update: DeliveryStatusUpdate, now: number,
  /** The approved template this row may go in after its channel's window closed (a clinician's reply), if any. */
  templateFor?: (item: OutboxItem) => Promise<string | undefined>,
): Promise<{ conversationId: string; serviceSlug: string; status: string } | undefined> {
  const byOutboxId = update.outboxItemId && looksLikeId(update.outboxItemId)
    ? await db.manager.findOneBy(OutboxItem, { id: update.outboxItemId, channel: In(rowChannels(update.channel)) })
    : null;
  const item = byOutboxId ?? (await db.manager.findOneBy(OutboxItem, { channel: In(rowChannels(update.channel)), providerMessageId: update.providerMessageId }));
  if (!item) {
    log.warn({ event: 'delivery.unknown_message', channel: update.channel }, 'delivery status for a message Lamplight did not send');
    return undefined;
  }
  const next = toOutboxStatus(update.status);
  // A status only moves forwards, checked in the update itself: two callbacks racing (sent,
  // delivered) cannot leave the earlier one on top. Nothing moves a delivered message.
  const from = next ? (Object.keys(RANK) as OutboxStatus[]).filter((s) => s !== 'delivered' && RANK[s] <= RANK[next]) : [];
  const failure = next === 'failed' ? `provider reported ${update.status}${update.errorCode ? ` (code ${update.errorCode})` : ''}` : undefined;
  let moved = false;
  // The provider says the reply window had closed (Meta's 131047 on a failed status): a clinician's
  // reply goes again at once inside the service's approved template, once; anything else fails.
  const windowClosed = next === 'failed' && update.errorCode !== undefined && WINDOW_CLOSED_CODES.get(update.channel)?.has(update.errorCode) === true;
  const template = windowClosed && item.templateName === null && templateFor ? await templateFor(item) : undefined;
  let requeued = false;
  if (template) {
    const result = await db.manager.createQueryBuilder().update(OutboxItem)
      .set({ status: 'pending', templateName: template, nextAttemptAt: now, providerStatus: update.status.slice(0, 32), lockedUntil: null, updatedAt: now, lastError: `the contact's 24-hour window had closed (code ${update.errorCode}); going again inside the approved template` })
      .where('id = :id AND status IN (:...from) AND "templateName" IS NULL', { id: item.id, from: ['sending', 'sent'] })
      .execute();
    requeued = result.affected === 1;
  }
  if (!requeued && next && from.length) {
    const result = await db.manager.createQueryBuilder().update(OutboxItem)
      .set({ status: next, providerStatus: update.status.slice(0, 32), lockedUntil: null, updatedAt: now, ...(failure ? { lastError: failure } : {}) })
      .where('id = :id AND status IN (:...from)', { id: item.id, from })
      .execute();
    moved = result.affected === 1;
  }
  if (!item.providerMessageId) {
    await db.manager.createQueryBuilder().update(OutboxItem).set({ providerMessageId: update.providerMessageId }).where('id = :id AND "providerMessageId" IS NULL', { id: item.id }).execute();
  }
  log.info({ event: requeued ? 'delivery.window_closed' : 'delivery.status', outboxItemId: item.id, status: update.status, moved, requeued }, 'delivery status');
  const conversation = await db.manager.findOneBy(Conversation, { id: item.conversationId });
  return conversation ? { conversationId: conversation.id, serviceSlug: conversation.serviceSlug, status: requeued ? 'retrying' : moved ? next! : item.status } : undefined;
}
