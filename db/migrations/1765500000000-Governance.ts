import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Retention and subject access (issue 15): legal holds, and where the audit trail starts once
 * retention has removed rows from its old end (the seq and hash the first kept row links to).
 */
export class Governance1765500000000 implements MigrationInterface {
  name = 'Governance1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('audit_chain_head', new TableColumn({ name: 'startSeq', type: 'bigint', default: 0 }));
    await q.addColumn('audit_chain_head', new TableColumn({ name: 'startHash', type: 'varchar', length: '64', default: `'${'0'.repeat(64)}'` }));
    await q.createTable(new Table({
      name: 'legal_hold',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'subjectType', type: 'varchar', length: '16' },
        { name: 'subjectId', type: 'varchar', length: '36' },
        { name: 'reason', type: 'varchar', length: '500' },
        { name: 'placedBy', type: 'varchar', length: '200' },
        { name: 'placedAt', type: 'bigint' },
        { name: 'releasedAt', type: 'bigint', isNullable: true },
        { name: 'releasedBy', type: 'varchar', length: '200', isNullable: true },
        { name: 'releaseReason', type: 'varchar', length: '500', isNullable: true },
      ],
      indices: [{ name: 'ix_legal_hold_subject', columnNames: ['subjectType', 'subjectId', 'releasedAt'] }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('legal_hold');
    await q.dropColumn('audit_chain_head', 'startHash');
    await q.dropColumn('audit_chain_head', 'startSeq');
  }
}
