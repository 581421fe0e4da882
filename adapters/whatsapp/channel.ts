import { randomBytes } from 'node:crypto';
import { BotAdapter, ConversationReference, ResourceResponse, TurnContext } from 'botbuilder';
import { inboundActivity } from '../activity';
import { ChannelContext, ChannelModule, header, text, WebhookRequest, WebhookResponse } from '../channel';
import { WhatsAppClient } from './client';
import { MalformedEnvelopeError, parseEnvelope, WhatsAppInboundMessage } from './envelope';
import { FakeGraphApi } from './fake';
import { isValidWhatsAppSignature, WHATSAPP_SIGNATURE_HEADER } from './signature';
import { answerSubscriptionCheck } from './verification';

export interface WhatsAppSettings {
  appSecret: string;
  verifyToken: string;
  accessToken: string;
  apiBaseUrl: string;
}

export const WHATSAPP_WEBHOOK_PATH = '/api/whatsapp';

/**
 * Whether Lamplight read this message as the contact meant it. Text is; so is a reaction (an
 * answer to our message, not a message) and a tapped button or list row, whose title is the
 * contact's chosen words. A photo, voice note, video, file, sticker, location, contact card or
 * unknown type is not, and earns the "text only, please" reply.
 */
function readsAsText(message: WhatsAppInboundMessage): boolean {
  // Meta's notices that are not something the contact sent (they changed number; they opened the chat).
  if (message.kind === 'unsupported' && (message.providerType === 'system' || message.providerType === 'request_welcome')) return true;
  if (message.kind === 'interactive') return message.text !== '[interactive]';
  return message.kind === 'text' || message.kind === 'button' || message.kind === 'reaction';
}

export type WhatsAppChannel = ChannelModule & { readonly simulated?: FakeGraphApi; readonly settings: WhatsAppSettings };

const OK: WebhookResponse = { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok' };

/**
 * The WhatsApp Cloud API channel: Meta's webhook in (subscription check, signed envelopes of
 * messages and statuses) -> an Activity per message for the gateway; text out through the Graph
 * API. In demo mode without credentials a local stand-in for the Graph API takes the sends.
 */
export async function createWhatsAppChannel(settings: WhatsAppSettings | undefined, context: ChannelContext, demo: boolean): Promise<WhatsAppChannel | undefined> {
  let simulated: FakeGraphApi | undefined;
  if (!settings) {
    if (!demo) return undefined;
    const accessToken = randomBytes(16).toString('hex');
    const appSecret = randomBytes(16).toString('hex');
    simulated = new FakeGraphApi({ accessToken, appSecret });
    settings = { appSecret, accessToken, verifyToken: randomBytes(16).toString('hex'), apiBaseUrl: await simulated.listen() };
  }
  const current = settings;
  const client = new WhatsAppClient({ accessToken: current.accessToken, apiBaseUrl: current.apiBaseUrl });
  const gateway = new WhatsAppGatewayAdapter();

  const receive = async (request: WebhookRequest): Promise<WebhookResponse> => {
    if (!isValidWhatsAppSignature(current.appSecret, request.rawBody, header(request, WHATSAPP_SIGNATURE_HEADER))) {
      context.log.warn({ event: 'whatsapp.bad_signature' }, 'rejected a webhook with a missing or wrong X-Hub-Signature-256');
      return text(403, 'signature check failed');
    }
    let events;
    try {
      events = parseEnvelope(request.rawBody);
    } catch (error) {
      if (error instanceof MalformedEnvelopeError) return text(400, error.message);
      throw error;
    }
    try {
      // One post can carry several messages and statuses: all are stored before Meta hears 200,
      // and a retried post finds the ones already stored (idempotent on the wamid).
      for (const event of events) {
        if (event.type === 'message') {
          if (!context.isServiceAddress('whatsapp', event.to)) {
            context.log.warn({ event: 'whatsapp.unknown_number', providerMessageId: event.providerMessageId }, 'WhatsApp message for a phone-number id no service owns');
            continue;
          }
          await gateway.receive(event, context);
        } else if (event.type === 'status') {
          await context.onDeliveryStatus({ channel: 'whatsapp', providerMessageId: event.providerMessageId, status: event.status, errorCode: event.errorCode === undefined ? undefined : String(event.errorCode) });
        } else {
          context.log.info({ event: 'whatsapp.unsupported', what: event.what }, 'WhatsApp webhook event not handled');
        }
      }
    } catch (error) {
      context.log.error({ event: 'whatsapp.inbound_failed', err: { name: (error as Error)?.name } }, 'WhatsApp webhook not stored');
      return text(503, 'temporarily unable to accept the webhook');
    }
    if (events.some((e) => e.type === 'message')) context.onStored();
    return OK;
  };

  return {
    channel: 'whatsapp',
    settings: current,
    simulated,
    // Meta accepts the number with or without its +; the stored address has one.
    sender: { channel: 'whatsapp', send: (message) => client.send({ ...message, to: message.to.replace(/^\+/, '') }) },
    routes: [
      { method: 'get', path: WHATSAPP_WEBHOOK_PATH, bodyTypes: [], handle: async (request) => answerSubscriptionCheck(new URL(request.url, 'http://webhook').searchParams, current.verifyToken) },
      { method: 'post', path: WHATSAPP_WEBHOOK_PATH, bodyTypes: ['json'], handle: receive },
    ],
    close: async () => simulated?.close(),
  };
}

/** One job: a parsed WhatsApp message -> a Bot Framework Activity through the gateway bot. */
class WhatsAppGatewayAdapter extends BotAdapter {
  async receive(message: WhatsAppInboundMessage, context: ChannelContext): Promise<void> {
    const activity = inboundActivity({
      channel: 'whatsapp',
      id: message.providerMessageId,
      from: message.from,
      to: message.to,
      text: message.text,
      serviceUrl: context.publicUrl(),
      timestamp: new Date(message.timestamp),
      // What Lamplight does not read (no media is downloaded): the gateway stores the placeholder
      // text and answers "text only, please".
      notRead: readsAsText(message) ? undefined : [message.kind],
      channelData: { kind: message.kind },
    });
    await this.runMiddleware(new TurnContext(this, activity), (turn) => context.runGateway(turn));
  }

  async sendActivities(): Promise<ResourceResponse[]> {
    throw new Error('WhatsApp replies go through the outbox, never from inside a turn');
  }

  async continueConversation(_reference: Partial<ConversationReference>): Promise<void> {
    throw new Error('WhatsApp replies go through the outbox');
  }

  async updateActivity(): Promise<void> {
    throw new Error('WhatsApp messages cannot be edited once sent');
  }

  async deleteActivity(): Promise<void> {
    throw new Error('WhatsApp messages cannot be deleted once sent');
  }
}
