import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Conversation references of the Teams channels the bot posts escalation cards to. */
export class TeamsChannels1764300000000 implements MigrationInterface {
  name = 'TeamsChannels1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: 'teams_channel',
      columns: [
        { name: 'channelId', type: 'varchar', length: '200', isPrimary: true },
        { name: 'reference', type: 'text' },
        { name: 'updatedAt', type: 'bigint' },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('teams_channel');
  }
}
