import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Duty leads in Teams (issue 14): each escalation's card in the duty-lead channel, with the Teams
 * message id to update; the Teams users the bot has met, for the card's refresh list and their
 * personal chat with the bot; personal notices to staff, and whether they muted the non-urgent ones;
 * and the channel each service's cards go to, linked by a command in the channel.
 */
export class TeamsCards1765200000000 implements MigrationInterface {
  name = 'TeamsCards1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: 'teams_card',
      columns: [
        { name: 'escalationId', type: 'varchar', length: '36', isPrimary: true },
        { name: 'conversationId', type: 'varchar', length: '36' },
        { name: 'channelId', type: 'varchar', length: '200' },
        { name: 'activityId', type: 'varchar', length: '200', isNullable: true },
        { name: 'createdAt', type: 'bigint' },
        { name: 'updatedAt', type: 'bigint' },
      ],
      indices: [{ name: 'ix_teams_card_conversation', columnNames: ['conversationId'] }],
      // The card goes with its escalation (which goes with its conversation).
      foreignKeys: [{ name: 'fk_teams_card_escalation', columnNames: ['escalationId'], referencedTableName: 'escalation', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    }));
    await q.createTable(new Table({
      name: 'teams_user',
      columns: [
        { name: 'aadObjectId', type: 'varchar', length: '64', isPrimary: true },
        { name: 'teamsUserId', type: 'varchar', length: '200' },
        { name: 'personalReference', type: 'text', isNullable: true },
        { name: 'updatedAt', type: 'bigint' },
      ],
    }));
    const bool = q.connection.driver.options.type === 'mssql' ? 'bit' : 'boolean';
    const no = q.connection.driver.options.type === 'postgres' ? 'false' : '0';
    await q.addColumn('staff_member', new TableColumn({ name: 'muteNonUrgent', type: bool, default: no }));
    await q.createTable(new Table({
      name: 'staff_notice',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'staffId', type: 'varchar', length: '36' },
        { name: 'conversationId', type: 'varchar', length: '36' },
        { name: 'kind', type: 'varchar', length: '16' },
        { name: 'serviceSlug', type: 'varchar', length: '64' },
        { name: 'actorStaffId', type: 'varchar', length: '36', isNullable: true },
        { name: 'detail', type: 'varchar', length: '40', isNullable: true },
        { name: 'urgent', type: bool, default: no },
        { name: 'escalationNoticeId', type: 'varchar', length: '36', isNullable: true },
        { name: 'createdAt', type: 'bigint' },
      ],
      indices: [
        { name: 'ix_staff_notice_staff', columnNames: ['staffId', 'createdAt'] },
        { name: 'ix_staff_notice_conversation', columnNames: ['conversationId'] },
        { name: 'ix_staff_notice_escalation_notice', columnNames: ['escalationNoticeId'] },
      ],
      // A notice goes with the person it was for and with its conversation (two cascade paths to
      // the notice from staff, as for conversation_read; not tried on SQL Server).
      foreignKeys: [
        { name: 'fk_staff_notice_staff', columnNames: ['staffId'], referencedTableName: 'staff_member', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { name: 'fk_staff_notice_conversation', columnNames: ['conversationId'], referencedTableName: 'conversation', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { name: 'fk_staff_notice_escalation_notice', columnNames: ['escalationNoticeId'], referencedTableName: 'escalation_notice', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
    }));
    await q.createTable(new Table({
      name: 'service_channel',
      columns: [
        { name: 'serviceSlug', type: 'varchar', length: '64', isPrimary: true },
        { name: 'channelId', type: 'varchar', length: '200' },
        { name: 'channelName', type: 'varchar', length: '200', isNullable: true },
        { name: 'teamName', type: 'varchar', length: '200', isNullable: true },
        { name: 'linkedBy', type: 'varchar', length: '36', isNullable: true },
        { name: 'linkedAt', type: 'bigint' },
      ],
      // Who linked it is kept while they are; the link outlives their record.
      foreignKeys: [{ name: 'fk_service_channel_linked_by', columnNames: ['linkedBy'], referencedTableName: 'staff_member', referencedColumnNames: ['id'], onDelete: 'SET NULL' }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('service_channel');
    await q.dropTable('staff_notice');
    await q.dropColumn('staff_member', 'muteNonUrgent');
    await q.dropTable('teams_user');
    await q.dropTable('teams_card');
  }
}
