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

/**
 * Each nation's bank holidays for a year, read once: the date (YYYY-MM-DD) to its name, substitute
 * days included. Asking date-holidays for one day cost about 1 ms; a year's list is a map lookup after.
 */
const holidayYears = new Map<string, Map<string, string>>();

function holidaysOf(nation: ServiceConfig['bankHolidays'], year: number): Map<string, string> {
  const key = `${nation}:${year}`;
  let found = holidayYears.get(key);
  if (!found) {
    found = new Map();
    for (const h of calendar(nation).getHolidays(year)) {
      // The first public or bank holiday named on a date, as isHoliday() listed them.
      const date = h.date.slice(0, 10);
      if ((h.type === 'public' || h.type === 'bank') && !found.has(date)) found.set(date, h.name);
    }
    holidayYears.set(key, found);
  }
  return found;
}

/** The bank-holiday name for a local date (substitute days included), or undefined. */
export function bankHoliday(nation: ServiceConfig['bankHolidays'], localDate: DateTime): string | undefined {
  return holidaysOf(nation, localDate.year).get(localDate.toISODate()!);
}

export interface OpeningState {
  open: boolean;
  /** The next time the service opens; undefined only if it is open now or never opens in the next 60 days. */
  nextOpening?: DateTime;
}

/** How far ahead a closed service looks for its next opening. */
const LOOKAHEAD_DAYS = 60;

/**
 * A service's opening windows from the start of one local day to 60 days on, as instants: worked
 * out once per service per day (luxon and the holiday calendar cost milliseconds), then each
 * message's question is a walk over numbers. Rebuilt when the day turns or the config is reloaded
 * (a new ServiceConfig object).
 */
interface Plan { from: number; until: number; windows: { start: number; end: number; opens: DateTime }[] }
const plans = new WeakMap<ServiceConfig, Plan>();

function planFor(service: ServiceConfig, now: number): Plan {
  const cached = plans.get(service);
  if (cached && now >= cached.from && now < cached.until) return cached;
  const today = DateTime.fromMillis(now, { zone: SERVICE_ZONE }).startOf('day');
  const windows: Plan['windows'] = [];
  for (let offset = 0; offset <= LOOKAHEAD_DAYS; offset++) {
    const day = today.plus({ days: offset });
    if (service.closures.includes(day.toISODate()!) || bankHoliday(service.bankHolidays, day)) continue;
    for (const window of service.hours[WEEKDAYS[day.weekday - 1]] ?? []) {
      const [start, end] = window.split('-').map((hhmm) => {
        const [hour, minute] = hhmm.split(':').map(Number);
        return day.set({ hour: 0, minute: 0 }).plus({ hours: hour, minutes: minute });
      });
      windows.push({ start: start.toMillis(), end: end.toMillis(), opens: start });
    }
  }
  const plan = { from: today.toMillis(), until: today.plus({ days: 1 }).toMillis(), windows };
  plans.set(service, plan);
  return plan;
}

export function openingState(service: ServiceConfig, now: Date): OpeningState {
  const at = now.getTime();
  // Windows in day order, each day's as configured: the first that holds now or starts after it
  // answers, exactly as walking the days did.
  for (const w of planFor(service, at).windows) {
    if (at >= w.start && at < w.end) return { open: true };
    if (w.start > at) return { open: false, nextOpening: w.opens };
  }
  return { open: false };
}

/** "9:00am on Tuesday 29 December": how the out-of-hours reply names the next opening. */
export function describeOpening(opening: DateTime | undefined): string {
  if (!opening) return 'as soon as the service reopens';
  const time = opening.toFormat(opening.minute === 0 ? 'h' : 'h:mm') + opening.toFormat('a').toLowerCase();
  return `${time} on ${opening.toFormat('cccc d LLLL')}`;
}
