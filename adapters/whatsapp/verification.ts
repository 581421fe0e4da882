import { constantTimeEqual } from '../../db/crypto';
import { text, WebhookResponse } from '../channel';

/**
 * Meta's subscription check: when a webhook URL is saved in the app dashboard, Meta sends
 * `GET <url>?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<n>` and expects the
 * challenge back as the whole body with 200; anything else fails the check (Meta's WhatsApp
 * Node.js SDK, https://whatsapp.github.io/WhatsApp-Nodejs-SDK/api-reference/webhooks/start ; Meta's
 * Graph API webhooks guide, "Verification requests": https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 * An empty configured token refuses every check, so an unconfigured server cannot be subscribed.
 */
export function answerSubscriptionCheck(query: URLSearchParams, verifyToken: string): WebhookResponse {
  const mode = query.get('hub.mode');
  const token = query.get('hub.verify_token');
  const challenge = query.get('hub.challenge');
  if (!verifyToken || mode !== 'subscribe' || token === null || challenge === null) return text(403, 'verification failed');
  if (!constantTimeEqual(token, verifyToken)) return text(403, 'verification failed');
  return text(200, challenge);
}
