import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import type { ServiceConfig, Weekday } from '../config/services';

/** Services keep UK civil time; opening hours and bank holidays are read in Europe/London. */
export const SERVICE_ZONE = 'Europe/London';

const REGION = { 'england-and-wales': 'ENG', scotland: 'SCT', 'northern-ireland': 'NIR' } as const;
const WEEKDAYS: Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const holidayCalendars = new Map<string, Holidays>();

function calendar(nation: ServiceConfig['bankHolidays']): Holidays {
  let found = holidayCalendars.get(nation);
  if (!found) {
    found = new Holidays('GB', REGION[nation]);
    holidayCalendars.set(nation, found);
  }
  return found;
}

/** The bank-holiday name for a local date (substitute days included), or undefined. */
export function bankHoliday(nation: ServiceConfig['bankHolidays'], localDate: DateTime): string | undefined {
  // date-holidays reads a Date in the host's zone; noon UTC on the date is that date everywhere in the UK.
  const noon = new Date(Date.UTC(localDate.year, localDate.month - 1, localDate.day, 12));
  const found = calendar(nation).isHoliday(noon);
  return found ? found.find((h) => h.type === 'public' || h.type === 'bank')?.name : undefined;
}

export interface OpeningState {
  open: boolean;
  /** The next time the service opens; undefined only if it is open now or never opens in the next 60 days. */
  nextOpening?: DateTime;
}

export function openingState(service: ServiceConfig, now: Date): OpeningState {
  const local = DateTime.fromJSDate(now, { zone: SERVICE_ZONE });
  for (let offset = 0; offset <= 60; offset++) {
    const day = local.startOf('day').plus({ days: offset });
    if (service.closures.includes(day.toISODate()!) || bankHoliday(service.bankHolidays, day)) continue;
    for (const window of service.hours[WEEKDAYS[day.weekday - 1]] ?? []) {
      const [start, end] = window.split('-').map((hhmm) => {
        const [hour, minute] = hhmm.split(':').map(Number);
        return day.set({ hour: 0, minute: 0 }).plus({ hours: hour, minutes: minute });
      });
      if (local >= start && local < end) return { open: true };
      if (start > local) return { open: false, nextOpening: start };
    }
  }
  return { open: false };
}

/** "9:00am on Tuesday 29 December": how the out-of-hours reply names the next opening. */
export function describeOpening(opening: DateTime | undefined): string {
  if (!opening) return 'as soon as the service reopens';
  const time = opening.toFormat(opening.minute === 0 ? 'h' : 'h:mm') + opening.toFormat('a').toLowerCase();
  return `${time} on ${opening.toFormat('cccc d LLLL')}`;
}
