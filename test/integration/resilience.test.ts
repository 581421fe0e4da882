import { expect } from 'chai';
import pino from 'pino';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Contact, Conversation, Message, OutboxItem } from '../../db/entities';
import { OutboxWorker } from '../../bot/outbox/worker';
import { noTelemetry } from '../../bot/telemetry';
import { failOutboxInserts } from '../support/faults';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const PHONE = '+447700900555';

describe('nothing lost: database failures', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when the database fails part-way through the transaction, then 503 and nothing half-written; the provider\'s retry then stores it once', async () => {
    h = await startHarness();
    const restore = await failOutboxInserts(h.app.db);
    const first = await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello', messageSid: 'SM000000000000000000000000000retry' });
    expect(first.status).to.equal(503);
    for (const entity of [Message, Contact, Conversation, OutboxItem]) {
      expect(await h.app.db.manager.count(entity), entity.name).to.equal(0);
    }
    await restore();
    const retry = await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello', messageSid: 'SM000000000000000000000000000retry' });
    expect(retry.status).to.equal(200);
    expect(await h.app.db.manager.count(Message, { where: { direction: 'in' } })).to.equal(1);
    await eventually(() => h.twilio.sent.length === 1, 'the welcome');
  });

  it('when the database is gone, then webhooks get 503, /readyz says unavailable, and the process keeps serving', async () => {
    h = await startHarness();
    await h.app.db.dataSource.destroy();
    const response = await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    expect(response.status).to.equal(503);
    expect((await h.api('GET', '/readyz')).status).to.equal(503);
    expect((await h.api('GET', '/healthz')).status).to.equal(200);
  });
});

