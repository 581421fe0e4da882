import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/** What the clinician inbox needs: notes, outcomes, the clinical-record flag, read markers, blocking. */
export class InboxActions1764200000000 implements MigrationInterface {
  name = 'InboxActions1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('contact', new TableColumn({ name: 'blockedAt', type: 'bigint', isNullable: true }));
    await q.addColumns('conversation', [
      new TableColumn({ name: 'outcome', type: 'varchar', length: '40', isNullable: true }),
      new TableColumn({ name: 'recordedAt', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'lastReadAt', type: 'bigint', isNullable: true }),
    ]);
    await q.createTable(new Table({
      name: 'note',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'conversationId', type: 'varchar', length: '36' },
        { name: 'authorStaffId', type: 'varchar', length: '36', isNullable: true },
        { name: 'kind', type: 'varchar', length: '16' },
        { name: 'bodyCipher', type: 'text' },
        { name: 'keyId', type: 'varchar', length: '16' },
        { name: 'createdAt', type: 'bigint' },
      ],
      indices: [new TableIndex({ name: 'ix_note_conversation', columnNames: ['conversationId', 'createdAt'] })],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('note');
    await q.dropColumn('conversation', 'lastReadAt');
    await q.dropColumn('conversation', 'recordedAt');
    await q.dropColumn('conversation', 'outcome');
    await q.dropColumn('contact', 'blockedAt');
  }
}
