import { expect } from 'chai';
import twilio from 'twilio';
import { Contact, Conversation, Message, OutboxItem } from '../../../db/entities';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness, TWILIO_AUTH_TOKEN } from '../../support/harness';
import delivered from '../../../adapters/sms/fixtures/status__delivered.json';
import undelivered from '../../../adapters/sms/fixtures/status__undelivered.json';

const PHONE = '+447700900555';

describe('inbound SMS (Twilio webhook)', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when a signed text arrives in hours, then it is stored, answered with empty TwiML, and the welcome reaches the phone', async () => {
    h = await startHarness();
    const response = await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi can i ask about my periods' });
    expect(response.status).to.equal(200);
    expect(response.body).to.equal('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect(await h.app.db.manager.count(Message, { where: { direction: 'in' } })).to.equal(1);
    const sms = await eventually(() => h.twilio.sent[0], 'the welcome SMS');
    expect(sms.to).to.equal(PHONE);
    expect(sms.from).to.equal(SCHOOL_NURSING_SMS);
    expect(sms.body).to.contain('School Nursing team at Lamplight Demo Community NHS Trust');
    expect(sms.statusCallback).to.match(new RegExp(`^${h.app.publicUrl}/api/sms/twilio/status\\?outbox=[0-9a-f-]{36}$`));
  });

  it('when a picture message (MMS) arrives, then it is stored saying so with its words, and the "text only" reply follows the welcome', async () => {
    h = await startHarness();
    const fields = h.twilio.inboundFields({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'look at this' });
    fields.set('NumMedia', '1');
    fields.set('MediaContentType0', 'image/jpeg');
    fields.set('MediaUrl0', 'https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0');
    expect((await h.twilio.postSigned(`${h.app.url}/api/sms/twilio`, fields, `${h.app.publicUrl}/api/sms/twilio`)).status).to.equal(200);
    const [message] = await h.app.db.manager.find(Message, { where: { direction: 'in' } });
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const { body } = await h.api('GET', `/api/v1/conversations/${message.conversationId}`, { token });
    expect(body.messages[0].text).to.equal('[picture message] look at this');
    expect(body.messages.filter((m: { authorKind: string }) => m.authorKind === 'auto').map((m: { autoReplyKind: string }) => m.autoReplyKind)).to.deep.equal(['welcome', 'text_only']);
    const second = await eventually(() => h.twilio.sent[1], 'the text-only reply');
    expect(second.body).to.contain('can only read typed words');
  });

  it('when Twilio\'s own library computes the signature, then the server accepts the webhook', async () => {
    h = await startHarness();
    const fields = h.twilio.inboundFields({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, `${h.app.publicUrl}/api/sms/twilio`, Object.fromEntries(fields));
    const response = await fetch(`${h.app.url}/api/sms/twilio`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: fields.toString() });
    expect(response.status).to.equal(200);
    expect(await h.app.db.manager.count(Message)).to.be.greaterThan(0);
  });

  for (const [name, tamper] of [
    ['one byte of the body changed', (f: URLSearchParams) => f.set('Body', 'hellp')],
    ['the From number changed', (f: URLSearchParams) => f.set('From', '+447700900556')],
  ] as const) {
    it(`when the signature does not match (${name}), then 403 and nothing is stored`, async () => {
      h = await startHarness();
      const fields = h.twilio.inboundFields({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
      const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, `${h.app.publicUrl}/api/sms/twilio`, Object.fromEntries(fields));
      tamper(fields);
      const response = await fetch(`${h.app.url}/api/sms/twilio`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: fields.toString() });
      expect(response.status).to.equal(403);
      expect(await h.app.db.manager.count(Message)).to.equal(0);
      expect(await h.app.db.manager.count(Contact)).to.equal(0);
    });
  }

  it('when the signature header is missing, then 403 and nothing is stored', async () => {
    h = await startHarness();
    const fields = h.twilio.inboundFields({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const response = await fetch(`${h.app.url}/api/sms/twilio`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() });
    expect(response.status).to.equal(403);
    expect(await h.app.db.manager.count(Message)).to.equal(0);
  });

  it('when a signed post lacks From, To or MessageSid, then 400 and nothing is stored', async () => {
    h = await startHarness();
    for (const missing of ['From', 'To', 'MessageSid']) {
      const fields = h.twilio.inboundFields({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
      fields.delete(missing);
      if (missing === 'MessageSid') fields.delete('SmsSid');
      const response = await h.twilio.postSigned(`${h.app.url}/api/sms/twilio`, fields, `${h.app.publicUrl}/api/sms/twilio`);
      expect(response.status, missing).to.equal(400);
    }
    expect(await h.app.db.manager.count(Message)).to.equal(0);
  });

  it('when the To number belongs to no service, then 404 and nothing is stored', async () => {
    h = await startHarness();
    const response = await h.sendSms({ from: PHONE, to: '+447700900199', body: 'hello' });
    expect(response.status).to.equal(404);
    expect(await h.app.db.manager.count(Message)).to.equal(0);
  });

  it('when the same MessageSid is posted 20 times at once, then one message is stored and one welcome is sent', async () => {
    h = await startHarness();
    const responses = await Promise.all(Array.from({ length: 20 }, () => h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello', messageSid: 'SM0000000000000000000000000000dupe' })));
    expect(responses.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
    expect(await h.app.db.manager.count(Message, { where: { direction: 'in' } })).to.equal(1);
    expect(await h.app.db.manager.count(Conversation)).to.equal(1);
    expect(await h.app.db.manager.count(Message, { where: { direction: 'out' } })).to.equal(1);
    await eventually(() => h.twilio.sent.length === 1, 'the welcome');
    await h.app.outbox.runOnce();
    expect(h.twilio.sent).to.have.length(1);
  });

  it('when a new contact sends two different texts at once, then both land in one conversation with one welcome', async () => {
    h = await startHarness();
    const responses = await Promise.all([1, 2, 3].map((n) => h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: `part ${n}` })));
    expect(responses.map((r) => r.status)).to.deep.equal([200, 200, 200]);
    expect(await h.app.db.manager.count(Contact)).to.equal(1);
    expect(await h.app.db.manager.count(Conversation)).to.equal(1);
    expect(await h.app.db.manager.count(Message, { where: { autoReplyKind: 'welcome' } })).to.equal(1);
  });

  it('when a text arrives on a Saturday, then the out-of-hours reply names Monday\'s opening, once per interval', async () => {
    h = await startHarness({ clockStart: '2026-11-28T11:00:00Z' });
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello?' });
    await eventually(() => h.twilio.sent.length === 2, 'welcome and out-of-hours');
    expect(h.twilio.sent[0].body).to.contain('A school nurse will read your message');
    expect(h.twilio.sent[1].body).to.contain('closed right now').and.contain('9am on Monday 30 November');
    h.clock.advance(60 * 60_000);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'anyone?' });
    await h.app.outbox.runOnce();
    expect(h.twilio.sent).to.have.length(2);
  });

  it('when a text arrives on Christmas Day, then the reply skips the bank holidays to Tuesday 29 December', async () => {
    h = await startHarness({ clockStart: '2026-12-25T10:00:00Z' });
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const ooh = await eventually(() => h.twilio.sent.find((s) => s.body.includes('closed right now'))!, 'out-of-hours reply');
    expect(ooh.body).to.contain('9am on Tuesday 29 December');
  });

  it('when the contact writes again in an open conversation, then no second welcome; after it is closed, a new conversation, welcomed again only after the returning period', async () => {
    h = await startHarness();
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'one' });
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'two' });
    expect(await h.app.db.manager.count(Message, { where: { autoReplyKind: 'welcome' } })).to.equal(1);
    const close = async (daysAgo: number) => {
      const open = await h.app.db.manager.findOneByOrFail(Conversation, { status: 'open' });
      await h.app.db.manager.update(Conversation, { id: open.id }, { status: 'closed', openKey: `closed:${open.id}`, closedAt: h.clock.now().getTime() - daysAgo * 86_400_000 });
    };
    // Closed a minute ago: a returning contact, whose welcome came with the last conversation.
    await close(0);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'three' });
    expect(await h.app.db.manager.count(Conversation)).to.equal(2);
    expect(await h.app.db.manager.count(Message, { where: { autoReplyKind: 'welcome' } })).to.equal(1);
    // A month on, the last closed 15 days ago (the period is 14): a fresh start, with a welcome.
    h.clock.advance(30 * 86_400_000);
    await close(15);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'four' });
    expect(await h.app.db.manager.count(Conversation)).to.equal(3);
    expect(await h.app.db.manager.count(Contact)).to.equal(1);
    expect(await h.app.db.manager.count(Message, { where: { autoReplyKind: 'welcome' } })).to.equal(2);
  });
});

