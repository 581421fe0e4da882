import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Conversation, Escalation, Message, OutboxItem } from '../../db/entities';
import { Keyring } from '../../db/crypto';
import { openMessageBody, openTriage } from '../../db/sealed-fields';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const PHONE = '+447700900555';

/** A raw HTTP request, for bodies fetch will not send (chunked without a length, a lying length). */
function rawPost(url: string, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // The server may answer and close before it has read everything: that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('hardening: what a sender types can never lose a message', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when a text is made of JavaScript property names ("constructor", "__proto__"…), then it is stored, triaged and answered like any other', async () => {
    h = await startHarness();
    const words = ['constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf', 'prototype constructor __proto__ isPrototypeOf'];
    for (const [index, body] of words.entries()) {
      const response = await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body, messageSid: `SM${String(index).padStart(32, '0')}` });
      expect(response.status, body).to.equal(200);
    }
    const stored = await h.app.db.manager.find(Message, { where: { direction: 'in' }, order: { createdAt: 'ASC' } });
    expect(stored.map((m) => openMessageBody(keyring(h), m))).to.deep.equal(words);
    expect(stored.every((m) => m.riskLevel === 'none')).to.equal(true);
    await eventually(() => h.twilio.sent.some((s) => s.to === PHONE && s.body.includes('School Nursing team')), 'the welcome');
  });

  it('when a text is 200 KB of one letter, then the webhook is answered, the first 1,600 characters are kept and say the rest was not, and the server keeps answering', async () => {
    h = await startHarness();
    const body = `help ${'x'.repeat(200_000)}`;
    const response = await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body });
    expect(response.status).to.equal(200);
    const [message] = await h.app.db.manager.find(Message, { where: { direction: 'in' } });
    const text = openMessageBody(keyring(h), message);
    expect(text.startsWith(`help ${'x'.repeat(1595)}\n`)).to.equal(true);
    expect(text).to.contain(`this message was ${body.length} characters long; only the first 1600 are kept`);
    expect((await fetch(`${h.app.url}/healthz`)).status).to.equal(200);
  });

  it('when triage fails on a message, then it is still stored and acknowledged, marked "triage failed", escalated and sent the safety reply', async () => {
    h = await startHarness({ triage: { forService: () => ({ assess: () => { throw new TypeError('apostrophe.map is not a function'); } }) } });
    const response = await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'something the engine cannot read' });
    expect(response.status).to.equal(200);
    const [message] = await h.app.db.manager.find(Message, { where: { direction: 'in' } });
    expect(message.riskLevel).to.equal('high');
    expect(openTriage<{ category: string }[]>(keyring(h), message)!.map((r) => r.category)).to.deep.equal(['triage-failed']);
    const [conversation] = await h.app.db.manager.find(Conversation);
    expect(conversation.riskLevel).to.equal('high');
    expect(await h.app.db.manager.count(Escalation, { where: { conversationId: conversation.id } })).to.equal(1);
    const replies = await h.app.db.manager.find(OutboxItem, { where: { conversationId: conversation.id } });
    expect(replies.length).to.be.greaterThan(0);
    await eventually(() => h.twilio.sent.some((s) => s.body.includes('999')), 'the safety signposting');
  });
});

describe('hardening: request bodies', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ rateLimits: { failedAuthentications: 1000 } });
  });
  after(async () => h?.close());

  it('when a webhook or the API gets multipart/form-data, then 415 names the type it takes and no upload lands in the temp folder', async () => {
    const before = new Set(readdirSync(tmpdir()));
    const boundary = 'lamplightboundary';
    const part = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${'A'.repeat(400_000)}\r\n--${boundary}--\r\n`);
    for (const path of ['/api/sms/twilio', '/api/sms/twilio/status', '/api/v1/conversations/00000000-0000-4000-8000-000000000000/messages', '/api/messages']) {
      const response = await rawPost(`${h.app.url}${path}`, { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(part.length) }, [part]);
      expect(response.status, path).to.equal(415);
      expect(response.headers.accept, path).to.match(path.startsWith('/api/sms') ? /application\/x-www-form-urlencoded/ : /application\/json/);
    }
    const added = readdirSync(tmpdir()).filter((name) => !before.has(name) && !name.startsWith('lamplight-'));
    expect(added).to.deep.equal([]);
  });

  it('when a body is over 256 KB, declared or streamed without a length, then 413 for every type', async () => {
    const big = Buffer.alloc(300 * 1024, 'a');
    const declared = await rawPost(`${h.app.url}/api/sms/twilio`, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(big.length) }, [big]);
    expect(declared.status).to.equal(413);
    const chunked = await rawPost(`${h.app.url}/api/v1/conversations/00000000-0000-4000-8000-000000000000/messages`, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      Array.from({ length: 30 }, () => Buffer.alloc(10 * 1024, 'a')));
    expect(chunked.status).to.equal(413);
  });

  it('when a body is compressed, of another type, or broken JSON, then a clear 4xx and nothing is stored', async () => {
    const gzip = await rawPost(`${h.app.url}/api/sms/twilio`, { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip', 'content-length': '4' }, [Buffer.from('abcd')]);
    expect(gzip.status).to.equal(415);
    const plain = await fetch(`${h.app.url}/api/v1/conversations/00000000-0000-4000-8000-000000000000/messages`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(plain.status).to.equal(415);
    const token = await h.staff('sam@trust.nhs.uk', 'clinician', 'school-nursing');
    const brokenApi = await fetch(`${h.app.url}/api/v1/conversations/00000000-0000-4000-8000-000000000000/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"text":' });
    expect(brokenApi.status).to.equal(400);
    expect((await brokenApi.json()).error).to.equal('bad_json');
    expect(await h.app.db.manager.count(Message)).to.equal(0);
  });
});

