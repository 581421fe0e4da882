import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { loadConfig, ServiceDirectory } from '../../bot/config/services';
import { REPORT_ZONE, Reports } from '../../bot/reports/reports';
import { Database } from '../../db/database';
import { rebuildReportFigures } from '../../db/report-hours';
import { change, sql } from '../../db/rows';
import { withPostgres } from './live';

/**
 * Reports at scale (issue 15): a year of 100,000 conversations and 1,000,000 messages on SQLite
 * and on PostgreSQL, seeded in SQL (generate_series, or a recursive CTE on SQLite) straight into a
 * migrated database, then the report figures worked out as `npm run cli -- reports rebuild` does.
 * Reports read those kept figures; the baseline, in the same run on the same rows, is what the
 * first version of reports read: every message of the year grouped by hour (with its conversation)
 * and each conversation's first reply found among its messages.
 */
const CONVERSATIONS = Number(process.env.BENCH_REPORT_CONVERSATIONS ?? 100_000);
const PER_CONVERSATION = 10;
const CONTACTS = Math.floor(CONVERSATIONS * 0.8);
const ROUNDS = 5;
const GOAL_MS = 1000;
const YEAR_END = Date.parse('2026-11-24T10:00:00Z');
const SPAN = 365 * 86_400_000;
const GAP = 7 * 60_000;

/** The first version's two big queries, kept here as the baseline. */
const BEFORE = [
  `SELECT m.direction AS direction, m.channel AS channel, m."riskLevel" AS risk, m."createdAt" / 3600000 AS hour, COUNT(*) AS n
    FROM message m JOIN conversation c ON c.id = m."conversationId"
    WHERE c."serviceSlug" IN (?) AND m."createdAt" >= ? AND m."createdAt" < ?
    GROUP BY m.direction, m.channel, m."riskLevel", m."createdAt" / 3600000`,
  `SELECT c."serviceSlug" AS service, c."createdAt" AS created,
    (SELECT MIN(m."createdAt") FROM message m WHERE m."conversationId" = c.id AND m.direction = 'in') AS first_in,
    (SELECT MIN(m."createdAt") FROM message m WHERE m."conversationId" = c.id AND m."authorKind" = 'clinician') AS first_reply,
    (SELECT COUNT(*) FROM message m WHERE m."conversationId" = c.id AND m."autoReplyKind" = 'out_of_hours') AS out_of_hours,
    (SELECT COUNT(*) FROM conversation p WHERE p."contactId" = c."contactId" AND p."createdAt" < c."createdAt") AS earlier
    FROM conversation c WHERE c."serviceSlug" IN (?) AND c."createdAt" >= ? AND c."createdAt" < ?`,
];

