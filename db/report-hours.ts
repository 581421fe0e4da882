import type { EntityManager, ObjectLiteral } from 'typeorm';
import { change, dialectOf, sql } from './rows';

/**
 * The figures reports read, kept as the records are written (issue 15), so a year's report reads
 * a few thousand rows, not a million messages:
 *
 * - `report_hour`: messages per service, UTC hour, direction, channel and risk (inbound: none,
 *   medium or high; outbound: ''). UK hours are whole hours off UTC, so each UTC hour is one UK
 *   hour, and reports apply the UK calendar to the hours. Anonymous counts: no ids, no text.
 * - On each conversation: when a clinician first replied (`firstReplyAt`), when the out-of-hours
 *   auto-reply first answered it (`outOfHoursAt`), and whether its contact had a conversation
 *   before (`repeatContact`), read through one covering index.
 *
 * A unit of work's counts are added up as it runs and written at its end, one row per key, in key
 * order: on PostgreSQL the current hour's row for a busy service is written by every message, so
 * it is locked only between the unit's last statement and its commit, and always in the same
 * order (no deadlock between two units). Deleting records (retention, erasure) takes their counts
 * back out in the same transaction (`uncountConversations`), so the figures always describe the
 * records there are; `rebuildReportFigures` works them all out again from the records.
 */

export interface CountedMessage {
  serviceSlug: string;
  createdAt: number;
  direction: 'in' | 'out';
  channel: string;
  riskLevel: string | null;
}

const HOUR_MS = 3_600_000;
const pending = new WeakMap<EntityManager, Map<string, { key: ReportHourKey; messages: number }>>();

interface ReportHourKey { serviceSlug: string; hour: number; direction: string; channel: string; risk: string }

const keyOf = (m: CountedMessage): ReportHourKey => ({
  serviceSlug: m.serviceSlug, hour: Math.floor(m.createdAt / HOUR_MS), direction: m.direction, channel: m.channel, risk: m.direction === 'in' ? (m.riskLevel ?? 'none') : '',
});
const textOf = (k: ReportHourKey) => [k.serviceSlug, String(k.hour).padStart(10, '0'), k.direction, k.channel, k.risk].join('\u0000');

/** Runs `work`, then writes the message counts it recorded (countMessage) before its transaction commits. */
export async function countingMessages<T>(tx: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  const counts = new Map<string, { key: ReportHourKey; messages: number }>();
  pending.set(tx, counts);
  try {
    const result = await work(tx);
    await addToReportHours(tx, [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c));
    return result;
  } finally {
    pending.delete(tx);
  }
}

/** Counts one stored message: at the end of the unit it is part of, or at once outside one. */
export async function countMessage(tx: EntityManager, message: CountedMessage): Promise<void> {
  const key = keyOf(message);
  const counts = pending.get(tx);
  if (!counts) return addToReportHours(tx, [{ key, messages: 1 }]);
  const text = textOf(key);
  const count = counts.get(text);
  if (count) count.messages++;
  else counts.set(text, { key, messages: 1 });
}

const COLUMNS = '"serviceSlug", "hour", "direction", "channel", "risk", "messages"';

async function addToReportHours(tx: EntityManager, counts: { key: ReportHourKey; messages: number }[]): Promise<void> {
  if (!counts.length) return;
  const values = (c: { key: ReportHourKey; messages: number }) => [c.key.serviceSlug, c.key.hour, c.key.direction, c.key.channel, c.key.risk, c.messages];
  if (dialectOf(tx) === 'mssql') {
    for (const c of counts) {
      await sql(tx, `MERGE report_hour WITH (HOLDLOCK) AS t
        USING (SELECT ? AS s, ? AS h, ? AS d, ? AS c, ? AS r, ? AS n) AS v
        ON t."serviceSlug" = v.s AND t."hour" = v.h AND t."direction" = v.d AND t."channel" = v.c AND t."risk" = v.r
        WHEN MATCHED THEN UPDATE SET "messages" = t."messages" + v.n
        WHEN NOT MATCHED THEN INSERT (${COLUMNS}) VALUES (v.s, v.h, v.d, v.c, v.r, v.n);`, values(c));
    }
    return;
  }
  await sql(tx, `INSERT INTO report_hour (${COLUMNS}) VALUES ${counts.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}
    ON CONFLICT ("serviceSlug", "hour", "direction", "channel", "risk") DO UPDATE SET "messages" = report_hour."messages" + excluded."messages"`, counts.flatMap(values));
}

/**
 * What a message written by a clinician or the out-of-hours auto-reply changes on its
 * conversation's report columns; nothing for the rest. Times only move earlier, so two writers in
 * any order leave the first.
 */
