import { expect } from 'chai';
import { AuditEvent, Conversation, Escalation, EscalationNotice, Message, Note, OutboxItem, StaffMember } from '../../db/entities';
import type { LiveEvent } from '../../bot/live/live-events';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';
import { RECORD_INBOUND_SQL } from '../../bot/gateway/inbound';
import { change } from '../../db/rows';

const PHONE = '+447700900555';
const MINUTE = 60_000;
const SUNDAY_11PM = '2026-11-29T23:00:00Z';
const TUESDAY_10AM = '2026-11-24T10:00:00Z';

async function notices(h: Harness): Promise<EscalationNotice[]> {
  return h.app.db.manager.find(EscalationNotice, { order: { step: 'ASC' } });
}

async function staffIds(h: Harness, ...emails: string[]): Promise<string> {
  const staff = await Promise.all(emails.map((email) => h.app.db.manager.findOneByOrFail(StaffMember, { email })));
  return staff.map((s) => s.id).sort().join(',');
}

describe('risk in the gateway', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('what a message writes on its conversation never undoes a concurrent change: risk only rises from the message\'s own level (never written back from a stale read), times only move forward, a wait keeps its start', async () => {
    h = await startHarness();
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const { id } = await h.app.db.manager.findOneByOrFail(Conversation, {});
    const row = () => h.app.db.manager.findOneByOrFail(Conversation, { id });
    const record = (level: string, at: number) => change(h.app.db.manager, RECORD_INBOUND_SQL, [at, at, at, at, at, level, level, id]);
    const set = (values: Partial<Conversation>) => h.app.db.manager.update(Conversation, { id }, values);
    // A concurrent message raised it to high after this one read 'none': this one's 'none' leaves it high.
    await set({ riskLevel: 'high' });
    await record('none', 5_000);
    expect((await row()).riskLevel).to.equal('high');
    await record('medium', 5_001);
    expect((await row()).riskLevel).to.equal('high');
    // A clinician cleared it after this one read 'medium': this one's 'none' does not bring it back.
    await set({ riskLevel: 'none' });
    await record('none', 5_002);
    expect((await row()).riskLevel).to.equal('none');
    await record('medium', 5_003);
    expect((await row()).riskLevel).to.equal('medium');
    await record('high', 5_004);
    expect((await row()).riskLevel).to.equal('high');
    // Times never go back; an unanswered wait keeps its start, and an answered one starts again.
    await set({ lastInboundAt: 9_000, lastMessageAt: 9_500, awaitingReplySince: 8_000 });
    await record('none', 7_000);
    expect(await row()).to.include({ lastInboundAt: 9_000, lastMessageAt: 9_500, awaitingReplySince: 8_000 });
    await set({ awaitingReplySince: null });
    await record('none', 10_000);
    expect(await row()).to.include({ lastInboundAt: 10_000, lastMessageAt: 10_000, awaitingReplySince: 10_000 });
  });

  it('when a high-risk SMS arrives at 23:00 on a Sunday, then the safety reply goes at once and the out-of-hours duty lead is alerted', async () => {
    h = await startHarness({ clockStart: SUNDAY_11PM });
    await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    const received: LiveEvent[] = [];
    h.app.events.subscribe((e) => received.push(e));
    expect((await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'i took 30 of my mums pills' })).status).to.equal(200);
    await eventually(() => h.twilio.sent.length === 1, 'the safety reply');
    // The safety text alone: no welcome promising a reply in a working day, no "closed right now"
    // after it. Everything automatic is queued in the webhook's own commit, so the outbox shows it all.
    expect(await h.app.db.manager.count(OutboxItem, { where: { channel: 'sms' } })).to.equal(1);
    expect(h.twilio.sent[0].body).to.contain('999').and.contain('116 123').and.contain("don't wait for us");
    expect(h.twilio.sent[0].body).to.contain('when we open (9am on Monday 30 November)').and.contain('private unless');
    const escalation = await h.app.db.manager.findOneByOrFail(Escalation, {});
    expect(escalation).to.include({ status: 'open', categories: 'overdose' });
    const [notice] = await eventually(() => notices(h).then((n) => (n.length ? n : undefined)), 'the first notice');
    expect(notice).to.include({ level: 1, round: 1, final: false, recipients: await staffIds(h, 'lead@example.nhs.uk') });
    // Out of hours the limit is 15 minutes (demo config), not the in-hours 10.
    expect((await h.app.db.manager.findOneByOrFail(Escalation, {})).nextDueAt).to.equal(Date.parse(SUNDAY_11PM) + 15 * MINUTE);
    expect(received.some((e) => e.type === 'escalation.notified' && e.escalationId === escalation.id)).to.equal(true);
  });

  it('when a high-risk SMS arrives at 10:00 on a Tuesday, then safety reply and escalation, and the conversation goes to the top of the queue', async () => {
    h = await startHarness({ clockStart: TUESDAY_10AM });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: '+447700900601', to: SCHOOL_NURSING_SMS, body: 'can i get the pill' });
    h.clock.advance(5 * MINUTE);
    await h.sendSms({ from: '+447700900602', to: SCHOOL_NURSING_SMS, body: "i've been self-harming again" });
    h.clock.advance(5 * MINUTE);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'im going to kill myself tonight' });
    await eventually(() => h.twilio.sent.some((s) => s.to === PHONE && /shout/i.test(s.body)), 'the safety reply');
    const { body } = await h.api('GET', '/api/v1/conversations', { token: nurse });
    expect(body.conversations.map((c: any) => c.riskLevel)).to.deep.equal(['high', 'medium', 'none']);
    expect(await h.app.db.manager.count(Escalation)).to.equal(1);
    const replies = h.twilio.sent.filter((s) => s.to === PHONE).map((s) => s.body);
    expect(replies[0]).to.contain("We're worried about what you've said");
    expect(replies.some((r) => r.includes('closed right now'))).to.equal(false);
  });

  it('when a young person texts again after a high-risk message and no person has answered, then a short holding reply goes at most every 30 minutes, and none once a nurse has replied', async () => {
    h = await startHarness({ clockStart: TUESDAY_10AM });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'i took 30 of my mums pills' });
    await eventually(() => h.twilio.sent.length === 1, 'the safety reply');
    expect(h.twilio.sent[0].body).to.contain('will reply within 15 minutes');
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token: nurse });
    // The urgent promise is the conversation's reply clock: 15 minutes, not one working day.
    expect(list.conversations[0].replyDueBy).to.equal(new Date(Date.parse(TUESDAY_10AM) + 15 * MINUTE).toISOString());

    h.clock.advance(10 * MINUTE);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello??' });
    h.clock.advance(25 * MINUTE);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'is anyone there' });
    await eventually(() => h.twilio.sent.length === 2, 'the holding reply');
    expect(h.twilio.sent[1].body).to.equal('We have your message. If you are in danger now, call 999 or go to A&E. For urgent help any time, call NHS 111.');
    expect(await h.app.db.manager.count(OutboxItem, { where: { channel: 'sms' } }), 'nothing for "hello??", 10 minutes after the safety text').to.equal(2);

    await h.api('POST', `/api/v1/conversations/${list.conversations[0].id}/messages`, { token: nurse, body: { text: 'This is the school nurse. Are you safe right now?' } });
    await eventually(() => h.twilio.sent.length === 3, "the nurse's reply");
    h.clock.advance(40 * MINUTE);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'yes im at home' });
    expect(await h.app.db.manager.count(OutboxItem, { where: { channel: 'sms' } }), 'a person has answered: no holding reply').to.equal(3);
  });

  it('when a message is medium risk, then the conversation is marked for priority without a safety reply or an escalation', async () => {
    h = await startHarness();
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'i throw up after every meal' });
    await eventually(() => h.twilio.sent.length === 1, 'the welcome');
    expect((await h.app.db.manager.findOneByOrFail(Conversation, {})).riskLevel).to.equal('medium');
    expect(await h.app.db.manager.count(Escalation)).to.equal(0);
    expect(h.twilio.sent[0].body).not.to.contain('999 or go to A&E');
  });

  it('when later messages are calmer, then the highest level stays until a clinician clears it, with a reason and a note kept in the thread and the audit', async () => {
    h = await startHarness();
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'i want to die' });
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'sorry i am ok now' });
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    expect(conversation.riskLevel).to.equal('high');
    const path = `/api/v1/conversations/${conversation.id}/clear-risk`;
    // One click with no reason no longer clears a flag.
    expect((await h.api('POST', path, { token: nurse })).status).to.equal(400);
    expect((await h.api('POST', path, { token: nurse, body: { reason: 'assessed-safe' } })).status, 'no note').to.equal(400);
    expect((await h.api('POST', path, { token: nurse, body: { reason: 'because', note: 'x' } })).status, 'not a listed reason').to.equal(400);
    const cleared = await h.api('POST', path, { token: nurse, body: { reason: 'assessed-safe', note: 'Spoke to her by phone; safe at home with mum.' } });
    expect(cleared.status).to.equal(200);
    expect((await h.app.db.manager.findOneByOrFail(Conversation, {})).riskLevel).to.equal('none');
    const audit = await h.app.db.manager.findOneByOrFail(AuditEvent, { action: 'conversation.clear_risk' });
    expect(JSON.parse(audit.detail!)).to.include({ from: 'high', reason: 'assessed-safe' });
    const { body } = await h.api('GET', `/api/v1/conversations/${conversation.id}`, { token: nurse });
    expect(body.notes.map((n: { kind: string; authorName: string; text: string }) => [n.kind, n.authorName, n.text])).to.deep.equal([
      ['risk-cleared', 'nurse', 'Risk flag cleared (was high): assessed, and safe now. Spoke to her by phone; safe at home with mum.'],
    ]);
    expect((await h.api('POST', path, { token: nurse, body: { reason: 'other', note: 'again' } })).status, 'nothing left to clear').to.equal(409);
  });

  it('closing a flagged conversation needs a note; a closed one can be reopened with a note, once nothing newer is open, within 14 days', async () => {
    h = await startHarness({ clockStart: TUESDAY_10AM });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'i keep cutting myself' });
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    const post = (action: string, body?: unknown) => h.api('POST', `/api/v1/conversations/${conversation.id}/${action}`, { token: nurse, body });
    const closeNoNote = await post('close', { outcome: 'advice-given' });
    expect(closeNoNote.status).to.equal(400);
    expect(closeNoNote.body.message).to.match(/flagged (high|medium) risk: closing it needs a note/);
    expect((await post('close', { outcome: 'advice-given', note: 'Seen in school today, referred to CAMHS, safety plan agreed.' })).status).to.equal(200);
    expect((await post('reopen')).status, 'no note').to.equal(400);
    expect((await post('reopen', { note: 'CAMHS asked us to keep in touch' })).status).to.equal(200);
    expect((await h.app.db.manager.findOneByOrFail(Conversation, { id: conversation.id })).status).to.equal('open');
    const { body } = await h.api('GET', `/api/v1/conversations/${conversation.id}`, { token: nurse });
    expect(body.notes.map((n: { kind: string }) => n.kind)).to.deep.equal(['closed', 'reopened']);
    expect(body.notes[0].text).to.match(/^Closed \(advice given\) while flagged (high|medium) risk: Seen in school today/);
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'conversation.reopen' } })).to.equal(1);

    // Closed again; the contact writes meanwhile and a new conversation opens: that is where they are now.
    await post('close', { outcome: 'advice-given', note: 'done' });
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi again' });
    expect((await post('reopen', { note: 'x' })).body.error).to.equal('newer_conversation_open');
    // Long after closing, too late.
    const newer = await h.app.db.manager.findOneByOrFail(Conversation, { status: 'open' });
    await h.api('POST', `/api/v1/conversations/${newer.id}/close`, { token: nurse, body: { outcome: 'advice-given', note: 'done' } });
    h.clock.advance(15 * 24 * 60 * MINUTE);
    expect((await post('reopen', { note: 'x' })).body.error).to.equal('reopen_too_late');
  });

  it('when a clinician opens the conversation, then each message carries its triage level and spans to highlight', async () => {
    h = await startHarness();
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const text = 'honestly i wnat to kill mysefl';
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: text });
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    const { body } = await h.api('GET', `/api/v1/conversations/${conversation.id}`, { token: nurse });
    const inbound = body.messages.find((m: any) => m.direction === 'in');
    expect(inbound.risk.level).to.equal('high');
    const reason = inbound.risk.reasons[0];
    expect(text.slice(reason.start, reason.end)).to.equal('kill mysefl');
    const stored = await h.app.db.manager.findOneByOrFail(Message, { direction: 'in' });
    expect(stored.triageCipher).to.be.a('string').and.not.contain('kill');
  });
});

