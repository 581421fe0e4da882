import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Keyring } from '../../db/crypto';
import { AuditEvent, Conversation, Escalation, Message, Note, StaffMember } from '../../db/entities';
import { sealMessageBody } from '../../db/sealed-fields';
import { eventually, Harness, HEALTH_VISITING_SMS, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const PHONE = '+447700900555';
const MINUTE = 60_000;

describe('clinician inbox API', () => {
  let h: Harness;
  let nurse: string;
  let colleague: string;
  let lead: string;
  let otherService: string;
  let conversationId: string;

  beforeEach(async () => {
    h = await startHarness();
    nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    colleague = await h.staff('colleague@example.nhs.uk', 'clinician', 'school-nursing');
    lead = await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    otherService = await h.staff('hv@example.nhs.uk', 'clinician', 'health-visiting');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi, can i talk to someone' });
    conversationId = (await h.app.db.manager.findOneByOrFail(Conversation, {})).id;
    h.clock.advance(MINUTE);
  });
  afterEach(async () => h?.close());

  const post = (path: string, token: string, body?: unknown) => h.api('POST', `/api/v1/conversations/${conversationId}/${path}`, { token, body });
  const staffId = async (email: string) => (await h.app.db.manager.findOneByOrFail(StaffMember, { email })).id;
  const audited = async (action: string) => h.app.db.manager.findOneBy(AuditEvent, { action, subjectId: conversationId });

  it('when two clinicians claim at the same moment, then exactly one wins and the other gets 409 naming who has it', async () => {
    const [a, b] = await Promise.all([post('claim', nurse), post('claim', colleague)]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).to.deep.equal([200, 409]);
    const loser = a.status === 409 ? a : b;
    const winner = a.status === 200 ? 'nurse' : 'colleague';
    expect(loser.body).to.deep.equal({ error: 'already_claimed', message: `${winner} has this conversation` });
    expect((await h.app.db.manager.findOneByOrFail(Conversation, { id: conversationId })).assignedStaffId).to.equal(await staffId(`${winner}@example.nhs.uk`));
    expect(await audited('conversation.claim')).to.not.equal(null);
  });

  it('queues: unassigned until claimed, then mine; counts follow; unread clears when opened', async () => {
    const list = async (queue: string) => (await h.api('GET', `/api/v1/conversations?queue=${queue}`, { token: nurse })).body;
    expect((await list('unassigned')).conversations).to.have.length(1);
    expect((await list('open')).counts).to.deep.equal({ escalated: 0, unassigned: 1, mine: 0, open: 1, unread: 1, notRecorded: 1 });
    await post('claim', nurse);
    await h.api('GET', `/api/v1/conversations/${conversationId}`, { token: nurse });
    expect((await list('mine')).conversations.map((c: any) => c.id)).to.deep.equal([conversationId]);
    expect((await list('unassigned')).conversations).to.have.length(0);
    expect((await list('open')).counts).to.include({ mine: 1, unassigned: 0, unread: 0 });
    expect((await h.api('GET', '/api/v1/conversations?queue=everything', { token: nurse })).status).to.equal(400);
  });

  it('the open queue: risk first, then longest waiting, then those answered; counts by the database, other services unseen', async () => {
    // Beside the first conversation (waiting since the start, no risk): more of each kind.
    await h.sendSms({ from: '+447700900601', to: SCHOOL_NURSING_SMS, body: 'can i get the pill' });
    h.clock.advance(MINUTE);
    await h.sendSms({ from: '+447700900602', to: SCHOOL_NURSING_SMS, body: "i've been self-harming again" });
    h.clock.advance(MINUTE);
    await h.sendSms({ from: '+447700900603', to: SCHOOL_NURSING_SMS, body: 'i want to kill myself' });
    await h.sendSms({ from: '+447700900604', to: HEALTH_VISITING_SMS, body: 'i want to kill myself' });
    const answered = (await h.app.db.manager.find(Conversation, {})).find((c) => c.id !== conversationId && c.riskLevel === 'none' && c.serviceSlug === 'school-nursing')!;
    expect((await h.api('POST', `/api/v1/conversations/${answered.id}/messages`, { token: nurse, body: { text: 'Hello, a nurse here.' } })).status).to.equal(201);
    await h.api('POST', `/api/v1/conversations/${answered.id}/claim`, { token: nurse });

    const { body } = await h.api('GET', '/api/v1/conversations?queue=open', { token: nurse });
    const risk = (c: any) => `${c.riskLevel}${c.awaitingReplySince ? '' : ' answered'}`;
    expect(body.conversations.map(risk)).to.deep.equal(['high', 'medium', 'none', 'none answered']);
    expect(body.conversations[2].id).to.equal(conversationId);
    expect(body.conversations[0].escalated).to.equal(true);
    expect(body.counts).to.deep.equal({ escalated: 1, unassigned: 3, mine: 1, open: 4, unread: 4, notRecorded: 4 });
    expect(body.total).to.equal(4);
    const escalated = (await h.api('GET', '/api/v1/conversations?queue=escalated', { token: nurse })).body;
    expect(escalated.conversations.map((c: any) => c.riskLevel)).to.deep.equal(['high']);
    expect((await h.api('GET', '/api/v1/conversations?queue=mine', { token: nurse })).body.conversations.map((c: any) => c.id)).to.deep.equal([answered.id]);
    expect((await h.api('GET', '/api/v1/conversations?queue=open', { token: otherService })).body.counts).to.include({ open: 1, escalated: 1 });
  });

  it('assign: to a colleague of the service; not to someone outside it; not by a clinician who does not have it', async () => {
    await post('claim', nurse);
    expect((await post('assign', nurse, { staffId: await staffId('hv@example.nhs.uk') })).status).to.equal(400);
    const assigned = await post('assign', nurse, { staffId: await staffId('colleague@example.nhs.uk') });
    expect(assigned.body.assignedTo.name).to.equal('colleague');
    expect((await post('assign', nurse, { staffId: await staffId('nurse@example.nhs.uk') })).status).to.equal(403);
    expect((await post('assign', lead, { staffId: await staffId('nurse@example.nhs.uk') })).status).to.equal(200);
  });

  it('transfer: needs a note, moves the conversation to the other service, which now sees it and the note', async () => {
    expect((await post('transfer', nurse, { service: 'health-visiting' })).status).to.equal(400);
    expect((await post('transfer', nurse, { service: 'dentistry', note: 'x' })).status).to.equal(400);
    const moved = await post('transfer', nurse, { service: 'health-visiting', note: 'Parent asking about a baby under 1' });
    expect(moved.status).to.equal(200);
    expect((await h.api('GET', `/api/v1/conversations/${conversationId}`, { token: nurse })).status).to.equal(404);
    const { body } = await h.api('GET', `/api/v1/conversations/${conversationId}`, { token: otherService });
    expect(body.service).to.equal('health-visiting');
    expect(body.notes[0]).to.include({ kind: 'transfer', text: 'Transferred from School Nursing to Health Visiting: Parent asking about a baby under 1' });
  });

  it('transfer: refused when the contact already has an open conversation with that service', async () => {
    await h.sendSms({ from: PHONE, to: HEALTH_VISITING_SMS, body: 'hello health visitors' });
    const refused = await post('transfer', nurse, { service: 'health-visiting', note: 'moving' });
    expect(refused.status).to.equal(409);
    expect(refused.body.error).to.equal('already_open_there');
  });

  it('close: needs a known outcome; then replies are refused, and the next text opens a new conversation', async () => {
    expect((await post('close', nurse, { outcome: 'vibes' })).status).to.equal(400);
    expect((await post('close', nurse, { outcome: 'advice-given' })).status).to.equal(200);
    expect((await post('close', nurse, { outcome: 'advice-given' })).status).to.equal(409);
    expect((await post('messages', nurse, { text: 'hello?' })).status).to.equal(409);
    const closed = (await h.api('GET', '/api/v1/conversations?queue=closed', { token: nurse })).body.conversations;
    expect(closed.map((c: any) => [c.id, c.outcome])).to.deep.equal([[conversationId, 'advice-given']]);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'me again' });
    expect(await h.app.db.manager.count(Conversation)).to.equal(2);
    const fresh = await h.app.db.manager.findOneByOrFail(Conversation, { status: 'open' });
    const { body } = await h.api('GET', `/api/v1/conversations/${fresh.id}`, { token: nurse });
    expect(body.history.map((c: any) => c.id)).to.deep.equal([conversationId]);
  });

  it('notes are staff-only, encrypted at rest, never sent; the clinical-record flag is set once', async () => {
    const note = await post('notes', nurse, { text: 'Discussed with safeguarding lead' });
    expect(note.status).to.equal(201);
    expect((await h.app.db.manager.findOneByOrFail(Note, {})).bodyCipher).not.to.contain('safeguarding');
    expect((await post('notes', nurse, { text: '  ' })).status).to.equal(400);
    expect((await post('recorded', nurse)).body).to.deep.equal({ recorded: true });
    const { body } = await h.api('GET', `/api/v1/conversations/${conversationId}`, { token: nurse });
    expect(body.recorded).to.equal(true);
    expect(body.notes.map((n: any) => n.text)).to.deep.equal(['Discussed with safeguarding lead']);
    await eventually(() => h.twilio.sent.length === 1, 'only the welcome was ever sent');
    await h.app.outbox.runOnce();
    expect(h.twilio.sent).to.have.length(1);
  });

  it('block: a clinician can block; replies are refused; only a duty lead or admin can unblock (403 otherwise)', async () => {
    expect((await post('block', nurse)).status).to.equal(200);
    expect((await post('messages', nurse, { text: 'hi' })).body.error).to.equal('contact_blocked');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'still here' });
    expect(await h.app.db.manager.count(Message, { where: { direction: 'in' } })).to.equal(2);
    expect((await post('unblock', nurse)).status).to.equal(403);
    expect((await post('unblock', lead)).status).to.equal(200);
    expect((await post('messages', nurse, { text: 'hi' })).status).to.equal(201);
  });

  it('retry: a failed reply is sent again on request; anything not failed is 409', async () => {
    await eventually(() => h.twilio.sent.length === 1, 'the welcome');
    h.twilio.failNext(1, 400, 21211);
    const reply = await post('messages', nurse, { text: 'Are you OK?' });
    const failed = await eventually(async () => {
      const { body } = await h.api('GET', `/api/v1/conversations/${conversationId}`, { token: nurse });
      return body.messages.find((m: any) => m.id === reply.body.id && m.delivery.status === 'failed');
    }, 'the reply failing');
    expect(failed.delivery.lastError).to.equal('Twilio answered 400 (code 21211, permanent)');
    expect((await post('retry', nurse, { messageId: failed.id })).status).to.equal(200);
    await eventually(() => h.twilio.sent.some((m) => m.body === 'Are you OK?'), 'the retried reply');
    await eventually(async () => (await h.api('GET', `/api/v1/conversations/${conversationId}`, { token: nurse })).body.messages.find((m: any) => m.id === failed.id).delivery.status === 'sent', 'recorded as sent');
    expect((await post('retry', nurse, { messageId: failed.id })).status).to.equal(409);
    expect(await audited('message.retry')).to.not.equal(null);
  });

  it('every action on another service\'s conversation is 404, and changes nothing', async () => {
    for (const [path, body] of [['claim'], ['assign', { staffId: 'x' }], ['transfer', { service: 'sexual-health', note: 'n' }], ['close', { outcome: 'other' }],
      ['recorded'], ['notes', { text: 'n' }], ['clear-risk', { reason: 'other', note: 'n' }], ['reopen', { note: 'n' }], ['block'], ['unblock'], ['messages', { text: 'hi' }], ['retry', { messageId: 'x' }]] as [string, unknown?][]) {
      expect((await post(path, otherService, body)).status, path).to.equal(404);
    }
    expect((await h.api('GET', `/api/v1/conversations/${conversationId}/transcript.txt`, { token: otherService })).status).to.equal(404);
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, { id: conversationId });
    expect(conversation).to.include({ status: 'open', assignedStaffId: null, serviceSlug: 'school-nursing', recordedAt: null });
  });

  it('the audit trail is an admin action: 403 for a clinician; an admin sees this service\'s events', async () => {
    expect((await h.api('GET', '/api/v1/audit', { token: nurse })).status).to.equal(403);
    const admin = await h.staff('admin@example.nhs.uk', 'admin', 'school-nursing');
    await post('claim', nurse);
    const { status, body } = await h.api('GET', '/api/v1/audit', { token: admin });
    expect(status).to.equal(200);
    expect(body.events.map((e: any) => e.action)).to.include('conversation.claim');
  });

  it('the transcript is plain text with who said what, and its export is audited', async () => {
    await post('messages', nurse, { text: 'Hello, I am the school nurse' });
    const response = await fetch(`${h.app.url}/api/v1/conversations/${conversationId}/transcript.txt`, { headers: { authorization: `Bearer ${nurse}` } });
    expect(response.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    const text = await response.text();
    expect(text).to.contain('Service user').and.contain('hi, can i talk to someone').and.contain('Clinician (nurse)').and.contain('Hello, I am the school nurse').and.contain('Auto-reply (welcome)');
    // Times in British English and UK time with the zone named, never raw UTC ISO strings.
    expect(text).to.match(/\[24 Nov 2026, \d\d:\d\d:\d\d GMT\] Service user/);
    expect(text).not.to.match(/\d{4}-\d\d-\d\dT/);
    expect(await audited('conversation.export')).to.not.equal(null);
  });

  it('the PDF transcript is a PDF whose text holds the messages, in any script', async () => {
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'Привет, μπορώ να μιλήσω' });
    const response = await fetch(`${h.app.url}/api/v1/conversations/${conversationId}/transcript.pdf`, { headers: { authorization: `Bearer ${nurse}` } });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/pdf');
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
    const { execFileSync } = await import('node:child_process');
    let text: string;
    try {
      text = execFileSync('pdftotext', ['-', '-'], { input: pdf, encoding: 'utf8' });
    } catch (error) {
      if (process.env.CI || process.env.LAMPLIGHT_REQUIRE_BROWSER === '1') throw error; // CI installs it (.ci/run)
      return; // poppler-utils not installed on this machine (CI installs it): the header check stands
    }
    expect(text).to.contain('hi, can i talk to someone').and.contain('Привет').and.contain('μπορώ').and.contain('Service user');
    expect(text).to.contain('CONFIDENTIAL').and.match(/page 1 of 1/);
  });

  it('a long conversation comes a page at a time, newest first: each answer says where the next page back starts, and the pages join up with nothing missed or twice', async () => {
    for (let i = 1; i <= 4; i++) {
      h.clock.advance(1000);
      await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: `message ${i}` });
    }
    const all = (await h.api('GET', `/api/v1/conversations/${conversationId}`, { token: nurse })).body;
    expect(all.olderMessages).to.equal(null);
    const seen: string[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = (await h.api('GET', `/api/v1/conversations/${conversationId}?limit=2${before ? `&before=${encodeURIComponent(before)}` : ''}`, { token: nurse })).body;
      expect(page.messages.length).to.be.at.most(2);
      seen.unshift(...page.messages.map((m: { id: string }) => m.id));
      if (!page.olderMessages) break;
      before = page.olderMessages.before;
    }
    expect(seen).to.deep.equal(all.messages.map((m: { id: string }) => m.id));
    for (const bad of ['limit=0', 'limit=501', 'limit=two', 'before=yesterday', 'before=1%3Anot-an-id']) {
      expect((await h.api('GET', `/api/v1/conversations/${conversationId}?${bad}`, { token: nurse })).status, bad).to.equal(400);
    }
  });

  it('while a long conversation\'s PDF is laid out, the server keeps answering: a health check sent after the export returns before it', async () => {
    // 3,000 messages, sealed as the gateway seals them, written straight to the store.
    const keyring = Keyring.fromBase64(h.dataKey);
    const start = h.clock.now().getTime();
    const rows: Message[] = Array.from({ length: 3000 }, (_, i) => {
      const id = randomUUID();
      return {
        id, conversationId, channel: 'sms', externalId: `SMbulk${i}`, direction: i % 2 ? 'out' : 'in', authorKind: i % 2 ? 'auto' : 'contact', authorStaffId: null,
        autoReplyKind: i % 2 ? 'welcome' : null, ...sealMessageBody(keyring, id, `message ${i}: how do I talk to my mum about what happened at school last week?`),
        createdAt: start + i, riskLevel: null, triageCipher: null,
      };
    });
    for (let i = 0; i < rows.length; i += 200) await h.app.db.manager.insert(Message, rows.slice(i, i + 200));
    const order: string[] = [];
    const pdf = fetch(`${h.app.url}/api/v1/conversations/${conversationId}/transcript.pdf`, { headers: { authorization: `Bearer ${nurse}` } })
      .then(async (r) => { await r.arrayBuffer(); order.push(`pdf ${r.status}`); });
    // Once the export has been read from the store and handed to the layout.
    await eventually(async () => (await h.app.db.manager.countBy(AuditEvent, { action: 'conversation.export' })) > 0, 'the export audited');
    const health = fetch(`${h.app.url}/healthz`).then((r) => { order.push(`healthz ${r.status}`); });
    await Promise.all([pdf, health]);
    expect(order).to.deep.equal(['healthz 200', 'pdf 200']);
    // Read a page at a time, the transcript still holds every message once, in order.
    const text = await (await fetch(`${h.app.url}/api/v1/conversations/${conversationId}/transcript.txt`, { headers: { authorization: `Bearer ${nurse}` } })).text();
    const numbers = [...text.matchAll(/message (\d+): how do I talk/g)].map((m) => Number(m[1]));
    expect(numbers).to.deep.equal(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('a transcript is marked confidential, names its file by service, date and last four digits, and carries why messages were flagged and the escalation with who acknowledged it', async () => {
    await h.sendSms({ from: '+447700900777', to: SCHOOL_NURSING_SMS, body: 'i took 30 of my mums pills' });
    const flagged = (await h.app.db.manager.findOneByOrFail(Conversation, { riskLevel: 'high' }));
    const lead = await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    const escalation = await h.app.db.manager.findOneByOrFail(Escalation, { conversationId: flagged.id });
    expect((await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: lead, body: { outcome: 'Rang her mum' } })).status).to.equal(200);
    const response = await fetch(`${h.app.url}/api/v1/conversations/${flagged.id}/transcript.txt`, { headers: { authorization: `Bearer ${nurse}` } });
    expect(response.headers.get('content-disposition')).to.match(/^attachment; filename="lamplight-school-nursing-\d{4}-\d\d-\d\d-0777\.txt"$/);
    const text = await response.text();
    expect(text).to.contain('CONFIDENTIAL');
    expect(text).to.match(/Escalated \d+ \w+ 2026, .* \(overdose; 1 high-risk message\)\./);
    expect(text).to.match(/Acknowledged by lead \d+ \w+ 2026, [^:]+:\d\d:\d\d GMT: Rang her mum\./);
    expect(text).to.contain('Flagged: high risk, overdose: "took 30 of my mums pills"');
  });
});
