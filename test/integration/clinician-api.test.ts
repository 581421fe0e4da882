import { expect } from 'chai';
import { generateKeyPair } from 'jose';
import { AuditEvent, Message, StaffMember } from '../../db/entities';
import { eventually, Harness, HEALTH_VISITING_SMS, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const PHONE = '+447700900555';

describe('clinician API: identity', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
  });
  after(async () => h.close());

  it('when there is no token, then 401 with a Bearer challenge', async () => {
    const response = await fetch(`${h.app.url}/api/v1/conversations`);
    expect(response.status).to.equal(401);
    expect(response.headers.get('www-authenticate')).to.equal('Bearer');
  });

  const badTokens: [string, () => Promise<string>][] = [
    ['garbage', async () => 'not.a.jwt'],
    ['another issuer', () => h.idp.token('nurse@example.nhs.uk', { issuer: 'https://evil.example/' })],
    ['another audience', () => h.idp.token('nurse@example.nhs.uk', { audience: 'api://something-else' })],
    ['expired', () => h.idp.token('nurse@example.nhs.uk', { expiresIn: '-2h' })],
    ['signed by an unknown key', async () => h.idp.token('nurse@example.nhs.uk', { key: (await generateKeyPair('RS256')).privateKey })],
  ];
  for (const [name, make] of badTokens) {
    it(`when the token is ${name}, then 401`, async () => {
      expect((await h.api('GET', '/api/v1/conversations', { token: await make() })).status).to.equal(401);
    });
  }

  it('when the token is valid but names nobody on the staff list, then 403', async () => {
    const response = await h.api('GET', '/api/v1/conversations', { token: await h.idp.token('stranger@example.com') });
    expect(response.status).to.equal(403);
    expect(response.body.error).to.equal('not_staff');
  });

  it('when an Entra token carries an oid, then it is bound on first sign-in and recognised after an email change', async () => {
    const first = await h.api('GET', '/api/v1/me', { token: await h.idp.token('nurse@example.nhs.uk', { claims: { oid: '00000000-0000-0000-0000-00000000aaaa' } }) });
    expect(first.status).to.equal(200);
    expect((await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'nurse@example.nhs.uk' })).oid).to.equal('00000000-0000-0000-0000-00000000aaaa');
    const renamed = await h.api('GET', '/api/v1/me', { token: await h.idp.token('nurse.married-name@example.nhs.uk', { claims: { oid: '00000000-0000-0000-0000-00000000aaaa' } }) });
    expect(renamed.status).to.equal(200);
    expect(renamed.body.memberships).to.deep.equal([{ serviceSlug: 'school-nursing', role: 'clinician' }]);
  });

  it('when a token without an expiry is presented, then 401, however valid the rest of it', async () => {
    const response = await h.api('GET', '/api/v1/me', { token: await h.idp.token('nurse@example.nhs.uk', { expiresIn: null }) });
    expect(response.status).to.equal(401);
    expect(response.body.error).to.equal('unauthorised');
  });

  it('when another Entra account carries the email of a staff member whose object id is bound, then 401, and the binding stays', async () => {
    await h.staff('duty@example.nhs.uk', 'duty-lead', 'school-nursing');
    const own = await h.api('GET', '/api/v1/me', { token: await h.idp.token('duty@example.nhs.uk', { claims: { oid: '00000000-0000-0000-0000-00000000bbbb' } }) });
    expect(own.status).to.equal(200);
    const impostor = await h.api('GET', '/api/v1/me', { token: await h.idp.token('duty@example.nhs.uk', { claims: { oid: '00000000-0000-0000-0000-00000000cccc' } }) });
    expect(impostor.status).to.equal(401);
    const withoutOid = await h.api('GET', '/api/v1/me', { token: await h.idp.token('duty@example.nhs.uk') });
    expect(withoutOid.status).to.equal(401);
    expect((await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'duty@example.nhs.uk' })).oid).to.equal('00000000-0000-0000-0000-00000000bbbb');
    const again = await h.api('GET', '/api/v1/me', { token: await h.idp.token('duty@example.nhs.uk', { claims: { oid: '00000000-0000-0000-0000-00000000bbbb' } }) });
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal({
      id: again.body.id, email: 'duty@example.nhs.uk', name: 'duty', memberships: [{ serviceSlug: 'school-nursing', role: 'duty-lead' }],
      teamsNotices: { personalChat: false, muteNonUrgent: false },
      escalationAlerts: { onLadder: true, workMobile: null, bySms: true, byEmail: false, email: 'duty@example.nhs.uk' },
    });
  });

  it('serves the OpenAPI description of the routes', async () => {
    const { status, body } = await h.api('GET', '/api/v1/openapi.json');
    expect(status).to.equal(200);
    expect(Object.keys(body.paths)).to.include.members(['/conversations', '/conversations/{id}', '/conversations/{id}/messages', '/audit', '/audit.csv', '/events']);
  });
});

