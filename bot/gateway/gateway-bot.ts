import { ActivityHandler, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { Channel } from '../../db/entities';
import { CHANNELS } from '../../adapters/channel';
import { InboundMessages, InboundResult } from './inbound';
import type { Telemetry } from '../telemetry';


/**
 * The gateway bot every service-user channel runs through. The Bot Framework types end here:
 * an Activity becomes an InboundMessage for the use case.
 */
export class GatewayBot extends ActivityHandler {
  /** Called after each stored message commits: wakes the ladder, tells open inboxes. */
  onStored: (result: InboundResult) => void = () => undefined;

  constructor(private readonly inbound: InboundMessages, private readonly telemetry: Telemetry, private readonly log: Logger) {
    super();
    this.onMessage(async (context, next) => {
      await this.receive(context);
      await next();
    });
  }

  private async receive(context: TurnContext): Promise<void> {
    const activity = context.activity;
    const channel = activity.channelId as Channel;
    if (!(CHANNELS as readonly string[]).includes(channel)) throw new Error(`the gateway does not serve channel ${activity.channelId}`);
    const result = await this.inbound.receive({
      channel,
      providerMessageId: activity.id!,
      from: activity.from.id,
      to: activity.recipient.id,
      text: activity.text ?? '',
      // The channel adapters turn what they do not read (media, locations, cards) into attachments without content.
      notText: (activity.attachments?.length ?? 0) > 0,
    });
    this.log.info({ event: 'message.received', channel, outcome: result.outcome, conversationId: result.conversationId, messageId: result.messageId, service: result.serviceSlug, autoReplies: result.autoReplies }, 'inbound message');
    if (result.outcome === 'stored') {
      this.telemetry.event('MessageReceived', { channel, service: result.serviceSlug, risk: result.risk?.level ?? 'none' });
      if (result.risk) {
        this.log.warn({ event: 'message.risk', riskLevel: result.risk.level, categories: result.risk.categories, conversationId: result.conversationId, escalationId: result.risk.escalationId }, 'risk flagged');
        this.telemetry.event('RiskFlagged', { channel, service: result.serviceSlug, level: result.risk.level, categories: result.risk.categories.join(',') });
      }
      this.onStored(result);
      for (const kind of result.autoReplies) this.telemetry.event('AutoReplyQueued', { channel, service: result.serviceSlug, kind });
    }
  }
}
