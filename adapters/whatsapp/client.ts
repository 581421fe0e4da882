import { ChannelSender, OutboundText, ProviderError } from '../channel';
import { classifyGraphError, SendFailureReason, WHATSAPP_TEXT_LIMIT } from './policy';

/** Graph API version and host Lamplight is written against; the version is part of the base URL. */
export const DEFAULT_WHATSAPP_API_BASE_URL = 'https://graph.facebook.com/v21.0';

export interface WhatsAppClientOptions {
  /** A permanent system-user access token with `whatsapp_business_messaging`. */
  accessToken: string;
  /**
   * Everything before `/{phone-number-id}/messages`, version included:
   * `https://graph.facebook.com/v21.0` in production, a FakeGraphApi's `listen()` URL in tests.
   */
  apiBaseUrl?: string;
  /** Abort a send that has not been answered in this time (default 15 s); the outbox retries it. */
  timeoutMs?: number;
}

export interface TemplateMessage {
  /** The template's name as approved in WhatsApp Manager. */
  name: string;
  /** The approved language, e.g. `en_GB`: Meta matches it exactly (132001 otherwise). */
  languageCode: string;
  /** The body's `{{1}}`, `{{2}}`, … in order; their count must match the template's (132000 otherwise). */
  parameters: string[];
}

/**
 * A refused or failed send, with the policy's reading of why. `reason: 'window_closed'` (Graph
 * code 131047) tells the caller to send the service's approved template instead.
 */
export class WhatsAppSendError extends ProviderError {
  constructor(message: string, override readonly reason: SendFailureReason | 'timeout' | 'network' | 'too_long', retryable: boolean, status?: number, providerCode?: string) {
    super(message, retryable, status, providerCode, reason);
    this.name = 'WhatsAppSendError';
  }
}

/**
 * The Cloud API's send-message call (`POST /{phone-number-id}/messages`,
 * https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages). Logs nothing and
 * puts neither bodies nor numbers into its errors: only HTTP status and Graph error code.
 */
export class WhatsAppClient implements ChannelSender {
  readonly channel = 'whatsapp' as const;

  constructor(private readonly options: WhatsAppClientOptions) {}

  /** ChannelSender: `from` is the service's phone-number id, `to` the contact's wa_id. */
  async send(message: OutboundText): Promise<{ providerMessageId: string }> {
    if (message.template) {
      const { name, language, parameters } = message.template;
      return { providerMessageId: await this.sendTemplate(message.from, message.to, { name, languageCode: language, parameters }) };
    }
    return { providerMessageId: await this.sendText(message.from, message.to, message.text) };
  }

  /** Sends a free-form text (only inside the 24-hour window); resolves to its wamid. */
  async sendText(phoneNumberId: string, to: string, body: string): Promise<string> {
    if (body.length > WHATSAPP_TEXT_LIMIT) {
      throw new WhatsAppSendError(`text longer than ${WHATSAPP_TEXT_LIMIT} characters: split it with splitText first`, 'too_long', false);
    }
    return this.post(phoneNumberId, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'text',
      // No link previews: Meta would fetch any URL in the text, telling a third party it was sent.
      text: { preview_url: false, body },
    });
  }

  /** Sends an approved template (allowed outside the window); resolves to its wamid. */
  async sendTemplate(phoneNumberId: string, to: string, template: TemplateMessage): Promise<string> {
    return this.post(phoneNumberId, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'template',
      template: {
        name: template.name,
        language: { code: template.languageCode },
        components: template.parameters.length === 0 ? [] : [
          { type: 'body', parameters: template.parameters.map((value) => ({ type: 'text', text: value })) },
        ],
      },
    });
  }

  private async post(phoneNumberId: string, payload: object): Promise<string> {
    const { accessToken, apiBaseUrl = DEFAULT_WHATSAPP_API_BASE_URL, timeoutMs = 15_000 } = this.options;
    const url = `${apiBaseUrl.replace(/\/+$/, '')}/${encodeURIComponent(phoneNumberId)}/messages`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      let response: Response;
      let body: GraphResponse;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(payload),
          signal: abort.signal,
        });
        body = parseGraphResponse(await response.text());
      } catch (error) {
        if (abort.signal.aborted) throw new WhatsAppSendError(`Graph API did not answer within ${timeoutMs} ms`, 'timeout', true);
        throw new WhatsAppSendError(`Graph API unreachable: ${(error as Error).name}`, 'network', true);
      }
      const wamid = body.messages?.[0]?.id;
      if (response.ok && typeof wamid === 'string' && wamid) return wamid;
      const code = typeof body.error?.code === 'number' ? body.error.code : undefined;
      if (response.ok) {
        // 2xx without a wamid is not Meta's documented answer; whether it was sent is unknown, so
        // the outbox may retry (a status webhook for an unrecorded wamid would then be ignored).
        throw new WhatsAppSendError(`Graph API answered ${response.status} without a message id`, 'transient', true, response.status);
      }
      const failure = classifyGraphError({ httpStatus: response.status, code });
      throw new WhatsAppSendError(
        `Graph API answered ${response.status}${code !== undefined ? ` (code ${code}, ${failure.reason})` : ''}`,
        failure.reason, failure.retryable, response.status, code !== undefined ? String(code) : undefined,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

function parseGraphResponse(raw: string): GraphResponse {
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' ? (parsed as GraphResponse) : {};
  } catch {
    return {};
  }
}

interface GraphResponse {
  messages?: { id?: unknown }[];
  error?: { message?: string; type?: string; code?: unknown; error_subcode?: number; fbtrace_id?: string };
}
