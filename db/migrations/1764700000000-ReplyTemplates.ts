import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A WhatsApp reply sent after the contact's 24-hour window closed goes inside the service's
 * approved template: the outbox row records which, so the inbox can say why the contact saw it
 * wrapped. Rows already stored were all free text (null).
 */
export class ReplyTemplates1764700000000 implements MigrationInterface {
  name = 'ReplyTemplates1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('outbox_item', new TableColumn({ name: 'templateName', type: 'varchar', length: '512', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('outbox_item', 'templateName');
  }
}
