import { expect } from 'chai';
import { loadConfig, parseConfig, ServiceConfig } from '../../bot/config/services';
import { bankHoliday, describeOpening, openingState } from '../../bot/gateway/hours';
import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import { readFileSync } from 'node:fs';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';

const schoolNursing = loadConfig().services.find((s) => s.slug === 'school-nursing')!;
const nextOpening = (service: ServiceConfig, iso: string) => {
  const state = openingState(service, new Date(iso));
  return state.open ? 'open' : describeOpening(state.nextOpening);
};

describe('opening hours (Europe/London, UK bank holidays)', () => {
  it('when it is a weekday within the hours, then the service is open', () => {
    expect(nextOpening(schoolNursing, '2026-11-24T10:00:00Z')).to.equal('open');
  });

  it('when it is Friday after the earlier Friday close, then the next opening is Monday morning', () => {
    expect(nextOpening(schoolNursing, '2026-11-27T16:45:00Z')).to.equal('9am on Monday 30 November');
  });

  it('when it is a Saturday, then the next opening is Monday', () => {
    expect(nextOpening(schoolNursing, '2026-11-28T11:00:00Z')).to.equal('9am on Monday 30 November');
  });

  it('when Christmas and the Boxing Day substitute holiday follow a weekend, then they are skipped', () => {
    // 25 Dec 2026 is a Friday, Boxing Day a Saturday: Monday 28 December is the substitute bank holiday.
    expect(nextOpening(schoolNursing, '2026-12-24T23:00:00Z')).to.equal('9am on Tuesday 29 December');
  });

  it('when the clocks have gone forward (BST), then opening times stay in London time', () => {
    const state = openingState(schoolNursing, new Date('2026-06-30T20:00:00Z'));
    expect(state.nextOpening!.toUTC().toISO()).to.equal('2026-07-01T08:00:00.000Z');
    expect(describeOpening(state.nextOpening)).to.equal('9am on Wednesday 1 July');
  });

  it('when it is before opening on a working day, then the opening is the same day', () => {
    expect(nextOpening(schoolNursing, '2026-11-24T07:59:00Z')).to.equal('9am on Tuesday 24 November');
  });

  it('when a service follows Scottish bank holidays, then St Andrew\'s Day substitute is closed there but not in England', () => {
    const scottish = { ...schoolNursing, bankHolidays: 'scotland' as const };
    // 30 Nov 2026 is a Monday: St Andrew's Day in Scotland, a working day in England.
    expect(bankHoliday('scotland', DateTime.fromISO('2026-11-30'))).to.be.a('string');
    expect(bankHoliday('england-and-wales', DateTime.fromISO('2026-11-30'))).to.equal(undefined);
    expect(nextOpening(scottish, '2026-11-28T11:00:00Z')).to.equal('9am on Tuesday 1 December');
  });

  it('when the config lists an extra closure date, then that day is skipped', () => {
    const closed = { ...schoolNursing, closures: ['2026-11-30'] };
    expect(nextOpening(closed, '2026-11-28T11:00:00Z')).to.equal('9am on Tuesday 1 December');
  });

  it('when a window opens at half past, then minutes are shown', () => {
    const text = readFileSync(DEMO_CONFIG_PATH, 'utf8');
    const healthVisiting = parseConfig(text, 'demo').services.find((s) => s.slug === 'health-visiting')!;
    expect(nextOpening(healthVisiting, '2026-11-28T11:00:00Z')).to.equal('8:30am on Monday 30 November');
  });

  it('the day plan and the year of holidays answer exactly as walking the days with date-holidays did: every 97 to 485 minutes over a year, DST days and each nation', () => {
    // The reference is the code before the cache: each day from today, skipped if a closure or a
    // bank holiday (asked of date-holidays for that day), then its windows in order.
    const calendars = new Map(Object.entries({ 'england-and-wales': 'ENG', scotland: 'SCT', 'northern-ireland': 'NIR' }).map(([nation, region]) => [nation, new Holidays('GB', region)]));
    const asked = new Map<string, boolean>(); // the reference's answers per date, so the test runs in seconds
    const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
    const reference = (service: ServiceConfig, now: Date) => {
      const local = DateTime.fromJSDate(now, { zone: 'Europe/London' });
      for (let offset = 0; offset <= 60; offset++) {
        const day = local.startOf('day').plus({ days: offset });
        const key = `${service.bankHolidays}:${day.toISODate()}`;
        if (!asked.has(key)) {
          // date-holidays reads a Date in the host's zone; noon UTC on the date is that date everywhere in the UK.
          const noon = new Date(Date.UTC(day.year, day.month - 1, day.day, 12));
          asked.set(key, (calendars.get(service.bankHolidays)!.isHoliday(noon) || []).some((h) => h.type === 'public' || h.type === 'bank'));
        }
        const holiday = asked.get(key);
        if (service.closures.includes(day.toISODate()!) || holiday) continue;
        for (const window of service.hours[weekdays[day.weekday - 1]] ?? []) {
          const [start, end] = window.split('-').map((hhmm) => day.set({ hour: Number(hhmm.slice(0, 2)), minute: Number(hhmm.slice(3)) }));
          if (local >= start && local < end) return 'open';
          if (start > local) return start.toISO();
        }
      }
      return 'never';
    };
    const services = ['england-and-wales', 'scotland', 'northern-ireland'].map((nation) => ({ ...schoolNursing, bankHolidays: nation as ServiceConfig['bankHolidays'], closures: ['2026-12-31', '2027-08-02'] }));
    let compared = 0;
    for (let at = Date.parse('2026-10-01T00:00:00Z'); at < Date.parse('2027-10-01T00:00:00Z'); at += 97 * 60_000 * (1 + (compared % 5))) {
      for (const service of services) {
        const state = openingState(service, new Date(at));
        expect(state.open ? 'open' : state.nextOpening?.toISO() ?? 'never', new Date(at).toISOString()).to.equal(reference(service, new Date(at)));
        compared++;
      }
    }
    expect(compared).to.be.above(3_000);
    // A clock moved back (a test harness, an operator's fix) still reads the right day.
    expect(openingState(services[0], new Date('2026-11-24T10:00:00Z')).open).to.equal(true);
    expect(openingState(services[0], new Date('2026-11-22T10:00:00Z')).open).to.equal(false);
  });
});