describe('clinician API: conversations', () => {
  let h: Harness;
  let nurse: string;
  let healthVisitor: string;
  afterEach(async () => h?.close());
  beforeEach(async () => {
    h = await startHarness();
    nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    healthVisitor = await h.staff('hv@example.nhs.uk', 'clinician', 'health-visiting');
  });

  it('when a clinician lists and opens a conversation of their service, then they see the thread in order, and both reads are audited', async () => {
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'can I get the pill without my mum knowing?' });
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token: nurse });
    expect(list.conversations).to.have.length(1);
    expect(list.conversations[0]).to.include({ service: 'school-nursing', channel: 'sms', status: 'open', contactLabel: '•••• 0555' });
    expect(list.conversations[0].replyDueBy).to.equal('2026-11-25T10:00:00.000Z');
    const { status, body } = await h.api('GET', `/api/v1/conversations/${list.conversations[0].id}`, { token: nurse });
    expect(status).to.equal(200);
    expect(body.contact.address).to.equal(PHONE);
    expect(body.messages.map((m: any) => [m.authorKind, m.autoReplyKind])).to.deep.equal([['contact', null], ['auto', 'welcome']]);
    expect(body.messages[0].text).to.equal('can I get the pill without my mum knowing?');
    const audit = await h.app.db.manager.find(AuditEvent, { order: { at: 'ASC' } });
    expect(audit.map((a) => a.action)).to.include.members(['conversation.list', 'conversation.read']);
    expect(audit.find((a) => a.action === 'conversation.read')!.subjectId).to.equal(list.conversations[0].id);
    expect(JSON.stringify(audit)).not.to.contain('pill');
  });

  it('when a clinician of another service asks for the conversation, then 404 for reading and replying, and it is not listed', async () => {
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token: nurse });
    const id = list.conversations[0].id;
    expect((await h.api('GET', `/api/v1/conversations/${id}`, { token: healthVisitor })).status).to.equal(404);
    expect((await h.api('POST', `/api/v1/conversations/${id}/messages`, { token: healthVisitor, body: { text: 'hi' } })).status).to.equal(404);
    expect((await h.api('GET', '/api/v1/conversations', { token: healthVisitor })).body.conversations).to.deep.equal([]);
    expect(await h.app.db.manager.count(Message, { where: { authorKind: 'clinician' } })).to.equal(0);
  });

  it('when a clinician replies, then the SMS goes from the service number to the contact, the wait clears, and the send is audited', async () => {
    await h.sendSms({ from: PHONE, to: HEALTH_VISITING_SMS, body: 'my baby has a rash' });
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token: healthVisitor });
    const id = list.conversations[0].id;
    h.clock.advance(5 * 60_000);
    const reply = await h.api('POST', `/api/v1/conversations/${id}/messages`, { token: healthVisitor, body: { text: 'Does the rash fade when you press a glass on it?' } });
    expect(reply.status).to.equal(201);
    expect(reply.body).to.include({ authorKind: 'clinician', authorName: 'hv', text: 'Does the rash fade when you press a glass on it?' });
    const sms = await eventually(() => h.twilio.sent.find((s) => s.body.startsWith('Does the rash')), 'the reply SMS');
    expect(sms.to).to.equal(PHONE);
    expect(sms.from).to.equal(HEALTH_VISITING_SMS);
    const { body } = await h.api('GET', `/api/v1/conversations/${id}`, { token: healthVisitor });
    expect(body.awaitingReplySince).to.equal(null);
    expect(body.messages.at(-1)).to.include({ authorKind: 'clinician', authorName: 'hv' });
    const sent = await h.app.db.manager.findOneByOrFail(AuditEvent, { action: 'message.send' });
    expect(sent.actorId).to.equal((await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'hv@example.nhs.uk' })).id);
  });

  it('when the reply is empty, too long, not JSON or has no text, then 400 (415 for another content type) and nothing is queued', async () => {
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token: nurse });
    const path = `/api/v1/conversations/${list.conversations[0].id}/messages`;
    for (const body of [{ text: '   ' }, { text: 'x'.repeat(1601) }, { message: 'hi' }, { text: 42 }, '{"text": "unterminated']) {
      const response = await h.api('POST', path, { token: nurse, body });
      expect(response.status, JSON.stringify(body)).to.equal(400);
    }
    const plain = await fetch(`${h.app.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${nurse}`, 'content-type': 'text/plain' }, body: 'hi' });
    expect(plain.status).to.equal(415);
    expect(plain.headers.get('accept')).to.equal('application/json');
    expect(await h.app.db.manager.count(Message, { where: { authorKind: 'clinician' } })).to.equal(0);
  });

  it('when the id is not a conversation id, or the status filter is unknown, then a clear 4xx', async () => {
    expect((await h.api('GET', '/api/v1/conversations/not-an-id', { token: nurse })).status).to.equal(404);
    expect((await h.api('GET', '/api/v1/conversations/00000000-0000-0000-0000-000000000000', { token: nurse })).status).to.equal(404);
    expect((await h.api('GET', '/api/v1/conversations?status=everything', { token: nurse })).status).to.equal(400);
  });
});

