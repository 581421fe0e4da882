/**
 * SMS's rules for what Lamplight may send, and what a refusal from Twilio means for the outbox.
 * Sources: Twilio, "Messages resource" (Body up to 1,600 characters) and "Error and warning
 * dictionary" (https://www.twilio.com/docs/api/errors).
 */

/** Twilio joins at most 1,600 characters into one message (about ten segments); it refuses longer (21617). */
export const SMS_TEXT_LIMIT = 1600;

export type SmsFailureReason = 'rate_limited' | 'transient' | 'auth' | 'permanent';

/**
 * Twilio error codes whose class their HTTP status does not say: 20429 (too many requests) and
 * 20003 (authentication). 21610 (the number texted STOP to the carrier), 21211 (not a valid
 * number), 21614 (not a mobile number) and 21617 (body too long) fail the same way again.
 */
const TWILIO_ERROR_CLASSES: ReadonlyMap<number, { reason: SmsFailureReason; retryable: boolean }> = new Map([
  [20429, { reason: 'rate_limited' as const, retryable: true }],
  [20003, { reason: 'auth' as const, retryable: false }],
  [21610, { reason: 'permanent' as const, retryable: false }],
  [21211, { reason: 'permanent' as const, retryable: false }],
  [21614, { reason: 'permanent' as const, retryable: false }],
  [21617, { reason: 'permanent' as const, retryable: false }],
]);

/**
 * A failed create-message call, classified: by Twilio's code where it says more than the status,
 * then 429 and 5xx as Twilio's trouble (retry), 401 as the credentials, any other 4xx as this
 * message (permanent); no answer at all (network, timeout) is retried.
 */
export function classifyTwilioError(failure: { httpStatus?: number; code?: number }): { reason: SmsFailureReason; retryable: boolean } {
  const known = failure.code === undefined ? undefined : TWILIO_ERROR_CLASSES.get(failure.code);
  if (known) return known;
  const status = failure.httpStatus;
  if (status === undefined || status >= 500) return { reason: 'transient', retryable: true };
  if (status === 429) return { reason: 'rate_limited', retryable: true };
  if (status === 401) return { reason: 'auth', retryable: false };
  return { reason: 'permanent', retryable: false };
}

/**
 * Twilio's standard opt-out and opt-in keywords (case-insensitive, the whole message): Twilio itself
 * stops delivery after these, so Lamplight must record the same consent.
 * https://help.twilio.com/articles/223134027
 */
export const SMS_CONSENT_KEYWORDS = {
  stop: new Set(['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'optout', 'revoke']),
  start: new Set(['start', 'unstop']),
} as const;