describe('SMS delivery callbacks', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  const statusPost = (fixture: Record<string, string>, sid: string) => {
    const fields = new URLSearchParams({ ...fixture, MessageSid: sid, SmsSid: sid });
    return h.twilio.postSigned(`${h.app.url}/api/sms/twilio/status`, fields, `${h.app.publicUrl}/api/sms/twilio/status`);
  };

  it('when Twilio reports delivered, then the clinician API shows it delivered; a late "sent" does not undo it', async () => {
    h = await startHarness();
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi' });
    const sms = await eventually(() => h.twilio.sent[0], 'the welcome');
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token });
    const welcomeDelivery = async () => (await h.api('GET', `/api/v1/conversations/${list.conversations[0].id}`, { token })).body.messages.find((m: any) => m.autoReplyKind === 'welcome').delivery;
    await eventually(async () => (await welcomeDelivery()).status === 'sent', 'sent status');
    expect((await statusPost(delivered, sms.sid)).status).to.equal(200);
    expect((await welcomeDelivery()).status).to.equal('delivered');
    await statusPost({ ...delivered, MessageStatus: 'sent', SmsStatus: 'sent' }, sms.sid);
    expect((await welcomeDelivery()).status).to.equal('delivered');
  });

  it('when Twilio reports undelivered, then the message is marked failed with the provider code', async () => {
    h = await startHarness();
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi' });
    const sms = await eventually(() => h.twilio.sent[0], 'the welcome');
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token });
    await eventually(async () => (await h.api('GET', `/api/v1/conversations/${list.conversations[0].id}`, { token })).body.messages.some((m: any) => m.delivery?.status === 'sent'), 'sent');
    await statusPost(undelivered, sms.sid);
    const { body } = await h.api('GET', `/api/v1/conversations/${list.conversations[0].id}`, { token });
    const welcome = body.messages.find((m: any) => m.autoReplyKind === 'welcome');
    expect(welcome.delivery.status).to.equal('failed');
    expect(welcome.delivery.lastError).to.equal('provider reported undelivered (code 30003)');
  });

  it('when Twilio calls back before it answers the send, then the status is kept and the SID recorded, and the send is not retried', async () => {
    h = await startHarness();
    h.twilio.callbacksBeforeAnswer = true;
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi' });
    const sms = await eventually(() => h.twilio.sent[0], 'the welcome');
    const row = await eventually(async () => {
      const r = await h.app.db.manager.findOneBy(OutboxItem, {});
      return r?.status === 'delivered' && r.providerMessageId ? r : undefined;
    }, 'the row delivered, with its SID');
    expect(row).to.include({ providerMessageId: sms.sid, providerStatus: 'delivered', lockedUntil: null });
    await new Promise((r) => setTimeout(r, 200)); // a few outbox polls
    expect(h.twilio.sent).to.have.length(1);
  });

  it('when a status callback names an outbox row of another channel or no row, then it falls back to the SID', async () => {
    h = await startHarness();
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi' });
    const sms = await eventually(() => h.twilio.sent[0], 'the welcome');
    await eventually(async () => (await h.app.db.manager.findOneByOrFail(OutboxItem, {})).providerMessageId === sms.sid, 'the SID recorded');
    const fields = new URLSearchParams({ ...delivered, MessageSid: sms.sid, SmsSid: sms.sid });
    const url = `/api/sms/twilio/status?outbox=not-a-uuid`;
    expect((await h.twilio.postSigned(`${h.app.url}${url}`, fields, `${h.app.publicUrl}${url}`)).status).to.equal(200);
    expect((await h.app.db.manager.findOneByOrFail(OutboxItem, {})).status).to.equal('delivered');
  });

  it('when a status callback is not signed by Twilio, then 403', async () => {
    h = await startHarness();
    const response = await fetch(`${h.app.url}/api/sms/twilio/status`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'bm9wZQ==' }, body: new URLSearchParams(delivered).toString() });
    expect(response.status).to.equal(403);
  });
});
