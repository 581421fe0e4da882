import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Escalation alerts by text and email (issue 14 item 5): a member of staff's work mobile, sealed
 * like a contact's number, and each alert a ladder step queued for them by text or email, so the
 * escalations screen can say whether it reached them.
 */
export class StaffAlerts1765300000000 implements MigrationInterface {
  name = 'StaffAlerts1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('staff_member', new TableColumn({ name: 'workMobileCipher', type: 'text', isNullable: true }));
    await q.addColumn('staff_member', new TableColumn({ name: 'workMobileKeyId', type: 'varchar', length: '16', isNullable: true }));
    await q.createTable(new Table({
      name: 'staff_alert',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'escalationNoticeId', type: 'varchar', length: '36' },
        { name: 'staffId', type: 'varchar', length: '36' },
        { name: 'medium', type: 'varchar', length: '8' },
        { name: 'createdAt', type: 'bigint' },
      ],
      indices: [
        { name: 'ix_staff_alert_notice', columnNames: ['escalationNoticeId'] },
        { name: 'ix_staff_alert_staff', columnNames: ['staffId'] },
      ],
      // An alert goes with its ladder step (and so with its escalation and conversation) and with its person.
      foreignKeys: [
        { name: 'fk_staff_alert_notice', columnNames: ['escalationNoticeId'], referencedTableName: 'escalation_notice', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { name: 'fk_staff_alert_staff', columnNames: ['staffId'], referencedTableName: 'staff_member', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('staff_alert');
    await q.dropColumn('staff_member', 'workMobileKeyId');
    await q.dropColumn('staff_member', 'workMobileCipher');
  }
}
