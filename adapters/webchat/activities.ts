import type { WebchatSession } from '../../db/entities';
import { activityId, ChatActivity } from './store';

/** An activity as Direct Line 3.0 carries it to a page (the fields Web Chat and the page read). */
export interface DirectLineActivity {
  type: 'message' | 'typing';
  id?: string;
  timestamp?: string;
  channelId: 'directline';
  conversation: { id: string };
  from: { id: string; name?: string; role: 'user' | 'bot' };
  recipient?: { id: string; role: 'user' | 'bot' };
  text?: string;
  textFormat?: 'plain';
  locale?: string;
  channelData?: Record<string, unknown>;
}

/**
 * A stored activity for the page: the young person's own posts come back with their
 * `clientActivityID` (Web Chat marks a message sent only when it sees it echoed), the service's
 * messages come from the service by name, as plain text (never markdown or HTML), and every one
 * carries its number so the page orders them as the service does.
 */
export function toDirectLine(activity: ChatActivity, session: Pick<WebchatSession, 'id' | 'userId' | 'endpoint'>, serviceName: string): DirectLineActivity {
  const common = {
    type: 'message' as const,
    id: activityId(activity.sessionId, activity.seq),
    timestamp: new Date(activity.createdAt).toISOString(),
    channelId: 'directline' as const,
    conversation: { id: session.id },
    text: activity.text,
    textFormat: 'plain' as const,
    locale: 'en-GB',
  };
  if (activity.direction === 'in') {
    return {
      ...common,
      from: { id: session.userId, role: 'user' },
      recipient: { id: session.endpoint, role: 'bot' },
      channelData: { ...(activity.clientActivityId ? { clientActivityID: activity.clientActivityId } : {}), 'webchat:sequence-id': activity.seq },
    };
  }
  return {
    ...common,
    from: { id: session.endpoint, name: serviceName, role: 'bot' },
    recipient: { id: session.userId, role: 'user' },
    channelData: { 'webchat:sequence-id': activity.seq, lamplight: { author: activity.authorKind === 'clinician' ? 'clinician' : 'auto' } },
  };
}

/** The service is writing: sent over open sockets only, never stored (Direct Line never polls typing). */
export function typingActivity(session: Pick<WebchatSession, 'id' | 'userId' | 'endpoint'>, serviceName: string): DirectLineActivity {
  return { type: 'typing', channelId: 'directline', conversation: { id: session.id }, from: { id: session.endpoint, name: serviceName, role: 'bot' }, recipient: { id: session.userId, role: 'user' } };
}
