import { expect } from 'chai';
import { Conversation, Message, ReportHour } from '../../db/entities';
import { rebuildReportFigures } from '../../db/report-hours';
import { Harness, HEALTH_VISITING_SMS, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

/**
 * The report figures kept as messages are written (db/report-hours.ts) are the ones worked out
 * from the records afterwards: through the real webhook, auto-replies, a clinician's replies, a
 * close and a return, on SQLite (group commit, units in savepoints) and PostgreSQL (ON CONFLICT).
 */
describe('report figures kept with the records', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  const FIRST = '+447700900680';
  const SECOND = '+447700900681';

  async function figures() {
    const hours = (await h.app.db.manager.find(ReportHour)).map((r) => ({ ...r, hour: Number(r.hour), messages: Number(r.messages) }))
      .sort((a, b) => `${a.serviceSlug}|${a.hour}|${a.direction}|${a.channel}|${a.risk}`.localeCompare(`${b.serviceSlug}|${b.hour}|${b.direction}|${b.channel}|${b.risk}`));
    const conversations = (await h.app.db.manager.find(Conversation, { order: { createdAt: 'ASC' } }))
      .map((c) => ({ id: c.id, serviceSlug: c.serviceSlug, firstReplyAt: c.firstReplyAt, outOfHoursAt: c.outOfHoursAt, repeatContact: Boolean(c.repeatContact) }));
    return { hours, conversations };
  }

  it('counts each message in its service and hour, marks first replies, out-of-hours answers and returning contacts, and agrees with a rebuild from the records', async () => {
    h = await startHarness();
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');

    // Saturday: out of hours, so the welcome and the out-of-hours reply.
    h.clock.set('2026-11-28T11:00:00Z');
    await h.sendSms({ from: FIRST, to: SCHOOL_NURSING_SMS, body: 'hi can i talk to someone about my periods' });
    h.clock.set('2026-11-28T11:20:00Z');
    await h.sendSms({ from: FIRST, to: SCHOOL_NURSING_SMS, body: 'its ok if its monday' });
    const [first] = await h.app.db.manager.find(Conversation);

    // Monday: two replies, then closed.
    h.clock.set('2026-11-30T09:40:00Z');
    expect((await h.api('POST', `/api/v1/conversations/${first.id}/messages`, { token: nurse, body: { text: 'Hi, I am one of the school nurses. How can I help?' } })).status).to.equal(201);
    h.clock.set('2026-11-30T10:05:00Z');
    expect((await h.api('POST', `/api/v1/conversations/${first.id}/messages`, { token: nurse, body: { text: 'You can come to the drop-in on Thursday.' } })).status).to.equal(201);
    const outcome = h.app.directory.config.outcomes[0];
    expect((await h.api('POST', `/api/v1/conversations/${first.id}/close`, { token: nurse, body: { outcome } })).status).to.equal(200);

    // The same young person again, at risk, and someone new with another service.
    h.clock.set('2026-11-30T14:10:00Z');
    await h.sendSms({ from: FIRST, to: SCHOOL_NURSING_SMS, body: 'ive taken loads of pills' });
    await h.sendSms({ from: SECOND, to: HEALTH_VISITING_SMS, body: 'my baby is not feeding well' });

    const kept = await figures();
    const messages = await h.app.db.manager.find(Message, { order: { createdAt: 'ASC' } });
    expect(kept.hours.reduce((n, r) => n + r.messages, 0)).to.equal(messages.length);
    const firstReply = messages.find((m) => m.conversationId === first.id && m.authorKind === 'clinician')!;
    const outOfHours = messages.find((m) => m.conversationId === first.id && m.autoReplyKind === 'out_of_hours');
    expect(outOfHours, 'the out-of-hours auto-reply').to.exist;
    expect(kept.conversations).to.have.length(3);
    expect(kept.conversations[0]).to.include({ firstReplyAt: firstReply.createdAt, outOfHoursAt: outOfHours!.createdAt, repeatContact: false });
    expect(kept.conversations[1]).to.include({ serviceSlug: 'school-nursing', firstReplyAt: null, repeatContact: true });
    expect(kept.conversations[2]).to.include({ serviceSlug: 'health-visiting', firstReplyAt: null, repeatContact: false });
    const hourOf = (iso: string) => Date.parse(iso) / 3_600_000;
    expect(kept.hours.filter((r) => r.hour === hourOf('2026-11-30T14:00:00Z') && r.direction === 'in'))
      .to.deep.equal([
        { serviceSlug: 'health-visiting', hour: hourOf('2026-11-30T14:00:00Z'), direction: 'in', channel: 'sms', risk: 'none', messages: 1 },
        { serviceSlug: 'school-nursing', hour: hourOf('2026-11-30T14:00:00Z'), direction: 'in', channel: 'sms', risk: 'high', messages: 1 },
      ]);

    await h.app.db.transaction((tx) => rebuildReportFigures(tx));
    expect(await figures()).to.deep.equal(kept);
  });
});
