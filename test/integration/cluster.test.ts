import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { FakeTwilio } from '../../adapters/sms/fake';
import { loadConfig, ServiceDirectory } from '../../bot/config/services';
import { addStaff } from '../../bot/config/staff';
import { Database } from '../../db/database';
import { Escalation, EscalationNotice, Message, OutboxItem } from '../../db/entities';
import { Instance, InstanceEnv } from '../support/cluster';
import { scratchDatabase, ScratchDatabase, TEST_DIALECT } from '../support/database';
import { eventually, SCHOOL_NURSING_SMS, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from '../support/harness';
import { TestIdentityProvider } from '../support/identity-provider';
import { TestRedis } from '../support/redis';

/**
 * Several instances (issue 16): two real server processes on one PostgreSQL and one Redis (a
 * redis-server of the test's own), each on a clock the test moves. They share nothing else: what
 * one does, the other learns through the database and Redis.
 */
(TEST_DIALECT === 'postgres' ? describe : describe.skip)('two instances on PostgreSQL and Redis', function () {
  this.timeout(120_000);
  const TUESDAY_10AM = '2026-11-24T10:00:00Z';
  let scratch: ScratchDatabase;
  let db: Database;
  let twilio: FakeTwilio;
  let idp: TestIdentityProvider;
  let redis: TestRedis;
  let a: Instance;
  let b: Instance;
  let env: InstanceEnv;

  beforeEach(async function () {
    if (!(await TestRedis.available())) {
      if (process.env.CI) throw new Error('redis-server is not installed');
      this.skip();
    }
    scratch = await scratchDatabase({ migrated: true });
    db = await Database.open(scratch.url);
    twilio = new FakeTwilio({ accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN });
    idp = await new TestIdentityProvider().start();
    redis = await new TestRedis().start();
    env = {
      databaseUrl: scratch.url, dataKey: randomBytes(32).toString('base64'), clock: TUESDAY_10AM,
      twilio: { sid: TWILIO_ACCOUNT_SID, token: TWILIO_AUTH_TOKEN, url: await twilio.listen() },
      auth: { issuer: idp.issuer, audience: idp.audience, jwksUrl: idp.jwksUrl }, redis: { url: redis.url, channel: 'lamplight-cluster-test' },
    };
    [a, b] = await Promise.all([Instance.start(env), Instance.start(env)]);
  });

  afterEach(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.close();
    await redis?.stop();
    await twilio?.close();
    await idp?.close();
    await scratch?.drop();
  });

  const text = (instance: Instance, from: string, body: string) =>
    twilio.postSigned(`${instance.url}/api/sms/twilio`, twilio.inboundFields({ from, to: SCHOOL_NURSING_SMS, body }), `${instance.publicUrl}/api/sms/twilio`);

  it('a text taken by A reaches an inbox whose live stream is held on B', async () => {
    const directory = new ServiceDirectory(loadConfig());
    await addStaff(db, directory, { email: 'nurse@example.nhs.uk', name: 'Nurse', role: 'clinician', service: 'school-nursing' });
    const controller = new AbortController();
    const response = await fetch(`${b.url}/api/v1/events`, { headers: { authorization: `Bearer ${await idp.token('nurse@example.nhs.uk')}` }, signal: controller.signal });
    expect(response.status).to.equal(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += value;
      }
    })().catch(() => undefined);
    await eventually(() => seen.includes('event: ready') || undefined, 'the stream on B is ready');
    expect((await text(a, '+447700900694', 'hello can i ask something')).status).to.equal(200);
    await eventually(() => seen.includes('event: message.created') || undefined, 'the message event on B');
    expect(seen).to.contain('"serviceSlug":"school-nursing"');
    controller.abort();
    await reading;
  });

  it('an escalation step falls due while both run: it fires once', async () => {
    const directory = new ServiceDirectory(loadConfig());
    await addStaff(db, directory, { email: 'lead@example.nhs.uk', name: 'Lead', role: 'duty-lead', service: 'school-nursing' });
    expect((await text(a, '+447700900695', 'ive taken loads of pills')).status).to.equal(200);
    const escalation = await eventually(() => db.manager.findOneBy(Escalation, {}), 'the escalation');
    await eventually(async () => (await db.manager.countBy(EscalationNotice, { escalationId: escalation.id })) === 1 || undefined, 'level 1 alerted');
    // Ten minutes on for both, whose ladders poll every 100 ms: level 2 is due on both at once.
    await Promise.all([a.advance(10 * 60_000 + 1000), b.advance(10 * 60_000 + 1000)]);
    await eventually(async () => (await db.manager.countBy(EscalationNotice, { escalationId: escalation.id })) === 2 || undefined, 'level 2 alerted');
    await new Promise((r) => setTimeout(r, 1000));
    const notices = await db.manager.find(EscalationNotice, { where: { escalationId: escalation.id }, order: { step: 'ASC' } });
    expect(notices.map((n) => [n.level, n.round])).to.deep.equal([[1, 1], [2, 1]]);
    // And one safety reply, though both outboxes poll every 50 ms.
    await eventually(() => twilio.sent.length >= 1 || undefined, 'the safety reply sent');
    await new Promise((r) => setTimeout(r, 500));
    const safety = await db.manager.countBy(Message, { autoReplyKind: 'safety' });
    expect(safety).to.equal(1);
    expect(twilio.sent.filter((s) => s.to === '+447700900695')).to.have.length(1);
  });

  for (const [when, hold] of [
    ['Twilio had already taken the text', 'holdAfterAccepting'],
    ['the text never reached Twilio', 'hold'],
  ] as const) {
    it(`A is killed mid-send (${when}): B takes the row over after its lease and the young person gets the text exactly once`, async () => {
      const phone = hold === 'hold' ? '+447700900697' : '+447700900696';
      twilio[hold](phone);
      // Sent by A: its outbox is the first to see the welcome (B is stopped until A is gone).
      await b.stop();
      expect((await text(a, phone, 'hello is anyone there')).status).to.equal(200);
      await eventually(() => twilio.hanging() === 1 || undefined, 'A\'s send hanging at Twilio');
      await a.kill();
      twilio.release();
      // Time for the fake to take anything the released request would bring (nothing: its sender is gone).
      await new Promise((r) => setTimeout(r, 500));
      const taken = twilio.sent.filter((s) => s.to === phone).length;
      expect(taken, 'what Twilio took before A died').to.equal(hold === 'hold' ? 0 : 1);
      // B starts; a minute on, the row's lease has run out and B takes it over.
      b = await Instance.start(env);
      await b.advance(61_000);
      const row = await eventually(async () => {
        const r = await db.manager.findOneBy(OutboxItem, { channel: 'sms' });
        return r && r.status !== 'sending' && r.status !== 'pending' ? r : undefined;
      }, 'the row settled by B', 15_000);
      await new Promise((r) => setTimeout(r, 500));
      const sent = twilio.sent.filter((s) => s.to === phone);
      expect(sent, 'texts to the young person').to.have.length(1);
      expect(row.status).to.be.oneOf(['sent', 'delivered']);
      expect(row.providerMessageId).to.equal(sent[0].sid);
      expect(row.attempts).to.equal(2);
    });
  }
});
