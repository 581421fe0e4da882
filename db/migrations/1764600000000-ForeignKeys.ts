import { randomUUID } from 'node:crypto';
import { MigrationInterface, ObjectLiteral, QueryRunner, TableForeignKey, TableIndex } from 'typeorm';
import { AUDIT_CHAIN, auditRowHash } from '../audit-chain';

type OnDelete = 'CASCADE' | 'SET NULL' | 'NO ACTION';

interface Key {
  name: string;
  table: string;
  column: string;
  parent: string;
  onDelete: OnDelete;
}

/**
 * The foreign keys the schema has implied since the start, declared.
 *
 * What a delete takes with it, chosen for the deletes retention will make (conversations past the
 * retention period; a contact's erasure on a subject-access request) and for staff who leave:
 *
 * - contact → conversation, CASCADE: erasing a contact erases their conversations, and through
 *   them everything below.
 * - conversation → message, note, outbox_item, escalation, CASCADE: none of them means anything
 *   without its conversation. outbox_item.conversationId is a real conversation on every channel:
 *   for `teams` rows (escalation cards) it is the escalated conversation (bot/teams/duty-lead-bot.ts),
 *   so a card still queued goes with it.
 * - escalation → escalation_notice, CASCADE: a notice is one step of its escalation's ladder.
 * - staff_member → service_membership, CASCADE: a membership is meaningless without the person.
 * - staff_member → conversation.assignedStaffId, message.authorStaffId, note.authorStaffId,
 *   escalation.acknowledgedBy, SET NULL: a person leaving must never delete a clinical record. Who
 *   wrote or acknowledged stays in the audit trail, which keeps actor ids and has no foreign keys.
 *   Nothing deletes staff today (there is no such command or route); this is what a later one gets.
 *   On SQL Server conversation.assignedStaffId is NO ACTION instead: SQL Server refuses a second
 *   cascading path from one delete to a table, and counts SET NULL as one, so staff_member →
 *   conversation (SET NULL) → message (CASCADE) beside staff_member → message (SET NULL) may be
 *   refused (no SQL Server runs here to try it). There a staff member still assigned a
 *   conversation cannot be deleted until it is handed on, which a leaver's process should do
 *   anyway. (db/database.ts tells TypeORM the same.)
 *
 * No foreign key, on purpose:
 * - outbox_item.messageId: a message on contact channels, an escalation_notice on `teams`.
 * - escalation.messageId: the message that raised it, always in the escalation's own conversation,
 *   whose key already ties the escalation to its fate. A CASCADE here would be a second path from
 *   conversation to escalation (SQL Server refuses it); a NO ACTION would be checked inside the
 *   conversation's own cascade on SQL Server, which cannot be tested here; and the only remedy for
 *   an orphan (an escalation whose message is gone while its conversation stays) would be to delete
 *   a live safety escalation, which is worse than the dangling id.
 * - audit_event, audit_event_service, audit_chain_head: the trail must outlive the rows it speaks of,
 *   so it points at nothing. audit_event_service.auditSeq → audit_event.seq is left undeclared too:
 *   the hash chain already breaks on a link row without its event or an event missing its links
 *   (every row's hash covers its services), and either action would change what tampering looks
 *   like: NO ACTION turns deleting a chained row into an error where `audit verify` names it, and
 *   CASCADE removes the links quietly with it.
 *
 * The cascading actions form no cycle: contact → conversation → {message, note, outbox_item,
 * escalation → escalation_notice}, and staff_member → {service_membership, message, note,
 * escalation → escalation_notice}. With conversation.assignedStaffId NO ACTION on SQL Server, no
 * delete reaches a table there by two paths, even counting SET NULL as SQL Server does.
 *
 * Rows already stored whose parent is gone (nothing enforced it until now) would stop the keys
 * being added, so first, parents before children: a CASCADE orphan is deleted (it is what the
 * cascade would have removed), a SET NULL orphan's reference is set NULL. Deleting orphan
 * conversations orphans their messages, which the later steps then remove, as a cascade would. Only
 * counts are recorded, in one audit event (and a line on stderr): no ids, no content. What was
 * deleted is not restored by `down`.
 *
 * Every foreign key column leads an index: PostgreSQL and SQL Server create none for them, and a
 * parent's delete would scan the child table. The missing ones are added.
 *
 * Raw SQL with bound parameters, not the entities: the entities will move on, this must not.
 */
