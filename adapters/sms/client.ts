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

/** The calls Lamplight makes to Twilio (Programmable Messaging REST API): create a Message, and list recent ones to one number. */
export class TwilioClient {
  constructor(private readonly options: TwilioClientOptions) {}

  /**
   * The most recent messages (newest first, at most 50) from one of our numbers to one number:
   * sid, body and when Twilio created them. Read before sending a message again whose last attempt
   * may have reached Twilio (the list needs no date filter, which would miss a message still queued).
   */
  async recentMessages(to: string, from: string): Promise<{ sid: string; body: string; createdAt: number }[]> {
    const { accountSid, authToken, apiBaseUrl, timeoutMs = 15_000 } = this.options;
    const query = new URLSearchParams({ To: to, From: from, PageSize: '50' });
    const url = `${apiBaseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json?${query}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ProviderError(`Twilio unreachable: ${(error as Error).name}`, true, undefined, undefined, 'transient');
    }
    const body = (await response.json().catch(() => ({}))) as { messages?: { sid?: string; body?: string; date_created?: string }[] };
    if (!response.ok || !Array.isArray(body.messages)) throw new ProviderError(`Twilio answered ${response.status} to a message list`, true, response.status, undefined, 'transient');
    return body.messages
      .filter((m) => typeof m.sid === 'string' && typeof m.body === 'string')
      .map((m) => ({ sid: m.sid!, body: m.body!, createdAt: Date.parse(m.date_created ?? '') }));
  }

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