describe('the escalation ladder', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  async function raise(at = TUESDAY_10AM): Promise<{ lead: string; admin: string; escalation: Escalation }> {
    h = await startHarness({ clockStart: at });
    const lead = await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    const admin = await h.staff('admin@example.nhs.uk', 'admin', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself' });
    await eventually(() => notices(h).then((n) => n.length === 1), 'level 1 notified');
    return { lead, admin, escalation: await h.app.db.manager.findOneByOrFail(Escalation, {}) };
  }

  it('when nobody acknowledges, then level 2 is notified at exactly the limit, not a millisecond before', async () => {
    await raise();
    h.clock.advance(10 * MINUTE - 1);
    expect(await h.app.escalations.runDue()).to.equal(0);
    h.clock.advance(1);
    expect(await h.app.escalations.runDue()).to.equal(1);
    const [, second] = await notices(h);
    expect(second).to.include({ level: 2, round: 1, recipients: await staffIds(h, 'lead@example.nhs.uk', 'admin@example.nhs.uk') });
  });

  it('when the duty lead acknowledges, then the ladder stops', async () => {
    const { lead, escalation } = await raise();
    const ack = await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: lead, body: { outcome: 'Rang the young person; safe with a parent' } });
    expect(ack.status).to.equal(200);
    expect(ack.body.status).to.equal('acknowledged');
    h.clock.advance(120 * MINUTE);
    expect(await h.app.escalations.runDue()).to.equal(0);
    expect(await notices(h)).to.have.length(1);
    const audit = await h.app.db.manager.findOneByOrFail(AuditEvent, { action: 'escalation.acknowledge' });
    expect(audit.subjectId).to.equal(escalation.id);
  });

  it('when the server restarts between two steps, then the due step fires once, even with two instances racing', async () => {
    await raise();
    const { database, dataKey } = h;
    await h.close({ keepDatabase: true });
    h = await startHarness({ database, dataKey, clockStart: new Date(Date.parse(TUESDAY_10AM) + 10 * MINUTE).toISOString() });
    // Three passes race here, and the restarted server's own poller runs a fourth at start-up: any
    // one of them may win the step. Wait for the poller's pass too, then count what was sent.
    const fired = await Promise.all([h.app.escalations.runDue(), h.app.escalations.runDue(), h.app.escalations.runDue()]);
    await h.app.escalations.stop();
    expect(fired.reduce((a, b) => a + b, 0)).to.be.at.most(1);
    expect((await notices(h)).map((n) => n.level)).to.deep.equal([1, 2]);
  });

  it('when nobody acknowledges at all, then after the bounded rounds the fallback gets a final alert and the timer stops', async () => {
    await raise();
    for (let i = 0; i < 6; i++) {
      h.clock.advance(10 * MINUTE);
      await h.app.escalations.runDue();
    }
    const all = await notices(h);
    // Two levels, two rounds, then the final alert: five notices and no more.
    expect(all.map((n) => [n.level, n.round, n.final])).to.deep.equal([[1, 1, false], [2, 1, false], [1, 2, false], [2, 2, false], [0, 3, true]]);
    expect(all[4].recipients).to.equal(await staffIds(h, 'admin@example.nhs.uk'));
    expect((await h.app.db.manager.findOneByOrFail(Escalation, {})).status).to.equal('exhausted');
  });

  it('when another high-risk message arrives on an open escalation, then it joins it without a new alert', async () => {
    await raise();
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'i have the pills in my hand' });
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'goodbye 💊' });
    expect(await h.app.db.manager.count(Escalation)).to.equal(1);
    // The raising message and both later ones (means in hand; a goodbye with pills) are high risk.
    expect((await h.app.db.manager.findOneByOrFail(Escalation, {})).messageCount).to.equal(3);
    expect(await notices(h)).to.have.length(1);
  });

  it('when several high-risk texts arrive together after the escalation was acknowledged, then one new escalation counts them all and unites their categories (no lost update, no second ladder)', async () => {
    const { lead, escalation } = await raise();
    expect((await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: lead, body: { outcome: 'Spoke to them; safe for now' } })).status).to.equal(200);
    h.clock.advance(5 * MINUTE);
    const texts = ['ive taken loads of pills', 'i have a knife and im going to use it on myself', 'goodbye 💊', 'i am standing on the bridge', 'this is my last message'];
    const answers = await Promise.all(texts.map((body, i) => h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body, messageSid: `SM${String(i).padStart(32, 'a')}` })));
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200]);
    const open = await h.app.db.manager.find(Escalation, { where: [{ status: 'open' }, { status: 'exhausted' }] });
    expect(open, 'one open escalation').to.have.length(1);
    expect(open[0].messageCount, 'every text counted').to.equal(texts.length);
    const highMessages = await h.app.db.manager.find(Message, { where: { direction: 'in', riskLevel: 'high' }, order: { createdAt: 'ASC' } });
    expect(highMessages.length).to.equal(texts.length + 1);
    const categories = new Set(open[0].categories.split(','));
    for (const expected of ['overdose', 'suicide']) expect([...categories], expected).to.include(expected);
    // The new ladder fires once.
    await h.app.escalations.runDue();
    expect((await notices(h)).filter((n) => n.escalationId === open[0].id)).to.have.length(1);
  });

  it('acknowledging: a clinician gets 403, another service 404, a second acknowledgement 409 naming who has it', async () => {
    const { lead, escalation } = await raise();
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const otherLead = await h.staff('hv-lead@example.nhs.uk', 'duty-lead', 'health-visiting');
    expect((await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: nurse })).status).to.equal(403);
    expect((await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: otherLead })).status).to.equal(404);
    expect((await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: lead, body: { outcome: 'Called back' } })).status).to.equal(200);
    const again = await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: await h.staff('admin@example.nhs.uk', 'admin', 'school-nursing'), body: { outcome: 'Called back too' } });
    expect(again.status).to.equal(409);
    expect(again.body.message).to.equal('already acknowledged by lead');
  });

  it('lists open escalations of my services only, and acknowledged ones on request', async () => {
    const { lead, escalation } = await raise();
    const otherLead = await h.staff('hv-lead@example.nhs.uk', 'duty-lead', 'health-visiting');
    expect((await h.api('GET', '/api/v1/escalations', { token: lead })).body.escalations.map((e: any) => e.id)).to.deep.equal([escalation.id]);
    expect((await h.api('GET', '/api/v1/escalations', { token: otherLead })).body.escalations).to.deep.equal([]);
    await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: lead, body: { outcome: 'Called back' } });
    expect((await h.api('GET', '/api/v1/escalations', { token: lead })).body.escalations).to.deep.equal([]);
    expect((await h.api('GET', '/api/v1/escalations?status=acknowledged', { token: lead })).body.escalations[0]).to.include({ id: escalation.id, status: 'acknowledged' });
    expect((await h.api('GET', '/api/v1/escalations?status=everything', { token: lead })).status).to.equal(400);
  });

  it('the list says who holds it now, who was alerted by which route, the round, and what happens next; a clinician lists none', async () => {
    const { lead, escalation } = await raise();
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const [first] = (await h.api('GET', '/api/v1/escalations', { token: lead })).body.escalations;
    expect(first).to.deep.include({
      id: escalation.id, status: 'open', categories: ['suicide'], riskLevel: 'high', contactLabel: '•••• 0555', messageCount: 1,
      rounds: { reached: 1, of: 2 }, holder: { level: 1, final: false, label: 'Level 1: duty leads', names: ['lead'] }, acknowledgement: null,
    });
    expect(first.alerts).to.deep.equal([{ at: TUESDAY_10AM.replace('Z', '.000Z'), level: 1, round: 1, final: false, to: ['lead'], routes: ['Lamplight tab'], deliveries: [{ route: 'sms', to: 'lead', status: 'skipped', problem: 'no work mobile on record' }] }]);
    expect(first.nextStep).to.deep.equal({ at: new Date(Date.parse(TUESDAY_10AM) + 10 * MINUTE).toISOString(), description: 'Level 2: duty leads, admins alerted if not acknowledged' });

    // The banner used to say "duty lead" after the ladder had climbed to the admin: it now names who holds it.
    h.clock.advance(10 * MINUTE);
    await h.app.escalations.runDue();
    const [climbed] = (await h.api('GET', '/api/v1/escalations', { token: lead })).body.escalations;
    expect(climbed.holder).to.deep.equal({ level: 2, final: false, label: 'Level 2: duty leads, admins', names: ['admin', 'lead'] });
    expect(climbed.alerts.map((a: any) => [a.level, a.round])).to.deep.equal([[1, 1], [2, 1]]);
    expect(climbed.nextStep.description).to.equal('Level 1: duty leads alerted (round 2) if not acknowledged');
    const detail = (await h.api('GET', `/api/v1/conversations/${escalation.conversationId}`, { token: nurse })).body;
    expect(detail.escalation.holder.label).to.equal('Level 2: duty leads, admins');
    expect(detail.escalations).to.have.length(1);

    for (let i = 0; i < 3; i++) { h.clock.advance(10 * MINUTE); await h.app.escalations.runDue(); }
    const [exhausted] = (await h.api('GET', '/api/v1/escalations', { token: lead })).body.escalations;
    expect(exhausted).to.deep.include({ status: 'exhausted', nextStep: null, rounds: { reached: 2, of: 2 } });
    expect(exhausted.holder).to.deep.equal({ level: 0, final: true, label: 'Final alert: admins', names: ['admin'] });

    const clinician = await h.api('GET', '/api/v1/escalations?status=all', { token: nurse });
    expect(clinician).to.deep.equal({ status: 200, body: { escalations: [] } });
  });

  it('acknowledging asks what was done: refused without it, too long or with control characters; with it, a sealed note in the thread, the list and the transcript', async () => {
    const { lead, escalation } = await raise();
    const ack = (body?: unknown) => h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: lead, body });
    for (const body of [undefined, {}, { outcome: '' }, { outcome: '   ' }, { outcome: 42 }, { outcome: 'x'.repeat(501) }, { outcome: 'rang\u0000them' }, { outcome: 'rang \u202Ethem' }, ['rang them']]) {
      const refused = await ack(body);
      expect(refused.status, JSON.stringify(body)).to.equal(400);
      expect(refused.body.error).to.equal('bad_request');
    }
    expect((await h.app.db.manager.findOneByOrFail(Escalation, {})).status).to.equal('open');
    // 500 characters as a person counts them (emoji are one each), with a line break kept.
    const outcome = `Rang the school.\nSafeguarding lead informed ${'🙂'.repeat(456)}`;
    expect([...outcome].length).to.equal(500);
    const done = await ack({ outcome: `  ${outcome}  ` });
    expect(done.status).to.equal(200);
    expect(done.body.acknowledgement).to.deep.include({ by: 'lead', outcome });
    expect(done.body.status).to.equal('acknowledged');

    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const detail = (await h.api('GET', `/api/v1/conversations/${escalation.conversationId}`, { token: nurse })).body;
    const note = detail.notes.find((n: any) => n.kind === 'acknowledged');
    expect(note).to.deep.include({ authorName: 'lead', text: `Escalation acknowledged: ${outcome}` });
    expect(detail.escalation.acknowledgement.outcome).to.equal(outcome);
    const stored = await h.app.db.manager.findOneByOrFail(Note, { kind: 'acknowledged' });
    expect(stored.bodyCipher).not.to.contain('Safeguarding');
    const [listed] = (await h.api('GET', '/api/v1/escalations?status=acknowledged', { token: lead })).body.escalations;
    expect(listed.acknowledgement.outcome).to.equal(outcome);

    const transcript = await (await fetch(`${h.app.url}/api/v1/conversations/${escalation.conversationId}/transcript.txt`, { headers: { authorization: `Bearer ${nurse}` } })).text();
    expect(transcript).to.match(/Escalated 24 Nov 2026, 10:00:00 GMT \(suicide; 1 high-risk message\)\./);
    expect(transcript).to.contain('24 Nov 2026, 10:00:00 GMT: level 1 alert, round 1 to lead, in the Lamplight tab.');
    expect(transcript).to.contain('Acknowledged by lead 24 Nov 2026, 10:00:00 GMT: Rang the school.\nSafeguarding lead informed');
    expect(transcript).to.contain('(acknowledged)\nEscalation acknowledged: Rang the school.');
  });
});
