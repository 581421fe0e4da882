import { Activity, ActivityTypes } from 'botbuilder';
import type { ChannelName } from './channel';

/** One inbound message as every channel adapter hands it to the gateway bot. */
export interface InboundActivityInput {
  channel: ChannelName;
  /** The provider's message id: the gateway's idempotency key. */
  id: string;
  /** The contact's address on the channel. */
  from: string;
  /** The service's address on the channel. */
  to: string;
  text: string;
  serviceUrl: string;
  timestamp: Date;
  /**
   * What the message carried that Lamplight does not read (e.g. `image`, `location`): each becomes
   * an attachment with no content, which the gateway answers with the "text only" reply.
   */
  notRead?: string[];
  channelData?: Record<string, unknown>;
}

/** The Bot Framework Activity for an inbound message: the one shape every channel builds. */
export function inboundActivity(input: InboundActivityInput): Partial<Activity> {
  return {
    type: ActivityTypes.Message,
    id: input.id,
    channelId: input.channel,
    serviceUrl: input.serviceUrl,
    timestamp: input.timestamp,
    from: { id: input.from, name: '', role: 'user' },
    recipient: { id: input.to, name: '', role: 'bot' },
    conversation: { id: `${input.to}/${input.from}`, isGroup: false, conversationType: 'personal', name: '' },
    text: input.text,
    ...(input.channelData ? { channelData: input.channelData } : {}),
    ...(input.notRead?.length ? { attachments: input.notRead.map((kind) => ({ contentType: `application/vnd.lamplight.unread.${kind}`, name: kind })) } : {}),
  };
}
