import { expect } from 'chai';
import { createServer, type AddressInfo } from 'node:net';
import { MAX_STREAMS_PER_STAFF } from '../../bot/http/event-streams';
import { redisFanOut, RedisUnreachableError } from '../../bot/live/live-events';
import { eventually, Harness, HEALTH_VISITING_SMS, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';
import { TestRedis } from '../support/redis';

interface Received { type: string; data: any }

async function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 1000 }, () => { socket.end(); resolve(true); });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => { socket.destroy(); resolve(false); });
  });
}

/** A client of the event stream as the tab uses it: fetch with a bearer token, reading SSE frames. */
function listen(h: Harness, token: string, lastEventId?: number) {
  const received: Received[] = [];
  const state = { ended: false };
  const controller = new AbortController();
  const done = (async () => {
    const response = await fetch(`${h.app.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${token}`, ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) },
      signal: controller.signal,
    });
    if (response.status !== 200) {
      received.push({ type: 'http', data: response.status });
      return;
    }
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) {
        state.ended = true;
        return;
      }
      buffer += value;
      let split: number;
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) received.push({ type, data: JSON.parse(data) });
      }
    }
  })().catch(() => undefined);
  return { received, state, stop: () => { controller.abort(); return done; } };
}

describe('live events', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when a text arrives, then every open inbox of that service hears of it, and another service\'s inbox does not', async () => {
    h = await startHarness();
    const a = listen(h, await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing'));
    const b = listen(h, await h.staff('colleague@example.nhs.uk', 'clinician', 'school-nursing'));
    const other = listen(h, await h.staff('hv@example.nhs.uk', 'clinician', 'health-visiting'));
    await eventually(() => [a, b, other].every((l) => l.received.some((e) => e.type === 'ready')), 'three streams ready');
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'im going to kill myself' });
    for (const inbox of [a, b]) {
      const event = await eventually(() => inbox.received.find((e) => e.type === 'message.created'), 'message.created');
      expect(event.data).to.include({ serviceSlug: 'school-nursing', level: 'high' });
      expect(JSON.stringify(event.data)).not.to.contain('kill');
      await eventually(() => inbox.received.find((e) => e.type === 'escalation.notified'), 'escalation.notified');
      await eventually(() => inbox.received.find((e) => e.type === 'delivery.updated'), 'delivery.updated from the outbox');
    }
    await h.sendSms({ from: '+447700900556', to: HEALTH_VISITING_SMS, body: 'hello' });
    await eventually(() => other.received.find((e) => e.type === 'message.created'), 'the other service hears its own');
    expect(other.received.filter((e) => e.data.serviceSlug === 'school-nursing')).to.deep.equal([]);
    expect(a.received.filter((e) => e.data.serviceSlug === 'health-visiting')).to.deep.equal([]);
    await Promise.all([a.stop(), b.stop(), other.stop()]);
  });

  it('when an inbox reconnects with the last event id it saw, then it gets exactly what it missed; too old, it is told to reload', async () => {
    h = await startHarness();
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const first = listen(h, token);
    await eventually(() => first.received.find((e) => e.type === 'ready'), 'ready');
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'one' });
    const seen = await eventually(() => first.received.find((e) => e.type === 'message.created'), 'first message');
    await first.stop();

    await h.sendSms({ from: '+447700900556', to: SCHOOL_NURSING_SMS, body: 'two' });
    await h.sendSms({ from: '+447700900557', to: SCHOOL_NURSING_SMS, body: 'three' });
    const missedIds = h.app.events.since(seen.data.id)!.filter((e) => e.serviceSlug === 'school-nursing').map((e) => e.id);
    const resumed = listen(h, token, seen.data.id);
    await eventually(() => resumed.received.filter((e) => e.data.id).length >= missedIds.length, 'the missed events');
    expect(resumed.received.filter((e) => e.data.id).map((e) => e.data.id).slice(0, missedIds.length)).to.deep.equal(missedIds);
    expect(resumed.received.filter((e) => e.type === 'message.created')).to.have.length(2);
    await resumed.stop();

    const stale = listen(h, token, h.app.events.lastId + 1000);
    await eventually(() => stale.received.find((e) => e.type === 'resync'), 'resync');
    await stale.stop();
  });

  it('with REDIS_URL, a text taken by one instance reaches inboxes connected to another, with the same event ids', async function () {
    const redis = { url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', channel: `lamplight-test-${Math.random().toString(36).slice(2)}` };
    if (!(await reachable(redis.url))) {
      if (process.env.CI) throw new Error(`Redis is not reachable at ${redis.url}`);
      this.skip();
    }
    h = await startHarness({ redis });
    const second = await startHarness({ redis, database: h.database, dataKey: h.dataKey });
    try {
      const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
      const onFirst = listen(h, token);
      const onSecond = listen(second, await second.idp.token('nurse@example.nhs.uk'));
      await eventually(() => [onFirst, onSecond].every((l) => l.received.some((e) => e.type === 'ready')), 'both streams ready');
      await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'hello' });
      const there = await eventually(() => onSecond.received.find((e) => e.type === 'message.created'), 'the event on the other instance');
      const here = await eventually(() => onFirst.received.find((e) => e.type === 'message.created'), 'the event on this instance');
      expect(there.data.id).to.equal(here.data.id);
      await Promise.all([onFirst.stop(), onSecond.stop()]);
    } finally {
      await second.close({ keepDatabase: true });
    }
  });

  it('when Redis goes away and comes back empty, then each instance still tells its own inboxes at once, the others are told to reload when it is back, and event ids never go backwards', async function () {
    if (!(await TestRedis.available())) {
      if (process.env.CI) throw new Error('redis-server is not installed');
      this.skip();
    }
    const redisServer = await new TestRedis().start();
    const redis = { url: redisServer.url, channel: 'lamplight-test' };
    h = await startHarness({ redis });
    const second = await startHarness({ redis, database: h.database, dataKey: h.dataKey });
    try {
      const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
      const onFirst = listen(h, token);
      const onSecond = listen(second, await second.idp.token('nurse@example.nhs.uk'));
      await eventually(() => [onFirst, onSecond].every((l) => l.received.some((e) => e.type === 'ready')), 'both streams ready');
      for (const from of ['+447700900555', '+447700900558', '+447700900559']) await h.sendSms({ from, to: SCHOOL_NURSING_SMS, body: 'hello' });
      await eventually(() => onSecond.received.filter((e) => e.type === 'message.created').length >= 3 || undefined, 'the events on the other instance');
      const ids = (events: Received[]) => events.filter((e) => typeof e.data?.id === 'number').map((e) => e.data.id as number);
      const highestBefore = Math.max(...ids(onSecond.received));
      expect(highestBefore, 'several events numbered before Redis goes').to.be.greaterThan(3);

      await redisServer.stop();
      await h.sendSms({ from: '+447700900556', to: SCHOOL_NURSING_SMS, body: 'while redis is away' });
      // The instance that took the text tells its own inboxes without Redis.
      const local = await eventually(() => onFirst.received.filter((e) => e.type === 'message.created')[3], 'the local event while Redis is away', 5000);
      expect(local.data.id, 'heard only here: no id, so it never moves Last-Event-ID').to.equal(0);

      await redisServer.start();
      // The other instance missed that event: when its connection is back its inboxes are told to reload.
      await eventually(() => onSecond.received.find((e) => e.type === 'resync'), 'resync on the other instance once Redis is back', 15_000);
      // Live again across instances, and the ids went on from where they were, though Redis restarted empty.
      await eventually(async () => {
        await h.sendSms({ from: '+447700900557', to: SCHOOL_NURSING_SMS, body: `back ${Date.now()}` });
        return onSecond.received.filter((e) => e.type === 'message.created').length >= 4 || undefined;
      }, 'the event across instances after Redis is back', 15_000);
      const resyncAt = onSecond.received.findIndex((e) => e.type === 'resync');
      const afterIds = ids(onSecond.received.slice(resyncAt));
      expect(afterIds.length).to.be.greaterThan(0);
      expect(Math.min(...afterIds), 'ids after Redis came back empty').to.be.greaterThan(highestBefore);
      const firstIds = onFirst.received.filter((e) => e.type === 'message.created' && e.data.id !== 0).map((e) => e.data.id);
      expect(firstIds, 'ids on one stream rise').to.deep.equal([...firstIds].sort((a, b) => a - b));
      expect(new Set(firstIds).size).to.equal(firstIds.length);
      await Promise.all([onFirst.stop(), onSecond.stop()]);
    } finally {
      await second.close({ keepDatabase: true });
      await h.close();
      h = undefined as unknown as Harness;
      await redisServer.stop();
    }
  });

  it('when REDIS_URL names a Redis that does not answer, then starting fails within its deadline with a clear error that does not repeat the password (it used to hang silently)', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const started = Date.now();
      const error = await redisFanOut(`redis://lamplight:s3cret-password@127.0.0.1:${port}`, () => undefined, 'lamplight-test', 500).then(() => undefined, (e: Error) => e);
      expect(error).to.be.instanceOf(RedisUnreachableError);
      expect(error!.message).to.contain(`127.0.0.1:${port}`).and.not.contain('s3cret');
      expect(Date.now() - started).to.be.below(5000);
    } finally {
      server.close();
    }
  });

  it('when the token behind a stream expires, then the stream says so and ends; a fresh token resumes from the last event id', async () => {
    h = await startHarness();
    await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'before the stream' });
    const shortLived = listen(h, await h.idp.token('nurse@example.nhs.uk', { expiresIn: '2s' }));
    const ready = await eventually(() => shortLived.received.find((e) => e.type === 'ready'), 'ready');
    const expired = await eventually(() => shortLived.received.find((e) => e.type === 'expired'), 'the expired event', 10_000);
    expect(expired.data.reason).to.equal('token_expired');
    await eventually(() => shortLived.state.ended, 'the stream to end');

    await h.sendSms({ from: '+447700900556', to: SCHOOL_NURSING_SMS, body: 'after expiry' });
    const resumed = listen(h, await h.idp.token('nurse@example.nhs.uk'), ready.data.lastEventId);
    const missed = await eventually(() => resumed.received.find((e) => e.type === 'message.created'), 'the message sent while away');
    expect(missed.data.id).to.be.greaterThan(ready.data.lastEventId);
    expect(resumed.received.filter((e) => e.type === 'message.created')).to.have.length(1);
    expect(resumed.state.ended).to.equal(false);
    await resumed.stop();
  });

  it('when a token has already run out, then a stream is refused, even where the API allows for clock skew', async () => {
    h = await startHarness();
    await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const justExpired = await h.idp.token('nurse@example.nhs.uk', { expiresIn: '-10s' });
    expect((await h.api('GET', '/api/v1/me', { token: justExpired })).status).to.equal(200);
    const response = await fetch(`${h.app.url}/api/v1/events`, { headers: { authorization: `Bearer ${justExpired}` } });
    expect(response.status).to.equal(401);
  });

  it(`when one person opens more than ${MAX_STREAMS_PER_STAFF} streams, then the oldest is told it is superseded and ends; the rest, and colleagues, carry on`, async () => {
    h = await startHarness();
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const colleague = listen(h, await h.staff('colleague@example.nhs.uk', 'clinician', 'school-nursing'));
    const streams: ReturnType<typeof listen>[] = [];
    for (let i = 0; i <= MAX_STREAMS_PER_STAFF; i++) {
      const stream = listen(h, token);
      await eventually(() => stream.received.find((e) => e.type === 'ready'), `stream ${i + 1} ready`);
      streams.push(stream);
    }
    const [oldest, ...rest] = streams;
    const superseded = await eventually(() => oldest.received.find((e) => e.type === 'superseded'), 'the oldest superseded');
    expect(superseded.data).to.include({ reason: 'too_many_streams', limit: MAX_STREAMS_PER_STAFF });
    await eventually(() => oldest.state.ended, 'the oldest to end');
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'hello' });
    for (const stream of [...rest, colleague]) await eventually(() => stream.received.find((e) => e.type === 'message.created'), 'the event on a stream still open');
    expect(rest.some((stream) => stream.state.ended || stream.received.some((e) => e.type === 'superseded'))).to.equal(false);
    expect(oldest.received.some((e) => e.type === 'message.created')).to.equal(false);
    await Promise.all([...rest, colleague].map((stream) => stream.stop()));
  });

  it('without a token, the stream is 401', async () => {
    h = await startHarness();
    const response = await fetch(`${h.app.url}/api/v1/events`);
    expect(response.status).to.equal(401);
  });
});
