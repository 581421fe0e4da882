import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * Web chat through the Direct Line surface: a session per page (bound to one contact of one
 * service) and its activities in order, the young person's echoed posts and what the service sent.
 * Deleting a session deletes its activities.
 */
export class Webchat1764800000000 implements MigrationInterface {
  name = 'Webchat1764800000000';

  async up(q: QueryRunner): Promise<void> {
    const bool = q.connection.driver.options.type === 'mssql' ? 'bit' : 'boolean';
    await q.createTable(new Table({
      name: 'webchat_session',
      columns: [
        { name: 'id', type: 'varchar', length: '40', isPrimary: true },
        { name: 'endpoint', type: 'varchar', length: '64' },
        { name: 'userId', type: 'varchar', length: '40' },
        { name: 'resumeHash', type: 'varchar', length: '64' },
        { name: 'lastSeq', type: 'integer' },
        { name: 'createdAt', type: 'bigint' },
        { name: 'lastActiveAt', type: 'bigint' },
        { name: 'endedAt', type: 'bigint', isNullable: true },
      ],
      indices: [{ name: 'uq_webchat_session_user', columnNames: ['endpoint', 'userId'], isUnique: true }],
    }));
    await q.createTable(new Table({
      name: 'webchat_activity',
      columns: [
        { name: 'sessionId', type: 'varchar', length: '40', isPrimary: true },
        { name: 'seq', type: 'integer', isPrimary: true },
        { name: 'direction', type: 'varchar', length: '3' },
        { name: 'dedupeKey', type: 'varchar', length: '140' },
        { name: 'authorKind', type: 'varchar', length: '16', isNullable: true },
        { name: 'bodyCipher', type: 'text' },
        { name: 'keyId', type: 'varchar', length: '16' },
        { name: 'notRead', type: bool, default: q.connection.driver.options.type === 'postgres' ? 'false' : '0' },
        { name: 'createdAt', type: 'bigint' },
        { name: 'storedAt', type: 'bigint', isNullable: true },
        { name: 'deliveredAt', type: 'bigint', isNullable: true },
      ],
      indices: [
        { name: 'uq_webchat_activity_dedupe', columnNames: ['sessionId', 'dedupeKey'], isUnique: true },
        { name: 'ix_webchat_activity_unstored', columnNames: ['direction', 'storedAt'] },
      ],
      foreignKeys: [{ name: 'fk_webchat_activity_session', columnNames: ['sessionId'], referencedTableName: 'webchat_session', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('webchat_activity');
    await q.dropTable('webchat_session');
  }
}
