import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * Unread is per person: when each member of staff last read each conversation. The team-wide
 * `conversation.lastReadAt` stays (it says whether anyone has read it); what one person has not
 * seen no longer depends on a colleague opening it. Rows already stored start with nobody's reads
 * (so what was unread for the team is unread for each person, and what was read shows once more).
 */
export class PerPersonReads1764900000000 implements MigrationInterface {
  name = 'PerPersonReads1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: 'conversation_read',
      columns: [
        { name: 'conversationId', type: 'varchar', length: '36', isPrimary: true },
        { name: 'staffId', type: 'varchar', length: '36', isPrimary: true },
        { name: 'readAt', type: 'bigint' },
      ],
      indices: [{ name: 'ix_conversation_read_staff', columnNames: ['staffId'] }],
      foreignKeys: [
        { name: 'fk_conversation_read_conversation', columnNames: ['conversationId'], referencedTableName: 'conversation', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        // Two parents, one path each (staff's only path to a conversation is NO ACTION on SQL
        // Server), so both may cascade there too; not tried on SQL Server (none on this machine).
        { name: 'fk_conversation_read_staff', columnNames: ['staffId'], referencedTableName: 'staff_member', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('conversation_read');
  }
}
