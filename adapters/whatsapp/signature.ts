import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta signs every webhook POST with `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the
 * request body exactly as sent, keyed with the app secret (Meta's WhatsApp Node.js SDK,
 * https://whatsapp.github.io/WhatsApp-Nodejs-SDK/api-reference/webhooks/start ; Meta's Graph API
 * webhooks guide, "Event notifications": https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 * The check runs on the raw bytes: a body parsed and re-serialised (other spacing, other escaping
 * of non-ASCII) no longer matches, and must not.
 */
export const WHATSAPP_SIGNATURE_HEADER = 'x-hub-signature-256';

const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/i;

export function whatsappSignature(appSecret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** False for a missing, malformed or wrong header, and for an empty app secret (fail closed). */
export function isValidWhatsAppSignature(appSecret: string, rawBody: Buffer | string, signatureHeader: string | undefined): boolean {
  if (!appSecret || !signatureHeader) return false;
  const match = SIGNATURE_PATTERN.exec(signatureHeader.trim());
  if (!match) return false;
  const received = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return received.length === expected.length && timingSafeEqual(received, expected);
}
