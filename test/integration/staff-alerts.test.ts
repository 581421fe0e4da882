import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { AuditEvent, OutboxItem, StaffAlert } from '../../db/entities';
import { FakeSmtp } from '../support/smtp';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const FROM = 'Lamplight alerts <alerts@lamplight.example>';
const LEAD_MOBILE = '+447700900660';
const YOUNG_PERSON = '+447700900662';
const RISK_TEXT = 'i took 30 of my mums pills an hour ago';

/**
 * Escalation alerts by text and email (issue 14 item 5): each ladder step texts the work mobile of
 * everyone it alerts, through the SMS channel's outbox (the Twilio fake), and emails them through a
 * real SMTP relay on loopback, so an alert reaches a person with no tab open and no Teams.
 */
describe('escalation alerts by text and email', () => {
  let h: Harness;
  let smtp: FakeSmtp;
  let lead: string;
  let admin: string;
  const logs: string[] = [];

  async function start(configPath = DEMO_CONFIG_PATH) {
    smtp = await new FakeSmtp().start();
    h = await startHarness({ configPath, smtp: { url: smtp.url, from: FROM }, escalationPollIntervalMs: 50, logDestination: { write: (line) => void logs.push(line) } });
    lead = await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    admin = await h.staff('boss@example.nhs.uk', 'admin', 'school-nursing');
  }
  afterEach(async () => {
    await h?.close();
    await smtp?.close();
    logs.length = 0;
  });

  const textsTo = (number: string) => h.twilio.sent.filter((m) => m.to === number);
  const mailsTo = (email: string) => smtp.mails.filter((m) => m.to.includes(email));
  const escalations = async () => (await h.api('GET', '/api/v1/escalations?status=all', { token: lead })).body.escalations as any[];
  /** Moves the clock past the acknowledgement limit so the ladder climbs (the demo ladder: 10 minutes in hours). */
  const climb = async () => {
    h.clock.advance(11 * 60_000);
    await h.app.escalations.runDue();
  };

  it('a duty lead gives a work mobile; each ladder step then texts it and emails them, with a link and nothing of the message, and the escalations screen shows how each went', async () => {
    await start();
    // The number is checked, kept sealed and audited without the number.
    expect((await h.api('PUT', '/api/v1/me/work-mobile', { token: lead, body: { workMobile: 'call me' } })).status).to.equal(400);
    expect((await h.api('PUT', '/api/v1/me/work-mobile', { token: lead, body: {} })).status).to.equal(400);
    const saved = await h.api('PUT', '/api/v1/me/work-mobile', { token: lead, body: { workMobile: '07700 900660' } });
    expect(saved.status).to.equal(200);
    expect(saved.body).to.deep.equal({ onLadder: true, workMobile: '•••• 0660', bySms: true, byEmail: true, email: 'lead@example.nhs.uk' });
    const [row] = await h.app.db.dataSource.query(`SELECT "workMobileCipher" AS c FROM staff_member WHERE email = 'lead@example.nhs.uk'`);
    expect(row.c).to.be.a('string').and.not.match(/900660|7700/);
    const audit = await h.app.db.manager.findOneByOrFail(AuditEvent, { action: 'staff.work_mobile_set' });
    expect(JSON.stringify(audit)).to.not.match(/900660/);
    expect((await h.api('GET', '/api/v1/me', { token: lead })).body.escalationAlerts.workMobile).to.equal('•••• 0660');

    await h.sendSms({ from: YOUNG_PERSON, to: SCHOOL_NURSING_SMS, body: RISK_TEXT });
    // Level 1 (duty leads): a text from the service's number and an email, each once.
    const [text] = await eventually(() => (textsTo(LEAD_MOBILE).length === 1 ? textsTo(LEAD_MOBILE) : undefined), 'the text to the work mobile');
    const [mail] = await eventually(() => (mailsTo('lead@example.nhs.uk').length === 1 ? mailsTo('lead@example.nhs.uk') : undefined), 'the email');
    const [escalation] = await escalations();
    expect(text.from).to.equal(SCHOOL_NURSING_SMS);
    expect(text.body).to.equal(`Lamplight URGENT: a high-risk message to School Nursing needs a duty lead now (level 1, round 1). Open it to acknowledge: ${h.app.publicUrl}/app/#/conversations/${escalation.conversationId} (Do not reply to this text.)`);
    expect(mail.headers.get('from')).to.equal('Lamplight alerts <alerts@lamplight.example>');
    expect(mail.subject).to.equal('URGENT: high-risk message to School Nursing needs a duty lead (level 1)');
    expect(mail.text).to.contain(`${h.app.publicUrl}/app/#/conversations/${escalation.conversationId}`).and.contain('https://teams.microsoft.com/l/entity/');
    // Nothing of the young person: not their words, not their number, not the risk category.
    for (const what of [text.body, mail.raw]) expect(what).to.not.match(/pills|overdose|0662|900662/i);
    // The admin is not on level 1.
    expect(mailsTo('boss@example.nhs.uk')).to.have.length(0);

    // Nobody acknowledges: level 2 (duty leads and admins). The admin has no work mobile: an email only.
    await climb();
    await eventually(() => textsTo(LEAD_MOBILE).length === 2 && mailsTo('lead@example.nhs.uk').length === 2 && mailsTo('boss@example.nhs.uk').length === 1, 'the level 2 alerts');
    expect(textsTo(LEAD_MOBILE)[1].body).to.contain('(level 2, round 1)');
    expect(h.twilio.sent.filter((m) => m.from === SCHOOL_NURSING_SMS && m.to !== YOUNG_PERSON)).to.have.length(2);

    // Twilio reports the first text delivered and the second undelivered (the phone off the network too long): the screen says so.
    await h.twilio.report(textsTo(LEAD_MOBILE)[0], 'delivered');
    await h.twilio.report(textsTo(LEAD_MOBILE)[1], 'undelivered', 30003);
    const view = await eventually(async () => {
      const [e] = await escalations();
      return e.undelivered === 1 && e.alerts[0].deliveries[0].status === 'delivered' ? e : undefined;
    }, 'the delivery callbacks recorded');
    expect(view.alerts[0].deliveries).to.deep.equal([
      { route: 'sms', to: 'lead', status: 'delivered', problem: null },
      { route: 'email', to: 'lead', status: 'sent', problem: null },
    ]);
    expect(view.alerts[1].deliveries).to.deep.equal([
      // The admin gave no work mobile: the screen says the text could not go.
      { route: 'sms', to: 'boss', status: 'skipped', problem: 'no work mobile on record' },
      { route: 'email', to: 'boss', status: 'sent', problem: null },
      { route: 'sms', to: 'lead', status: 'failed', problem: 'provider reported undelivered (code 30003)' },
      { route: 'email', to: 'lead', status: 'sent', problem: null },
    ]);
    // The staff alerts are not failed sends to the young person (the inbox list flags none), and the log holds no number or address.
    const { body } = await h.api('GET', '/api/v1/conversations', { token: lead });
    expect(body.conversations[0].undelivered).to.equal(null);
    expect(logs.join('\n')).to.not.match(/900660|lead@example\.nhs\.uk/);
    expect(logs.join('\n')).to.contain('escalation.alert_sent');
    void admin;
  });

  it('when the relay refuses a person\'s address, the alert fails at once and the screen flags it; while the relay says "try later", the alert is retried and goes', async () => {
    await start();
    smtp.refuse.add('lead@example.nhs.uk');
    await h.sendSms({ from: YOUNG_PERSON, to: SCHOOL_NURSING_SMS, body: RISK_TEXT });
    const failed = await eventually(async () => {
      const [e] = await escalations();
      return e?.undelivered === 1 && e;
    }, 'the refused email flagged');
    expect(failed.alerts[0].deliveries).to.deep.equal([
      { route: 'sms', to: 'lead', status: 'skipped', problem: 'no work mobile on record' },
      { route: 'email', to: 'lead', status: 'failed', problem: 'the mail relay answered 550' },
    ]);
    expect(smtp.mails).to.have.length(0);

    // Level 2 while the relay is busy: the admin's email waits and is retried, then goes.
    smtp.refuse.clear();
    smtp.busy = true;
    await climb();
    await eventually(async () => {
      const [e] = await escalations();
      return e.alerts.length === 2 && e.alerts[1].deliveries.some((d: any) => d.to === 'boss' && d.status === 'retrying' && d.problem === 'the mail relay answered 451');
    }, 'the busy relay seen as retrying');
    smtp.busy = false;
    h.clock.advance(10_000);
    await eventually(() => mailsTo('boss@example.nhs.uk').length === 1 && mailsTo('lead@example.nhs.uk').length === 1, 'the level 2 emails once the relay takes them');
    const [after] = await escalations();
    expect(after.undelivered).to.equal(1);
  });

  it('an alert still waiting when the escalation is acknowledged is not sent', async () => {
    await start();
    smtp.busy = true;
    await h.sendSms({ from: YOUNG_PERSON, to: SCHOOL_NURSING_SMS, body: RISK_TEXT });
    const [waiting] = await eventually(async () => {
      const list = await escalations();
      return list[0]?.alerts[0]?.deliveries.some((d: any) => d.status === 'retrying') ? list : undefined;
    }, 'the email retrying');
    expect((await h.api('POST', `/api/v1/escalations/${waiting.id}/acknowledge`, { token: lead, body: { outcome: 'Rang her; mum with her now' } })).status).to.equal(200);
    // Cancelled with the acknowledgement itself, not left "retrying" until its next turn.
    const [done] = await escalations();
    expect(done.alerts[0].deliveries.find((d: any) => d.route === 'email')).to.deep.equal({ route: 'email', to: 'lead', status: 'cancelled', problem: 'not sent: the escalation was acknowledged before the alert could go' });
    smtp.busy = false;
    h.clock.advance(10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done.undelivered).to.equal(0);
    expect(smtp.mails).to.have.length(0);
    expect(await h.app.db.manager.countBy(OutboxItem, { channel: 'alert-email', status: 'cancelled' })).to.equal(1);
  });

  it('the final alert goes by text and email to the fallback contacts too, though the ladder has stopped', async () => {
    await start();
    await h.api('PUT', '/api/v1/me/work-mobile', { token: admin, body: { workMobile: '+447700900661' } });
    await h.sendSms({ from: YOUNG_PERSON, to: SCHOOL_NURSING_SMS, body: RISK_TEXT });
    await eventually(async () => (await escalations())[0]?.alerts.length === 1, 'level 1');
    // The demo ladder in hours: two levels, two rounds, then the final alert to the admins.
    for (let step = 2; step <= 5; step++) {
      await climb();
      await eventually(async () => (await escalations())[0].alerts.length === step, `step ${step}`);
    }
    const final = await eventually(() => textsTo('+447700900661').find((t) => t.body.includes('FINAL ALERT')), 'the final alert by text');
    expect(final.body).to.equal(`Lamplight FINAL ALERT: a high-risk message to School Nursing has not been acknowledged by the duty-lead ladder. You are a fallback contact. Open it to acknowledge: ${h.app.publicUrl}/app/#/conversations/${(await escalations())[0].conversationId} (Do not reply to this text.)`);
    await eventually(() => mailsTo('boss@example.nhs.uk').some((m) => m.subject === 'FINAL ALERT: high-risk message to School Nursing not acknowledged'), 'the final alert by email');
    const [e] = await escalations();
    expect(e.status).to.equal('exhausted');
    expect(e.alerts.at(-1).deliveries.filter((d: any) => d.status === 'cancelled')).to.deep.equal([]);
  });

  it('a step that alerts many people while the mail relay hangs leaves a young person\'s texts their own send slots', async () => {
    await start();
    // Twelve more duty leads: level 1 alerts thirteen people by email (and the lead by text).
    for (let i = 0; i < 12; i++) await h.staff(`lead${i}@example.nhs.uk`, 'duty-lead', 'school-nursing');
    smtp.hold = true;
    await h.sendSms({ from: YOUNG_PERSON, to: SCHOOL_NURSING_SMS, body: RISK_TEXT });
    await eventually(() => smtp.waiting >= 3, 'emails stuck on the relay');
    // Another young person texts: their welcome goes at once, though the relay holds every email.
    await h.sendSms({ from: '+447700900663', to: SCHOOL_NURSING_SMS, body: 'hello can i ask about the nurse drop in' });
    await eventually(() => textsTo('+447700900663').length === 1, 'the welcome to the second young person', 3000);
    expect(smtp.waiting, 'at most the slots for people are held').to.be.at.most(3);
    smtp.release();
    await eventually(() => smtp.mails.length === 13, 'every email once the relay answers', 15_000);
    expect(new Set(smtp.mails.map((m) => m.to[0])).size).to.equal(13);
  });

  it('a service that alerts by neither queues none, and tells the duty lead so', async () => {
    // (The startup log names a service whose config asks for a way this deployment cannot send: see the next test.)
    const dir = mkdtempSync(join(tmpdir(), 'lamplight-alerts-'));
    try {
      const config = join(dir, 'services.yaml');
      writeFileSync(config, readFileSync(DEMO_CONFIG_PATH, 'utf8').replaceAll('      fallback: [role:admin]\n', '      fallback: [role:admin]\n      alertBy: []\n'));
      await start(config);
      expect((await h.api('PUT', '/api/v1/me/work-mobile', { token: lead, body: { workMobile: LEAD_MOBILE } })).body).to.deep.include({ bySms: false, byEmail: false });
      await h.sendSms({ from: YOUNG_PERSON, to: SCHOOL_NURSING_SMS, body: RISK_TEXT });
      await eventually(async () => (await escalations())[0]?.alerts.length === 1, 'the first alert');
      expect(await h.app.db.manager.count(StaffAlert)).to.equal(0);
      expect(textsTo(LEAD_MOBILE)).to.have.length(0);
      expect(smtp.mails).to.have.length(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without SMTP_URL, email alerts are off, the start says so for each service, and texts still go', async () => {
    smtp = await new FakeSmtp().start();
    h = await startHarness({ escalationPollIntervalMs: 50, logDestination: { write: (line) => void logs.push(line) } });
    lead = await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    expect(logs.filter((l) => l.includes('"escalation.alerts_off"') && l.includes('SMTP_URL is not set'))).to.have.length(3);
    expect((await h.api('PUT', '/api/v1/me/work-mobile', { token: lead, body: { workMobile: LEAD_MOBILE } })).body).to.deep.include({ bySms: true, byEmail: false });
    await h.sendSms({ from: YOUNG_PERSON, to: SCHOOL_NURSING_SMS, body: RISK_TEXT });
    await eventually(() => textsTo(LEAD_MOBILE).length === 1, 'the text');
    expect(await h.app.db.manager.countBy(StaffAlert, { medium: 'email' })).to.equal(0);
  });
});
