/**
 * What every channel adapter offers the rest of Lamplight, free of provider and SDK types:
 * a webhook in (WebhookRequest -> WebhookResponse) and a text out (ChannelSender).
 */
export type ChannelName = 'sms' | 'whatsapp' | 'webchat';

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
}

/** A provider refused or failed a send. `retryable` says whether the same request may succeed later. */
export class ProviderError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly status?: number, readonly providerCode?: string) {
    super(message);
    this.name = 'ProviderError';
  }
}

export function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export const text = (status: number, body: string): WebhookResponse => ({ status, contentType: 'text/plain; charset=utf-8', body });
