import { z } from 'zod';

/**
 * Meta's `messages` webhook (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages)
 * turned into provider-free events. One POST may carry several entries, each several changes, each
 * several messages and statuses: every one becomes an event, in order. A change, message type or
 * status this module does not know becomes an `unsupported` event that says what it was, so the
 * gateway can record it rather than lose it. Everything in the envelope is attacker-shaped data
 * until the signature is checked and user-written afterwards: it is read through schemas and Maps,
 * never used as a key into a plain object.
 */

export type WhatsAppMessageKind =
  | 'text' | 'image' | 'audio' | 'video' | 'document' | 'sticker' | 'location' | 'contacts'
  | 'interactive' | 'button' | 'reaction' | 'unsupported';

export interface WhatsAppInboundMessage {
  type: 'message';
  /** The `wamid`: unique per message, the idempotency key for a retried webhook. */
  providerMessageId: string;
  /** The contact's WhatsApp id (`wa_id`): their number in E.164 digits, without the '+' (Meta omits it). */
  from: string;
  /** The business phone-number id the message was sent to (`metadata.phone_number_id`). */
  to: string;
  /** When the contact sent it, epoch ms (Meta sends Unix seconds as a string). */
  timestamp: number;
  kind: WhatsAppMessageKind;
  /**
   * What to store and triage: the text body; the title of a tapped button or list row; for media a
   * typed placeholder such as "[image]", followed by the caption when the contact wrote one (a
   * caption is the contact's own words and can carry risk); for a reaction "[reaction]" and its emoji.
   */
  text: string;
  /** The contact's WhatsApp profile name, when Meta sent one. Personal data: never log it. */
  profileName?: string;
  /** For `unsupported`: Meta's own type word (e.g. "order", "system", "unsupported"), at most 64 characters. */
  providerType?: string;
}

export type WhatsAppDeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface WhatsAppStatusUpdate {
  type: 'status';
  /** The `wamid` Lamplight got back when it sent the message. */
  providerMessageId: string;
  status: WhatsAppDeliveryStatus;
  /** The contact's `wa_id` the message went to. */
  recipient: string;
  /** The business phone-number id that sent it. */
  phoneNumberId: string;
  timestamp: number;
  /** From the first of `errors[]` on a failed status. */
  errorCode?: string;
  errorTitle?: string;
}

export interface WhatsAppUnsupportedEvent {
  type: 'unsupported';
  /** What was not understood, e.g. `change "account_update"` or `status "deleted"`. */
  what: string;
  phoneNumberId?: string;
}

export type WhatsAppEvent = WhatsAppInboundMessage | WhatsAppStatusUpdate | WhatsAppUnsupportedEvent;

/** The body is not a WhatsApp Business Account webhook this module can read: the route answers 400. */
export class MalformedEnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEnvelopeError';
  }
}

const digits = z.string().regex(/^\d{1,20}$/);
const unixSeconds = z.string().regex(/^\d{1,12}$/);
const nonEmpty = z.string().min(1).max(1024);

const envelopeSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.object({
    id: z.string(),
    changes: z.array(z.object({ field: z.string().max(64), value: z.unknown() })),
  })).min(1),
});

const messagesValueSchema = z.object({
  messaging_product: z.literal('whatsapp'),
  metadata: z.object({ display_phone_number: z.string().optional(), phone_number_id: digits }),
  contacts: z.array(z.object({ wa_id: digits, profile: z.object({ name: z.string().max(256) }).optional() })).optional(),
  messages: z.array(z.object({
    id: nonEmpty,
    from: digits,
    timestamp: unixSeconds,
    type: z.string().min(1).max(64),
  }).loose()).optional(),
  statuses: z.array(z.object({
    id: nonEmpty,
    status: z.string().min(1).max(64),
    timestamp: unixSeconds,
    recipient_id: digits,
    errors: z.array(z.object({ code: z.number().int(), title: z.string().max(256).optional() })).optional(),
  })).optional(),
});

type RawMessage = NonNullable<z.infer<typeof messagesValueSchema>['messages']>[number];

const textBody = z.object({ text: z.object({ body: z.string() }) });
const withCaption = (kind: string) => z.object({ [kind]: z.object({ id: z.string().optional(), caption: z.string().optional() }) });
const interactiveBody = z.object({
  interactive: z.object({
    type: z.string(),
    button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
    list_reply: z.object({ id: z.string(), title: z.string() }).optional(),
  }),
});
const buttonBody = z.object({ button: z.object({ text: z.string(), payload: z.string().optional() }) });
const reactionBody = z.object({ reaction: z.object({ message_id: z.string(), emoji: z.string().max(32).optional() }) });
const presentObject = (kind: string) => z.object({ [kind]: z.unknown().refine((v) => v !== null && typeof v === 'object') });

