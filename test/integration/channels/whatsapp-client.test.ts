import { expect } from 'chai';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ProviderError } from '../../../adapters/channel';
import { WhatsAppClient, WhatsAppSendError } from '../../../adapters/whatsapp/client';
import { FakeGraphApi } from '../../../adapters/whatsapp/fake';
import { isValidWhatsAppSignature } from '../../../adapters/whatsapp/signature';

const ACCESS_TOKEN = 'EAAtest-system-user-token';
const APP_SECRET = 'test-app-secret';
const SERVICE = '100000000000101';
const CONTACT = '447700900555';

async function rejection(promise: Promise<unknown>): Promise<WhatsAppSendError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ProviderError).and.instanceOf(WhatsAppSendError);
    return error as WhatsAppSendError;
  }
  throw new Error('expected the send to fail');
}

describe('WhatsApp client against the fake Graph API on loopback', () => {
  let graph: FakeGraphApi;
  let baseUrl: string;
  beforeEach(async () => {
    graph = new FakeGraphApi({ accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, phoneNumberIds: [SERVICE] });
    baseUrl = await graph.listen();
  });
  afterEach(async () => graph.close());

  it('when a text is sent, then Meta gets the documented body and bearer token, and the wamid comes back', async () => {
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl });
    const { providerMessageId } = await client.send({ from: SERVICE, to: CONTACT, text: 'A nurse will reply by 4pm.', outboxItemId: 'o-1' });
    expect(graph.sent).to.have.length(1);
    const [sent] = graph.sent;
    expect(providerMessageId).to.equal(sent.wamid).and.match(/^wamid\./);
    expect(sent.authorization).to.equal(`Bearer ${ACCESS_TOKEN}`);
    expect(sent.phoneNumberId).to.equal(SERVICE);
    expect(sent.body).to.deep.equal({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: CONTACT, type: 'text',
      text: { preview_url: false, body: 'A nurse will reply by 4pm.' },
    });
  });

  it('when a template is sent, then its name, language and body parameters go in Meta\'s template shape', async () => {
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl });
    const wamid = await client.sendTemplate(SERVICE, CONTACT, { name: 'clinician_reply_waiting', languageCode: 'en_GB', parameters: ['School Nursing'] });
    expect(wamid).to.equal(graph.sent[0].wamid);
    expect(graph.sent[0].body).to.deep.equal({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: CONTACT, type: 'template',
      template: { name: 'clinician_reply_waiting', language: { code: 'en_GB' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'School Nursing' }] }] },
    });
  });

  it('when the base URL has no version, then the fake still routes the send (the client adds only /{id}/messages)', async () => {
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl.replace(/\/v21\.0$/, '') });
    await client.sendText(SERVICE, CONTACT, 'hello');
    expect(graph.sent).to.have.length(1);
  });

  it('when the token is wrong, then a non-retryable auth ProviderError (Graph 190, HTTP 401) and nothing is sent', async () => {
    const client = new WhatsAppClient({ accessToken: 'wrong', apiBaseUrl: baseUrl });
    const error = await rejection(client.sendText(SERVICE, CONTACT, 'hello'));
    expect(error).to.include({ retryable: false, reason: 'auth', status: 401, providerCode: '190' });
    expect(graph.sent).to.have.length(0);
  });

  it('when Meta throttles with 130429, then the error is retryable, and the next send succeeds', async () => {
    graph.failNext(1, { code: 130429, httpStatus: 429 });
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl });
    const error = await rejection(client.sendText(SERVICE, CONTACT, 'hello'));
    expect(error).to.include({ retryable: true, reason: 'rate_limited', status: 429, providerCode: '130429' });
    await client.sendText(SERVICE, CONTACT, 'hello');
    expect(graph.sent).to.have.length(1);
  });

  it('when the window has closed (131047), then the error says window_closed and is not retried', async () => {
    graph.failNext(1, { code: 131047, httpStatus: 400, message: '(#131047) Re-engagement message' });
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl });
    const error = await rejection(client.sendText(SERVICE, CONTACT, 'hello'));
    expect(error).to.include({ retryable: false, reason: 'window_closed', providerCode: '131047' });
  });

  it('when a send fails, then the error message carries neither the text nor the number', async () => {
    graph.failNext(1, { code: 131026, httpStatus: 400 });
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl });
    const error = await rejection(client.sendText(SERVICE, CONTACT, 'private words'));
    expect(error).to.include({ retryable: false, reason: 'permanent' });
    expect(error.message).to.not.contain(CONTACT).and.not.contain('private words');
  });

  it('when Meta does not answer, then the send times out as a retryable error', async () => {
    graph.hangNext(1);
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl, timeoutMs: 200 });
    const error = await rejection(client.sendText(SERVICE, CONTACT, 'hello'));
    expect(error).to.include({ retryable: true, reason: 'timeout' });
    expect(graph.sent).to.have.length(0);
  });

  it('when the phone-number id is not ours, then Graph\'s invalid-parameter error is permanent', async () => {
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl });
    const error = await rejection(client.sendText('100000000000999', CONTACT, 'hello'));
    expect(error).to.include({ retryable: false, reason: 'permanent', providerCode: '100' });
  });

  it('when a text is longer than 4096, then it is refused before any call, as not retryable', async () => {
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: baseUrl });
    const error = await rejection(client.sendText(SERVICE, CONTACT, 'a'.repeat(4097)));
    expect(error).to.include({ retryable: false, reason: 'too_long' });
    expect(graph.requests).to.equal(0);
  });

  it('when Graph is unreachable, then the error is retryable', async () => {
    const closed = baseUrl;
    await graph.close();
    const client = new WhatsAppClient({ accessToken: ACCESS_TOKEN, apiBaseUrl: closed });
    const error = await rejection(client.sendText(SERVICE, CONTACT, 'hello'));
    expect(error).to.include({ retryable: true, reason: 'network' });
    graph = new FakeGraphApi({ accessToken: ACCESS_TOKEN, appSecret: APP_SECRET });
  });
});

describe('FakeGraphApi: signed webhooks as Meta posts them', () => {
  let server: Server;
  let received: { body: Buffer; signature: string | undefined }[];
  let url: string;
  beforeEach(async () => {
    received = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks), signature: req.headers['x-hub-signature-256'] as string | undefined });
        // Two calls: restify, loaded by other tests in this process, patches writeHead to return nothing.
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/whatsapp`;
  });
  afterEach(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('when the fake posts an envelope, then the signature verifies over the bytes received, with the app secret only', async () => {
    const graph = new FakeGraphApi({ accessToken: ACCESS_TOKEN, appSecret: APP_SECRET });
    const response = await graph.postSigned(url, graph.inboundText({ from: CONTACT, to: SERVICE, text: 'hello 💊' }));
    expect(response.status).to.equal(200);
    const [{ body, signature }] = received;
    expect(isValidWhatsAppSignature(APP_SECRET, body, signature)).to.equal(true);
    expect(isValidWhatsAppSignature('another-secret', body, signature)).to.equal(false);
  });
});
