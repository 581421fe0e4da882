import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * Written with TypeORM's schema API rather than raw SQL so one migration serves SQLite,
 * PostgreSQL and SQL Server. Column types stay within what all three understand.
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const bool = q.connection.driver.options.type === 'mssql' ? 'bit' : 'boolean';
    const pk = (): TableColumnOptions => ({ name: 'id', type: 'varchar', length: '36', isPrimary: true });
    const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
    const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });

    await q.createTable(new Table({
      name: 'staff_member',
      columns: [pk(), str('email', 320), str('name', 200), str('oid', 64, true), time('createdAt')],
      indices: [
        new TableIndex({ name: 'uq_staff_email', columnNames: ['email'], isUnique: true }),
        new TableIndex({ name: 'ix_staff_oid', columnNames: ['oid'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'service_membership',
      columns: [pk(), ref('staffId'), str('serviceSlug', 64), str('role', 16), time('createdAt')],
      indices: [new TableIndex({ name: 'uq_membership', columnNames: ['staffId', 'serviceSlug'], isUnique: true })],
    }));
    await q.createTable(new Table({
      name: 'contact',
      columns: [pk(), str('channel', 16), str('addressHash', 64), text('addressCipher'), str('keyId', 16), str('consent', 16), time('consentChangedAt', true), time('createdAt')],
      indices: [new TableIndex({ name: 'uq_contact_address', columnNames: ['channel', 'addressHash'], isUnique: true })],
    }));
    await q.createTable(new Table({
      name: 'conversation',
      columns: [
        pk(), str('serviceSlug', 64), ref('contactId'), str('channel', 16), str('endpointAddress', 64), str('status', 16),
        str('openKey', 200), str('riskLevel', 8), ref('assignedStaffId', true), time('createdAt'), time('lastMessageAt'),
        time('lastInboundAt', true), time('awaitingReplySince', true), time('closedAt', true),
      ],
      indices: [
        new TableIndex({ name: 'uq_conversation_open', columnNames: ['openKey'], isUnique: true }),
        new TableIndex({ name: 'ix_conversation_service_status', columnNames: ['serviceSlug', 'status', 'lastMessageAt'] }),
        new TableIndex({ name: 'ix_conversation_contact', columnNames: ['contactId', 'createdAt'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'message',
      columns: [
        pk(), ref('conversationId'), str('channel', 16), str('externalId', 160), str('direction', 3), str('authorKind', 16),
        ref('authorStaffId', true), str('autoReplyKind', 32, true), text('bodyCipher'), str('keyId', 16), time('createdAt'),
      ],
      indices: [
        new TableIndex({ name: 'uq_message_external', columnNames: ['channel', 'externalId'], isUnique: true }),
        new TableIndex({ name: 'ix_message_conversation', columnNames: ['conversationId', 'createdAt'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'outbox_item',
      columns: [
        pk(), ref('messageId'), ref('conversationId'), str('channel', 16), str('status', 16),
        { name: 'consentNotice', type: bool, default: q.connection.driver.options.type === 'postgres' ? 'false' : '0' },
        { name: 'attempts', type: 'integer' }, time('nextAttemptAt'), time('lockedUntil', true), str('lastError', 500, true),
        str('providerMessageId', 160, true), str('providerStatus', 32, true), time('createdAt'), time('updatedAt'),
      ],
      indices: [
        new TableIndex({ name: 'ix_outbox_due', columnNames: ['status', 'nextAttemptAt'] }),
        new TableIndex({ name: 'ix_outbox_provider', columnNames: ['channel', 'providerMessageId'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'audit_event',
      columns: [
        pk(), time('at'), str('actorType', 16), ref('actorId', true), str('action', 64), str('subjectType', 32),
        str('subjectId', 64, true), str('serviceSlug', 64, true), text('detail', true),
      ],
      indices: [
        new TableIndex({ name: 'ix_audit_subject', columnNames: ['subjectType', 'subjectId', 'at'] }),
        new TableIndex({ name: 'ix_audit_actor', columnNames: ['actorId', 'at'] }),
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_event', 'outbox_item', 'message', 'conversation', 'contact', 'service_membership', 'staff_member']) {
      await q.dropTable(table);
    }
  }
}
