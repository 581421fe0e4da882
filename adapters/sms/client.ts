import { OutboundText, ProviderError } from '../channel';
import { classifyTwilioError } from './policy';

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** `https://api.twilio.com` in production; the simulator or a test fake otherwise. */
  apiBaseUrl: string;
  /**
   * Read per send: the public URL may only be known once the server listens, and the URL names the
   * outbox row, so a callback that beats the create-message answer still finds its message.
   */
  statusCallbackUrl?: (message: OutboundText) => string;
  timeoutMs?: number;
}

/** The one call Lamplight makes to Twilio: create a Message (Programmable Messaging REST API). */
export class TwilioClient {
  constructor(private readonly options: TwilioClientOptions) {}

  async createMessage(message: OutboundText): Promise<{ sid: string; status: string }> {
    const { accountSid, authToken, apiBaseUrl, statusCallbackUrl, timeoutMs = 15_000 } = this.options;
    const form = new URLSearchParams({ To: message.to, From: message.from, Body: message.text });
    if (statusCallbackUrl) form.set('StatusCallback', statusCallbackUrl(message));
    const url = `${apiBaseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ProviderError(`Twilio unreachable: ${(error as Error).name}`, true, undefined, undefined, 'transient');
    }
    const body = (await response.json().catch(() => ({}))) as { sid?: string; status?: string; code?: number; message?: string };
    if (response.status >= 200 && response.status < 300 && body.sid) return { sid: body.sid, status: body.status ?? 'queued' };
    // A 2xx without a sid is not Twilio's documented answer: whether it was sent is unknown, so retry.
    const failure = response.ok ? { reason: 'transient' as const, retryable: true } : classifyTwilioError({ httpStatus: response.status, code: body.code });
    throw new ProviderError(`Twilio answered ${response.status}${body.code ? ` (code ${body.code}, ${failure.reason})` : ''}`, failure.retryable, response.status, body.code ? String(body.code) : undefined, failure.reason);
  }
}
