import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../../db/crypto';

/**
 * Twilio's request signature (https://www.twilio.com/docs/usage/security#validating-requests):
 * HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio requested followed by
 * every POST field name and value, sorted by name; base64. Checked on the raw form fields, never
 * on a parsed-and-reserialised body.
 */
export function twilioSignature(authToken: string, url: string, fields: URLSearchParams): string {
  const names = [...new Set(fields.keys())].sort();
  let data = url;
  for (const name of names) {
    for (const value of fields.getAll(name)) data += name + value;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function isValidTwilioSignature(authToken: string, url: string, fields: URLSearchParams, signature: string | undefined): boolean {
  if (!signature) return false;
  return constantTimeEqual(twilioSignature(authToken, url, fields), signature);
}
