import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackProviderFake, readBody, reply } from '../loopback-fake';
import { WHATSAPP_TEXT_LIMIT } from './policy';
import { whatsappSignature, WHATSAPP_SIGNATURE_HEADER } from './signature';

/**
 * A stand-in for Meta's Graph API that speaks its wire format: `POST /{version}/{phone-number-id}/messages`
 * with a bearer token and Meta's JSON body, answered with Meta's success or error JSON; and, the
 * other way, signed `messages` webhooks as Meta posts them. The channel simulator and the tests
 * both use it; it never reaches a real network.
 *
 * Base URL contract: `listen()` returns `http://127.0.0.1:<port>/v21.0`, the same shape as
 * `WHATSAPP_API_BASE_URL` in production (host plus version), so the client appends only
 * `/{phone-number-id}/messages`. The fake also accepts the path without a version.
 */
export interface FakeWhatsAppMessage {
  wamid: string;
  phoneNumberId: string;
  to: string;
  type: 'text' | 'template';
  /** The text body, for `type: 'text'`. */
  text?: string;
  template?: { name: string; languageCode: string; parameters: string[] };
  /** The JSON body exactly as received, to check the wire shape. */
  body: Record<string, unknown>;
  authorization: string;
  at: number;
}

export interface FakeGraphApiOptions {
  accessToken: string;
  appSecret: string;
  /** When set, sends from any other phone-number id fail as Graph fails them (code 100). */
  phoneNumberIds?: string[];
  version?: string;
  /**
   * The approved templates, as WhatsApp Manager holds them. When set, a template send is checked
   * as Meta checks it: unknown name or language -> 132001, wrong number of body parameters ->
   * 132000, a parameter with a newline, tab or five spaces in a row -> 132018.
   */
  templates?: { name: string; language: string; parameters: number }[];
  /**
   * Enforce the 24-hour customer-service window on free text, by this clock: a text to a contact
   * whose last message (as posted through `postSigned`, or told by `heard`) is older fails with 131047.
   */
  replyWindow?: { now: () => number; windowMs?: number };
}

export interface InjectedGraphFailure {
  /** The Graph error code, e.g. 130429 or 131047. */
  code: number;
  httpStatus: number;
  message?: string;
}

const PATH_PATTERN = /^(?:\/v\d+\.\d+)?\/(\d+)\/messages$/;

export class FakeGraphApi extends LoopbackProviderFake<FakeWhatsAppMessage> {
  private failures: InjectedGraphFailure[] = [];
  private hangs = 0;
  /** When each contact last wrote to each business number (`phoneNumberId:wa_id`), epoch ms. */
  private readonly lastInbound = new Map<string, number>();

  constructor(private readonly options: FakeGraphApiOptions) {
    super();
  }

  /** The next `count` sends fail with this Graph error (e.g. `{ code: 130429, httpStatus: 429 }`). */
  failNext(count: number, failure: InjectedGraphFailure): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /** The next `count` sends are never answered, as when Meta hangs; `close()` drops them. */
  hangNext(count: number): void {
    this.hangs += count;
  }

  /** The base URL carries the version, as `WHATSAPP_API_BASE_URL` does in production. */
  protected override basePath(): string {
    return `/${this.options.version ?? 'v21.0'}`;
  }

