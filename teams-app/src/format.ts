/**
 * Dates and times in the clinician's own locale: Teams' locale inside Teams (context.app.locale),
 * the browser's language outside it; British English when neither is usable.
 */
let locale = 'en-GB';

export function setLocale(candidate: string | undefined): void {
  if (!candidate) return;
  try {
    locale = Intl.DateTimeFormat.supportedLocalesOf([candidate])[0] ?? locale;
  } catch { /* not a language tag: keep the default */ }
}

export const dateTime = (iso: string): string => new Date(iso).toLocaleString(locale, { dateStyle: 'short', timeStyle: 'short' });
export const date = (iso: string): string => new Date(iso).toLocaleDateString(locale);

const CHANNEL_NAMES: Record<string, string> = { sms: 'SMS', whatsapp: 'WhatsApp', webchat: 'Web chat' };
/** A channel as clinicians call it. */
export const channelName = (channel: string): string => CHANNEL_NAMES[channel] ?? channel;

/** A contact as the inbox names them: a web chat visitor has no number, only a random id. */
export const contactName = (channel: string, address: string): string => (channel === 'webchat' ? `Web chat visitor ${address.slice(-6)}` : address);