describe('clinician API: a reply sent once, and only what a phone should carry', () => {
  let h: Harness;
  let token: string;
  let conversationId: string;
  before(async () => {
    h = await startHarness();
    token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'can i book a drop in' });
    conversationId = (await h.api('GET', '/api/v1/conversations', { token })).body.conversations[0].id;
  });
  after(async () => h.close());

  const send = (text: string, key?: string) => fetch(`${h.app.url}/api/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify({ text }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));
  const clinicianMessages = () => h.app.db.manager.count(Message, { where: { conversationId, authorKind: 'clinician' } });

  it('when the same reply is sent twice with one Idempotency-Key (a double click, a retried request), then one message is stored and sent, and both answers name it', async () => {
    const before = await clinicianMessages();
    const first = await send('Yes, Tuesdays at 12', 'reply-3f1c2a9e-0001');
    const second = await send('Yes, Tuesdays at 12', 'reply-3f1c2a9e-0001');
    expect([first.status, second.status]).to.deep.equal([201, 201]);
    expect(second.body.id).to.equal(first.body.id);
    expect(second.body.replayed).to.equal(true);
    // At the same moment, too: the database's unique key decides, and the loser answers with the winner.
    const [a, b] = await Promise.all([send('See you then', 'reply-3f1c2a9e-0002'), send('See you then', 'reply-3f1c2a9e-0002')]);
    expect(a.body.id).to.equal(b.body.id);
    expect(await clinicianMessages()).to.equal(before + 2);
    await eventually(() => h.twilio.sent.filter((m) => m.body === 'See you then').length === 1, 'one copy sent');
    // Without a key every press is a reply of its own (the tab always sends one).
    await send('ok');
    await send('ok');
    expect(await clinicianMessages()).to.equal(before + 4);
  });

  it('when a key is used again for a different reply, then 409, and a malformed key 400', async () => {
    await send('First words', 'reply-3f1c2a9e-0003');
    const reused = await send('Other words', 'reply-3f1c2a9e-0003');
    expect(reused.status).to.equal(409);
    expect(reused.body.error).to.equal('idempotency_key_reused');
    expect((await send('Hello', 'x y')).status).to.equal(400);
  });

  it('when a reply holds bidi overrides or NUL, then they are taken out before it is stored and sent, and the answer says how many', async () => {
    const sent = await send('Ring 111 \u202Eor 999\u202C now\u0000', 'reply-3f1c2a9e-0004');
    expect(sent.status).to.equal(201);
    expect(sent.body.text).to.equal('Ring 111 or 999 now');
    expect(sent.body.removedControls).to.equal(3);
    await eventually(() => h.twilio.sent.some((m) => m.body === 'Ring 111 or 999 now'), 'the clean reply on the phone');
    expect((await send('\u202E\u0000', 'reply-3f1c2a9e-0005')).status).to.equal(400);
  });
});
