import type { TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { SMS_CONSENT_KEYWORDS, SMS_TEXT_LIMIT } from './sms/policy';
import { CUSTOMER_SERVICE_WINDOW_MS, TEMPLATE_BODY_LIMIT, WHATSAPP_TEXT_LIMIT } from './whatsapp/policy';

export { TEMPLATE_BODY_LIMIT };

// What every channel offers the rest of Lamplight, free of provider types: webhooks in
// (WebhookRequest -> WebhookResponse), a text out (ChannelSender), and its policy as data.

/** The one list of service-user channels: the gateway, the schema's types and the API read it from here. */
export const CHANNELS = ['sms', 'whatsapp', 'webchat'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/**
 * The most characters of one inbound message that Lamplight stores and triages, per channel: the
 * provider's own maximum (Twilio joins at most 1,600 characters into one SMS; the WhatsApp Cloud
 * API caps a text at 4,096), and 10,000 for web chat. Anything longer did not come from a phone
 * as a message: the rest is not kept, and the stored text says so.
 */
export const INBOUND_TEXT_LIMITS: ReadonlyMap<ChannelName, number> = new Map<ChannelName, number>([
  ['sms', SMS_TEXT_LIMIT],
  ['whatsapp', WHATSAPP_TEXT_LIMIT],
  ['webchat', 10_000],
]);

/**
 * The most characters one outbound message (a clinician's reply, an auto-reply) may have, per
 * channel: what the provider takes as one message (Twilio joins at most 1,600 characters into one
 * SMS; the Cloud API takes 4,096), and for web chat what a person reads on a phone screen.
 */
export const REPLY_TEXT_LIMITS: ReadonlyMap<ChannelName, number> = new Map<ChannelName, number>([
  ['sms', SMS_TEXT_LIMIT],
  ['whatsapp', WHATSAPP_TEXT_LIMIT],
  ['webchat', 4096],
]);

/**
 * Channels that allow free text only for a while after the contact's last message: WhatsApp's
 * 24-hour customer-service window (Meta error 131047 outside it). Outside the window a message
 * needs an approved template: a clinician's reply goes inside the service's approved reply template
(see bot/outbox/send-guards.ts), and anything else is refused and shown.
 */
export const REPLY_WINDOWS: ReadonlyMap<ChannelName, number> = new Map<ChannelName, number>([
  ['whatsapp', CUSTOMER_SERVICE_WINDOW_MS],
]);

/**
 * The most characters of a clinician's reply that can go inside an approved template (after the
 * reply window closed), per channel: Meta caps a template's body at 1,024 characters with its
 * parameters filled in; 124 are left for the template's own words and the service's name, so 900 for the reply.
 */
export const TEMPLATE_REPLY_LIMITS: ReadonlyMap<ChannelName, number> = new Map<ChannelName, number>([
  ['whatsapp', TEMPLATE_BODY_LIMIT - 124],
]);

/**
 * Provider error codes that mean "the reply window has closed", whether the send call answers with
 * them or a later delivery status reports them (Meta does both for 131047).
 */
export const WINDOW_CLOSED_CODES: ReadonlyMap<ChannelName, ReadonlySet<string>> = new Map<ChannelName, ReadonlySet<string>>([
  ['whatsapp', new Set(['131047'])],
]);

/** The whole-message words that opt a contact out of (STOP) or back into (START) messages, per channel. */
export interface ConsentKeywords {
  stop: ReadonlySet<string>;
  start: ReadonlySet<string>;
}
const PLAIN_CONSENT_KEYWORDS: ConsentKeywords = { stop: new Set(['stop']), start: new Set(['start']) };
/**
 * Web chat has none: nothing reaches a page the young person has left, so there is nothing to
 * opt out of, and a "Stop" typed in a chat is a message for the nurse (it must not silence them).
 */
export const CONSENT_KEYWORDS: ReadonlyMap<ChannelName, ConsentKeywords> = new Map<ChannelName, ConsentKeywords>([
  ['sms', SMS_CONSENT_KEYWORDS],
  ['whatsapp', PLAIN_CONSENT_KEYWORDS],
  ['webchat', { stop: new Set(), start: new Set() }],
]);

export interface WebhookRequest {
  method: string;
  /** Path and query exactly as received, e.g. `/api/sms/twilio?x=1`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

export interface WebhookResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface OutboundText {
  /** The service's own address on the channel: SMS number, WhatsApp phone-number id. */
  from: string;
  /** The contact's address on the channel. */
  to: string;
  text: string;
  /** Lamplight's outbox id, for logs and provider-side de-duplication where a provider offers it. */
  outboxItemId: string;
  /**
   * Send as this approved template instead of free text (a channel with a reply window, after it
   * closed). `parameters` fill the template's body `{{1}}`, `{{2}}`, … in order.
   */
  template?: OutboundTemplate;
  /** Who wrote it, for a channel that shows it (web chat labels a clinician's reply apart from an automatic one). */
  authorKind?: 'contact' | 'clinician' | 'auto' | 'system';
}

export interface OutboundTemplate {
  name: string;
  /** The approved language, e.g. `en_GB`. */
  language: string;
  parameters: string[];
}

/** What a provider's delivery callback says about a message Lamplight sent. */
export interface DeliveryStatusUpdate {
  channel: ChannelName;
  providerMessageId: string;
  /** The provider's own word: queued, sent, delivered, undelivered, failed, read. */
  status: string;
  errorCode?: string;
  /** Lamplight's outbox id, when the provider echoes it (Twilio: in the signed StatusCallback URL). */
  outboxItemId?: string;
}

export interface ChannelSender {
  readonly channel: ChannelName;
  send(message: OutboundText): Promise<{ providerMessageId: string }>;
  /**
   * Before a message goes again after an attempt whose outcome is unknown (the process died, or the
   * provider did not answer in time): the provider's id of a message it already took with exactly
   * this text, to and from these addresses, created since `since` (epoch ms) and not one of
   * `known`, if the provider can be asked (Twilio can; WhatsApp's Cloud API cannot).
   */
  findSent?(message: OutboundText, since: number, known: (providerMessageId: string) => Promise<boolean>): Promise<string | undefined>;
}

/**
 * A provider refused or failed a send. `retryable` says whether the same request may succeed later;
 * `reason` is the channel policy's word for it (for logs and the inbox); the outbox recognises a
 * closed reply window by `providerCode` in WINDOW_CLOSED_CODES, as it does in a delivery status.
 */
export class ProviderError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly status?: number, readonly providerCode?: string, readonly reason?: string) {
    super(message);
    this.name = 'ProviderError';
  }
}

