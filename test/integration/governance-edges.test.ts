import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { recordAudit } from '../../bot/audit/record';
import { LegalHolds } from '../../bot/governance/records';
import { Retention } from '../../bot/governance/retention';
import { SubjectAccess } from '../../bot/governance/subject';
import { ClinicianConversations } from '../../bot/inbox/conversations';
import { pruneAuditTrail, verifyAuditChain } from '../../db/audit-chain';
import { Keyring } from '../../db/crypto';
import { Contact, Conversation, Escalation, Message, ReportHour } from '../../db/entities';
import { rebuildReportFigures } from '../../db/report-hours';
import { openMessageBody } from '../../db/sealed-fields';
import { TEST_DIALECT } from '../support/database';
import { Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

/**
 * Retention, erasure and report figures at their edges: a message arriving while its sender's old
 * record is deleted, a transferred conversation's counts, holds and open conversations under
 * erasure, a service the config no longer names, and the audit trail verified while it is cut.
 * Found on a second reading of the governance work, each first as a failing test.
 */
const T0 = '2026-11-24T10:00:00Z';
const yearsAfter = (iso: string, years: number, days = 0) => {
  const d = new Date(iso);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return new Date(d.getTime() + days * 86_400_000).toISOString();
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('governance at the edges', () => {
  let h: Harness;
  afterEach(async () => h?.close());
  const now = () => h.clock.now().getTime();
  const sum = async () => (await h.app.db.manager.find(ReportHour)).reduce((n, r) => n + Number(r.messages), 0);
  const rows = async () => (await h.app.db.manager.find(ReportHour, { order: { serviceSlug: 'ASC', hour: 'ASC', direction: 'ASC', channel: 'ASC', risk: 'ASC' } })).map((r) => ({ ...r, hour: Number(r.hour), messages: Number(r.messages) }));
  const subjectAccess = () => {
    const keyring = Keyring.fromBase64(h.dataKey);
    const conversations = new ClinicianConversations({ db: h.app.db, keyring, directory: h.app.directory, now });
    return { conversations, subject: new SubjectAccess({ db: h.app.db, keyring, directory: h.app.directory, conversations, retention: new Retention({ db: h.app.db, directory: h.app.directory, now }), now }) };
  };
  async function closed(phone: string, nurse: string) {
    expect((await h.sendSms({ from: phone, to: SCHOOL_NURSING_SMS, body: 'hello' })).status).to.equal(200);
    const c = await h.app.db.manager.findOneByOrFail(Conversation, { status: 'open' });
    expect((await h.api('POST', `/api/v1/conversations/${c.id}/close`, { token: nurse, body: { outcome: 'advice-given', note: 'ok' } })).status).to.equal(200);
    return c.id;
  }

  it('a message that arrives while retention deletes its sender\'s old record is kept, with its new conversation (PostgreSQL: the two run side by side)', async function () {
    if (TEST_DIALECT !== 'postgres') this.skip();
    h = await startHarness({ clockStart: T0 });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const PHONE = '+447700900689';
    expect((await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' })).status).to.equal(200);
    const old = (await h.app.db.manager.find(Conversation))[0];
    expect((await h.api('POST', `/api/v1/conversations/${old.id}/messages`, { token: nurse, body: { text: 'Hi there.' } })).status).to.equal(201);
    expect((await h.api('POST', `/api/v1/conversations/${old.id}/close`, { token: nurse, body: { outcome: 'advice-given', note: 'ok' } })).status).to.equal(200);
    h.clock.set(yearsAfter(T0, 14, 1));
    const hour = Math.floor(h.clock.now().getTime() / 3_600_000);
    await h.app.db.manager.query(`INSERT INTO report_hour ("serviceSlug","hour","direction","channel","risk","messages") VALUES ('school-nursing', $1, 'in', 'sms', 'none', 1)`, [hour]);
    // Another unit of work holds the current hour's report row: the inbound unit below pauses at its end, after inserting its conversation.
    const locker = new Client({ connectionString: h.database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`SELECT * FROM report_hour WHERE "hour" = $1 FOR UPDATE`, [hour]);
    const waiting = async (n: number) => { for (let i = 0; i < 100; i++) { const [r] = (await locker.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows; if (r.n >= n) return; await sleep(50); } throw new Error('not waiting'); };
    const sms = h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'I NEED HELP AGAIN' });
    await waiting(1);
    const run = new Retention({ db: h.app.db, directory: h.app.directory, now: () => h.clock.now().getTime() }).run({ actor: { type: 'operator', name: 't' } });
    await waiting(2);
    await locker.query('COMMIT');
    await locker.end();
    expect((await sms).status, 'webhook acknowledged').to.equal(200);
    const outcome = await run;
    const messages = await h.app.db.manager.find(Message);
    const texts = messages.map((m) => openMessageBody(Keyring.fromBase64(h.dataKey), m));
    expect(texts, 'the message acknowledged to Twilio is stored').to.include('I NEED HELP AGAIN');
  });


  it('a transferred conversation: kept figures equal a rebuild, and retention takes its counts out of the right service', async () => {
    h = await startHarness({ clockStart: T0 });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const sh = await h.staff('sh@example.nhs.uk', 'clinician', 'sexual-health');
    expect((await h.sendSms({ from: '+447700900690', to: SCHOOL_NURSING_SMS, body: 'where can i get the pill' })).status).to.equal(200);
    const c = (await h.app.db.manager.find(Conversation))[0];
    const t = await h.api('POST', `/api/v1/conversations/${c.id}/transfer`, { token: nurse, body: { service: 'sexual-health', note: 'for sexual health' } });
    expect(t.status, JSON.stringify(t.body)).to.equal(200);
    expect((await h.api('POST', `/api/v1/conversations/${c.id}/messages`, { token: sh, body: { text: 'Hello from sexual health.' } })).status).to.equal(201);
    expect((await h.api('POST', `/api/v1/conversations/${c.id}/close`, { token: sh, body: { outcome: 'advice-given', note: 'ok' } })).status).to.equal(200);
    const kept = await rows();
    await h.app.db.transaction((tx) => rebuildReportFigures(tx));
    const rebuilt = await rows();
    // Put the kept figures back, then let retention delete the record.
    await h.app.db.manager.query('DELETE FROM report_hour');
    for (const r of kept) await h.app.db.manager.insert(ReportHour, r);
    h.clock.set(yearsAfter(T0, 30));
    const ran = await new Retention({ db: h.app.db, directory: h.app.directory, now: () => h.clock.now().getTime() }).run({ actor: { type: 'operator', name: 't' } });
    expect(ran.conversations).to.equal(1);
    expect(await sum(), 'report counts of records that no longer exist').to.equal(await h.app.db.manager.count(Message));
    expect(kept, 'kept figures = rebuild').to.deep.equal(rebuilt);
  });

  it('erasure never removes an open conversation, even with --within-retention (a nurse or a duty lead may be on it)', async () => {
    h = await startHarness({ clockStart: T0 });
    await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    expect((await h.sendSms({ from: '+447700900691', to: SCHOOL_NURSING_SMS, body: 'ive taken loads of pills' })).status).to.equal(200);
    expect(await h.app.db.manager.count(Escalation, { where: { status: 'open' } })).to.equal(1);
    const keyring = Keyring.fromBase64(h.dataKey);
    const conversations = new ClinicianConversations({ db: h.app.db, keyring, directory: h.app.directory, now: () => h.clock.now().getTime() });
    const subject = new SubjectAccess({ db: h.app.db, keyring, directory: h.app.directory, conversations, retention: new Retention({ db: h.app.db, directory: h.app.directory, now: () => h.clock.now().getTime() }), now: () => h.clock.now().getTime() });
    const erased = await subject.erase({ phone: '+447700900691' }, { reason: 'request', by: 'IG', withinRetention: true });
    await conversations.close();
    expect(await h.app.db.manager.count(Conversation, { where: { status: 'open' } }), 'the open, escalated conversation').to.equal(1);
  });



  it('a hold on one conversation keeps the person\'s whole record with the service from erasure', async () => {
    h = await startHarness();
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const first = await closed('+447700900692', nurse);
    h.clock.advance(60 * 86_400_000);
    const second = await closed('+447700900692', nurse);
    await new LegalHolds({ db: h.app.db, now }).place({ subjectType: 'conversation', subjectId: first, reason: 'coroner', by: 'IG' });
    const { subject, conversations } = subjectAccess();
    const erased = await subject.erase({ phone: '+447700900692' }, { reason: 'r', by: 'IG', withinRetention: true });
    await conversations.close();
    expect((await h.app.db.manager.find(Conversation)).map((c) => c.id).sort()).to.deep.equal([first, second].sort());
  });

  it('export finds a conversation with a service the config no longer names (retention keeps those)', async () => {
    h = await startHarness();
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const id = await closed('+447700900693', nurse);
    await h.app.db.manager.update(Conversation, { id }, { serviceSlug: 'retired-service' });
    const { subject, conversations } = subjectAccess();
    try {
      const out = await subject.export({ phone: '+447700900693' }, mkdtempSync(join(tmpdir(), 'sar-')), 'IG');
      expect(out.conversations).to.equal(1);
    } finally { await conversations.close(); }
  });

  it('the audit trail verifies after cutting everything, cutting twice, and cutting while others append', async () => {
    h = await startHarness();
    for (let i = 0; i < 5; i++) await h.app.db.transaction((tx) => recordAudit(tx, now(), { actorType: 'system', action: 'x', subjectType: 'x', subjectId: null, services: ['school-nursing'], detail: { i } }));
    h.clock.advance(1000);
    expect((await h.app.db.transaction((tx) => pruneAuditTrail(tx, now() + 1))).removed).to.be.greaterThan(0);
    expect((await verifyAuditChain(h.app.db.manager)).intact, 'after pruning everything').to.equal(true);
    expect((await h.app.db.transaction((tx) => pruneAuditTrail(tx, now() + 1))).removed).to.equal(0);
    expect((await verifyAuditChain(h.app.db.manager)).intact, 'after pruning twice').to.equal(true);
    await h.app.db.transaction((tx) => recordAudit(tx, now(), { actorType: 'system', action: 'y', subjectType: 'x', subjectId: null, services: [] }));
    const v = await verifyAuditChain(h.app.db.manager);
    expect(v.intact, JSON.stringify(v)).to.equal(true);
    // Prune and append in one unit, and concurrently.
    await Promise.all([
      h.app.db.transaction((tx) => pruneAuditTrail(tx, now() + 1)),
      ...[1, 2, 3].map(() => h.app.db.transaction((tx) => recordAudit(tx, now(), { actorType: 'system', action: 'z', subjectType: 'x', subjectId: null, services: ['school-nursing'] }))),
    ]);
    const w = await verifyAuditChain(h.app.db.manager);
    expect(w.intact, JSON.stringify(w)).to.equal(true);
  });


  it('an intact trail verifies while its old end is cut (no false alarm of removed rows)', async () => {
    h = await startHarness();
    await h.app.db.transaction(async (tx) => { for (let i = 0; i < 2000; i++) await recordAudit(tx, now(), { actorType: 'system', action: 'x', subjectType: 'x', subjectId: null, services: [], detail: { i } }); });
    h.clock.advance(1000);
    const verifying = verifyAuditChain(h.app.db.manager, { batch: 50 });
    await new Promise((r) => setTimeout(r, 30));
    await h.app.db.transaction(async (tx) => { await pruneAuditTrail(tx, now()); await recordAudit(tx, now(), { actorType: 'system', action: 'retention.run', subjectType: 'retention', subjectId: null, services: [] }); });
    const v = await verifying;
    expect(v.intact).to.equal(true);
  });
});
