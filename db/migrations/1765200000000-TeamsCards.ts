import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * Cards that update in place (issue 14): each escalation's card in the duty-lead channel, with the
 * Teams message id to update; and the Teams users the bot has met, for the card's refresh list and
 * their personal chat with the bot.
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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('teams_user');
    await q.dropTable('teams_card');
  }
}