/** Seeds the year in SQL: ids are 'c'/'v'/'m'/'e'/'o' and zero-padded numbers, 36 characters like a UUID. */
async function seed(db: Database): Promise<{ seedMs: number; figuresMs: number }> {
  const pg = db.dialect === 'postgres';
  const series = (n: number) => (pg ? `generate_series(1::bigint, ${n}) AS g(x)` : `(WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ${n}) SELECT x FROM s) AS g`);
  // A prefix and a zero-padded number, 36 characters in all.
  const pad = (prefix: string, expr: string) => {
    const width = 36 - prefix.length;
    return pg ? `'${prefix}' || lpad((${expr})::text, ${width}, '0')` : `printf('${prefix}%0${width}d', ${expr})`;
  };
  const int = (expr: string) => (pg ? `(${expr})::bigint` : `(${expr})`);
  const start = YEAR_END - SPAN;
  const spacing = Math.floor((SPAN - PER_CONVERSATION * GAP) / CONVERSATIONS);
  const service = `CASE WHEN x % 10 < 8 THEN 'school-nursing' WHEN x % 10 = 8 THEN 'health-visiting' ELSE 'sexual-health' END`;
  const started = performance.now();
  await db.transaction(async (tx) => {
    await change(tx, `INSERT INTO contact (id, channel, "addressHash", "addressCipher", "keyId", consent, "consentChangedAt", "createdAt", "blockedAt")
      SELECT ${pad('c', 'x')}, 'sms', ${pad('h', 'x')}, 'sealed', 'k1', CASE WHEN x % 50 = 0 THEN 'opted_out' ELSE 'active' END,
        CASE WHEN x % 50 = 0 THEN ${int(`${start} + x * ${spacing}`)} ELSE NULL END, ${start}, NULL FROM ${series(CONTACTS)}`, []);
    // One conversation in five is a contact's second (contacts are dealt round again).
    await change(tx, `INSERT INTO conversation (id, "serviceSlug", "contactId", channel, "endpointAddress", status, "openKey", "riskLevel", "assignedStaffId",
        "createdAt", "lastMessageAt", "lastInboundAt", "awaitingReplySince", "closedAt", outcome, "recordedAt", "lastReadAt", "firstReplyAt", "outOfHoursAt", "repeatContact")
      SELECT ${pad('v', 'x')}, ${service}, ${pad('c', `(x - 1) % ${CONTACTS} + 1`)}, 'sms', '+447700900101', 'closed', ${pad('closed:v', 'x')},
        CASE WHEN x % 250 = 0 THEN 'high' ELSE 'none' END, NULL, ${int(`${start} + x * ${spacing}`)}, ${int(`${start} + x * ${spacing} + ${(PER_CONVERSATION - 1) * GAP}`)},
        ${int(`${start} + x * ${spacing}`)}, NULL, ${int(`${start} + x * ${spacing} + ${PER_CONVERSATION * GAP}`)}, 'advice-given', NULL, NULL, NULL, NULL, ${pg ? 'false' : '0'}
      FROM ${series(CONVERSATIONS)}`, []);
    // Ten messages each, alternating in and out: a welcome (out of hours for one in four), then clinicians; the 9th in of one in 250 is high risk.
    for (let k = 0; k < PER_CONVERSATION; k++) {
      const inbound = k % 2 === 0;
      await change(tx, `INSERT INTO message (id, "conversationId", channel, "externalId", direction, "authorKind", "authorStaffId", "autoReplyKind", "bodyCipher", "keyId", "createdAt", "riskLevel", "triageCipher")
        SELECT ${pad(`m${k}`, 'x')}, ${pad('v', 'x')}, 'sms', ${pad(`x${k}`, 'x')}, '${inbound ? 'in' : 'out'}',
          ${inbound ? "'contact'" : k === 1 ? "'auto'" : "'clinician'"}, NULL, ${k === 1 ? "CASE WHEN x % 4 = 0 THEN 'out_of_hours' ELSE 'welcome' END" : 'NULL'}, 'sealed', 'k1',
          ${int(`${start} + x * ${spacing} + ${k * GAP}`)}, ${inbound ? (k === 8 ? "CASE WHEN x % 250 = 0 THEN 'high' ELSE 'none' END" : "'none'") : 'NULL'}, NULL
        FROM ${series(CONVERSATIONS)}`, []);
    }
    await change(tx, `INSERT INTO escalation (id, "conversationId", "serviceSlug", "messageId", status, step, "nextDueAt", categories, "messageCount", "createdAt", "acknowledgedAt", "acknowledgedBy")
      SELECT ${pad('e', 'x')}, ${pad('v', 'x')}, ${service}, ${pad('m8', 'x')}, 'acknowledged', 1, NULL, 'overdose', 1,
        ${int(`${start} + x * ${spacing} + ${8 * GAP}`)}, ${int(`${start} + x * ${spacing} + ${8 * GAP} + (x % 17) * 60000`)}, NULL
      FROM ${series(CONVERSATIONS)} WHERE x % 250 = 0`, []);
  });
  const seedMs = performance.now() - started;
  const figuring = performance.now();
  await db.transaction((tx) => rebuildReportFigures(tx));
  const figuresMs = performance.now() - figuring;
  await db.dataSource.query(pg ? 'VACUUM ANALYZE' : 'ANALYZE');
  return { seedMs, figuresMs };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(rounds: number, work: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await work();
  const times: number[] = [];
  for (let n = 0; n < rounds; n++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

async function measure(url: string, engine: string): Promise<string[]> {
  const db = await Database.open(url);
  try {
    await db.migrate();
    const { seedMs, figuresMs } = await seed(db);
    const directory = new ServiceDirectory(loadConfig());
    const reports = new Reports({ db, directory, now: Date.now });
    const year = { from: DateTime.fromMillis(YEAR_END - SPAN, { zone: REPORT_ZONE }).toISODate()!, to: DateTime.fromMillis(YEAR_END, { zone: REPORT_ZONE }).toISODate()!, bucket: 'month' as const };
    const one = directory.services.filter((s) => s.slug === 'school-nursing');
    const checked = await reports.compute({ ...year, services: directory.services.map((s) => s.slug) }, directory.services);
    const counted = checked.totals.inbound + checked.totals.outbound;
    if (counted !== CONVERSATIONS * PER_CONVERSATION || checked.totals.conversations !== CONVERSATIONS) throw new Error(`the reports bench counted ${counted} messages and ${checked.totals.conversations} conversations, not what it seeded`);
    const oneReport = await reports.compute({ ...year, services: ['school-nursing'] }, one);
    const oneMessages = oneReport.totals.inbound + oneReport.totals.outbound;
    const reportOne = await timed(ROUNDS, () => reports.compute({ ...year, services: ['school-nursing'] }, one));
    const reportAll = await timed(ROUNDS, () => reports.compute({ ...year, services: directory.services.map((s) => s.slug) }, directory.services));
    const byDay = await timed(ROUNDS, () => reports.compute({ ...year, bucket: 'day', services: ['school-nursing'] }, one));
    const fromMs = DateTime.fromISO(year.from, { zone: REPORT_ZONE }).toMillis();
    const toMs = DateTime.fromISO(year.to, { zone: REPORT_ZONE }).plus({ days: 1 }).toMillis();
    const before = await timed(2, async () => { for (const q of BEFORE) await sql(db.manager, q, ['school-nursing', fromMs, toMs]); });
    const ms = (t: { p50: number; p95: number }) => `${t.p50.toFixed(0)} / ${t.p95.toFixed(0)} ms`;
    const met = (t: { p95: number }) => (t.p95 < GOAL_MS ? 'met' : '**not met**');
    return [
      `| ${engine}: a year by month, school-nursing (${oneMessages.toLocaleString('en-GB')} messages) | ${ms(reportOne)} | ${met(reportOne)} | ${(reportOne.p50 / before.p50).toFixed(3)} |`,
      `| ${engine}: a year by day, school-nursing | ${ms(byDay)} | ${met(byDay)} | ${(byDay.p50 / before.p50).toFixed(3)} |`,
      `| ${engine}: a year by month, all three services (${counted.toLocaleString('en-GB')} messages) | ${ms(reportAll)} | ${met(reportAll)} | |`,
      `| ${engine}: baseline, the first version's two queries alone, school-nursing | ${ms(before)} | | 1 |`,
      `| ${engine}: seeding ${seedMs < 1 ? '' : `${(seedMs / 1000).toFixed(1)} s`}, report figures worked out from the rows ${(figuresMs / 1000).toFixed(1)} s | | | |`,
    ];
  } finally {
    await db.close();
  }
}

export async function reportsBench(): Promise<string> {
  const rows: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'lamplight-bench-reports-'));
  try {
    rows.push(...await measure(`sqlite:${join(dir, 'reports.sqlite')}`, 'SQLite'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push(...await withPostgres((url) => measure(url, 'PostgreSQL')));
  return [
    `Reports at scale: ${CONVERSATIONS.toLocaleString('en-GB')} conversations over a year (8 in 10 school-nursing), ${PER_CONVERSATION} messages each, ${CONTACTS.toLocaleString('en-GB')} contacts, seeded in SQL into a migrated database; goal < ${GOAL_MS} ms (p95). ${ROUNDS} timed rounds after one untimed; ratio = p50 against the baseline (the first version's two queries alone, no figures computed from them) in the same run. ${cpus().length} cores, Node ${process.version}.`,
    '',
    '| report | p50 / p95 | goal | ratio to baseline |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