describe('nothing lost: shutting down', () => {
  it('when the server is stopped while webhooks are arriving, then every one answered 200 is stored', async () => {
    const h = await startHarness();
    const posts = Array.from({ length: 15 }, (_, i) => h.sendSms({ from: `+447700900${700 + i}`, to: SCHOOL_NURSING_SMS, body: 'hello' }).then((r) => r.status, () => 'no answer'));
    // Stop mid-stream: once the first message is stored, the rest are still arriving.
    await eventually(async () => (await h.app.db.manager.count(Message, { where: { direction: 'in' } })) > 0, 'the first webhook stored');
    const { database } = h;
    await h.close({ keepDatabase: true });
    const statuses = await Promise.all(posts);
    const db = await Database.open(database.url);
    try {
      const stored = await db.manager.count(Message, { where: { direction: 'in' } });
      expect(statuses.filter((s) => s === 200).length, JSON.stringify(statuses)).to.equal(stored);
      expect(stored).to.be.greaterThan(0);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});

/** Waits until the only outbox row has failed once and been put back for a retry (not merely claimed). */
async function firstAttemptRecordedAsFailed(h: Harness): Promise<void> {
  await eventually(async () => {
    const row = await h.app.db.manager.findOneByOrFail(OutboxItem, {});
    return row.attempts === 1 && row.status === 'pending';
  }, 'first attempt recorded as failed');
}

describe('nothing lost: the outbox', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when the provider answers 500, then the send is retried with backoff and delivered later', async () => {
    h = await startHarness();
    h.twilio.failNext(2, 500);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const item = await eventually(async () => {
      const row = await h.app.db.manager.findOneBy(OutboxItem, {});
      return row?.attempts === 1 && row.status === 'pending' ? row : undefined;
    }, 'the first failed attempt');
    // base 2 s, jitter fixed at the middle (0.75 of the step) by the harness
    expect(item.nextAttemptAt - h.clock.now().getTime()).to.equal(1500);
    expect(item.lastError).to.contain('500');
    h.clock.advance(1500);
    const second = await eventually(async () => {
      const row = await h.app.db.manager.findOneByOrFail(OutboxItem, { id: item.id });
      return row.attempts === 2 && row.status === 'pending' ? row : undefined;
    }, 'the second failed attempt');
    expect(second.nextAttemptAt - h.clock.now().getTime()).to.equal(3000);
    expect(h.twilio.sent).to.have.length(0);
    h.clock.advance(3000);
    await eventually(() => h.twilio.sent.length === 1, 'delivery on the third attempt');
    // The provider has it a moment before the worker records it.
    const done = await eventually(async () => {
      const row = await h.app.db.manager.findOneByOrFail(OutboxItem, { id: item.id });
      return row.status === 'sent' ? row : undefined;
    }, 'the row recorded as sent');
    expect(done.attempts).to.equal(3);
    expect(done.providerMessageId).to.equal(h.twilio.sent[0].sid);
  });

  it('when the provider refuses a send (4xx), then it is failed at once and shows as failed', async () => {
    h = await startHarness();
    h.twilio.failNext(1, 400, 21211);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const failed = await eventually(async () => (await h.app.db.manager.findOneBy(OutboxItem, { status: 'failed' })) ?? undefined, 'a failed row');
    expect(failed.attempts).to.equal(1);
    expect(failed.lastError).to.equal('Twilio answered 400 (code 21211, permanent)');
  });

  it('when retries run out, then the row is failed, not retried for ever', async () => {
    h = await startHarness({ outbox: { maxAttempts: 2 } });
    h.twilio.failNext(5, 503);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    await firstAttemptRecordedAsFailed(h);
    h.clock.advance(60_000);
    const failed = await eventually(async () => (await h.app.db.manager.findOneBy(OutboxItem, { status: 'failed' })) ?? undefined, 'failed after two attempts');
    expect(failed.attempts).to.equal(2);
  });

  it('when the server restarts with a retry pending, then the new process sends it exactly once', async () => {
    h = await startHarness();
    h.twilio.failNext(1, 500);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    await firstAttemptRecordedAsFailed(h);
    const { database, dataKey } = h;
    const clock = h.clock.now().toISOString();
    await h.close({ keepDatabase: true });

    h = await startHarness({ database, dataKey, clockStart: clock });
    h.clock.advance(10_000);
    await eventually(() => h.twilio.sent.length === 1, 'the send after restart');
    await eventually(async () => (await h.app.db.manager.findOneByOrFail(OutboxItem, {})).status === 'sent', 'the row recorded as sent');
    await h.app.outbox.runOnce();
    expect(h.twilio.sent).to.have.length(1);
  });

  it('when a worker died mid-send, then its row is taken up again once the lease expires, and not before', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000 } });
    await h.app.outbox.stop();
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const now = h.clock.now().getTime();
    const row = await h.app.db.manager.findOneByOrFail(OutboxItem, {});
    await h.app.db.manager.update(OutboxItem, { id: row.id }, { status: 'sending', attempts: 1, lockedUntil: now + 60_000 });
    expect(await h.app.outbox.runOnce()).to.equal(0);
    h.clock.advance(60_001);
    expect(await h.app.outbox.runOnce()).to.equal(1);
    expect(h.twilio.sent).to.have.length(1);
  });

  it('each step of a send (the claim, then sent) is a unit of work of its own, which on SQLite shares a group commit rather than paying an fsync of its own', async function () {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000 } });
    if (h.app.db.dialect !== 'sqlite') this.skip();
    await h.app.outbox.stop();
    for (let i = 0; i < 6; i++) await h.sendSms({ from: `+447700900${630 + i}`, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const before = { ...h.app.db.commits };
    expect(await h.app.outbox.runOnce()).to.equal(6);
    // Six claims and six marks; the lanes run side by side, so some share a commit.
    expect(h.app.db.commits.units - before.units).to.equal(12);
    expect(h.app.db.commits.commits - before.commits).to.be.below(12);
  });

  it('when two workers with their own connections race over the same rows, then each row is sent once', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000 } });
    await h.app.outbox.stop();
    for (let i = 0; i < 10; i++) await h.sendSms({ from: `+447700900${600 + i}`, to: SCHOOL_NURSING_SMS, body: 'hello' });
    const second = await Database.open(h.database.url);
    try {
      const other = new OutboxWorker({
        db: second, keyring: Keyring.fromBase64(h.dataKey), senders: { sms: (h.app as any).outbox.o.senders.sms }, log: pino({ level: 'silent' }),
        telemetry: noTelemetry, now: () => h.clock.now().getTime(),
      });
      await Promise.all([h.app.outbox.runOnce(), other.runOnce(), h.app.outbox.runOnce(), other.runOnce()]);
    } finally {
      await second.close();
    }
    expect(h.twilio.sent).to.have.length(10);
    expect(new Set(h.twilio.sent.map((s) => s.to)).size).to.equal(10);
  });
});

