import type { Logger } from 'pino';
import { Database } from '../db/database';
import { Channel, Conversation, OutboxItem, OutboxStatus } from '../db/entities';

export interface DeliveryStatusUpdate {
  channel: Channel;
  providerMessageId: string;
  /** The provider's own word: queued, sent, delivered, undelivered, failed, read. */
  status: string;
  errorCode?: string;
}

// Providers' callbacks can arrive out of order; a status only ever moves forwards.
const RANK: Record<OutboxStatus, number> = { pending: 0, sending: 1, sent: 2, delivered: 3, failed: 3 };

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

/** Returns where the change happened (for live events), or undefined when nothing was recorded. */
export async function recordDeliveryStatus(db: Database, log: Logger, update: DeliveryStatusUpdate, now: number): Promise<{ conversationId: string; serviceSlug: string; status: string } | undefined> {
  const item = await db.manager.findOneBy(OutboxItem, { channel: update.channel, providerMessageId: update.providerMessageId });
  if (!item) {
    log.warn({ event: 'delivery.unknown_message', channel: update.channel }, 'delivery status for a message Lamplight did not send');
    return undefined;
  }
  const next = toOutboxStatus(update.status);
  const changes: Partial<OutboxItem> = { providerStatus: update.status.slice(0, 32), updatedAt: now };
  if (next && RANK[next] >= RANK[item.status] && item.status !== 'delivered') {
    changes.status = next;
    if (next === 'failed') changes.lastError = `provider reported ${update.status}${update.errorCode ? ` (code ${update.errorCode})` : ''}`;
  }
  await db.manager.update(OutboxItem, { id: item.id }, changes);
  log.info({ event: 'delivery.status', outboxItemId: item.id, status: update.status }, 'delivery status');
  const conversation = await db.manager.findOneBy(Conversation, { id: item.conversationId });
  return conversation ? { conversationId: conversation.id, serviceSlug: conversation.serviceSlug, status: changes.status ?? item.status } : undefined;
}
