import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTcp } from 'node:net';
import { get as httpGet } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { DEMO_CONFIG_PATH } from '../../../bot/config/services';
import { DirectLine, ConnectionStatus, type Activity } from 'botframework-directlinejs';
import { Conversation, Escalation, Message, OutboxItem, WebchatActivity } from '../../../db/entities';
import { failOutboxInserts } from '../../support/faults';
import { eventually, Harness, startHarness } from '../../support/harness';

// The official client runs in Node as its README says: XMLHttpRequest and WebSocket from npm.
const globals = globalThis as unknown as { XMLHttpRequest?: unknown; WebSocket?: unknown };
globals.XMLHttpRequest = require('xhr2');
globals.WebSocket ??= require('ws');

interface PageToken { token: string; conversationId: string; expires_in: number; userId: string; resume?: string }

/**
 * Web chat through the real server, with Microsoft's own Direct Line client
 * (botframework-directlinejs) over WebSocket and over polling.
 */
describe('Web chat (Direct Line 3.0, the official client)', () => {
  let h: Harness;
  const clients: DirectLine[] = [];
  beforeEach(async () => {
    h = await startHarness({ webchatTokenLimits: { perAddress: 5 } });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.end();
    await h?.close();
  });

  const pageToken = async (body: unknown = {}, slug = 'school-nursing') => {
    const response = await fetch(`${h.app.url}/api/webchat/${slug}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as PageToken & { error?: unknown } };
  };

  /** An official client; every activity it emits is recorded in order. */
  const connect = (options: { token: string; conversationId?: string; watermark?: string; webSocket: boolean }) => {
    const client = new DirectLine({ ...options, domain: `${h.app.url}/v3/directline`, pollingInterval: 200 });
    clients.push(client);
    const seen: Activity[] = [];
    // The client errors its stream when a chat ends (the server closing after a test): expected, not a failure.
    client.activity$.subscribe({ next: (a) => seen.push(a), error: () => undefined });
    return { client, seen };
  };

  const post = (client: DirectLine, userId: string, text: string, clientActivityID: string) =>
    new Promise<string>((resolve, reject) => client.postActivity({ type: 'message', from: { id: userId }, text, channelData: { clientActivityID } } as Activity).subscribe(resolve, reject));

  const nurseReplies = async (text: string) => {
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const conversation = await eventually(() => h.app.db.manager.findOneBy(Conversation, { channel: 'webchat' }), 'the web chat conversation');
    const sent = await h.api('POST', `/api/v1/conversations/${conversation.id}/messages`, { token: nurse, body: { text } });
    expect(sent.status).to.equal(201);
    return conversation;
  };

  for (const webSocket of [true, false]) {
    const way = webSocket ? 'over WebSocket' : 'by polling';
    it(`${way}: a post is stored once and triaged, the welcome and a clinician's reply arrive, and a reconnect from the watermark sees nothing twice`, async () => {
      const { body: issued } = await pageToken();
      expect(issued).to.have.keys('token', 'conversationId', 'expires_in', 'userId', 'resume');
      expect(issued.expires_in).to.equal(1800);
      expect(issued.conversationId).to.match(/^[A-Za-z0-9_-]+$/);
      const { client, seen } = connect({ token: issued.token, webSocket });

      const id = await post(client, issued.userId, 'Hi, can I ask about my periods?', 'client-1');
      expect(id).to.match(new RegExp(`^${issued.conversationId}\\|\\d{7}$`));
      const echo = await eventually(() => seen.find((a) => a.from.role === 'user'), 'the echo of my message');
      expect(echo).to.include({ id, text: 'Hi, can I ask about my periods?' });
      expect((echo.channelData as { clientActivityID: string }).clientActivityID).to.equal('client-1');
      const welcome = await eventually(() => seen.find((a) => a.from.role === 'bot'), 'the welcome');
      expect((welcome as { text: string }).text).to.contain("you've reached the School Nursing team");
      expect(welcome.from).to.deep.include({ id: 'school-nursing', name: 'School Nursing', role: 'bot' });
      expect((welcome.channelData as { lamplight: { author: string } }).lamplight.author).to.equal('auto');

      const [stored] = await h.app.db.manager.find(Message, { where: { channel: 'webchat', direction: 'in' } });
      expect(stored.externalId).to.equal(id);

      const conversation = await nurseReplies('Hi, I\'m one of the school nurses. Of course, what would you like to know?');
      const reply = await eventually(() => seen.find((a) => (a as { text?: string }).text?.startsWith("Hi, I'm one of the school nurses")), 'the nurse\'s reply');
      expect((reply.channelData as { lamplight: { author: string } }).lamplight.author).to.equal('clinician');
      // The page had it: the reply shows as delivered in the inbox.
      await eventually(async () => (await h.app.db.manager.findOneBy(OutboxItem, { conversationId: conversation.id, status: 'delivered', providerMessageId: reply.id! })) ?? undefined, 'delivered');

      const watermark = (client as unknown as { watermark: string }).watermark;
      expect(Number(watermark)).to.be.greaterThanOrEqual(3);
      client.end();
      const again = connect({ token: issued.token, conversationId: issued.conversationId, watermark, webSocket });
      await nurseReplies('Are you free to chat now?');
      await eventually(() => again.seen.find((a) => (a as { text?: string }).text === 'Are you free to chat now?'), 'the second reply after reconnecting');
      await new Promise((r) => setTimeout(r, 600));
      expect(again.seen.map((a) => (a as { text?: string }).text)).to.deep.equal(['Are you free to chat now?']);
      // Without a watermark, a page that reloads sees the whole chat again, in order, each once.
      const reloaded = connect({ token: issued.token, conversationId: issued.conversationId, watermark: '', webSocket });
      await eventually(() => reloaded.seen.length >= 4 ? true : undefined, 'the whole chat');
      await new Promise((r) => setTimeout(r, 600));
      const ids = reloaded.seen.map((a) => a.id);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(ids).to.deep.equal([...ids].sort());
      expect(await h.app.db.manager.count(Message, { where: { channel: 'webchat', direction: 'in' } })).to.equal(1);
    });
  }

  it('when the same clientActivityID is posted again (a page that lost the answer), then it gets the same id and nothing is stored twice', async () => {
    const { body: issued } = await pageToken();
    const postRaw = () => fetch(`${h.app.url}/v3/directline/conversations/${issued.conversationId}/activities`, {
      method: 'POST', headers: { authorization: `Bearer ${issued.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', from: { id: issued.userId }, text: 'is it normal to feel like this', channelData: { clientActivityID: 'same-1' } }),
    });
    const [a, b] = await Promise.all([postRaw(), postRaw()]);
    expect([a.status, b.status]).to.deep.equal([200, 200]);
    const [first, second] = [await a.json(), await b.json()];
    expect(first.id).to.equal(second.id);
    expect(await h.app.db.manager.count(Message, { where: { channel: 'webchat', direction: 'in' } })).to.equal(1);
    expect(await h.app.db.manager.count(WebchatActivity, { where: { direction: 'in' } })).to.equal(1);
  });

  it('when a token is expired, for another chat, forged or missing, then Direct Line answers 403 and the official client reports the expired token', async () => {
    const { body: mine } = await pageToken();
    const { body: theirs } = await pageToken();
    const get = (conversationId: string, token?: string) => fetch(`${h.app.url}/v3/directline/conversations/${conversationId}/activities?watermark=`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get(mine.conversationId, mine.token)).status).to.equal(200);
    expect((await get(theirs.conversationId, mine.token)).status).to.equal(403);
    const [header, payload] = mine.token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), conv: theirs.conversationId })).toString('base64url');
    expect((await get(theirs.conversationId, `${header}.${forgedPayload}.${mine.token.split('.')[2]}`)).status).to.equal(403);
    expect((await get(mine.conversationId)).status).to.equal(403);
    const refreshed = await fetch(`${h.app.url}/v3/directline/tokens/refresh`, { method: 'POST', headers: { authorization: `Bearer ${mine.token}` } });
    expect(refreshed.status).to.equal(200);
    expect(await refreshed.json()).to.include({ conversationId: mine.conversationId, expires_in: 1800 });

    h.clock.advance(31 * 60_000);
    const expired = await get(mine.conversationId, mine.token);
    expect(expired.status).to.equal(403);
    expect((await expired.json()).error.code).to.equal('TokenExpired');
    const { client } = connect({ token: mine.token, conversationId: mine.conversationId, webSocket: false });
    const statuses: ConnectionStatus[] = [];
    client.connectionStatus$.subscribe((s) => statuses.push(s));
    await eventually(() => statuses.includes(ConnectionStatus.FailedToConnect) || statuses.includes(ConnectionStatus.ExpiredToken) ? true : undefined, 'the client sees the token refused');

    // The page comes back after sleep with its resume secret: a fresh token for the same chat.
    h.clock.advance(-31 * 60_000 + 60 * 60_000);
    const resumed = await pageToken({ conversationId: mine.conversationId, resume: mine.resume });
    expect(resumed.status).to.equal(200);
    expect(resumed.body.conversationId).to.equal(mine.conversationId);
    expect(resumed.body.resume).to.equal(undefined);
    expect((await pageToken({ conversationId: mine.conversationId, resume: theirs.resume })).status).to.equal(403);
  });

  it('when one address asks for more tokens than the limit, then 429 with Retry-After; an unknown service is 404; a site not listed may not ask', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await pageToken()).status);
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 429]);
    const limited = await pageToken();
    expect(Number(limited.headers.get('retry-after'))).to.be.greaterThan(0);
    expect((await fetch(`${h.app.url}/api/webchat/no-such-service/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).to.equal(404);
    const foreign = await fetch(`${h.app.url}/api/webchat/school-nursing/token`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '{}' });
    expect(foreign.status).to.equal(403);
    expect(foreign.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('when a web chat message reads as high risk, then the safety reply reaches the page at once and the duty lead is escalated to', async () => {
    const { body: issued } = await pageToken();
    const { client, seen } = connect({ token: issued.token, webSocket: true });
    await post(client, issued.userId, 'i have taken all my pills and i want to die', 'risk-1');
    const safety = await eventually(() => seen.find((a) => a.from.role === 'bot'), 'the safety reply');
    expect((safety as { text: string }).text).to.match(/999/);
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, { channel: 'webchat' });
    expect(conversation.riskLevel).to.equal('high');
    expect(await h.app.db.manager.count(Escalation, { where: { conversationId: conversation.id } })).to.equal(1);
  });

  it('when the database fails after the post was kept, then the page gets 503; sent again it is stored once; and a post nobody re-sends is stored by the redrive', async () => {
    const { body: issued } = await pageToken();
    const restore = await failOutboxInserts(h.app.db);
    const postRaw = (clientActivityID: string, text: string) => fetch(`${h.app.url}/v3/directline/conversations/${issued.conversationId}/activities`, {
      method: 'POST', headers: { authorization: `Bearer ${issued.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', from: { id: issued.userId }, text, channelData: { clientActivityID } }),
    });
    expect((await postRaw('down-1', 'first while it is down')).status).to.equal(503);
    expect((await postRaw('down-2', 'second while it is down')).status).to.equal(503);
    expect(await h.app.db.manager.count(Message)).to.equal(0);
    await restore();
    expect((await postRaw('down-1', 'first while it is down')).status).to.equal(200);
    h.clock.advance(10_000);
    await eventually(async () => (await h.app.db.manager.count(Message, { where: { direction: 'in' } })) === 2 ? true : undefined, 'the second stored by the redrive', 15_000);
    expect(await h.app.db.manager.count(WebchatActivity, { where: { direction: 'in' } })).to.equal(2);
  });

  it('answers CORS preflights as the official client needs, and refuses a malformed post with a clear 400', async () => {
    const preflight = await fetch(`${h.app.url}/v3/directline/conversations`, { method: 'OPTIONS', headers: { origin: 'https://www.example.nhs.uk', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-ms-bot-agent' } });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get('access-control-allow-headers')).to.contain('x-ms-bot-agent');
    expect(preflight.headers.get('access-control-expose-headers')).to.equal('Retry-After');
    const { body: issued } = await pageToken();
    const bad = await fetch(`${h.app.url}/v3/directline/conversations/${issued.conversationId}/activities`, { method: 'POST', headers: { authorization: `Bearer ${issued.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', text: 'x', channelData: { clientActivityID: '<script>' } }) });
    expect(bad.status).to.equal(400);
    expect((await bad.json()).error.code).to.equal('BadArgument');
  });

  it('while the nurse writes, the open page sees "typing" (never stored); the inbox says whether the page is open; "Stop" in a chat is a message, not an opt-out', async () => {
    const { body: issued } = await pageToken();
    const { client, seen } = connect({ token: issued.token, webSocket: true });
    await post(client, issued.userId, 'Stop', 'stop-1');
    await eventually(() => seen.find((a) => a.from.role === 'bot'), 'the welcome');
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, { channel: 'webchat' });
    const detail = await h.api('GET', `/api/v1/conversations/${conversation.id}`, { token: nurse });
    expect(detail.body.reply.page).to.deep.equal({ open: true, lastSeenAt: new Date(h.clock.now()).toISOString() });
    expect(detail.body.contact.consent).to.equal('active');

    expect((await h.api('POST', `/api/v1/conversations/${conversation.id}/typing`, { token: nurse })).status).to.equal(202);
    const typing = await eventually(() => seen.find((a) => a.type === 'typing'), 'typing');
    expect(typing.from).to.deep.include({ role: 'bot', name: 'School Nursing' });
    expect(await h.app.db.manager.count(WebchatActivity, { where: { direction: 'out' } })).to.equal(1);
    const otherTeam = await h.staff('hv@example.nhs.uk', 'clinician', 'health-visiting');
    expect((await h.api('POST', `/api/v1/conversations/${conversation.id}/typing`, { token: otherTeam })).status).to.equal(404);

    client.end();
    h.clock.advance(5 * 60_000);
    const later = await h.api('GET', `/api/v1/conversations/${conversation.id}`, { token: nurse });
    expect(later.body.reply.page.open).to.equal(false);
  });

  it('when a trust\'s own server holds the service\'s Direct Line secret, then tokens/generate and a secret start work; a wrong secret is 403', async () => {
    await h.close();
    const config = readFileSync(DEMO_CONFIG_PATH, 'utf8').replace('      answeredBy: a school nurse\n', '      answeredBy: a school nurse\n      secretEnv: TEST_SCHOOL_NURSING_DL_SECRET\n');
    const dir = mkdtempSync(join(tmpdir(), 'lamplight-webchat-'));
    writeFileSync(join(dir, 'services.yaml'), config);
    const secret = 'a-direct-line-secret-of-at-least-32-chars';
    process.env.TEST_SCHOOL_NURSING_DL_SECRET = secret;
    try {
      h = await startHarness({ configPath: join(dir, 'services.yaml') });
      const generate = (bearer: string) => fetch(`${h.app.url}/v3/directline/tokens/generate`, { method: 'POST', headers: { authorization: `Bearer ${bearer}` } });
      const generated = await generate(secret);
      expect(generated.status).to.equal(200);
      const body = await generated.json();
      expect(body).to.have.keys('conversationId', 'token', 'expires_in');
      expect((await generate('not-the-secret-but-long-enough-to-look-like-one')).status).to.equal(403);
      const started = await fetch(`${h.app.url}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{}' });
      expect(started.status).to.equal(201);
      expect((await started.json()).streamUrl).to.match(/^ws:\/\/localhost:\d+\/v3\/directline\/conversations\/[A-Za-z0-9_-]+\/stream\?watermark=0&t=/);
      const { client, seen } = connect({ token: body.token, webSocket: true });
      await post(client, JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString()).user, 'Hello from the trust website', 'site-1');
      await eventually(() => seen.find((a) => a.from.role === 'bot'), 'the welcome');
    } finally {
      delete process.env.TEST_SCHOOL_NURSING_DL_SECRET;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when a client resets the connection while its stream is being opened, the server carries on; when the server stops with pages open, it closes their sockets and stops at once', async () => {
    for (let i = 0; i < 20; i++) {
      const socket = connectTcp(Number(new URL(h.app.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`GET /v3/directline/conversations/abc/stream?t=a.b.c HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.alloc(16, i).toString('base64')}\r\n\r\n`);
      socket.resetAndDestroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${h.app.url}/healthz`)).status).to.equal(200);

    const { body: issued } = await pageToken();
    const { client, seen } = connect({ token: issued.token, webSocket: true });
    await post(client, issued.userId, 'hello', 'open-1');
    await eventually(() => seen.find((a) => a.from.role === 'bot'), 'the welcome');
    const started = Date.now();
    await h.close({ keepDatabase: true });
    expect(Date.now() - started).to.be.lessThan(5000);
    h = await startHarness({ database: h.database });
  });

  it('serves the page\'s files gzipped to a browser that takes it, the same bytes unzipped, and the page itself never cached', async () => {
    const plain = await fetch(`${h.app.url}/chat/assets/directline.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).to.equal(null);
    const body = Buffer.from(await plain.arrayBuffer());
    const zipped = await new Promise<{ encoding?: string; bytes: Buffer }>((resolve, reject) => {
      httpGet(`${h.app.url}/chat/assets/directline.js`, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(zipped.encoding).to.equal('gzip');
    expect(zipped.bytes.length).to.be.lessThan(body.length / 2);
    expect(gunzipSync(zipped.bytes).equals(body)).to.equal(true);
    const page = await fetch(`${h.app.url}/chat/school-nursing`);
    expect(page.headers.get('cache-control')).to.equal('no-store');
    expect(page.headers.get('content-security-policy')).to.contain("frame-ancestors 'self'");
    expect((await fetch(`${h.app.url}/chat/no-such-service`)).status).to.equal(404);
  });
});
