/** WhatsApp Cloud API: the channel module (channel.ts) and the pieces it is built from (see README.md). */
export { whatsappSignature, isValidWhatsAppSignature, WHATSAPP_SIGNATURE_HEADER } from './signature';
export { answerSubscriptionCheck } from './verification';
export {
  parseEnvelope, MalformedEnvelopeError,
  type WhatsAppEvent, type WhatsAppInboundMessage, type WhatsAppStatusUpdate, type WhatsAppUnsupportedEvent,
  type WhatsAppMessageKind, type WhatsAppDeliveryStatus,
} from './envelope';
export {
  WHATSAPP_TEXT_LIMIT, CUSTOMER_SERVICE_WINDOW_MS, splitText, classifyGraphError,
  type SendFailureReason, type SendFailureClass,
} from './policy';
export { WhatsAppClient, WhatsAppSendError, DEFAULT_WHATSAPP_API_BASE_URL, type WhatsAppClientOptions, type TemplateMessage } from './client';
export { FakeGraphApi, type FakeGraphApiOptions, type FakeWhatsAppMessage, type InjectedGraphFailure, type WhatsAppEnvelope } from './fake';
