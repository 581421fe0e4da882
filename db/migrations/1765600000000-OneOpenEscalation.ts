import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * One open escalation per conversation (issue 16): a partial unique index, so several high-risk
 * messages arriving together on PostgreSQL can no longer each start an escalation and a ladder.
 *
 * Conversations that already have more than one open (or exhausted) escalation are merged into
 * the oldest first: it takes the others' message counts and categories, their alerts (ladder
 * steps, with the people alerted) move to it, and the others go (with their Teams card rows: the
 * cards already posted stay in Teams). Counts only go to stderr.
 */
export class OneOpenEscalation1765600000000 implements MigrationInterface {
  name = 'OneOpenEscalation1765600000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.driver.options.type === 'postgres';
    const p = (n: number) => (pg ? `$${n}` : q.connection.driver.options.type === 'mssql' ? `@${n - 1}` : '?');
    const rows = (await q.query(`SELECT id, "conversationId", categories, "messageCount", "createdAt" FROM escalation WHERE status IN ('open', 'exhausted') ORDER BY "conversationId", "createdAt", id`)) as { id: string; conversationId: string; categories: string; messageCount: number | string }[];
    const byConversation = new Map<string, typeof rows>();
    for (const row of rows) byConversation.set(row.conversationId, [...(byConversation.get(row.conversationId) ?? []), row]);
    let merged = 0;
    for (const [, group] of byConversation) {
      if (group.length < 2) continue;
      const [kept, ...others] = group;
      const categories = [...new Set(group.flatMap((e) => e.categories.split(',').filter(Boolean)))].join(',').slice(0, 200);
      const count = group.reduce((n, e) => n + Number(e.messageCount), 0);
      await q.query(`UPDATE escalation SET categories = ${p(1)}, "messageCount" = ${p(2)} WHERE id = ${p(3)}`, [categories, count, kept.id]);
      for (const other of others) {
        await q.query(`UPDATE escalation_notice SET "escalationId" = ${p(1)} WHERE "escalationId" = ${p(2)}`, [kept.id, other.id]);
        await q.query(`DELETE FROM teams_card WHERE "escalationId" = ${p(1)}`, [other.id]);
        await q.query(`DELETE FROM escalation WHERE id = ${p(1)}`, [other.id]);
        merged++;
      }
    }
    if (merged) process.stderr.write(`OneOpenEscalation migration: ${merged} duplicate open escalation(s) merged into the oldest of their conversation\n`);
    await q.createIndex('escalation', new TableIndex({ name: 'uq_escalation_open', columnNames: ['conversationId'], isUnique: true, where: `"status" IN ('open', 'exhausted')` }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('escalation', 'uq_escalation_open');
  }
}
