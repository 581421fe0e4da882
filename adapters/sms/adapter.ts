import { Activity, ActivityTypes, BotAdapter, ConversationReference, ResourceResponse, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { inboundActivity } from '../activity';
import { ChannelSender, DeliveryStatusUpdate, OutboundText, ProviderError, WebhookRequest, WebhookResponse, header, text } from '../channel';
import { TwilioClient } from './client';
import { isValidTwilioSignature } from './signature';

export interface SmsAdapterOptions {
  authToken: string;
  /** The base URL Twilio is configured to call (the signature covers it); read per request. */
  publicUrl: () => string;
  isKnownNumber: (number: string) => boolean;
  client: TwilioClient;
  log: Logger;
  onDeliveryStatus: (update: DeliveryStatusUpdate) => Promise<void>;
}

/** Twilio expects TwiML back; an empty Response means "nothing to say synchronously" (replies go via the outbox). */
const EMPTY_TWIML: WebhookResponse = { status: 200, contentType: 'text/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' };

/**
 * SMS through Twilio. One job: a signed Twilio form post in -> a Bot Framework Activity for the
 * gateway; an Activity out -> a Twilio Messages API call.
 */
export class SmsAdapter extends BotAdapter implements ChannelSender {
  readonly channel = 'sms' as const;

  constructor(private readonly options: SmsAdapterOptions) {
    super();
  }

  async handleInbound(request: WebhookRequest, logic: (context: TurnContext) => Promise<void>): Promise<WebhookResponse> {
    const fields = this.verifiedFields(request);
    if (!fields) return text(403, 'signature check failed');
    const messageSid = fields.get('MessageSid') ?? fields.get('SmsSid');
    const from = fields.get('From');
    const to = fields.get('To');
    if (!messageSid || !from || !to) return text(400, 'a Twilio message webhook needs From, To and MessageSid');
    if (!this.options.isKnownNumber(to)) {
      this.options.log.warn({ event: 'sms.unknown_number', messageSid }, 'inbound SMS for a number no service owns');
      return text(404, 'no service uses this number');
    }
    // A picture message (MMS) is not read: its text says one came, and the contact is told "text only".
    const mediaCount = Number(fields.get('NumMedia') ?? 0) || 0;
    const body = fields.get('Body') ?? '';
    const activity = inboundActivity({
      channel: this.channel,
      id: messageSid,
      from,
      to,
      text: mediaCount > 0 ? `[picture message]${body.trim() ? ` ${body}` : ''}` : body,
      serviceUrl: this.options.publicUrl(),
      timestamp: new Date(),
      notRead: mediaCount > 0 ? ['mms'] : undefined,
      channelData: { mediaCount },
    });
    try {
      await this.runMiddleware(new TurnContext(this, activity), logic);
    } catch (error) {
      // Not stored means not acknowledged: Twilio must see a failure (and retry or use the fallback URL).
      this.options.log.error({ event: 'sms.inbound_failed', messageSid, err: errorSummary(error) }, 'inbound SMS not stored');
      return text(503, 'temporarily unable to accept the message');
    }
    return EMPTY_TWIML;
  }

  async handleStatus(request: WebhookRequest): Promise<WebhookResponse> {
    const fields = this.verifiedFields(request);
    if (!fields) return text(403, 'signature check failed');
    const providerMessageId = fields.get('MessageSid') ?? fields.get('SmsSid');
    const status = fields.get('MessageStatus') ?? fields.get('SmsStatus');
    if (!providerMessageId || !status) return text(400, 'a Twilio status callback needs MessageSid and MessageStatus');
    try {
      // The signed callback URL names our outbox row (see TwilioClient): trust it only after the signature check.
      const outboxItemId = new URL(request.url, 'http://callback').searchParams.get('outbox') ?? undefined;
      await this.options.onDeliveryStatus({ channel: 'sms', providerMessageId, status, errorCode: fields.get('ErrorCode') ?? undefined, outboxItemId });
    } catch (error) {
      this.options.log.error({ event: 'sms.status_failed', providerMessageId, err: errorSummary(error) }, 'delivery status not stored');
      return text(503, 'temporarily unable to record the status');
    }
    return EMPTY_TWIML;
  }

  /** The posted fields, or undefined when the request is not provably from Twilio. */
  private verifiedFields(request: WebhookRequest): URLSearchParams | undefined {
    const fields = new URLSearchParams(request.rawBody.toString('utf8'));
    const url = this.options.publicUrl().replace(/\/$/, '') + request.url;
    const valid = isValidTwilioSignature(this.options.authToken, url, fields, header(request, 'x-twilio-signature'));
    if (!valid) this.options.log.warn({ event: 'sms.bad_signature', path: request.url.split('?')[0] }, 'rejected a webhook with a missing or wrong Twilio signature');
    return valid ? fields : undefined;
  }

  /** Text out: straight to the Twilio Messages API; the outbox has already applied every send rule. */
  async send(message: OutboundText): Promise<{ providerMessageId: string }> {
    // SMS has no reply window, so nothing should ever ask for a template here.
    if (message.template) throw new ProviderError('SMS has no templates', false, undefined, undefined, 'permanent');
    const { sid } = await this.options.client.createMessage({ from: message.from, to: message.to, text: message.text, outboxItemId: message.outboxItemId });
    return { providerMessageId: sid };
  }

  /** A message Twilio already took with this text, to and from these numbers, since then (a minute's slack for clocks), that is not one of ours already. */
  async findSent(message: OutboundText, since: number, known: (providerMessageId: string) => Promise<boolean>): Promise<string | undefined> {
    for (const m of await this.options.client.recentMessages(message.to, message.from)) {
      if (m.body !== message.text || !(m.createdAt >= since - 60_000)) continue;
      if (!(await known(m.sid))) return m.sid;
    }
    return undefined;
  }

  /** Replies sent from inside a turn (none today: every reply goes through the outbox) take the same way out. */
  async sendActivities(_context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      if (activity.type !== ActivityTypes.Message || !activity.text || !activity.recipient?.id || !activity.from?.id) continue;
      const outboxItemId = (activity.channelData as { outboxItemId?: string } | undefined)?.outboxItemId ?? '';
      responses.push({ id: (await this.send({ from: activity.from.id, to: activity.recipient.id, text: activity.text, outboxItemId })).providerMessageId });
    }
    return responses;
  }

  async continueConversation(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const event = TurnContext.applyConversationReference({ type: ActivityTypes.Event, name: 'continueConversation' }, reference, true);
    await this.runMiddleware(new TurnContext(this, event), logic);
  }

  async updateActivity(): Promise<void> {
    throw new Error('SMS messages cannot be edited once sent');
  }

  async deleteActivity(): Promise<void> {
    throw new Error('SMS messages cannot be deleted once sent');
  }
}

export function errorSummary(error: unknown): { name: string; message: string } {
  // Driver errors can quote the failing SQL's parameters; keep only the first line of the message.
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message.split('\n')[0].slice(0, 200) };
}
