import { DateTime } from 'luxon';
import { Database } from '../../db/database';
import { sql } from '../../db/rows';
import { isStaffChannel } from '../../db/entities';
import { auditingRefusals, recordAudit } from '../audit/record';
import type { ServiceConfig, ServiceDirectory } from '../config/services';
import type { StaffIdentity } from '../identity';
import { forbidden, invalid } from '../problems';

/** Reports are read in the services' own time zone: a day is a UK day, an hour a UK hour. */
export const REPORT_ZONE = 'Europe/London';
export const BUCKETS = ['day', 'week', 'month'] as const;
export type Bucket = (typeof BUCKETS)[number];
/** The longest period one report covers: a year and a day (a leap year's 1 April to 1 April). */
const MAX_DAYS = 367;
const HOUR_MS = 3_600_000;
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

export interface ReportQuery {
  services: string[];
  from: string;
  to: string;
  bucket: Bucket;
}

/** Seconds: a median, a 90th percentile, the worst; null when there is nothing to measure. */
export interface Spread { count: number; median: number | null; p90: number | null; worst: number | null }

export interface SeriesPoint { bucket: string; start: string; conversations: number; inbound: number; outbound: number; highRisk: number; escalations: number }

export interface Report {
  services: { slug: string; name: string }[];
  from: string;
  to: string;
  bucket: Bucket;
  zone: string;
  totals: {
    conversations: number;
    inbound: number;
    outbound: number;
    /** Messages in that triage read as high risk, and as medium risk. */
    highRisk: number;
    mediumRisk: number;
    escalations: number;
    /** Conversations started by a contact who had one before (with any of these services, or before the period). */
    repeatContacts: number;
    /** Contacts of these services who opted out (STOP) in the period. */
    optOuts: number;
    /** Conversations that got the out-of-hours auto-reply. */
    answeredOutOfHours: number;
  };
  byChannel: { channel: string; inbound: number; outbound: number; failed: number }[];
  /** From a conversation's first message in to its first clinician reply, for the conversations started in the period. */
  firstReply: Spread & { withinPromise: number | null; unanswered: number };
  escalations: { raised: number; acknowledged: number; timeToAcknowledge: Spread; roundsReached: { round: number; escalations: number }[]; finalAlerts: number };
  /** Outbound sends that failed, by where they went (a contact's channel, or staff: teams, alert-sms, alert-email). */
  deliveryFailures: { channel: string; failed: number }[];
  series: SeriesPoint[];
  /** Messages in by UK weekday (Monday first) and hour 0-23. */
  busiestHours: { weekday: string; hours: number[] }[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The query as the API takes it: `service` (repeated or comma-separated), `from`, `to` (UK dates, inclusive), `bucket`. */
export function reportQueryFrom(raw: Record<string, unknown>): Omit<ReportQuery, 'services'> & { services: string[] | undefined } {
  const one = (name: string) => {
    const value = raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw invalid(`"${name}" must be given once`);
    return value;
  };
  const serviceParam = raw.service;
  const services = serviceParam === undefined ? undefined
    : (Array.isArray(serviceParam) ? serviceParam : [serviceParam]).flatMap((s) => (typeof s === 'string' ? s.split(',') : [])).map((s) => s.trim()).filter(Boolean);
  const from = one('from');
  const to = one('to');
  if (!from || !to || !DATE.test(from) || !DATE.test(to)) throw invalid('"from" and "to" are required, as dates like 2026-11-01 (UK days, both included)');
  const start = DateTime.fromISO(from, { zone: REPORT_ZONE });
  const end = DateTime.fromISO(to, { zone: REPORT_ZONE });
  if (!start.isValid || !end.isValid) throw invalid('"from" and "to" must be real dates');
  if (end < start) throw invalid('"to" is before "from"');
  if (end.diff(start, 'days').days + 1 > MAX_DAYS) throw invalid(`a report covers at most ${MAX_DAYS} days`);
  const bucket = one('bucket') ?? 'day';
  if (!(BUCKETS as readonly string[]).includes(bucket)) throw invalid(`"bucket" must be one of ${BUCKETS.join(', ')}`);
  return { services, from, to, bucket: bucket as Bucket };
}

/**
 * What a service does, for its managers and commissioners: counts, reply times, risk and
 * escalations, busiest hours, over a period of UK days. Duty leads and admins see their services'
 * only; every read is audited. Aggregated in SQL (grouped by UTC hour, so the UK calendar is
 * applied to at most a year's hours, not to every message), with message text never read.
 */
export class Reports {
  constructor(private readonly deps: { db: Database; directory: ServiceDirectory; now: () => number }) {}

  async report(staff: StaffIdentity, raw: Record<string, unknown>, format: 'json' | 'csv' = 'json'): Promise<Report> {
    return auditingRefusals(this.deps, staff, { action: 'report.read', subjectType: 'report' }, async () => {
      const query = reportQueryFrom(raw);
      const mine = staff.memberships.filter((m) => m.role === 'duty-lead' || m.role === 'admin').map((m) => m.serviceSlug);
      const asked = query.services ?? mine;
      const refused = asked.filter((s) => !mine.includes(s));
      if (!mine.length) throw forbidden('reports are for duty leads and admins', staff.memberships.map((m) => m.serviceSlug));
      if (refused.length) throw forbidden('you can report only on the services where you are a duty lead or admin', refused.filter((s) => this.deps.directory.bySlugOrUndefined(s)));
      // In the config's order, whatever order they were asked in.
      const services = this.deps.directory.services.filter((s) => asked.includes(s.slug));
      const report = await this.compute({ ...query, services: services.map((s) => s.slug) }, services);
      await this.deps.db.transaction((tx) => recordAudit(tx, this.deps.now(), {
        actorType: 'staff', actorId: staff.id, action: 'report.read', subjectType: 'report', subjectId: null, services: report.services.map((s) => s.slug),
        detail: { from: query.from, to: query.to, bucket: query.bucket, format },
      }));
      return report;
    });
  }

  /** The figures, for services already allowed. */
  async compute(query: ReportQuery, services: ServiceConfig[]): Promise<Report> {
    const { manager } = this.deps.db;
    const start = DateTime.fromISO(query.from, { zone: REPORT_ZONE }).startOf('day');
    const end = DateTime.fromISO(query.to, { zone: REPORT_ZONE }).plus({ days: 1 }).startOf('day');
    const [fromMs, toMs] = [start.toMillis(), end.toMillis()];
    const slugs = services.map((s) => s.slug);
    const inList = slugs.map(() => '?').join(', ') || 'NULL';
    const period = [...slugs, fromMs, toMs];

    // Messages by UTC hour, as kept with each message (db/report-hours.ts). UK days start on whole
    // UTC hours, so the period is whole hours and each UTC hour is one UK hour.
    const messages = await sql(manager, `SELECT "direction" AS direction, "channel" AS channel, "risk" AS risk, "hour" AS hour, SUM("messages") AS n
      FROM report_hour WHERE "serviceSlug" IN (${inList}) AND "hour" >= ? AND "hour" < ?
      GROUP BY "direction", "channel", "risk", "hour"`, [...slugs, fromMs / HOUR_MS, toMs / HOUR_MS]);
    // Each conversation started in the period (by its first message in), with its report columns, from one covering index.
    const conversations = await sql(manager, `SELECT c."serviceSlug" AS service, c."createdAt" AS created, c."firstReplyAt" AS first_reply,
        c."outOfHoursAt" AS out_of_hours, c."repeatContact" AS repeat
      FROM conversation c WHERE c."serviceSlug" IN (${inList}) AND c."createdAt" >= ? AND c."createdAt" < ?`, period);
    const escalations = await sql(manager, `SELECT e."createdAt" AS created, e."acknowledgedAt" AS acknowledged,
        (SELECT MAX(n.round) FROM escalation_notice n WHERE n."escalationId" = e.id AND n.level > 0) AS rounds,
        (SELECT COUNT(*) FROM escalation_notice n WHERE n."escalationId" = e.id AND n.level = 0) AS finals
      FROM escalation e WHERE e."serviceSlug" IN (${inList}) AND e."createdAt" >= ? AND e."createdAt" < ?`, period);
    const optOuts = await sql(manager, `SELECT COUNT(DISTINCT ct.id) AS n FROM contact ct
      WHERE ct.consent = 'opted_out' AND ct."consentChangedAt" >= ? AND ct."consentChangedAt" < ?
      AND EXISTS (SELECT 1 FROM conversation c WHERE c."contactId" = ct.id AND c."serviceSlug" IN (${inList}))`, [fromMs, toMs, ...slugs]);
    const failures = await sql(manager, `SELECT o.channel AS channel, COUNT(*) AS n FROM outbox_item o JOIN conversation c ON c.id = o."conversationId"
      WHERE c."serviceSlug" IN (${inList}) AND o.status = 'failed' AND o."createdAt" >= ? AND o."createdAt" < ? GROUP BY o.channel`, period);

    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    const series = new Map<string, SeriesPoint>();
    // Where each UK day of the period starts (epoch ms), with its point: a time finds its day by binary search, not by a time-zone conversion each.
    const days: { startsAt: number; point: SeriesPoint }[] = [];
    for (let at = start; at < end; at = at.plus({ days: 1 })) {
      const key = bucketKey(at, query.bucket);
      if (!series.has(key)) series.set(key, { bucket: key, start: bucketStart(at, query.bucket).toISODate()!, conversations: 0, inbound: 0, outbound: 0, highRisk: 0, escalations: 0 });
      days.push({ startsAt: at.toMillis(), point: series.get(key)! });
    }
    const point = (ms: number): SeriesPoint | undefined => {
      if (ms < fromMs || ms >= toMs) return undefined;
      let [lo, hi] = [0, days.length - 1];
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (days[mid].startsAt <= ms) lo = mid;
        else hi = mid - 1;
      }
      return days[lo].point;
    };
    const busiest = WEEKDAYS.map(() => new Array<number>(24).fill(0));
    const channels = new Map<string, { inbound: number; outbound: number; failed: number }>();
    const channel = (name: string) => channels.get(name) ?? channels.set(name, { inbound: 0, outbound: 0, failed: 0 }).get(name)!;
    const totals = { conversations: 0, inbound: 0, outbound: 0, highRisk: 0, mediumRisk: 0, escalations: 0, repeatContacts: 0, optOuts: Number(optOuts[0]?.n ?? 0), answeredOutOfHours: 0 };

    for (const row of messages) {
      const n = Number(row.n);
      const hourStart = Number(row.hour) * 3_600_000;
      const p = point(hourStart);
      if (row.direction === 'in') {
        totals.inbound += n;
        channel(String(row.channel)).inbound += n;
        if (p) p.inbound += n;
        const local = DateTime.fromMillis(hourStart, { zone: REPORT_ZONE });
        busiest[local.weekday - 1][local.hour] += n;
        if (row.risk === 'high') {
          totals.highRisk += n;
          if (p) p.highRisk += n;
        } else if (row.risk === 'medium') totals.mediumRisk += n;
      } else {
        totals.outbound += n;
        channel(String(row.channel)).outbound += n;
        if (p) p.outbound += n;
      }
    }

    const replySeconds: number[] = [];
    let within = 0;
    let unanswered = 0;
    const promise = new Map(services.map((s) => [s.slug, s.replyPromise.minutes * 60]));
    for (const row of conversations) {
      totals.conversations++;
      const p = point(Number(row.created));
      if (p) p.conversations++;
      if (row.out_of_hours !== null && row.out_of_hours !== undefined) totals.answeredOutOfHours++;
      if (row.repeat === true || Number(row.repeat) === 1) totals.repeatContacts++;
      // A conversation starts with its contact's first message.
      const firstIn = Number(row.created);
      const firstReply = num(row.first_reply);
      if (firstReply === null || firstReply < firstIn) {
        unanswered++;
        continue;
      }
      const seconds = Math.round((firstReply - firstIn) / 1000);
      replySeconds.push(seconds);
      if (seconds <= (promise.get(String(row.service)) ?? Number.POSITIVE_INFINITY)) within++;
    }

    const ackSeconds: number[] = [];
    const rounds = new Map<number, number>();
    let finals = 0;
    for (const row of escalations) {
      totals.escalations++;
      const p = point(Number(row.created));
      if (p) p.escalations++;
      const acknowledged = num(row.acknowledged);
      if (acknowledged !== null) ackSeconds.push(Math.round((acknowledged - Number(row.created)) / 1000));
      const reached = num(row.rounds) ?? 0;
      if (reached > 0) rounds.set(reached, (rounds.get(reached) ?? 0) + 1);
      if (Number(row.finals) > 0) finals++;
    }
    // Failed sends to contacts count against their channel; staff cards and alerts are listed apart.
    for (const row of failures) if (!isStaffChannel(String(row.channel))) channel(String(row.channel)).failed += Number(row.n);

    return {
      services: services.map((s) => ({ slug: s.slug, name: s.name })),
      from: query.from,
      to: query.to,
      bucket: query.bucket,
      zone: REPORT_ZONE,
      totals,
      byChannel: [...channels.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => ({ channel: name, ...c })),
      firstReply: { ...spread(replySeconds), withinPromise: replySeconds.length ? within / replySeconds.length : null, unanswered },
      escalations: {
        raised: totals.escalations,
        acknowledged: ackSeconds.length,
        timeToAcknowledge: spread(ackSeconds),
        roundsReached: [...rounds.entries()].sort(([a], [b]) => a - b).map(([round, count]) => ({ round, escalations: count })),
        finalAlerts: finals,
      },
      deliveryFailures: failures.map((r) => ({ channel: String(r.channel), failed: Number(r.n) })).sort((a, b) => a.channel.localeCompare(b.channel)),
      series: [...series.values()],
      busiestHours: WEEKDAYS.map((weekday, i) => ({ weekday, hours: busiest[i] })),
    };
  }
}

/** Median, 90th percentile (nearest rank) and worst of a list of seconds. */
export function spread(values: number[]): Spread {
  if (!values.length) return { count: 0, median: null, p90: null, worst: null };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { count: sorted.length, median, p90: rank(0.9), worst: sorted[sorted.length - 1] };
}

function bucketStart(at: DateTime, bucket: Bucket): DateTime {
  return bucket === 'day' ? at.startOf('day') : bucket === 'week' ? at.startOf('week') : at.startOf('month');
}

/** "2026-11-24", "2026-W48", "2026-11". */
function bucketKey(at: DateTime, bucket: Bucket): string {
  if (bucket === 'day') return at.toISODate()!;
  if (bucket === 'week') return `${at.weekYear}-W${String(at.weekNumber).padStart(2, '0')}`;
  return at.toFormat('yyyy-MM');
}

/** The report's series as CSV rows (the header first), and a totals row: the same figures as the JSON. */
export const REPORT_CSV_COLUMNS = ['bucket', 'start', 'conversations', 'inbound', 'outbound', 'highRisk', 'escalations'] as const;
export function reportCsvRows(report: Report): (string | number)[][] {
  return [
    [...REPORT_CSV_COLUMNS],
    ...report.series.map((p) => [p.bucket, p.start, p.conversations, p.inbound, p.outbound, p.highRisk, p.escalations]),
    ['total', report.from, report.totals.conversations, report.totals.inbound, report.totals.outbound, report.totals.highRisk, report.totals.escalations],
  ];
}