/** Replies written while Twilio is down for longer than a few retries: none lost, none out of order. */
describe('nothing lost: the outbox across a long outage', () => {
  let h: Harness;
  afterEach(async () => h?.close());
  const MIN = 60_000;

  /** A conversation whose welcome has gone; then Twilio goes down and a nurse writes five replies. */
  async function fiveRepliesIntoAnOutage(retryForMs?: number) {
    // The test runs the outbox itself, a minute of the test clock at a time.
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000, ...(retryForMs ? { retryForMs } : {}) } });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello, can someone help' });
    await h.app.outbox.runOnce();
    await eventually(() => h.twilio.sent.length === 1, 'the welcome');
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    h.twilio.failNext(100_000, 503);
    for (let i = 1; i <= 5; i++) {
      h.clock.advance(1000);
      expect((await h.api('POST', `/api/v1/conversations/${conversation.id}/messages`, { token: nurse, body: { text: `reply ${i}` } })).status).to.equal(201);
    }
    return { nurse, conversation };
  }
  const minutes = async (n: number) => {
    for (let m = 0; m < n; m++) {
      h.clock.advance(MIN);
      // What the worker started itself (woken by a commit) finishes first, then a pass at this minute.
      await h.app.outbox.settle();
      await h.app.outbox.runOnce();
      await h.app.outbox.settle();
    }
  };
  const replies = () => h.twilio.sent.map((s) => s.body).filter((b) => b.startsWith('reply'));

  it('when Twilio is down for 40 minutes, then nothing is dead-lettered, and after it the phone gets replies 1 to 5 in order', async () => {
    await fiveRepliesIntoAnOutage();
    await minutes(40);
    expect(await h.app.db.manager.countBy(OutboxItem, { status: 'failed' })).to.equal(0);
    expect(replies()).to.deep.equal([]);
    // Only the first reply was tried during the outage: the others wait behind it.
    const attempts = (await h.app.db.manager.find(OutboxItem, { order: { createdAt: 'ASC' } })).map((r) => r.attempts);
    expect(attempts[0], 'the welcome').to.equal(1);
    expect(attempts[1], 'reply 1').to.be.at.least(8);
    expect(attempts.slice(2)).to.deep.equal([0, 0, 0, 0]);
    h.twilio.recover();
    await minutes(6); // at most five minutes between tries
    expect(replies()).to.deep.equal(['reply 1', 'reply 2', 'reply 3', 'reply 4', 'reply 5']);
  });

  it('when the outage outlasts the retry window, then reply 1 fails and holds 2 to 5 (flagged in the list); Retry sends 1, then 2 to 5, in order', async () => {
    const { nurse, conversation } = await fiveRepliesIntoAnOutage(20 * MIN);
    await minutes(25);
    const failed = await h.app.db.manager.findOneByOrFail(OutboxItem, { status: 'failed' });
    expect(failed).to.include({ holdsLater: true });
    expect(failed.lastError).to.match(/still failing after 2\d minutes of retries/);
    h.twilio.recover();
    await minutes(10);
    expect(replies(), 'nothing overtakes the failed reply').to.deep.equal([]);
    const row = (await h.api('GET', '/api/v1/conversations', { token: nurse })).body.conversations.find((c: { id: string }) => c.id === conversation.id);
    expect(row.undelivered).to.deep.equal({ held: true });

    expect((await h.api('POST', `/api/v1/conversations/${conversation.id}/retry`, { token: nurse, body: { messageId: failed.messageId } })).status).to.equal(200);
    // The Retry wakes the outbox itself; a pass here as well changes nothing.
    await h.app.outbox.runOnce();
    await eventually(() => replies().length === 5, 'five replies');
    expect(replies()).to.deep.equal(['reply 1', 'reply 2', 'reply 3', 'reply 4', 'reply 5']);
    const after = (await h.api('GET', '/api/v1/conversations', { token: nurse })).body.conversations.find((c: { id: string }) => c.id === conversation.id);
    expect(after.undelivered).to.equal(null);
  });

  it('when more conversations are held behind failed replies than one pass takes, then a newer reply elsewhere still goes (held rows no longer fill the batch)', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000, batchSize: 2 } });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.app.outbox.stop();
    for (const n of ['41', '42', '43']) await h.sendSms({ from: `+4477009006${n}`, to: SCHOOL_NURSING_SMS, body: 'hello' });
    while (await h.app.outbox.runOnce());
    const conversations = await h.app.db.manager.find(Conversation, { order: { createdAt: 'ASC' } });
    expect(conversations).to.have.length(3);
    // Two conversations each hold a reply that failed for good, with a later reply waiting behind it.
    for (const c of conversations.slice(0, 2)) {
      for (const text of ['reply 1', 'reply 2']) {
        await h.api('POST', `/api/v1/conversations/${c.id}/messages`, { token: nurse, body: { text } });
        h.clock.advance(1000);
      }
    }
    const held = await h.app.db.manager.find(OutboxItem, { where: { status: 'pending' }, order: { createdAt: 'ASC' } });
    expect(held).to.have.length(4);
    for (const first of [held[0], held[2]]) await h.app.db.manager.update(OutboxItem, { id: first.id }, { status: 'failed', holdsLater: true, lastError: 'still failing after 360 minutes of retries' });
    // Then a reply to the third conversation, newer than all of them.
    await h.api('POST', `/api/v1/conversations/${conversations[2].id}/messages`, { token: nurse, body: { text: 'reply to the third' } });
    const before = h.twilio.sent.length;
    expect(await h.app.outbox.runOnce()).to.equal(1);
    expect(h.twilio.sent.slice(before).map((s) => s.body)).to.deep.equal(['reply to the third']);
    // The held replies still wait.
    expect(await h.app.db.manager.count(OutboxItem, { where: { status: 'pending' } })).to.equal(2);
  });

  it('when more conversations have a safety text queued behind a due reply than one pass takes, then every reply and safety text still goes, each conversation in order', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000, batchSize: 2 } });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.app.outbox.stop();
    const numbers = ['+447700900651', '+447700900652', '+447700900653'];
    for (const n of numbers) await h.sendSms({ from: n, to: SCHOOL_NURSING_SMS, body: 'hello' });
    while (await h.app.outbox.runOnce());
    const welcomes = h.twilio.sent.length;
    for (const c of await h.app.db.manager.find(Conversation)) await h.api('POST', `/api/v1/conversations/${c.id}/messages`, { token: nurse, body: { text: 'a reply' } });
    h.clock.advance(1000);
    for (const n of numbers) await h.sendSms({ from: n, to: SCHOOL_NURSING_SMS, body: 'i have taken all my mums tablets' });
    // Each pass sees two lanes; a lane's safety text follows its reply.
    for (let pass = 0; pass < 5 && (await h.app.outbox.runOnce()); pass++);
    const after = h.twilio.sent.slice(welcomes);
    expect(after).to.have.length(6);
    for (const n of numbers) expect(after.filter((s) => s.to === n).map((s) => (/999/.test(s.body) ? 'safety' : s.body)), n).to.deep.equal(['a reply', 'safety']);
  });

  it('when an automatic text fails after the window, then it holds nothing: a nurse\'s reply after it still goes', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000, retryForMs: 10 * MIN } });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    h.twilio.failNext(100_000, 503);
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hello, can someone help' });
    await minutes(15);
    expect(await h.app.db.manager.findOneByOrFail(OutboxItem, { status: 'failed' })).to.include({ holdsLater: false });
    h.twilio.recover();
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    await h.api('POST', `/api/v1/conversations/${conversation.id}/messages`, { token: nurse, body: { text: 'reply 1' } });
    await h.app.outbox.runOnce();
    await eventually(() => replies().length === 1, 'the reply');
    expect(replies()).to.deep.equal(['reply 1']);
  });
});

