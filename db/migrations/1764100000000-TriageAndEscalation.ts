import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/** Triage results on messages, escalations and their notices. */
export class TriageAndEscalation1764100000000 implements MigrationInterface {
  name = 'TriageAndEscalation1764100000000';

  async up(q: QueryRunner): Promise<void> {
    const bool = q.connection.driver.options.type === 'mssql' ? 'bit' : 'boolean';
    await q.addColumns('message', [
      new TableColumn({ name: 'riskLevel', type: 'varchar', length: '8', isNullable: true }),
      new TableColumn({ name: 'triageCipher', type: 'text', isNullable: true }),
    ]);
    await q.createTable(new Table({
      name: 'escalation',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'conversationId', type: 'varchar', length: '36' },
        { name: 'serviceSlug', type: 'varchar', length: '64' },
        { name: 'messageId', type: 'varchar', length: '36' },
        { name: 'status', type: 'varchar', length: '16' },
        { name: 'step', type: 'integer' },
        { name: 'nextDueAt', type: 'bigint', isNullable: true },
        { name: 'categories', type: 'varchar', length: '200' },
        { name: 'messageCount', type: 'integer' },
        { name: 'createdAt', type: 'bigint' },
        { name: 'acknowledgedAt', type: 'bigint', isNullable: true },
        { name: 'acknowledgedBy', type: 'varchar', length: '36', isNullable: true },
      ],
      indices: [
        new TableIndex({ name: 'ix_escalation_due', columnNames: ['status', 'nextDueAt'] }),
        new TableIndex({ name: 'ix_escalation_service', columnNames: ['serviceSlug', 'status', 'createdAt'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'escalation_notice',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'escalationId', type: 'varchar', length: '36' },
        { name: 'step', type: 'integer' },
        { name: 'level', type: 'integer' },
        { name: 'round', type: 'integer' },
        { name: 'final', type: bool },
        { name: 'recipients', type: 'text' },
        { name: 'createdAt', type: 'bigint' },
      ],
      indices: [new TableIndex({ name: 'ix_notice_escalation', columnNames: ['escalationId', 'step'] })],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('escalation_notice');
    await q.dropTable('escalation');
    await q.dropColumn('message', 'triageCipher');
    await q.dropColumn('message', 'riskLevel');
  }
}
