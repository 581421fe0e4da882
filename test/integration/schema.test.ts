import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { recordAudit } from '../../bot/audit/record';
import { verifyAuditChain } from '../../db/audit-chain';
import { Database, describeDatabaseUrl } from '../../db/database';
import { AuditEvent, AuditEventService, Contact, Conversation, Escalation, EscalationNotice } from '../../db/entities';
import { ClinicianConversations } from '../../bot/inbox/conversations';
import { Reports } from '../../bot/reports/reports';
import { loadConfig, ServiceDirectory } from '../../bot/config/services';
import { Keyring } from '../../db/crypto';
import { sealContactAddress } from '../../db/sealed-fields';
import type { StaffIdentity } from '../../bot/identity';
import { migrations } from '../../db/migrations';
import { native } from '../../db/rows';
import { inboundLookupSql } from '../../bot/gateway/inbound';
import { CLAIM_SQL } from '../../bot/outbox/worker';
import { AuditChain1764500000000 } from '../../db/migrations/1764500000000-AuditChain';
import { OneOpenEscalation1765600000000 } from '../../db/migrations/1765600000000-OneOpenEscalation';
import { scratchDatabase, TEST_DIALECT } from '../support/database';

/**
 * The migrations are the schema outside tests; the entities are what the code believes. TypeORM's
 * schema builder says what it would change to make the database match the entities: after all
 * migrations, nothing.
 */
/** The database's plan for a statement in the driver's own SQL: on PostgreSQL with sequential scans priced out, as an empty table is cheapest read whole. */
async function planOf(db: Database, sql: string, parameters: unknown[]): Promise<string> {
  if (db.dialect === 'sqlite') return (await db.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, parameters)).map((r: { detail: string }) => r.detail).join('\n');
  const runner = db.dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    await runner.query('SET LOCAL enable_seqscan = off');
    const plan = (await runner.query(`EXPLAIN ${sql}`, parameters)).map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
    await runner.rollbackTransaction();
    return plan;
  } finally {
    await runner.release();
  }
}

