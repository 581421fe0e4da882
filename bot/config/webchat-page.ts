import { DateTime } from 'luxon';
import type { ChatPageView } from '../../adapters/webchat/page/view';
import type { WebchatService } from '../../adapters/webchat';
import { DEFAULT_EXIT_URL } from '../../adapters/webchat/policy';
import { describeOpening, openingState, SERVICE_ZONE } from '../gateway/hours';
import { DEFAULT_CONFIDENTIALITY, type ServiceConfig, type Weekday } from './services';

const DAYS: Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** "09:00" -> "9am", "16:30" -> "4:30pm", "24:00" -> "midnight". */
export function clockTime(hhmm: string): string {
  const [hour, minute] = hhmm.split(':').map(Number);
  if (hour === 24 || (hour === 0 && minute === 0)) return 'midnight';
  if (hour === 12 && minute === 0) return 'midday';
  const h = hour % 12 === 0 ? 12 : hour % 12;
  return `${h}${minute ? `:${String(minute).padStart(2, '0')}` : ''}${hour < 12 ? 'am' : 'pm'}`;
}

/** "+447700900101" -> "07700 900101" (a UK mobile as people write it); other numbers as they are. */
export function ukNumber(e164: string): string {
  const mobile = /^\+447(\d{3})(\d{6})$/.exec(e164);
  return mobile ? `07${mobile[1]} ${mobile[2]}` : e164;
}

/** The web chat of a service as the Direct Line surface knows it: its address, name, embedding sites and secret. */
export function webchatServiceOf(service: ServiceConfig, env: NodeJS.ProcessEnv): WebchatService | undefined {
  if (!service.channels.webchat) return undefined;
  const secretEnv = service.webchat?.secretEnv;
  return { endpoint: service.channels.webchat, name: service.name, embedOrigins: service.webchat?.embedOrigins ?? [], secret: secretEnv ? env[secretEnv] : undefined };
}

/** What the service's chat page shows now: its hours in UK time, whether it is open, who answers. */
export function chatPageView(service: ServiceConfig, now: Date, publicUrl: string, embedded: boolean): ChatPageView {
  const local = DateTime.fromJSDate(now, { zone: SERVICE_ZONE });
  const state = openingState(service, now);
  const today = service.hours[DAYS[local.weekday - 1]] ?? [];
  const closing = today.map((w) => w.split('-')).find(([start, end]) => local.toFormat('HH:mm') >= start && local.toFormat('HH:mm') < end)?.[1];
  const statusLine = state.open
    ? `Open now${closing ? `, until ${clockTime(closing)} today` : ''}.`
    : `Closed now. We open again at ${describeOpening(state.nextOpening)}.`;
  const endpoint = service.channels.webchat!;
  return {
    slug: endpoint,
    serviceName: service.name,
    organisation: service.organisation,
    answeredBy: service.webchat?.answeredBy ?? `a member of the ${service.name} team`,
    replyPromise: service.replyPromise.wording,
    hours: DAYS.map((day) => ({
      day: day[0].toUpperCase() + day.slice(1),
      times: (service.hours[day] ?? []).length ? service.hours[day]!.map((w) => w.split('-').map(clockTime).join(' to ')).join(' and ') : 'Closed',
    })),
    openNow: state.open,
    statusLine,
    textNumber: service.channels.sms ? { e164: service.channels.sms, display: ukNumber(service.channels.sms) } : undefined,
    confidentiality: service.webchat?.confidentiality ?? DEFAULT_CONFIDENTIALITY,
    exitUrl: service.webchat?.exitUrl ?? DEFAULT_EXIT_URL,
    embedded,
    directLineDomain: `${publicUrl.replace(/\/$/, '')}/v3/directline`,
    tokenUrl: `/api/webchat/${endpoint}/token`,
    assetBase: '/chat/assets',
  };
}
