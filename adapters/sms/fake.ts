import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackProviderFake, readBody, reply } from '../loopback-fake';
import { twilioSignature } from './signature';
import inboundTemplate from './fixtures/inbound__text.json';

/**
 * A stand-in for Twilio that speaks its wire format: the Messages REST API (Basic auth, form
 * fields, Twilio's JSON errors) for what Lamplight sends, signed form posts for what a phone sends
 * and for delivery callbacks. The channel simulator and the tests both use it; it never reaches
 * a real network.
 */
export interface FakeSms {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback?: string;
  at: number;
}

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
  /** Post `sent` then `delivered` to each message's StatusCallback. */
  sendStatusCallbacks?: boolean;
  statusCallbackDelayMs?: number;
  /** How long each create-message call waits before it is answered (a provider's round trip); default 0. */
  latencyMs?: number;
}

export class FakeTwilio extends LoopbackProviderFake<FakeSms> {
  private failures: { status: number; code: number }[] = [];
  /** Numbers whose sends hang (Twilio not answering) until release(). */
  private readonly held = new Set<string>();
  private readonly waiting: (() => void)[] = [];
  /**
   * Post `sent` and `delivered` to the StatusCallback before answering the create-message call:
   * Twilio can do this (its answer and its callbacks travel separately), and the sender must not
   * lose the status because it has not yet recorded the message's SID.
   */
  callbacksBeforeAnswer = false;

  constructor(private readonly options: FakeTwilioOptions) {
    super();
  }