describe('hardening: security headers', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when the API, a webhook or the tab answers, then nothing is sniffed or leaks a referrer; only the tab may be framed, and only by Teams', async () => {
    h = await startHarness();
    const api = await fetch(`${h.app.url}/api/v1/conversations`);
    expect(api.status).to.equal(401);
    expect(api.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(api.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(api.headers.get('x-frame-options')).to.equal('DENY');
    expect(api.headers.get('content-security-policy')).to.contain("frame-ancestors 'none'");
    expect(api.headers.get('strict-transport-security')).to.equal(null);
    const webhook = await fetch(`${h.app.url}/api/sms/twilio`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
    expect(webhook.headers.get('x-content-type-options')).to.equal('nosniff');
    const tab = await fetch(`${h.app.url}/app/`);
    expect(tab.headers.get('x-frame-options')).to.equal(null);
    expect(tab.headers.get('content-security-policy')).to.contain('frame-ancestors \'self\' https://teams.microsoft.com');
    expect(tab.headers.get('x-content-type-options')).to.equal('nosniff');
  });

  it('when PUBLIC_URL is https, then every answer carries HSTS', async () => {
    h = await startHarness({ publicUrl: 'https://lamplight.example.nhs.uk' });
    for (const path of ['/healthz', '/api/v1/conversations', '/app/']) {
      expect((await fetch(`${h.app.url}${path}`)).headers.get('strict-transport-security'), path).to.match(/^max-age=31536000; includeSubDomains$/);
    }
  });
});

describe('hardening: rate limits', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when one address calls an unauthenticated route too often, then 429 with Retry-After; health checks are never limited', async () => {
    h = await startHarness({ rateLimits: { unauthenticatedPerMinute: 3 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${h.app.url}/api/v1/openapi.json`)).status);
    expect(statuses).to.deep.equal([200, 200, 200, 429, 429]);
    const limited = await fetch(`${h.app.url}/app/sign-in.json`);
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    for (let i = 0; i < 10; i++) expect((await fetch(`${h.app.url}/healthz`)).status).to.equal(200);
  });

  it('when an address keeps failing authentication (bad tokens, forged webhooks), then it is shut out of everything but health checks, even with a good token', async () => {
    h = await startHarness({ rateLimits: { failedAuthentications: 3 } });
    const good = await h.staff('sam@trust.nhs.uk', 'clinician', 'school-nursing');
    expect((await h.api('GET', '/api/v1/conversations', { token: good })).status).to.equal(200);
    expect((await h.api('GET', '/api/v1/conversations', { token: 'not-a-token' })).status).to.equal(401);
    expect((await h.api('GET', '/api/v1/conversations')).status).to.equal(401);
    const forged = await fetch(`${h.app.url}/api/sms/twilio`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' }, body: 'From=%2B447700900555&To=%2B447700900101&MessageSid=SM1&Body=hi' });
    expect(forged.status).to.equal(403);
    expect((await h.api('GET', '/api/v1/conversations', { token: 'not-a-token' })).status).to.equal(401);
    const shutOut = await fetch(`${h.app.url}/api/v1/conversations`, { headers: { authorization: `Bearer ${good}` } });
    expect(shutOut.status).to.equal(429);
    expect(Number(shutOut.headers.get('retry-after'))).to.be.greaterThan(0);
    expect((await fetch(`${h.app.url}/healthz`)).status).to.equal(200);
  });

  it('when one staff member sends too many API requests, then 429 with Retry-After for them and not for a colleague', async () => {
    h = await startHarness({ rateLimits: { apiPerMinutePerUser: 4 } });
    const sam = await h.staff('sam@trust.nhs.uk', 'clinician', 'school-nursing');
    const jo = await h.staff('jo@trust.nhs.uk', 'clinician', 'school-nursing');
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await h.api('GET', '/api/v1/conversations', { token: sam })).status);
    expect(statuses).to.deep.equal([200, 200, 200, 200, 429, 429]);
    const limited = await fetch(`${h.app.url}/api/v1/conversations`, { headers: { authorization: `Bearer ${sam}` } });
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    expect((await h.api('GET', '/api/v1/conversations', { token: jo })).status).to.equal(200);
  });
});

function keyring(h: Harness): Keyring {
  return Keyring.fromBase64(h.dataKey);
}