describe(`the schema (${TEST_DIALECT})`, () => {
  it('when every migration has run, then the database matches the entities exactly', async () => {
    const scratch = await scratchDatabase();
    const db = await Database.open(scratch.url);
    try {
      await db.migrate();
      const pending = await db.dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).to.deep.equal([]);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it('the closed queue and the acknowledged escalations read their first page off an index, not a sort of every row (EXPLAIN)', async () => {
    const scratch = await scratchDatabase();
    const db = await Database.open(scratch.url);
    try {
      await db.migrate();
      const lists = [
        { index: 'ix_conversation_closed', query: db.manager.createQueryBuilder(Conversation, 'c').where('c.serviceSlug IN (:...s)', { s: ['school-nursing'] }).andWhere('c.status = :st', { st: 'closed' }).orderBy('c.closedAt', 'DESC').take(50) },
        { index: 'ix_escalation_acknowledged', query: db.manager.createQueryBuilder(Escalation, 'e').where('e.serviceSlug IN (:...s)', { s: ['school-nursing'] }).andWhere('e.status = :st', { st: 'acknowledged' }).orderBy('e.acknowledgedAt', 'DESC').take(100) },
      ];
      for (const { index, query } of lists) {
        const [sql, parameters] = query.getQueryAndParameters();
        const plan = await planOf(db, sql, parameters);
        if (TEST_DIALECT === 'sqlite') expect(plan, plan).to.contain(index).and.not.contain('TEMP B-TREE');
        else expect(plan, plan).to.contain(index).and.not.match(/^\s*(->\s*)?Sort\b/m);
      }
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it('the statements every message and every send run (the inbound lookup, the outbox claim) find their rows by index, never by scanning a table (EXPLAIN)', async () => {
    const scratch = await scratchDatabase();
    const db = await Database.open(scratch.url);
    try {
      await db.migrate();
      const id = randomUUID();
      const statements = [
        { name: 'inbound lookup', text: inboundLookupSql(db.manager), parameters: ['sms', 'SM1', 'sms', 'hash', ':school-nursing:sms'], indexes: ['uq_message_external', 'uq_contact_address', 'uq_conversation_open'] },
        { name: 'outbox claim', text: CLAIM_SQL, parameters: [1, 1, 1, id, 0, 1, 1, 0, id, 'sms', id, 1, 1, id, true], indexes: ['ix_outbox_conversation'] },
      ];
      for (const { name, text, parameters, indexes } of statements) {
        const bound = parameters.map((p) => (typeof p === 'boolean' && db.dialect === 'sqlite' ? Number(p) : p));
        const plan = await planOf(db, native(db.dialect, text), bound);
        for (const index of indexes) expect(plan, `${name}:\n${plan}`).to.contain(index);
        if (TEST_DIALECT === 'sqlite') expect(plan, `${name}:\n${plan}`).not.to.match(/\bSCAN (message|contact|conversation|outbox_item|earlier|m|c|v)\b/);
        else expect(plan, `${name}:\n${plan}`).not.to.contain('Seq Scan');
      }
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it('every statement of the inbox list, in every queue, reads conversations off an index in the order shown, never scanning or sorting them all (EXPLAIN of what list() ran)', async () => {
    const scratch = await scratchDatabase();
    const db = await Database.open(scratch.url);
    try {
      await db.migrate();
      const keyring = new Keyring(randomBytes(32));
      const conversations = new ClinicianConversations({ db, keyring, directory: new ServiceDirectory(loadConfig()), now: Date.now });
      const staff: StaffIdentity = { id: randomUUID(), email: 'plan@example.nhs.uk', name: 'Plan', memberships: [{ serviceSlug: 'school-nursing', role: 'clinician' }, { serviceSlug: 'sexual-health', role: 'clinician' }] };
      // An open escalation, so the escalated queue runs its list too.
      const contactId = randomUUID();
      const conversationId = randomUUID();
      await db.transaction(async (tx) => {
        await tx.insert(Contact, { id: contactId, channel: 'sms', addressHash: 'h', ...sealContactAddress(keyring, contactId, '+447700900555'), consent: 'active', consentChangedAt: null, createdAt: 1, blockedAt: null });
        await tx.insert(Conversation, { id: conversationId, serviceSlug: 'school-nursing', contactId, channel: 'sms', endpointAddress: '+447700900101', status: 'open', openKey: 'open:x', riskLevel: 'high', assignedStaffId: null, createdAt: 1, lastMessageAt: 1, lastInboundAt: 1, awaitingReplySince: 1, closedAt: null, outcome: null, recordedAt: null, lastReadAt: null });
        await tx.insert(Escalation, { id: randomUUID(), conversationId, serviceSlug: 'school-nursing', messageId: randomUUID(), status: 'open', step: 1, nextDueAt: 2, categories: 'overdose', messageCount: 1, createdAt: 1, acknowledgedAt: null, acknowledgedBy: null });
      });
      const ran: { sql: string; parameters: unknown[] }[] = [];
      const logQuery = db.dataSource.logger.logQuery.bind(db.dataSource.logger);
      db.dataSource.logger.logQuery = (sql, parameters, runner) => {
        if (/^\s*SELECT/i.test(sql) && /"conversation"/.test(sql)) ran.push({ sql, parameters: (parameters as unknown[] | undefined) ?? [] });
        return logQuery(sql, parameters, runner);
      };
      for (const queue of ['open', 'escalated', 'unassigned', 'mine']) {
        ran.length = 0;
        const listed = await conversations.list(staff, { queue });
        if (queue !== 'mine') expect(listed.conversations.map((c) => c.id), queue).to.deep.equal([conversationId]);
        expect(ran.length, queue).to.be.at.least(3);
        for (const { sql, parameters } of ran) {
          const plan = await planOf(db, sql, parameters);
          const where = `${queue}: ${sql}\n${plan}`;
          if (process.env.SHOW_PLANS) console.log(where);
          if (TEST_DIALECT === 'sqlite') {
            expect(plan, where).not.to.match(/\bSCAN (c|conversation)\b/);
            expect(plan, where).not.to.contain('USE TEMP B-TREE FOR ORDER BY');
          } else {
            expect(plan, where).not.to.match(/Seq Scan on conversation/);
          }
        }
        // The page itself comes off the open-queue index.
        const plans = await Promise.all(ran.map((r) => planOf(db, r.sql, r.parameters)));
        expect(plans.filter((p) => p.includes('ix_conversation_open_queue')).length, queue).to.be.at.least(1);
      }
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it('a report reads the kept figures off indexes (report_hour by its key, conversations off ix_conversation_report alone), never the messages (EXPLAIN of what compute() ran)', async () => {
    const scratch = await scratchDatabase({ migrated: true });
    const db = await Database.open(scratch.url);
    try {
      await db.migrate();
      const directory = new ServiceDirectory(loadConfig());
      const reports = new Reports({ db, directory, now: Date.now });
      const ran: { sql: string; parameters: unknown[] }[] = [];
      const logQuery = db.dataSource.logger.logQuery.bind(db.dataSource.logger);
      db.dataSource.logger.logQuery = (sql, parameters, runner) => {
        if (/^\s*SELECT/i.test(sql)) ran.push({ sql, parameters: (parameters as unknown[] | undefined) ?? [] });
        return logQuery(sql, parameters, runner);
      };
      const services = directory.services.filter((s) => s.slug === 'school-nursing');
      await reports.compute({ services: ['school-nursing'], from: '2025-12-01', to: '2026-11-30', bucket: 'month' }, services);
      const plans = await Promise.all(ran.map(async (r) => ({ sql: r.sql, plan: await planOf(db, r.sql, r.parameters) })));
      if (process.env.SHOW_PLANS) for (const p of plans) console.log(`${p.sql}\n${p.plan}`);
      expect(plans.some((p) => /FROM message\b/.test(p.sql)), 'a report reads no messages').to.equal(false);
      const hours = plans.find((p) => /FROM report_hour/.test(p.sql))!;
      const started = plans.find((p) => /"repeatContact"/.test(p.sql))!;
      if (TEST_DIALECT === 'sqlite') {
        expect(hours.plan).to.match(/SEARCH report_hour USING (COVERING )?INDEX/);
        expect(started.plan).to.contain('USING COVERING INDEX ix_conversation_report');
        expect(plans.find((p) => /FROM contact/.test(p.sql))!.plan).to.contain('ix_contact_consent');
      } else {
        expect(hours.plan).to.match(/Index (Only )?Scan using .*report_hour/);
        expect(started.plan).to.match(/Index Only Scan using ix_conversation_report/);
      }
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it('when audit rows were stored before the chain, then the migration chains them in time order and links the services they named', async () => {
    const scratch = await scratchDatabase();
    const before = new DataSource({ ...describeDatabaseUrl(scratch.url).options, migrations: migrations.slice(0, migrations.indexOf(AuditChain1764500000000)), logging: false });
    const old = [
      { at: 1000, action: 'conversation.read', serviceSlug: 'school-nursing', detail: '{"messages":2}' },
      { at: 2000, action: 'conversation.list', serviceSlug: null, detail: '{"services":"school-nursing,health-visiting","queue":"open","count":1}' },
      { at: 2000, action: 'escalation.list', serviceSlug: null, detail: '{"count":0}' },
      { at: 3000, action: 'staff.add', serviceSlug: 'sexual-health', detail: null },
    ].map((row) => ({ id: randomUUID(), actorType: 'staff', actorId: randomUUID(), subjectType: 'service', subjectId: null, ...row }));
    const db = await (async () => {
      await before.initialize();
      try {
        await before.runMigrations({ transaction: 'each' });
        for (const row of [...old].reverse()) await before.createQueryBuilder().insert().into('audit_event').values(row).execute();
      } finally {
        await before.destroy();
      }
      return Database.open(scratch.url);
    })();
    try {
      // The chain migration and every one after it.
      expect(await db.migrate()).to.deep.equal(migrations.slice(migrations.indexOf(AuditChain1764500000000)).map((m) => m.name));
      const chained = await db.manager.find(AuditEvent, { order: { seq: 'ASC' } });
      const sameTime = [old[1].id, old[2].id].sort();
      expect(chained.map((r) => r.id)).to.deep.equal([old[0].id, ...sameTime, old[3].id]);
      expect(chained.map((r) => r.outcome)).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
      const links = await db.manager.find(AuditEventService);
      const servicesOf = (id: string) => links.filter((l) => l.auditSeq === chained.find((r) => r.id === id)!.seq).map((l) => l.serviceSlug).sort();
      expect(old.map((r) => servicesOf(r.id))).to.deep.equal([['school-nursing'], ['health-visiting', 'school-nursing'], [], ['sexual-health']]);
      expect(await verifyAuditChain(db.manager)).to.deep.include({ intact: true, count: 4 });
      await db.transaction((tx) => recordAudit(tx, 4000, { actorType: 'operator', action: 'staff.add', subjectType: 'staff', services: ['school-nursing'] }));
      expect(await verifyAuditChain(db.manager)).to.deep.include({ intact: true, count: 5 });
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it('when a conversation already has several open escalations, then the migration merges them into the oldest (counts, categories, alerts) before one open escalation per conversation is enforced', async () => {
    const scratch = await scratchDatabase();
    const before = new DataSource({ ...describeDatabaseUrl(scratch.url).options, migrations: migrations.slice(0, migrations.indexOf(OneOpenEscalation1765600000000)), logging: false });
    const contactId = randomUUID();
    const conversationId = randomUUID();
    const escalations = [100, 200, 300].map((createdAt, i) => ({
      id: randomUUID(), conversationId, serviceSlug: 'school-nursing', messageId: randomUUID(), status: i === 2 ? 'exhausted' : 'open', step: 1, nextDueAt: 5000,
      categories: ['overdose', 'suicide', 'overdose,self-harm'][i], messageCount: i + 1, createdAt, acknowledgedAt: null, acknowledgedBy: null,
    }));
    const acknowledged = { ...escalations[0], id: randomUUID(), status: 'acknowledged', createdAt: 50, acknowledgedAt: 60 };
    await before.initialize();
    try {
      await before.runMigrations({ transaction: 'each' });
      await before.createQueryBuilder().insert().into('contact').values({ id: contactId, channel: 'sms', addressHash: 'h', addressCipher: 'x', keyId: 'k', consent: 'active', consentChangedAt: null, createdAt: 1, blockedAt: null }).execute();
      await before.createQueryBuilder().insert().into('conversation').values({ id: conversationId, serviceSlug: 'school-nursing', contactId, channel: 'sms', endpointAddress: '+447700900101', status: 'open', openKey: 'open:x', riskLevel: 'high', assignedStaffId: null, createdAt: 1, lastMessageAt: 1, lastInboundAt: 1, awaitingReplySince: 1, closedAt: null, outcome: null, recordedAt: null, lastReadAt: null }).execute();
      for (const e of [acknowledged, ...escalations]) await before.createQueryBuilder().insert().into('escalation').values(e).execute();
      for (const e of escalations) await before.createQueryBuilder().insert().into('escalation_notice').values({ id: randomUUID(), escalationId: e.id, step: 1, level: 1, round: 1, final: false, recipients: '', createdAt: e.createdAt }).execute();
    } finally {
      await before.destroy();
    }
    const db = await Database.open(scratch.url);
    try {
      await db.migrate();
      const left = await db.manager.find(Escalation, { order: { createdAt: 'ASC' } });
      expect(left.map((e) => [e.id, e.status])).to.deep.equal([[acknowledged.id, 'acknowledged'], [escalations[0].id, 'open']]);
      expect(left[1]).to.include({ messageCount: 6, categories: 'overdose,suicide,self-harm' });
      expect(await db.manager.countBy(EscalationNotice, { escalationId: escalations[0].id })).to.equal(3);
      await db.manager.update(Escalation, { id: escalations[0].id }, { status: 'exhausted' });
      let refused: unknown;
      try {
        await db.manager.insert(Escalation, { ...escalations[1], status: 'open' });
      } catch (error) {
        refused = error;
      }
      expect(refused, 'a second open escalation for the conversation').to.be.instanceOf(Error);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it('instances starting together on an empty PostgreSQL take turns at the migrations: each applied once, every start succeeds', async function () {
    if (TEST_DIALECT !== 'postgres') this.skip();
    const scratch = await scratchDatabase();
    const dbs = await Promise.all([1, 2, 3].map(() => Database.open(scratch.url)));
    try {
      const applied = await Promise.all(dbs.map((db) => db.migrate()));
      expect(applied.flat().sort()).to.deep.equal(migrations.map((m) => m.name).sort());
      const pending = await dbs[0].dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).to.deep.equal([]);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await scratch.drop();
    }
  });
});