const KEYS: Key[] = [
  { name: 'fk_membership_staff', table: 'service_membership', column: 'staffId', parent: 'staff_member', onDelete: 'CASCADE' },
  { name: 'fk_conversation_contact', table: 'conversation', column: 'contactId', parent: 'contact', onDelete: 'CASCADE' },
  { name: 'fk_conversation_assigned_staff', table: 'conversation', column: 'assignedStaffId', parent: 'staff_member', onDelete: 'SET NULL' },
  { name: 'fk_message_conversation', table: 'message', column: 'conversationId', parent: 'conversation', onDelete: 'CASCADE' },
  { name: 'fk_message_author_staff', table: 'message', column: 'authorStaffId', parent: 'staff_member', onDelete: 'SET NULL' },
  { name: 'fk_note_conversation', table: 'note', column: 'conversationId', parent: 'conversation', onDelete: 'CASCADE' },
  { name: 'fk_note_author_staff', table: 'note', column: 'authorStaffId', parent: 'staff_member', onDelete: 'SET NULL' },
  { name: 'fk_outbox_conversation', table: 'outbox_item', column: 'conversationId', parent: 'conversation', onDelete: 'CASCADE' },
  { name: 'fk_escalation_conversation', table: 'escalation', column: 'conversationId', parent: 'conversation', onDelete: 'CASCADE' },
  { name: 'fk_escalation_acknowledged_by', table: 'escalation', column: 'acknowledgedBy', parent: 'staff_member', onDelete: 'SET NULL' },
  { name: 'fk_notice_escalation', table: 'escalation_notice', column: 'escalationId', parent: 'escalation', onDelete: 'CASCADE' },
];

/** Foreign key columns that led no index. */
const INDEXES: { table: string; index: TableIndex }[] = [
  { table: 'conversation', index: new TableIndex({ name: 'ix_conversation_assigned_staff', columnNames: ['assignedStaffId'] }) },
  { table: 'message', index: new TableIndex({ name: 'ix_message_author_staff', columnNames: ['authorStaffId'] }) },
  { table: 'note', index: new TableIndex({ name: 'ix_note_author_staff', columnNames: ['authorStaffId'] }) },
  { table: 'outbox_item', index: new TableIndex({ name: 'ix_outbox_conversation', columnNames: ['conversationId'] }) },
  { table: 'escalation', index: new TableIndex({ name: 'ix_escalation_acknowledged_by', columnNames: ['acknowledgedBy'] }) },
];

export class ForeignKeys1764600000000 implements MigrationInterface {
  name = 'ForeignKeys1764600000000';