  /** Node request handler: mount it under a prefix or let `listen` serve it. */
  async handle(req: IncomingMessage & { rawBody?: Buffer | string }, res: ServerResponse, pathPrefix = ''): Promise<void> {
    this.requests++;
    const path = (req.url ?? '').split('?')[0].slice(pathPrefix.length);
    const match = PATH_PATTERN.exec(path);
    if (req.method !== 'POST' || !match) {
      return graphError(res, 400, { message: 'Unknown path components', type: 'OAuthException', code: 2500 });
    }
    const authorization = req.headers.authorization ?? '';
    if (authorization !== `Bearer ${this.options.accessToken}`) {
      return graphError(res, 401, { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 });
    }
    const phoneNumberId = match[1];
    if (this.options.phoneNumberIds && !this.options.phoneNumberIds.includes(phoneNumberId)) {
      return graphError(res, 400, { message: `Unsupported post request. Object with ID '${phoneNumberId}' does not exist`, type: 'GraphMethodException', code: 100, error_subcode: 33 });
    }
    const raw = req.rawBody ?? (await readBody(req));
    if (this.hangs > 0) {
      this.hangs--;
      return;
    }
    const failure = this.failures.shift();
    if (failure) {
      return graphError(res, failure.httpStatus, { message: failure.message ?? `(#${failure.code}) Injected failure`, type: 'OAuthException', code: failure.code });
    }
    const parsed = readMessageRequest(raw.toString());
    if (typeof parsed === 'string') {
      return graphError(res, 400, { message: `(#100) Invalid parameter: ${parsed}`, type: 'OAuthException', code: 100 });
    }
    const refusal = this.policyRefusal(phoneNumberId, parsed);
    if (refusal) return graphError(res, refusal.httpStatus, { message: refusal.message ?? 'refused', type: 'OAuthException', code: refusal.code });
    const message: FakeWhatsAppMessage = { ...parsed, wamid: newWamid(), phoneNumberId, authorization, at: Date.now() };
    this.accept(message);
    reply(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: message.to, wa_id: message.to.replace(/^\+/, '') }],
      messages: [{ id: message.wamid }],
    });
  }

  /** What Meta would refuse about this send under the window and template rules, if they are on. */
  private policyRefusal(phoneNumberId: string, message: Pick<FakeWhatsAppMessage, 'to' | 'type' | 'template'>): InjectedGraphFailure | undefined {
    const window = this.options.replyWindow;
    if (message.type === 'text' && window) {
      const last = this.lastInbound.get(`${phoneNumberId}:${message.to.replace(/^\+/, '')}`);
      if (last === undefined || window.now() - last >= (window.windowMs ?? 24 * 3600 * 1000)) {
        return { code: 131047, httpStatus: 400, message: '(#131047) Re-engagement message' };
      }
    }
    const approved = this.options.templates;
    if (message.type === 'template' && approved) {
      const template = message.template!;
      const known = approved.find((t) => t.name === template.name && t.language === template.languageCode);
      if (!known) return { code: 132001, httpStatus: 404, message: '(#132001) Template name does not exist in the translation' };
      if (known.parameters !== template.parameters.length) return { code: 132000, httpStatus: 400, message: '(#132000) Number of parameters does not match the expected number of params' };
      if (template.parameters.some((p) => /[\n\t]| {5,}/.test(p))) return { code: 132018, httpStatus: 400, message: '(#132018) There was an issue with the parameters in your template' };
    }
    return undefined;
  }

  /** Posts `envelope` to `url` as Meta does: JSON, signed over exactly the bytes sent. */
  async postSigned(url: string, envelope: object | string): Promise<{ status: number; body: string }> {
    const raw = typeof envelope === 'string' ? envelope : JSON.stringify(envelope);
    this.heard(raw);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [WHATSAPP_SIGNATURE_HEADER]: whatsappSignature(this.options.appSecret, raw),
        'user-agent': 'facebookexternalua',
      },
      body: raw,
    });
    return { status: response.status, body: await response.text() };
  }

  /**
   * Remembers that each contact in this webhook body wrote now (by the window's clock), as Meta
   * opens their window when it receives their message. `postSigned` calls it; a test posting a
   * body some other way calls it too.
   */
  heard(raw: string): void {
    const now = this.options.replyWindow?.now() ?? Date.now();
    try {
      const envelope = JSON.parse(raw) as WhatsAppEnvelope;
      for (const entry of envelope.entry ?? []) {
        for (const change of entry.changes ?? []) {
          const value = change.value as { metadata?: { phone_number_id?: string }; messages?: { from?: string }[] };
          for (const m of value.messages ?? []) {
            if (value.metadata?.phone_number_id && m.from) this.lastInbound.set(`${value.metadata.phone_number_id}:${m.from}`, now);
          }
        }
      }
    } catch {
      // Not JSON: a test of what the webhook does with a broken body.
    }
  }

  /** A `messages` webhook for a text from `from` (a wa_id: digits, no '+') to a business phone-number id. */
  inboundText(message: { from: string; to: string; text: string; wamid?: string; at?: number; profileName?: string }): WhatsAppEnvelope {
    return inboundEnvelope(message, { type: 'text', text: { body: message.text } });
  }

  /** A `messages` webhook for a media message (no media is served: the id points nowhere). */
  inboundMedia(kind: 'image' | 'audio' | 'video' | 'document' | 'sticker', message: { from: string; to: string; caption?: string; wamid?: string; at?: number; profileName?: string }): WhatsAppEnvelope {
    const media: Record<string, unknown> = { mime_type: MEDIA_MIME.get(kind), sha256: randomBytes(32).toString('base64'), id: String(1_000_000_000_000_000 + Math.floor(Math.random() * 1e9)) };
    if (message.caption !== undefined && kind !== 'audio' && kind !== 'sticker') media.caption = message.caption;
    return inboundEnvelope(message, { type: kind, [kind]: media });
  }

  /** A `messages` webhook reporting a status of a message Lamplight sent. */
  status(update: { wamid: string; status: 'sent' | 'delivered' | 'read' | 'failed'; recipient: string; phoneNumberId: string; at?: number; error?: { code: number; title: string } }): WhatsAppEnvelope {
    const status: Record<string, unknown> = { id: update.wamid, status: update.status, timestamp: unixSeconds(update.at), recipient_id: update.recipient };
    if (update.error) status.errors = [{ code: update.error.code, title: update.error.title, message: update.error.title, error_data: { details: update.error.title } }];
    return envelopeOf(update.phoneNumberId, { statuses: [status] });
  }
}