const MEDIA_KINDS: ReadonlySet<string> = new Set(['image', 'audio', 'video', 'document', 'sticker']);
const DELIVERY_STATUSES: ReadonlySet<string> = new Set<WhatsAppDeliveryStatus>(['sent', 'delivered', 'read', 'failed']);

/** Parses a webhook body (already signature-checked) into events, or throws MalformedEnvelopeError. */
export function parseEnvelope(rawBody: Buffer | string): WhatsAppEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString());
  } catch {
    throw new MalformedEnvelopeError('the body is not JSON');
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) throw new MalformedEnvelopeError(`not a WhatsApp Business Account webhook: ${summarise(envelope.error)}`);
  const events: WhatsAppEvent[] = [];
  for (const entry of envelope.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') {
        events.push({ type: 'unsupported', what: `change "${change.field}"` });
        continue;
      }
      events.push(...messagesChangeEvents(change.value));
    }
  }
  return events;
}

function messagesChangeEvents(rawValue: unknown): WhatsAppEvent[] {
  const parsed = messagesValueSchema.safeParse(rawValue);
  if (!parsed.success) throw new MalformedEnvelopeError(`a messages change that does not fit Meta's shape: ${summarise(parsed.error)}`);
  const value = parsed.data;
  const phoneNumberId = value.metadata.phone_number_id;
  const profileNames = new Map<string, string>();
  for (const contact of value.contacts ?? []) {
    if (contact.profile) profileNames.set(contact.wa_id, contact.profile.name);
  }
  const events: WhatsAppEvent[] = [];
  for (const message of value.messages ?? []) {
    const { kind, text, providerType } = readContent(message);
    const event: WhatsAppInboundMessage = {
      type: 'message',
      providerMessageId: message.id,
      from: message.from,
      to: phoneNumberId,
      timestamp: Number(message.timestamp) * 1000,
      kind,
      text,
    };
    const profileName = profileNames.get(message.from);
    if (profileName !== undefined) event.profileName = profileName;
    if (providerType !== undefined) event.providerType = providerType;
    events.push(event);
  }
  for (const status of value.statuses ?? []) {
    if (!DELIVERY_STATUSES.has(status.status)) {
      events.push({ type: 'unsupported', what: `status "${status.status}"`, phoneNumberId });
      continue;
    }
    const update: WhatsAppStatusUpdate = {
      type: 'status',
      providerMessageId: status.id,
      status: status.status as WhatsAppDeliveryStatus,
      recipient: status.recipient_id,
      phoneNumberId,
      timestamp: Number(status.timestamp) * 1000,
    };
    const firstError = status.errors?.[0];
    if (firstError) {
      update.errorCode = String(firstError.code);
      if (firstError.title !== undefined) update.errorTitle = firstError.title;
    }
    events.push(update);
  }
  return events;
}

function readContent(message: RawMessage): { kind: WhatsAppMessageKind; text: string; providerType?: string } {
  const type = message.type;
  if (type === 'text') return { kind: 'text', text: parsePart(textBody, message, type).text.body };
  if (MEDIA_KINDS.has(type)) {
    const media = parsePart(withCaption(type), message, type)[type] as { caption?: string };
    const caption = media.caption?.trim();
    return { kind: type as WhatsAppMessageKind, text: caption ? `[${type}] ${caption}` : `[${type}]` };
  }
  if (type === 'location' || type === 'contacts') {
    // Coordinates and shared address-book cards are kept out of the stored text on purpose: a
    // placeholder tells the clinician what arrived without copying someone's whereabouts.
    parsePart(presentObject(type), message, type);
    return { kind: type, text: `[${type}]` };
  }
  if (type === 'interactive') {
    const interactive = parsePart(interactiveBody, message, type).interactive;
    const reply = interactive.button_reply ?? interactive.list_reply;
    return { kind: 'interactive', text: reply ? reply.title : '[interactive]' };
  }
  if (type === 'button') return { kind: 'button', text: parsePart(buttonBody, message, type).button.text };
  if (type === 'reaction') {
    const emoji = parsePart(reactionBody, message, type).reaction.emoji;
    return { kind: 'reaction', text: emoji ? `[reaction] ${emoji}` : '[reaction removed]' };
  }
  return { kind: 'unsupported', text: '[unsupported message]', providerType: type.slice(0, 64) };
}

function parsePart<T>(schema: z.ZodType<T>, message: RawMessage, type: string): T {
  const part = schema.safeParse(message);
  if (!part.success) throw new MalformedEnvelopeError(`a "${type}" message without its ${type} content: ${summarise(part.error)}`);
  return part.data;
}

/** Paths and issue codes only: never the values, which may be a contact's words or number. */
function summarise(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'} ${issue.code}`).join('; ');
}