  async up(q: QueryRunner): Promise<void> {
    const type = q.connection.options.type;
    const handled: Record<string, number> = {};
    for (const key of KEYS) {
      const orphans = await countOrphans(q, key);
      if (orphans === 0) continue;
      await resolveOrphans(q, key);
      handled[`${key.table}.${key.column} ${key.onDelete === 'CASCADE' ? 'deleted' : 'set null'}`] = orphans;
    }

    for (const { table, index } of INDEXES) await q.createIndex(table, index);

    for (const table of [...new Set(KEYS.map((k) => k.table))]) {
      const keys = KEYS.filter((k) => k.table === table).map((k) => new TableForeignKey({
        name: k.name,
        columnNames: [k.column],
        referencedTableName: k.parent,
        referencedColumnNames: ['id'],
        onDelete: type === 'mssql' && k.name === 'fk_conversation_assigned_staff' ? 'NO ACTION' : k.onDelete,
      }));
      // SQLite adds foreign keys by rebuilding the table (TypeORM runs migrations with SQLite's
      // foreign_keys off, so dropping the old copy cascades nothing): all of a table's keys in one
      // rebuild. Elsewhere one ALTER TABLE each, in turn on the one connection.
      if (type === 'better-sqlite3') await q.createForeignKeys(table, keys);
      else for (const key of keys) await q.createForeignKey(table, key);
    }

    // PostgreSQL and SQL Server check the stored rows as each key is added; SQLite does not, so ask it.
    if (type === 'better-sqlite3') {
      const violations = (await q.query('PRAGMA foreign_key_check')) as { table: string }[];
      if (violations.length) throw new Error(`foreign keys violated after clearing orphans, in: ${[...new Set(violations.map((v) => v.table))].join(', ')}`);
    }

    if (Object.keys(handled).length) {
      await appendAuditEvent(q, Date.now(), 'schema.orphans_resolved', handled);
      const summary = Object.entries(handled).map(([what, n]) => `${what}: ${n}`).join('; ');
      process.stderr.write(`ForeignKeys migration: rows whose parent no longer existed (${summary}); recorded in the audit trail\n`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const type = q.connection.options.type;
    for (const table of [...new Set(KEYS.map((k) => k.table))].reverse()) {
      const names = KEYS.filter((k) => k.table === table).map((k) => k.name);
      if (type === 'better-sqlite3') {
        const stored = (await q.getTable(table))!;
        await q.dropForeignKeys(stored, stored.foreignKeys.filter((fk) => names.includes(fk.name!)));
      } else for (const name of names) await q.dropForeignKey(table, name);
    }
    for (const { table, index } of [...INDEXES].reverse()) await q.dropIndex(table, index.name!);
  }
}

function run(q: QueryRunner, sql: string, parameters: ObjectLiteral = {}): Promise<unknown> {
  const [text, values] = q.connection.driver.escapeQueryWithParameters(sql, parameters);
  return q.query(text, values);
}

/** Rows of the key's table whose (non-null) reference matches no parent row. */
function orphanCondition(q: QueryRunner, key: Key): string {
  const e = (name: string) => q.connection.driver.escape(name);
  const child = `${e(key.table)}.${e(key.column)}`;
  return `${child} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${e(key.parent)} p WHERE p.${e('id')} = ${child})`;
}

async function countOrphans(q: QueryRunner, key: Key): Promise<number> {
  const rows = (await run(q, `SELECT COUNT(*) AS orphans FROM ${q.connection.driver.escape(key.table)} WHERE ${orphanCondition(q, key)}`)) as { orphans: number | string }[];
  return Number(rows[0].orphans);
}

/** What the key's ON DELETE would have done, had it been there when the parent went. */
async function resolveOrphans(q: QueryRunner, key: Key): Promise<void> {
  const table = q.connection.driver.escape(key.table);
  if (key.onDelete === 'CASCADE') await run(q, `DELETE FROM ${table} WHERE ${orphanCondition(q, key)}`);
  else await run(q, `UPDATE ${table} SET ${q.connection.driver.escape(key.column)} = NULL WHERE ${orphanCondition(q, key)}`);
}

/**
 * One row at the end of the audit chain, as db/audit-chain.ts appends them (head taken by UPDATE
 * first, then read; version 1 of the row hash), for no service: the operator's view shows it.
 */
async function appendAuditEvent(q: QueryRunner, at: number, action: string, detail: Record<string, number>): Promise<void> {
  const e = (name: string) => q.connection.driver.escape(name);
  await run(q, `UPDATE audit_chain_head SET seq = seq + 1 WHERE id = :id`, { id: AUDIT_CHAIN });
  const [head] = (await run(q, `SELECT seq, hash FROM audit_chain_head WHERE id = :id`, { id: AUDIT_CHAIN })) as { seq: number | string; hash: string }[];
  if (!head) throw new Error('the audit chain head is missing');
  const row = {
    seq: Number(head.seq), id: randomUUID(), at, actorType: 'system' as const, actorId: null, action,
    subjectType: 'database', subjectId: null, services: [], outcome: 'ok' as const, detail: JSON.stringify(detail),
  };
  const hash = auditRowHash(row, head.hash);
  const columns = ['id', 'seq', 'at', 'actorType', 'actorId', 'action', 'subjectType', 'subjectId', 'outcome', 'detail', 'prevHash', 'hash'].map(e).join(', ');
  await run(q, `INSERT INTO audit_event (${columns})
    VALUES (:id, :seq, :at, :actorType, NULL, :action, :subjectType, NULL, :outcome, :detail, :prevHash, :hash)`,
  { id: row.id, seq: row.seq, at, actorType: row.actorType, action, subjectType: row.subjectType, outcome: row.outcome, detail: row.detail, prevHash: head.hash, hash });
  await run(q, `UPDATE audit_chain_head SET hash = :hash WHERE id = :id`, { hash, id: AUDIT_CHAIN });
}