export function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export const text = (status: number, body: string): WebhookResponse => ({ status, contentType: 'text/plain; charset=utf-8', body });

/** The request body types a webhook takes (see bot/http/request-body.ts). */
export type WebhookBodyType = 'json' | 'form';

/** One provider webhook: the gateway mounts it; the module does the rest. */
export interface ChannelRoute {
  method: 'get' | 'post';
  path: string;
  bodyTypes: WebhookBodyType[];
  /** Inbound messages run through the gateway bot (`runGateway`); the answer is given only after that resolves. */
  handle(request: WebhookRequest): Promise<WebhookResponse>;
}

/** What the rest of Lamplight gives a channel module: no provider names travel the other way. */
export interface ChannelContext {
  /** The public base URL (PUBLIC_URL, or the bound address), read per request. */
  publicUrl(): string;
  /** Where this process listens, for the simulator's own posts. */
  localUrl(): string;
  /** Whether this address (a number, a phone-number id) belongs to a configured service. */
  isServiceAddress(channel: ChannelName, address: string): boolean;
  onDeliveryStatus(update: DeliveryStatusUpdate): Promise<void>;
  /** Wakes the outbox after an inbound message was acknowledged: replies may be waiting. */
  onStored(): void;
  /** Hands an inbound Activity to the one gateway bot. */
  runGateway(context: TurnContext): Promise<void>;
  log: Logger;
}

/**
 * A channel, as one folder exports it: its webhooks, its sender, and (in demo mode) a stand-in
 * provider for the simulator. The registry (adapters/index.ts) builds every configured one.
 */
export interface ChannelModule {
  readonly channel: ChannelName;
  readonly routes: ChannelRoute[];
  readonly sender: ChannelSender;
  /** Present when a stand-in provider runs in place of the real one (demo mode). */
  readonly simulated?: unknown;
  close(): Promise<void>;
}
