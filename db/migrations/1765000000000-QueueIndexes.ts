import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Indexes for two lists that sorted every matching row on each call: the closed queue (a
 * service's closed conversations, newest closed first) and the escalations screen's acknowledged
 * ones (newest acknowledged first). Each leads with what the list filters on and ends with what it
 * orders by, so the database reads the first page off the index.
 */
const INDEXES: { table: string; index: TableIndex }[] = [
  { table: 'conversation', index: new TableIndex({ name: 'ix_conversation_closed', columnNames: ['serviceSlug', 'status', 'closedAt'] }) },
  { table: 'escalation', index: new TableIndex({ name: 'ix_escalation_acknowledged', columnNames: ['serviceSlug', 'status', 'acknowledgedAt'] }) },
];

export class QueueIndexes1765000000000 implements MigrationInterface {
  name = 'QueueIndexes1765000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const { table, index } of INDEXES) await q.createIndex(table, index);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { table, index } of [...INDEXES].reverse()) await q.dropIndex(table, index.name!);
  }
}
