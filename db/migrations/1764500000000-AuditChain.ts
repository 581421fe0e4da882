import { MigrationInterface, ObjectLiteral, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { AUDIT_CHAIN, auditRowHash, GENESIS_HASH } from '../audit-chain';
import type { AuditActorType } from '../entities';

const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * The audit trail holds up: every row names the services it concerns (a link table, so a read
 * across three services is found by an admin of any of them), says whether the attempt was allowed
 * (`outcome`), and joins a hash chain in `seq` order with a chain head.
 *
 * Rows already stored are chained here, oldest first (by time, then id), so the whole trail
 * verifies; their services come from the old `serviceSlug` column and, for list and audit reads,
 * from the `services` their detail recorded. An old escalation list read recorded no services and
 * stays unlinked: only the database shows it. The chain vouches for old rows from this migration
 * on, not for what happened to them before. Cost: one UPDATE per stored row, once.
 *
 * Raw SQL with bound parameters, not the entities: the entities will move on, this must not.
 */
export class AuditChain1764500000000 implements MigrationInterface {
  name = 'AuditChain1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('audit_event', [
      new TableColumn({ name: 'seq', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'outcome', type: 'varchar', length: '8', isNullable: true }),
      new TableColumn({ name: 'prevHash', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'hash', type: 'varchar', length: '64', isNullable: true }),
    ]);
    await q.createTable(new Table({
      name: 'audit_event_service',
      columns: [
        { name: 'serviceSlug', type: 'varchar', length: '64', isPrimary: true },
        { name: 'auditSeq', type: 'bigint', isPrimary: true },
      ],
      indices: [new TableIndex({ name: 'ix_audit_service_event', columnNames: ['auditSeq'] })],
    }));
    await q.createTable(new Table({
      name: 'audit_chain_head',
      columns: [
        { name: 'id', type: 'varchar', length: '16', isPrimary: true },
        { name: 'seq', type: 'bigint' },
        { name: 'hash', type: 'varchar', length: '64' },
      ],
    }));

    const head = await chainStoredRows(q);
    await run(q, 'INSERT INTO audit_chain_head (id, seq, hash) VALUES (:id, :seq, :hash)', { id: AUDIT_CHAIN, seq: head.seq, hash: head.hash });

    const table = (await q.getTable('audit_event'))!;
    await q.changeColumns(table, ['seq', 'outcome', 'prevHash', 'hash'].map((name) => {
      const oldColumn = table.findColumnByName(name)!;
      const newColumn = oldColumn.clone();
      newColumn.isNullable = false;
      return { oldColumn, newColumn };
    }));
    await q.dropColumn('audit_event', 'serviceSlug');
    await q.createIndex('audit_event', new TableIndex({ name: 'uq_audit_seq', columnNames: ['seq'], isUnique: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    const e = (name: string) => q.connection.driver.escape(name);
    await q.dropIndex('audit_event', 'uq_audit_seq');
    await q.addColumn('audit_event', new TableColumn({ name: 'serviceSlug', type: 'varchar', length: '64', isNullable: true }));
    // One service per row is all the old schema can hold; the others are lost going down.
    await q.query(`UPDATE audit_event SET ${e('serviceSlug')} = (SELECT MIN(l.${e('serviceSlug')}) FROM audit_event_service l WHERE l.${e('auditSeq')} = audit_event.seq)`);
    await q.dropTable('audit_chain_head');
    await q.dropTable('audit_event_service');
    for (const column of ['hash', 'prevHash', 'outcome', 'seq']) await q.dropColumn('audit_event', column);
  }
}

function run(q: QueryRunner, sql: string, parameters: ObjectLiteral = {}): Promise<unknown> {
  const [text, values] = q.connection.driver.escapeQueryWithParameters(sql, parameters);
  return q.query(text, values);
}

interface StoredRow {
  id: string; at: string | number; actorType: string; actorId: string | null; action: string;
  subjectType: string; subjectId: string | null; serviceSlug: string | null; detail: string | null;
}

async function chainStoredRows(q: QueryRunner): Promise<{ seq: number; hash: string }> {
  const e = (name: string) => q.connection.driver.escape(name);
  const first = (n: number) => (q.connection.driver.options.type === 'mssql' ? `OFFSET 0 ROWS FETCH NEXT ${n} ROWS ONLY` : `LIMIT ${n}`);
  const columns = ['id', 'at', 'actorType', 'actorId', 'action', 'subjectType', 'subjectId', 'serviceSlug', 'detail'].map(e).join(', ');
  let seq = 0;
  let prevHash = GENESIS_HASH;
  let after: { at: number; id: string } | undefined;
  for (;;) {
    const where = after ? `WHERE at > :at OR (at = :at AND id > :id)` : '';
    const rows = (await run(q, `SELECT ${columns} FROM audit_event ${where} ORDER BY at, id ${first(500)}`, after ?? {})) as StoredRow[];
    if (rows.length === 0) return { seq, hash: prevHash };
    for (const row of rows) {
      seq++;
      const at = Number(row.at);
      const services = [row.serviceSlug, ...servicesInDetail(row.detail)].filter((s): s is string => typeof s === 'string' && SLUG.test(s));
      const hash = auditRowHash({
        seq, id: row.id, at, actorType: row.actorType as AuditActorType, actorId: row.actorId, action: row.action,
        subjectType: row.subjectType, subjectId: row.subjectId, services, outcome: 'ok', detail: row.detail,
      }, prevHash);
      await run(q, `UPDATE audit_event SET seq = :seq, outcome = :outcome, ${e('prevHash')} = :prevHash, hash = :hash WHERE id = :id`, { seq, outcome: 'ok', prevHash, hash, id: row.id });
      for (const serviceSlug of new Set(services)) {
        await run(q, `INSERT INTO audit_event_service (${e('serviceSlug')}, ${e('auditSeq')}) VALUES (:serviceSlug, :seq)`, { serviceSlug, seq });
      }
      prevHash = hash;
      after = { at, id: row.id };
    }
  }
}

/** List and audit reads recorded the services they spanned as "a,b,c" in their detail. */
function servicesInDetail(detail: string | null): string[] {
  if (!detail) return [];
  try {
    const parsed = JSON.parse(detail) as { services?: unknown };
    return typeof parsed.services === 'string' ? parsed.services.split(',') : [];
  } catch {
    return [];
  }
}
