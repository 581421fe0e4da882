import { EventEmitter } from 'node:events';
import type { EscalationNotification, Notifier } from './escalations';

/**
 * Live events for open inboxes. They carry ids, kinds and levels only: an inbox that hears of a
 * change fetches it through the audited API. Each event gets a rising id and the last ones are
 * kept, so an inbox that reconnects with Last-Event-ID catches up; one that was away too long is
 * told to reload.
 */
export interface LiveEventInput {
  type: 'conversation.updated' | 'message.created' | 'delivery.updated' | 'escalation.notified' | 'escalation.acknowledged';
  serviceSlug: string;
  conversationId?: string;
  action?: string;
  level?: string;
  escalationId?: string;
  final?: boolean;
}

export type LiveEvent = LiveEventInput & { id: number; at: string };

export class LiveEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly recent: LiveEvent[] = [];
  private nextId = 1;

  constructor(private readonly keep = 2000) {}

  publish(input: LiveEventInput): LiveEvent {
    const event: LiveEvent = { ...input, id: this.nextId++, at: new Date().toISOString() };
    this.recent.push(event);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    this.emitter.emit('event', event);
    return event;
  }

  /** The id of the newest event so far (0 before any). */
  get lastId(): number {
    return this.nextId - 1;
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Events after `lastId`, or undefined when some of them are no longer kept. */
  since(lastId: number): LiveEvent[] | undefined {
    if (lastId >= this.nextId) return undefined;
    const oldest = this.recent[0]?.id ?? this.nextId;
    if (lastId + 1 < oldest) return undefined;
    return this.recent.filter((e) => e.id > lastId);
  }
}

/** Escalation notices as live events to every open inbox of the service. */
export class InAppNotifier implements Notifier {
  constructor(private readonly events: LiveEvents) {}

  async notify(notification: EscalationNotification): Promise<void> {
    this.events.publish({
      type: 'escalation.notified', serviceSlug: notification.serviceSlug, conversationId: notification.conversationId,
      escalationId: notification.escalationId, level: String(notification.level), final: notification.final,
    });
  }
}
