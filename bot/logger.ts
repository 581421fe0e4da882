import pino, { Logger } from 'pino';

/**
 * Structured logs carry ids, events and levels. Nothing in Lamplight passes a message body or a
 * phone number to the logger; the redaction below is a second line of defence for request objects.
 */
export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    base: { service: 'lamplight' },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-twilio-signature"]', '*.text', '*.body', '*.from', '*.to', '*.phone'], censor: '[redacted]' },
  });
}
