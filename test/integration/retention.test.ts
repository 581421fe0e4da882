import { expect } from 'chai';
import { verifyAuditChain } from '../../db/audit-chain';
import { AuditEvent, Contact, Conversation, EscalationNotice, Message, Note, OutboxItem, ReportHour, Escalation } from '../../db/entities';
import { rebuildReportFigures } from '../../db/report-hours';
import { LegalHolds } from '../../bot/governance/records';
import { Retention } from '../../bot/governance/retention';
import { Harness, HEALTH_VISITING_SMS, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';
import { TEST_DIALECT } from '../support/database';
import { Database } from '../../db/database';

/**
 * Retention (issue 15 item 2) with a controlled clock: records made through the webhook and closed
 * in the tab's API, then the years moved on. School nursing keeps a person's record 14 years after
 * their last conversation there closed (children's records, youngest contact 11), health visiting 25
 * (youngest 0); the audit trail 26 (a year beyond the longest).
 */
describe('retention by the Records Management Code', () => {
  let h: Harness;
  let nurse: string;
  let visitor: string;
  afterEach(async () => h?.close());

  const ALONE = '+447700900682';
  const HELD = '+447700900683';
  const FAMILY = '+447700900684';
  const TWICE = '+447700900685';
  const STILL_OPEN = '+447700900686';
  const T0 = '2026-11-24T10:00:00Z';
  const yearsAfter = (iso: string, years: number, days = 0) => {
    const d = new Date(iso);
    d.setUTCFullYear(d.getUTCFullYear() + years);
    return new Date(d.getTime() + days * 86_400_000).toISOString();
  };

  async function conversationOf(phone: string, to: string, text: string, close: boolean): Promise<string> {
    const before = new Set((await h.app.db.manager.find(Conversation)).map((c) => c.id));
    expect((await h.sendSms({ from: phone, to, body: text })).status).to.equal(200);
    const made = (await h.app.db.manager.find(Conversation)).find((c) => !before.has(c.id));
    const id = made?.id ?? (await h.app.db.manager.findOneByOrFail(Conversation, { status: 'open', endpointAddress: to, lastInboundAt: h.clock.now().getTime() })).id;
    if (close) {
      const token = to === HEALTH_VISITING_SMS ? visitor : nurse;
      expect((await h.api('POST', `/api/v1/conversations/${id}/messages`, { token, body: { text: 'Thanks for your message. Here is some advice.' } })).status).to.equal(201);
      expect((await h.api('POST', `/api/v1/conversations/${id}/close`, { token, body: { outcome: 'advice-given', note: 'Advice given; safe to close.' } })).status).to.equal(200);
    }
    return id;
  }

  const retention = () => new Retention({ db: h.app.db, directory: h.app.directory, now: () => h.clock.now().getTime() });
  const count = async () => ({
    conversations: await h.app.db.manager.count(Conversation), messages: await h.app.db.manager.count(Message), notes: await h.app.db.manager.count(Note),
    outbox: await h.app.db.manager.count(OutboxItem), contacts: await h.app.db.manager.count(Contact), escalations: await h.app.db.manager.count(Escalation),
    notices: await h.app.db.manager.count(EscalationNotice),
  });
  async function reportCountsMatchRecords() {
    const kept = (await h.app.db.manager.find(ReportHour)).reduce((n, r) => n + Number(r.messages), 0);
    expect(kept, 'report counts after deletion').to.equal(await h.app.db.manager.count(Message));
  }

  it('deletes each person\'s whole record once its years have passed since their last conversation closed, never an open one or one under a legal hold; counts first on a dry run; the audit trail stays verifiable; a second run deletes nothing', async () => {
    h = await startHarness({ clockStart: T0 });
    nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    visitor = await h.staff('visitor@example.nhs.uk', 'clinician', 'health-visiting');

    const alone = await conversationOf(ALONE, SCHOOL_NURSING_SMS, 'ive taken loads of pills', true);
    const held = await conversationOf(HELD, SCHOOL_NURSING_SMS, 'can i talk about my periods', true);
    const family = await conversationOf(FAMILY, HEALTH_VISITING_SMS, 'my baby is not feeding well', true);
    const twiceFirst = await conversationOf(TWICE, SCHOOL_NURSING_SMS, 'i feel anxious at school', true);
    const stillOpen = await conversationOf(STILL_OPEN, SCHOOL_NURSING_SMS, 'hello is anyone there', false);
    expect(await h.app.db.manager.count(Escalation, { where: { conversationId: alone } }), 'the high-risk one escalated').to.equal(1);
    // Five years on, the same young person writes again: their record with the service runs on from that conversation.
    h.clock.set(yearsAfter(T0, 5));
    const twiceSecond = await conversationOf(TWICE, SCHOOL_NURSING_SMS, 'its me again', true);
    const holds = new LegalHolds({ db: h.app.db, now: () => h.clock.now().getTime() });
    const heldContact = (await h.app.db.manager.findOneByOrFail(Conversation, { id: held })).contactId;
    const hold = await holds.place({ subjectType: 'contact', subjectId: heldContact, reason: 'Coroner\'s request 2031/17', by: 'IG lead' });

    // A day short of 14 years: nothing is due.
    h.clock.set(yearsAfter(T0, 14, -1));
    const early = await retention().run({ actor: { type: 'operator', name: 'test' } });
    expect(early).to.include({ records: 0, conversations: 0, contacts: 0 });
    expect(early.held.records).to.equal(0);

    // 14 years and a day: the lone young person's record goes whole; the held one stays.
    h.clock.set(yearsAfter(T0, 14, 1));
    const before = await count();
    const dry = await retention().run({ dryRun: true, actor: { type: 'operator', name: 'test' } });
    expect(await count(), 'a dry run deletes nothing').to.deep.equal(before);
    const aloneMessages = await h.app.db.manager.count(Message, { where: { conversationId: alone } });
    expect(dry).to.include({ dryRun: true, records: 1, conversations: 1, messages: aloneMessages, contacts: 1 });
    expect(dry.held).to.deep.equal({ records: 1, conversations: 1 });

    const ran = await retention().run({ actor: { type: 'operator', name: 'test' } });
    expect({ ...ran, dryRun: true, at: dry.at }).to.deep.equal(dry);
    const left = new Set((await h.app.db.manager.find(Conversation)).map((c) => c.id));
    expect([...left].sort()).to.deep.equal([held, family, twiceFirst, twiceSecond, stillOpen].sort());
    // Nothing of the deleted conversation is left anywhere (the foreign keys took it all).
    for (const table of [Message, Note, OutboxItem, Escalation]) expect(await h.app.db.manager.count(table as typeof Message, { where: { conversationId: alone } }), table.name).to.equal(0);
    expect(await h.app.db.manager.count(EscalationNotice)).to.equal(0);
    expect(await h.app.db.manager.count(Contact)).to.equal(before.contacts - 1);
    await reportCountsMatchRecords();
    const audited = await h.app.db.manager.findOneByOrFail(AuditEvent, { action: 'retention.run', at: ran.at });
    expect(JSON.parse(audited.detail!)).to.include({ records: 1, conversations: 1, contacts: 1, heldRecords: 1, by: 'test' });
    expect(audited.detail).not.to.match(/\+44|7700900/);

    // Once the hold is released, the held record goes at the next run; nothing else is due yet.
    await holds.release({ holdId: hold.id, reason: 'Inquest concluded', by: 'IG lead' });
    const afterRelease = await retention().run({ actor: { type: 'operator', name: 'test' } });
    expect(afterRelease).to.include({ records: 1, conversations: 1 });
    const again = await retention().run({ actor: { type: 'operator', name: 'test' } });
    expect(again).to.include({ records: 0, conversations: 0, messages: 0, contacts: 0, webchatSessions: 0, auditEvents: 0 });

    // 19 years and a day: the record that ran on (closed at 5 years) goes, both its conversations.
    h.clock.set(yearsAfter(T0, 19, 1));
    expect(await retention().run({ actor: { type: 'operator', name: 'test' } })).to.include({ records: 1, conversations: 2 });

    // 27 years: health visiting's 25 years are over; the open conversation stays; audit rows older than 26 years are cut.
    h.clock.set(yearsAfter(T0, 27));
    const late = await retention().run({ actor: { type: 'operator', name: 'test' } });
    expect(late).to.include({ records: 1, conversations: 1 });
    expect(late.auditEvents).to.be.greaterThan(0);
    expect((await h.app.db.manager.find(Conversation)).map((c) => c.id)).to.deep.equal([stillOpen]);
    const verdict = await verifyAuditChain(h.app.db.manager);
    expect(verdict.intact, JSON.stringify(verdict)).to.equal(true);
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'retention.run' } })).to.be.greaterThan(0);
    await reportCountsMatchRecords();
    // The figures kept are exactly a rebuild's.
    const kept = await h.app.db.manager.find(ReportHour, { order: { serviceSlug: 'ASC', hour: 'ASC', direction: 'ASC', channel: 'ASC', risk: 'ASC' } });
    await h.app.db.transaction((tx) => rebuildReportFigures(tx));
    expect(await h.app.db.manager.find(ReportHour, { order: { serviceSlug: 'ASC', hour: 'ASC', direction: 'ASC', channel: 'ASC', risk: 'ASC' } })).to.deep.equal(kept);
  });

  it('the server\'s daily job runs when a day has passed since the last run (by the job or an operator), and the chain still verifies after the audit trail is cut', async () => {
    h = await startHarness({ clockStart: T0 });
    nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await conversationOf(ALONE, SCHOOL_NURSING_SMS, 'hello', true);
    const first = await h.app.retention.runDue();
    expect(first, 'never run before').to.exist;
    const anchor = await verifyAuditChain(h.app.db.manager);
    expect(anchor.intact).to.equal(true);
    h.clock.advance(23 * 3_600_000);
    expect(await h.app.retention.runDue(), 'within the day').to.equal(undefined);
    h.clock.advance(2 * 3_600_000);
    expect(await h.app.retention.runDue(), 'a day on').to.exist;
    // Far on: the record goes and the audit trail's old end is cut, and an anchor older than the cut is said to be.
    h.clock.set(yearsAfter(T0, 30));
    const late = await h.app.retention.runDue();
    expect(late).to.include({ records: 1 });
    const verdict = await verifyAuditChain(h.app.db.manager);
    expect(verdict.intact, JSON.stringify(verdict)).to.equal(true);
    if (anchor.intact) {
      const old = await verifyAuditChain(h.app.db.manager, { anchor: anchor.head });
      expect(old.intact).to.equal(false);
      if (!old.intact) expect(old.broken.problem).to.contain('retention has cut');
    }
  });

  it('one instance at a time: while another process holds retention\'s lock the daily job does nothing, and once it is free the job runs (PostgreSQL; SQLite has one writer)', async function () {
    if (TEST_DIALECT !== 'postgres') this.skip();
    h = await startHarness({ clockStart: T0 });
    const other = await Database.open(h.database.url);
    const runner = other.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock(hashtext($1))', ['lamplight:retention']);
      expect(await h.app.retention.runDue(), 'another instance has it').to.equal(undefined);
      expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'retention.run' } })).to.equal(0);
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', ['lamplight:retention']);
      expect(await h.app.retention.runDue(), 'free again').to.exist;
      expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'retention.run' } })).to.equal(1);
    } finally {
      await runner.release();
      await other.close();
    }
  });
});
