/**
 * Dates and times as the service keeps them: British English formats in the service's own time
 * zone (UK civil time, as opening hours are read), whatever the browser's or Teams' locale and
 * zone. A clinician in a US-configured browser, or abroad, must not read 11/24 as the 11th, nor a
 * message's time an hour out of step with the young person's clock.
 */
const SERVICE_ZONE = 'Europe/London';
const DATE_TIME = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: SERVICE_ZONE });
const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: SERVICE_ZONE });

export const dateTime = (iso: string): string => DATE_TIME.format(new Date(iso));
export const date = (iso: string): string => DATE.format(new Date(iso));

const CHANNEL_NAMES: Record<string, string> = { sms: 'SMS', whatsapp: 'WhatsApp', webchat: 'Web chat' };
/** A channel as clinicians call it. */
export const channelName = (channel: string): string => CHANNEL_NAMES[channel] ?? channel;

/** A contact as the inbox names them: a web chat visitor has no number, only a random id. */
export const contactName = (channel: string, address: string): string => (channel === 'webchat' ? `Web chat visitor ${address.slice(-6)}` : address);
