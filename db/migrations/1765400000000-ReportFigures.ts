import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { rebuildStatements } from '../report-hours';

/**
 * Report figures kept as records are written (issue 15): messages per service and hour
 * (report_hour), and on each conversation its first clinician reply, its first out-of-hours
 * auto-reply and whether its contact had one before, under a covering index. Filled from the
 * records already there.
 */
export class ReportFigures1765400000000 implements MigrationInterface {
  name = 'ReportFigures1765400000000';

  async up(q: QueryRunner): Promise<void> {
    const type = q.connection.driver.options.type;
    const dialect = type === 'postgres' ? 'postgres' : type === 'mssql' ? 'mssql' : 'sqlite';
    const bool = dialect === 'mssql' ? 'bit' : 'boolean';
    const no = dialect === 'postgres' ? 'false' : '0';
    await q.createTable(new Table({
      name: 'report_hour',
      columns: [
        { name: 'serviceSlug', type: 'varchar', length: '64', isPrimary: true },
        { name: 'hour', type: 'integer', isPrimary: true },
        { name: 'direction', type: 'varchar', length: '3', isPrimary: true },
        { name: 'channel', type: 'varchar', length: '16', isPrimary: true },
        { name: 'risk', type: 'varchar', length: '8', isPrimary: true },
        { name: 'messages', type: 'integer' },
      ],
    }));
    await q.addColumns('conversation', [
      new TableColumn({ name: 'firstReplyAt', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'outOfHoursAt', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'repeatContact', type: bool, default: no }),
    ]);
    for (const statement of rebuildStatements(dialect)) await q.query(statement);
    // Opt-outs in a period, without reading every contact.
    await q.createIndex('contact', new TableIndex({ name: 'ix_contact_consent', columnNames: ['consent', 'consentChangedAt'] }));
    await q.createIndex('conversation', new TableIndex({ name: 'ix_conversation_report', columnNames: ['serviceSlug', 'createdAt', 'firstReplyAt', 'outOfHoursAt', 'repeatContact'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('conversation', 'ix_conversation_report');
    await q.dropIndex('contact', 'ix_contact_consent');
    await q.dropColumn('conversation', 'repeatContact');
    await q.dropColumn('conversation', 'outOfHoursAt');
    await q.dropColumn('conversation', 'firstReplyAt');
    await q.dropTable('report_hour');
  }
}
