import { expect } from 'chai';
import { Contact, Message, OutboxItem } from '../../db/entities';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const PHONE = '+447700900555';

describe('STOP and START (SMS consent)', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when the contact texts STOP, then only the opt-out confirmation goes out and nothing after it until START', async () => {
    h = await startHarness();
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi' });
    await eventually(() => h.twilio.sent.length === 1, 'welcome');

    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'STOP' });
    const confirmation = await eventually(() => h.twilio.sent[1], 'opt-out confirmation');
    expect(confirmation.body).to.contain("You won't get any more texts from School Nursing");
    expect((await h.app.db.manager.findOneByOrFail(Contact, {})).consent).to.equal('opted_out');

    const { body: list } = await h.api('GET', '/api/v1/conversations', { token });
    const conversationId = list.conversations[0].id;
    const refused = await h.api('POST', `/api/v1/conversations/${conversationId}/messages`, { token, body: { text: 'Are you OK?' } });
    expect(refused.status).to.equal(409);
    expect(refused.body.error).to.equal('contact_opted_out');

    // Still heard: a later message is stored and shown, but earns no automatic reply.
    h.clock.set('2026-11-28T11:00:00Z');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'actually I do need help' });
    await h.app.outbox.runOnce();
    expect(h.twilio.sent).to.have.length(2);
    expect(await h.app.db.manager.count(Message, { where: { direction: 'in' } })).to.equal(3);

    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'START' });
    const optIn = await eventually(() => h.twilio.sent[2], 'opt-in confirmation');
    expect(optIn.body).to.contain('You can message School Nursing again');
    const reply = await h.api('POST', `/api/v1/conversations/${conversationId}/messages`, { token, body: { text: 'Thanks for getting back in touch.' } });
    expect(reply.status).to.equal(201);
    await eventually(() => h.twilio.sent.some((s) => s.body === 'Thanks for getting back in touch.'), 'the clinician reply after START');
  });

  it('when a reply was already queued as STOP arrived, then the outbox refuses it before calling the provider', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000 } });
    await h.app.outbox.stop();
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi' });
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'stop' });
    await h.app.outbox.runOnce();
    await h.app.outbox.runOnce();
    expect(h.twilio.sent.map((s) => s.body)).to.have.length(1);
    expect(h.twilio.sent[0].body).to.contain("won't get any more texts");
    const welcome = await h.app.db.manager.findOneByOrFail(Message, { autoReplyKind: 'welcome' });
    const item = await h.app.db.manager.findOneByOrFail(OutboxItem, { messageId: welcome.id });
    expect(item.status).to.equal('failed');
    expect(item.lastError).to.equal('the contact has opted out (STOP); nothing can be sent until they text START');
  });
});
