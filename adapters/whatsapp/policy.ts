/**
 * WhatsApp's rules for what Lamplight may send and when, and what a refusal from the Graph API
 * means for the outbox. Sources: Meta, "WhatsApp error codes",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes/ ;
 * the customer service window as Meta describes it under "Send messages" in the Cloud API guides
 * (131047 "Re-engagement message" is the refusal once it has closed).
 */

/** The Cloud API refuses a text message body longer than 4,096 characters (Meta, text messages reference). */
export const WHATSAPP_TEXT_LIMIT = 4096;

/** A template's body may be at most 1,024 characters with its parameters filled in (Meta, message templates). */
export const TEMPLATE_BODY_LIMIT = 1024;

/**
 * Free-form messages may be sent only within 24 hours of the contact's last message to the
 * business; after that only an approved template may go, and a free-form send fails with 131047.
 * The channel list's REPLY_WINDOWS carries it; bot/outbox/send-guards.ts applies it.
 */
export const CUSTOMER_SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Splits a text into chunks of at most `limit` UTF-16 code units (never more characters than
 * Meta counts), at whitespace where there is any, and never between the two halves of a surrogate
 * pair, so an emoji is never cut into two invalid characters.
 */
export function splitText(text: string, limit = WHATSAPP_TEXT_LIMIT): string[] {
  if (limit < 2) throw new RangeError('a chunk must hold at least one surrogate pair');
  const chunks: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    let cut = lastWhitespaceAtOrBefore(rest, limit);
    if (cut <= 0) {
      cut = limit;
      if (isHighSurrogate(rest.charCodeAt(cut - 1))) cut -= 1;
    }
    const chunk = rest.slice(0, cut).trimEnd();
    if (chunk) chunks.push(chunk);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) chunks.push(rest);
  return chunks;
}

function lastWhitespaceAtOrBefore(text: string, index: number): number {
  for (let i = index; i > 0; i--) {
    if (/\s/.test(text[i])) return i;
  }
  return -1;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Why a send failed, in the words the outbox and the inbox need:
 * - `rate_limited`: Meta throttled us; the same request will succeed later (back off).
 * - `transient`: Meta's or the network's trouble; retry with backoff.
 * - `window_closed`: the 24-hour window has closed; retrying the same text cannot succeed, but a
 *   template can, so the caller falls back to the service's approved template.
 * - `auth`: the access token is wrong or expired; nothing will go until an operator fixes it.
 * - `permanent`: this message to this contact will fail the same way again; show it in the conversation.
 */
export type SendFailureReason = 'rate_limited' | 'transient' | 'window_closed' | 'auth' | 'permanent';

export interface SendFailureClass {
  reason: SendFailureReason;
  retryable: boolean;
}

/**
 * Graph API error codes by class. Codes as listed on Meta's error-codes page (confirmed also in
 * partner copies of that table, e.g. https://niswey.com/knowledge-base/error-codes-meta and
 * https://developers.aivo.co/engage/).
 */
const GRAPH_ERROR_CLASSES: ReadonlyMap<number, SendFailureClass> = new Map<number, SendFailureClass>([
  // Throttling: 130429 "Rate limit hit" (Cloud API throughput reached), 131056 "(Business
  // Account, Consumer Account) pair rate limit hit" (too many messages to one contact in a short
  // time), 80007 "Rate limit issues" (the WABA's limit), 4 "API Too Many Calls" (app-level).
  [130429, { reason: 'rate_limited', retryable: true }],
  [131056, { reason: 'rate_limited', retryable: true }],
  [80007, { reason: 'rate_limited', retryable: true }],
  [4, { reason: 'rate_limited', retryable: true }],
  // 1 "API Unknown" (possible server error), 2 "API Service" (temporary downtime or overload),
  // 131000 "Something went wrong" (an unknown error; Meta suggests trying again).
  [1, { reason: 'transient', retryable: true }],
  [2, { reason: 'transient', retryable: true }],
  [131000, { reason: 'transient', retryable: true }],
  // 131047 "Re-engagement message": more than 24 hours since the contact last wrote.
  [131047, { reason: 'window_closed', retryable: false }],
  // 190 "Access token has expired" (also what Graph answers for an unparseable token, HTTP 401).
  [190, { reason: 'auth', retryable: false }],
  // 131026 "Message undeliverable" (not a WhatsApp number, old client, terms not accepted),
  // 131051 "Unsupported message type", 131052 "Media download error", 133010 "Phone number not
  // registered" (our business number is not registered on the Cloud API), 132000 "Number of
  // parameters does not match the expected number of params", 132001 "Template does not exist"
  // (in that language, or not approved), 100 "Invalid parameter".
  [131026, { reason: 'permanent', retryable: false }],
  [131051, { reason: 'permanent', retryable: false }],
  [131052, { reason: 'permanent', retryable: false }],
  [133010, { reason: 'permanent', retryable: false }],
  [132000, { reason: 'permanent', retryable: false }],
  [132001, { reason: 'permanent', retryable: false }],
  [100, { reason: 'permanent', retryable: false }],
]);

/**
 * Classifies a failed Graph API call by its error code first (Meta: build error handling on
 * `code`, not on HTTP status or subcode), then by HTTP status for codes not listed: 429 and 5xx
 * are Meta's trouble (retry), 401 is the token, any other 4xx is this request (permanent).
 */
export function classifyGraphError(failure: { httpStatus?: number; code?: number }): SendFailureClass {
  if (failure.code !== undefined) {
    const known = GRAPH_ERROR_CLASSES.get(failure.code);
    if (known) return known;
  }
  const status = failure.httpStatus;
  if (status === undefined) return { reason: 'transient', retryable: true };
  if (status === 429) return { reason: 'rate_limited', retryable: true };
  if (status >= 500) return { reason: 'transient', retryable: true };
  if (status === 401) return { reason: 'auth', retryable: false };
  return { reason: 'permanent', retryable: false };
}