export async function noteReplyForReports(tx: EntityManager, conversationId: string, message: { authorKind: string; autoReplyKind: string | null; createdAt: number }): Promise<void> {
  const column = message.authorKind === 'clinician' ? 'firstReplyAt' : message.autoReplyKind === 'out_of_hours' ? 'outOfHoursAt' : undefined;
  if (!column) return;
  await change(tx, `UPDATE conversation SET "${column}" = ? WHERE id = ? AND ("${column}" IS NULL OR "${column}" > ?)`, [message.createdAt, conversationId, message.createdAt]);
}

/** The report rows of messages: GROUP BY what report_hour keys on (service from the conversation). */
const MESSAGE_HOURS = `SELECT c."serviceSlug" AS "serviceSlug", m."createdAt" / ${HOUR_MS} AS "hour", m.direction AS "direction", m.channel AS "channel",
    CASE WHEN m.direction = 'in' THEN COALESCE(m."riskLevel", 'none') ELSE '' END AS "risk", COUNT(*) AS "messages"
  FROM message m JOIN conversation c ON c.id = m."conversationId"`;
const MESSAGE_HOURS_GROUP = `GROUP BY c."serviceSlug", m."createdAt" / ${HOUR_MS}, m.direction, m.channel, CASE WHEN m.direction = 'in' THEN COALESCE(m."riskLevel", 'none') ELSE '' END`;

/**
 * Takes the messages of these conversations out of the counts, in the transaction that deletes
 * them (before it does). Emptied rows go. Returns how many messages it took out.
 */
export async function uncountConversations(tx: EntityManager, conversationIds: string[]): Promise<number> {
  let messages = 0;
  for (let i = 0; i < conversationIds.length; i += 500) {
    const ids = conversationIds.slice(i, i + 500);
    messages += await subtract(tx, await sql(tx, `${MESSAGE_HOURS} WHERE m."conversationId" IN (${ids.map(() => '?').join(', ')}) ${MESSAGE_HOURS_GROUP}`, ids));
  }
  return messages;
}

/** Takes rows of MESSAGE_HOURS out of report_hour; a row left at nothing goes (only the keys touched). How many messages. */
async function subtract(tx: EntityManager, rows: ObjectLiteral[]): Promise<number> {
  let messages = 0;
  const key = '"serviceSlug" = ? AND "hour" = ? AND "direction" = ? AND "channel" = ? AND "risk" = ?';
  for (const row of rows) {
    const values = [row.serviceSlug, Number(row.hour), row.direction, row.channel, row.risk];
    messages += Number(row.messages);
    await change(tx, `UPDATE report_hour SET "messages" = "messages" - ? WHERE ${key}`, [Number(row.messages), ...values]);
    await change(tx, `DELETE FROM report_hour WHERE ${key} AND "messages" <= 0`, values);
  }
  return messages;
}

/**
 * A conversation moves to another service (a transfer): its messages' counts move with it, in the
 * transaction that moves it (call before the conversation's service changes), so the figures
 * always count a message under the service its conversation is with.
 */
export async function moveConversationCounts(tx: EntityManager, conversationId: string, toServiceSlug: string): Promise<void> {
  const rows = await sql(tx, `${MESSAGE_HOURS} WHERE m."conversationId" = ? ${MESSAGE_HOURS_GROUP}`, [conversationId]);
  if (!rows.length) return;
  await subtract(tx, rows);
  const keys = rows.map((r) => ({ key: { serviceSlug: toServiceSlug, hour: Number(r.hour), direction: String(r.direction), channel: String(r.channel), risk: String(r.risk) }, messages: Number(r.messages) }));
  await addToReportHours(tx, keys.sort((a, b) => (textOf(a.key) < textOf(b.key) ? -1 : 1)));
}

/** Statements that work every report figure out again from the records (the migration's backfill, `npm run cli -- reports rebuild`). */
export function rebuildStatements(dialect: 'sqlite' | 'postgres' | 'mssql'): string[] {
  const [yes, no] = dialect === 'postgres' ? ['true', 'false'] : ['1', '0'];
  return [
    'DELETE FROM report_hour',
    `INSERT INTO report_hour (${COLUMNS}) ${MESSAGE_HOURS} ${MESSAGE_HOURS_GROUP}`,
    `UPDATE conversation SET
      "firstReplyAt" = (SELECT MIN(m."createdAt") FROM message m WHERE m."conversationId" = conversation.id AND m."authorKind" = 'clinician'),
      "outOfHoursAt" = (SELECT MIN(m."createdAt") FROM message m WHERE m."conversationId" = conversation.id AND m."autoReplyKind" = 'out_of_hours'),
      "repeatContact" = CASE WHEN EXISTS (SELECT 1 FROM conversation p WHERE p."contactId" = conversation."contactId" AND p."createdAt" < conversation."createdAt") THEN ${yes} ELSE ${no} END`,
  ];
}

/** Works every report figure out again from the records, in one transaction. */
export async function rebuildReportFigures(tx: EntityManager): Promise<void> {
  for (const statement of rebuildStatements(dialectOf(tx))) await change(tx, statement, []);
}
