import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Every high-risk message looks up its conversation's open escalation, and every inbox list asks
 * which conversations are escalated: both by conversation id, which had no index.
 */
export class EscalationByConversation1764400000000 implements MigrationInterface {
  name = 'EscalationByConversation1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('escalation', new TableIndex({ name: 'ix_escalation_conversation', columnNames: ['conversationId', 'status'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('escalation', 'ix_escalation_conversation');
  }
}