describe('nothing lost: the outbox when the provider hangs', () => {
  let h: Harness;
  afterEach(async () => {
    h?.twilio.release();
    await h?.close();
  });

  it('when several sends are due at once, then the safety text goes first, then the rest oldest first', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000, concurrency: 1 } });
    await h.app.outbox.stop();
    for (const n of [2, 3, 4]) await h.sendSms({ from: `+44770090060${n}`, to: SCHOOL_NURSING_SMS, body: 'hello' });
    await h.sendSms({ from: '+447700900609', to: SCHOOL_NURSING_SMS, body: 'i have taken all my mums tablets' });
    await h.app.outbox.runOnce();
    expect(h.twilio.sent.map((s) => s.to)).to.deep.equal(['+447700900609', '+447700900602', '+447700900603', '+447700900604']);
    expect(h.twilio.sent[0].body).to.contain('999');
  });

  it('when a safety text is queued behind a nurse\'s reply in the same conversation, then both go, the reply first (urgency moves the lane up, never past its own earlier rows)', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000 } });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.app.outbox.stop();
    await h.sendSms({ from: '+447700900611', to: SCHOOL_NURSING_SMS, body: 'can i ask something' });
    await h.app.outbox.runOnce();
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    await h.api('POST', `/api/v1/conversations/${conversation.id}/messages`, { token: nurse, body: { text: 'of course, what is it?' } });
    h.clock.advance(1000);
    await h.sendSms({ from: '+447700900611', to: SCHOOL_NURSING_SMS, body: 'i have taken all my mums tablets' });
    expect(await h.app.outbox.runOnce()).to.equal(2);
    expect(h.twilio.sent.slice(1).map((s) => (/999/.test(s.body) ? 'safety' : s.body))).to.deep.equal(['of course, what is it?', 'safety']);
  });

  it('when Twilio hangs on every ordinary send slot, then a safety text to someone else still goes at once, while a routine welcome waits', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000, concurrency: 2 } });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    for (const n of ['21', '22']) await h.sendSms({ from: `+4477009006${n}`, to: SCHOOL_NURSING_SMS, body: 'can i ask about the pill' });
    await h.app.outbox.runOnce();
    await eventually(() => h.twilio.sent.length === 2, 'the two welcomes');
    // Both ordinary slots hang on a nurse's reply.
    for (const n of ['21', '22']) h.twilio.hold(`+4477009006${n}`);
    for (const c of await h.app.db.manager.findBy(Conversation, {})) await h.api('POST', `/api/v1/conversations/${c.id}/messages`, { token: nurse, body: { text: 'a reply that hangs' } });
    await eventually(() => h.twilio.hanging() === 2, 'both replies hanging');
    h.clock.advance(1000);
    await h.sendSms({ from: '+447700900623', to: SCHOOL_NURSING_SMS, body: 'hello' });
    await h.sendSms({ from: '+447700900629', to: SCHOOL_NURSING_SMS, body: 'i have taken all my mums tablets' });
    await eventually(() => h.twilio.sent.some((s) => s.to === '+447700900629' && /999/.test(s.body)), 'the safety text, with both ordinary slots hung');
    expect(h.twilio.sent.some((s) => s.to === '+447700900623')).to.equal(false);
    h.twilio.release();
    await eventually(() => h.twilio.sent.length === 6, 'everything, once Twilio answers');
  });

  it('when Twilio hangs on one conversation, then another conversation\'s safety text goes at once, not after the hung send', async () => {
    h = await startHarness({ outbox: { pollIntervalMs: 3_600_000 } });
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: '+447700900601', to: SCHOOL_NURSING_SMS, body: 'can i ask about the pill' });
    await h.app.outbox.runOnce();
    await eventually(() => h.twilio.sent.length === 1, 'the first welcome');
    const first = await h.app.db.manager.findOneByOrFail(Conversation, {});
    // Twilio stops answering for this number: the nurse's reply to it hangs.
    h.twilio.hold('+447700900601');
    await h.api('POST', `/api/v1/conversations/${first.id}/messages`, { token: nurse, body: { text: 'reply to 0601' } });
    h.clock.advance(1000);
    // Routine texts from four other people, then someone at risk.
    for (const n of [2, 3, 4, 5]) await h.sendSms({ from: `+44770090060${n}`, to: SCHOOL_NURSING_SMS, body: 'hello' });
    await h.sendSms({ from: '+447700900609', to: SCHOOL_NURSING_SMS, body: 'i have taken all my mums tablets' });
    // No pass run by the test: the worker's own (woken by each commit) must get past the hung send.
    // The safety text reaches the phone while the hung send is still hanging.
    await eventually(() => h.twilio.sent.some((s) => s.to === '+447700900609' && /999/.test(s.body)), 'the safety text, while Twilio hangs on 0601');
    expect(h.twilio.sent.some((s) => s.body === 'reply to 0601')).to.equal(false);
    h.twilio.release();
    await eventually(() => h.twilio.sent.length === 7, 'everything, once Twilio answers');
    expect(h.twilio.sent.map((s) => s.to).sort()).to.deep.equal(['+447700900601', '+447700900601', '+447700900602', '+447700900603', '+447700900604', '+447700900605', '+447700900609'].sort());
  });
});
