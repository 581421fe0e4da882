import { EventEmitter } from 'node:events';
import type { EscalationNotification, Notifier } from './escalations';

/**
 * In-process live events for open inboxes (the stream endpoint and Redis fan-out come with the
 * inbox issue). Events carry ids and levels only.
 */
export type LiveEvent =
  | { type: 'escalation.notified'; notification: EscalationNotification }
  | { type: 'conversation.updated'; conversationId: string; serviceSlug: string; riskLevel: string };

export class LiveEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(event: LiveEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

/** Escalation notices as live events to every open inbox of the service. */
export class InAppNotifier implements Notifier {
  constructor(private readonly events: LiveEvents) {}

  async notify(notification: EscalationNotification): Promise<void> {
    this.events.publish({ type: 'escalation.notified', notification });
  }
}