  /** The next `count` create-message calls fail with this HTTP status (500: Twilio trouble; 400: refused). */
  failNext(count: number, status = 500, code = status >= 500 ? 20500 : 21211): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, code });
  }

  /** Sends to this number get no answer until release(): a provider that hangs. */
  hold(number: string): void {
    this.held.add(number);
  }

  /** The held sends are answered (accepted) now, and sends to those numbers no longer hang. */
  release(): void {
    this.held.clear();
    this.acceptedThenHeld.clear();
    for (const go of this.waiting.splice(0)) go();
  }

  /** Sends to this number are taken (Twilio has the message, and will send it) but not answered until release(): the sender cannot know. */
  holdAfterAccepting(number: string): void {
    this.acceptedThenHeld.add(number);
  }
  private readonly acceptedThenHeld = new Set<string>();

  /** How many sends are hanging now (held numbers). */
  hanging(): number {
    return this.waiting.length;
  }

  /** An outage ends: the failures still queued by failNext are dropped. */
  recover(): void {
    this.failures.length = 0;
  }

  /** Node request handler: mount it under a prefix or let `listen` serve it. */
  async handle(req: IncomingMessage & { rawBody?: Buffer | string }, res: ServerResponse, pathPrefix = ''): Promise<void> {
    this.requests++;
    const path = (req.url ?? '').split('?')[0].slice(pathPrefix.length);
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    if ((req.method !== 'POST' && req.method !== 'GET') || !match) return reply(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    const expected = `Basic ${Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected || decodeURIComponent(match[1]) !== this.options.accountSid) {
      return reply(res, 401, { code: 20003, message: 'Authenticate', status: 401 });
    }
    if (req.method === 'GET') {
      // List Messages: filtered by To and From, newest first, one page (PageSize, at most 1000), as Twilio pages them.
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const size = Math.min(1000, Number(query.get('PageSize') ?? 50) || 50);
      const messages = this.sent.filter((m) => (!query.get('To') || m.to === query.get('To')) && (!query.get('From') || m.from === query.get('From')))
        .slice().reverse().slice(0, size)
        .map((m) => ({ sid: m.sid, account_sid: this.options.accountSid, to: m.to, from: m.from, body: m.body, status: 'sent', direction: 'outbound-api', date_created: new Date(m.at).toUTCString(), date_sent: new Date(m.at).toUTCString() }));
      return reply(res, 200, { messages, page: 0, page_size: size, first_page_uri: req.url, next_page_uri: null, previous_page_uri: null, uri: req.url });
    }
    const form = new URLSearchParams((req.rawBody ?? (await readBody(req))).toString());
    if (this.options.latencyMs) await new Promise<void>((resolve) => setTimeout(resolve, this.options.latencyMs));
    const failure = this.failures.shift();
    if (failure) return reply(res, failure.status, { code: failure.code, message: 'Injected failure', status: failure.status });
    const to = form.get('To');
    if (to && this.held.has(to)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      // The sender gave up or died while Twilio hung before taking the message: nothing was taken.
      if (req.socket.destroyed) return;
    }
    const from = form.get('From');
    const body = form.get('Body');
    if (!to || !from) return reply(res, 400, { code: 21604, message: "A 'To' phone number is required.", status: 400 });
    if (!body) return reply(res, 400, { code: 21602, message: 'Message body is required.', status: 400 });
    const sms: FakeSms = { sid: `SM${randomBytes(16).toString('hex')}`, to, from, body, statusCallback: form.get('StatusCallback') ?? undefined, at: Date.now() };
    this.accept(sms);
    if (this.acceptedThenHeld.has(to)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.callbacksBeforeAnswer && sms.statusCallback) {
      await this.postStatus(sms, 'sent').then(() => this.postStatus(sms, 'delivered')).catch(() => undefined);
    }
    reply(res, 201, {
      sid: sms.sid, account_sid: this.options.accountSid, to, from, body, status: 'queued', direction: 'outbound-api',
      num_segments: String(Math.ceil(body.length / 153) || 1), api_version: '2010-04-01', date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${this.options.accountSid}/Messages/${sms.sid}.json`,
    });
    if (this.options.sendStatusCallbacks && sms.statusCallback) {
      const delay = this.options.statusCallbackDelayMs ?? 300;
      setTimeout(() => {
        void this.postStatus(sms, 'sent')
          .then(() => this.postStatus(sms, 'delivered'))
          .catch(() => undefined);
      }, delay).unref();
    }
  }

  /** What Twilio posts when a phone texts one of our numbers. */
  inboundFields(message: { from: string; to: string; body: string; messageSid?: string }): URLSearchParams {
    const sid = message.messageSid ?? `SM${randomBytes(16).toString('hex')}`;
    return new URLSearchParams({
      ...inboundTemplate,
      SmsMessageSid: sid, SmsSid: sid, MessageSid: sid, AccountSid: this.options.accountSid,
      From: message.from, To: message.to, Body: message.body, NumSegments: String(Math.ceil(message.body.length / 153) || 1),
    });
  }

  /** Posts a form to `url` signed as Twilio signs it: over `signedUrl` (the public URL) and the fields. */
  async postSigned(url: string, fields: URLSearchParams, signedUrl = url): Promise<{ status: number; body: string }> {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-twilio-signature': twilioSignature(this.options.authToken, signedUrl, fields),
        'user-agent': 'TwilioProxy/1.1',
      },
      body: fields.toString(),
    });
    return { status: response.status, body: await response.text() };
  }

  /** Tells the sender what became of a message, as Twilio's StatusCallback does (`delivered`, `undelivered` with an error code). */
  async report(sms: FakeSms, status: string, errorCode?: number): Promise<void> {
    return this.postStatus(sms, status, errorCode);
  }

  private async postStatus(sms: FakeSms, status: string, errorCode?: number): Promise<void> {
    const fields = new URLSearchParams({ SmsSid: sms.sid, SmsStatus: status, MessageStatus: status, To: sms.to, MessageSid: sms.sid, AccountSid: this.options.accountSid, From: sms.from, ApiVersion: '2010-04-01', ...(errorCode ? { ErrorCode: String(errorCode) } : {}) });
    await this.postSigned(sms.statusCallback!, fields);
  }
}
