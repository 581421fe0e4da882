import { DateTime } from 'luxon';
import { relative } from 'node:path';
import type { Database } from '../../db/database';
import type { StaffIdentity } from '../identity';
import { retentionYears, type ServiceConfig, type ServiceDirectory } from '../config/services';
import { bankHoliday, SERVICE_ZONE } from '../gateway/hours';
import { auditingRefusals, recordAudit } from '../audit/record';
import { adminServices } from './access';

/** How far ahead the settings list the bank holidays the service is closed on. */
const HOLIDAYS_AHEAD_DAYS = 120;
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** Where the settings live, as the server reads them (bot/config/settings.ts configPathFrom). */
export const SETTINGS_SOURCE = {
  env: 'LAMPLIGHT_CONFIG',
  defaultPath: 'config/demo.services.yaml',
  check: 'npm run cli -- config check',
} as const;

interface Dependencies {
  db: Database;
  directory: ServiceDirectory;
  now: () => number;
}

/**
 * Each service's settings as the config file has them, for the services the caller administers:
 * read-only (they change through the file, under review), and with nothing secret in them. The
 * view is built field by field from the config, never by copying it, so a secret added to the
 * config later does not reach the screen by default: the web chat's Direct Line secret is in an
 * environment variable the config only names, and that name is left out too.
 */
export class ServiceSettings {
  constructor(private readonly deps: Dependencies) {}

  async read(staff: StaffIdentity) {
    return auditingRefusals(this.deps, staff, { action: 'service.settings_read', subjectType: 'service' }, async () => {
      const services = adminServices(staff, this.deps.directory, "see the services' settings");
      const now = this.deps.now();
      await this.deps.db.transaction((tx) => recordAudit(tx, now, {
        actorType: 'staff', actorId: staff.id, action: 'service.settings_read', subjectType: 'service', services, detail: { count: services.length },
      }));
      // The file this server actually read, relative to where it runs when it is below it.
      const path = this.deps.directory.sourcePath;
      const below = path === undefined ? undefined : relative(process.cwd(), path);
      const loaded = path === undefined ? null : below!.startsWith('..') ? path : below!;
      return {
        source: { ...SETTINGS_SOURCE, loaded },
        organisation: this.deps.directory.config.organisation,
        outcomes: this.deps.directory.config.outcomes,
        timeZone: SERVICE_ZONE,
        services: services.map((slug) => settingsOf(this.deps.directory.bySlugOrUndefined(slug)!, now)),
      };
    });
  }
}

function settingsOf(s: ServiceConfig, now: number) {
  const ladder = (l: ServiceConfig['escalation']['inHours']) => ({ acknowledgeWithinMinutes: l.acknowledgeWithinMinutes, levels: l.levels.map((level) => [...level]) });
  return {
    slug: s.slug,
    name: s.name,
    audience: s.audience,
    timeZone: SERVICE_ZONE,
    hours: Object.fromEntries(WEEKDAYS.map((d) => [d, [...(s.hours[d] ?? [])]])) as Record<(typeof WEEKDAYS)[number], string[]>,
    bankHolidays: s.bankHolidays,
    upcomingBankHolidays: upcomingBankHolidays(s, now),
    closures: [...s.closures],
    replyPromise: { minutes: s.replyPromise.minutes, wording: s.replyPromise.wording },
    retention: { records: s.retention.records, youngestAge: s.retention.youngestAge ?? null, years: retentionYears(s.retention) },
    urgentReplyPromise: s.urgentReplyPromise ? { minutes: s.urgentReplyPromise.minutes, wording: s.urgentReplyPromise.wording } : null,
    autoReplyIntervalMinutes: s.autoReplyIntervalMinutes,
    safetyReplyIntervalMinutes: s.safetyReplyIntervalMinutes,
    holdingReplyIntervalMinutes: s.holdingReplyIntervalMinutes,
    autoReplies: {
      welcome: s.autoReplies.welcome,
      outOfHours: s.autoReplies.outOfHours,
      safety: s.autoReplies.safety,
      safetyOutOfHours: s.autoReplies.safetyOutOfHours ?? null,
      holding: s.autoReplies.holding,
      textOnly: s.autoReplies.textOnly,
      optOut: s.autoReplies.optOut,
      optIn: s.autoReplies.optIn,
    },
    templates: s.templates.map((t) => ({ id: t.id, title: t.title, text: t.text })),
    escalation: {
      inHours: ladder(s.escalation.inHours),
      outOfHours: ladder(s.escalation.outOfHours),
      rounds: s.escalation.rounds,
      fallback: [...s.escalation.fallback],
      teamsChannelSet: s.escalation.teamsChannel !== undefined,
    },
    channels: {
      sms: s.channels.sms ?? null,
      whatsapp: s.channels.whatsapp
        ? {
          phoneNumberId: s.channels.whatsapp,
          replyTemplate: s.whatsapp?.replyTemplate ? { name: s.whatsapp.replyTemplate.name, language: s.whatsapp.replyTemplate.language, body: s.whatsapp.replyTemplate.body ?? null } : null,
        }
        : null,
      webchat: s.channels.webchat
        ? {
          slug: s.channels.webchat,
          answeredBy: s.webchat?.answeredBy ?? null,
          exitUrl: s.webchat?.exitUrl ?? null,
          embedOrigins: [...(s.webchat?.embedOrigins ?? [])],
        }
        : null,
    },
  };
}

export type ServiceSettingsView = ReturnType<typeof settingsOf>;

function upcomingBankHolidays(s: ServiceConfig, now: number): { date: string; name: string }[] {
  const today = DateTime.fromMillis(now, { zone: SERVICE_ZONE }).startOf('day');
  const found: { date: string; name: string }[] = [];
  for (let offset = 0; offset < HOLIDAYS_AHEAD_DAYS; offset++) {
    const day = today.plus({ days: offset });
    const name = bankHoliday(s.bankHolidays, day);
    if (name) found.push({ date: day.toISODate()!, name });
  }
  return found;
}