export interface WhatsAppEnvelope {
  object: 'whatsapp_business_account';
  entry: { id: string; changes: { field: string; value: Record<string, unknown> }[] }[];
}

const MEDIA_MIME: ReadonlyMap<string, string> = new Map([
  ['image', 'image/jpeg'], ['audio', 'audio/ogg; codecs=opus'], ['video', 'video/mp4'], ['document', 'application/pdf'], ['sticker', 'image/webp'],
]);

/** The demo WhatsApp Business Account id the fake's envelopes name. */
const FAKE_WABA_ID = '100000000000900';

function inboundEnvelope(message: { from: string; to: string; wamid?: string; at?: number; profileName?: string }, content: Record<string, unknown>): WhatsAppEnvelope {
  return envelopeOf(message.to, {
    contacts: [{ profile: { name: message.profileName ?? 'Simulated contact' }, wa_id: message.from }],
    messages: [{ from: message.from, id: message.wamid ?? newWamid(), timestamp: unixSeconds(message.at), ...content }],
  });
}

function envelopeOf(phoneNumberId: string, value: Record<string, unknown>): WhatsAppEnvelope {
  return {
    object: 'whatsapp_business_account',
    entry: [{
      id: FAKE_WABA_ID,
      changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '', phone_number_id: phoneNumberId }, ...value } }],
    }],
  };
}

function unixSeconds(at = Date.now()): string {
  return String(Math.floor(at / 1000));
}

function newWamid(): string {
  return `wamid.${randomBytes(24).toString('base64')}`;
}

/** The request's message, or what is wrong with it in Graph's words. */
function readMessageRequest(raw: string): Pick<FakeWhatsAppMessage, 'to' | 'type' | 'text' | 'template' | 'body'> | string {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return 'the body is not JSON';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body is not a JSON object';
  const b = body as Record<string, unknown>;
  if (b.messaging_product !== 'whatsapp') return 'messaging_product must be "whatsapp"';
  if (b.recipient_type !== undefined && b.recipient_type !== 'individual') return 'recipient_type must be "individual"';
  if (typeof b.to !== 'string' || !/^\+?\d{6,20}$/.test(b.to)) return 'to must be a phone number';
  if (b.type === 'text') {
    const text = b.text as { body?: unknown; preview_url?: unknown } | undefined;
    if (!text || typeof text.body !== 'string' || !text.body) return 'text.body is required';
    if (text.body.length > WHATSAPP_TEXT_LIMIT) return `text.body is longer than ${WHATSAPP_TEXT_LIMIT} characters`;
    if (text.preview_url !== undefined && typeof text.preview_url !== 'boolean') return 'text.preview_url must be a boolean';
    return { to: b.to, type: 'text', text: text.body, body: b };
  }
  if (b.type === 'template') {
    const template = b.template as { name?: unknown; language?: { code?: unknown }; components?: unknown } | undefined;
    if (!template || typeof template.name !== 'string' || !template.name) return 'template.name is required';
    if (!template.language || typeof template.language.code !== 'string') return 'template.language.code is required';
    const parameters: string[] = [];
    if (template.components !== undefined) {
      if (!Array.isArray(template.components)) return 'template.components must be an array';
      for (const component of template.components as { type?: unknown; parameters?: unknown }[]) {
        if (component?.type !== 'body' || !Array.isArray(component.parameters)) return 'only body components with parameters are expected';
        for (const parameter of component.parameters as { type?: unknown; text?: unknown }[]) {
          if (parameter?.type !== 'text' || typeof parameter.text !== 'string') return 'body parameters must be {"type":"text","text":…}';
          parameters.push(parameter.text);
        }
      }
    }
    return { to: b.to, type: 'template', template: { name: template.name, languageCode: template.language.code, parameters }, body: b };
  }
  return 'type must be "text" or "template"';
}

function graphError(res: ServerResponse, status: number, error: { message: string; type: string; code: number; error_subcode?: number }): void {
  reply(res, status, { error: { ...error, fbtrace_id: `A${randomBytes(11).toString('base64url')}` } });
}
