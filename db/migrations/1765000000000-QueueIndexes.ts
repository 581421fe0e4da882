import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Outbox order across a long outage (OutboxItem.holdsLater), and indexes for two lists that sorted every matching row on each call: the closed queue (a
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
    // A reply that failed after the whole retry window holds the later rows of its conversation (OutboxItem.holdsLater).
    const bool = q.connection.driver.options.type === 'mssql' ? 'bit' : 'boolean';
    await q.addColumn('outbox_item', new TableColumn({ name: 'holdsLater', type: bool, default: q.connection.driver.options.type === 'postgres' ? 'false' : '0' }));
    // A Retry starts a new retry window without moving the row in its conversation's order (createdAt).
    await q.addColumn('outbox_item', new TableColumn({ name: 'retryFrom', type: 'bigint', isNullable: true }));
    // Safety texts first when several sends are due (OutboxItem.priority).
    await q.addColumn('outbox_item', new TableColumn({ name: 'priority', type: 'integer', default: 0 }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('outbox_item', 'priority');
    await q.dropColumn('outbox_item', 'retryFrom');
    await q.dropColumn('outbox_item', 'holdsLater');
    for (const { table, index } of [...INDEXES].reverse()) await q.dropIndex(table, index.name!);
  }
}
