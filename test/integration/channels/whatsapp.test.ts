import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Conversation, Escalation, Message, OutboxItem } from '../../../db/entities';
import { whatsappSignature } from '../../../adapters/whatsapp/signature';
import { eventually, Harness, startHarness, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN } from '../../support/harness';

const SCHOOL_NURSING_WHATSAPP = '100000000000101';
const CONTACT = '447700900555';
const FIXTURES = join(__dirname, '..', '..', '..', '..', 'adapters', 'whatsapp', 'fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, `${name}.json`), 'utf8');

/** WhatsApp through the real server: Meta's webhook in (a local fake signs it), the Graph API out (a local fake checks it). */
describe('WhatsApp (Cloud API webhook and Graph API)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ whatsapp: true });
  });
  afterEach(async () => h?.close());

  const post = (body: string, signature = whatsappSignature(WHATSAPP_APP_SECRET, body)) =>
    fetch(`${h.app.url}/api/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });

  it('when Meta checks the subscription with our verify token, then the challenge comes back as text; any other token gets 403', async () => {
    const ok = await fetch(`${h.app.url}/api/whatsapp?hub.mode=subscribe&hub.verify_token=${WHATSAPP_VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok.status).to.equal(200);
    expect(await ok.text()).to.equal('1158201444');
    expect((await fetch(`${h.app.url}/api/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`)).status).to.equal(403);
  });

  it('when the text fixture arrives signed, then it is stored, acknowledged after the commit, and the welcome goes out through the Graph API', async () => {
    const response = await post(fixture('inbound__text'));
    expect(response.status).to.equal(200);
    const [message] = await h.app.db.manager.find(Message, { where: { direction: 'in' } });
    expect(message).to.include({ channel: 'whatsapp', externalId: 'wamid.HBgMNDQ3NzAwOTAwNTU1FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDEA' });
    const sent = await eventually(() => h.graph!.sent[0], 'the welcome on WhatsApp');
    expect(sent).to.include({ phoneNumberId: SCHOOL_NURSING_WHATSAPP, to: CONTACT, type: 'text' });
    expect(sent.text).to.contain('School Nursing team');
    const item = await eventually(async () => (await h.app.db.manager.findOneBy(OutboxItem, { channel: 'whatsapp' }))?.providerMessageId ? h.app.db.manager.findOneBy(OutboxItem, { channel: 'whatsapp' }) : undefined, 'the sent row');
    expect(item!.providerMessageId).to.equal(sent.wamid);
  });

  it('when the body is re-serialised after signing, or the signature is missing, then 403 and nothing is stored', async () => {
    const raw = fixture('inbound__text');
    const reserialised = JSON.stringify(JSON.parse(raw));
    expect((await post(reserialised, whatsappSignature(WHATSAPP_APP_SECRET, raw))).status).to.equal(403);
    expect((await post(raw, '')).status).to.equal(403);
    expect(await h.app.db.manager.count(Message)).to.equal(0);
  });

  it('when a post is not JSON or not Meta\'s envelope, then unsigned it is 403 (checked before parsing) and signed it is 400; nothing is stored', async () => {
    expect((await post('{"object":', 'sha256=' + '0'.repeat(64))).status).to.equal(403);
    expect((await post('{"object":')).status).to.equal(400);
    expect((await post('{"object":"whatsapp_business_account","entry":"nope"}')).status).to.equal(400);
    expect(await h.app.db.manager.count(Message)).to.equal(0);
  });

  it('when the same wamid arrives twice, and a post carries two messages in two entries, then each message is stored once', async () => {
    expect((await post(fixture('inbound__text'))).status).to.equal(200);
    expect((await post(fixture('inbound__text'))).status).to.equal(200);
    expect((await post(fixture('inbound__two_messages_two_entries'))).status).to.equal(200);
    const stored = await h.app.db.manager.find(Message, { where: { direction: 'in', channel: 'whatsapp' } });
    expect(new Set(stored.map((m) => m.externalId)).size).to.equal(stored.length);
    // The text fixture's one message, and the three of the two-entry post.
    expect(stored.length).to.equal(4);
  });

  it('when a high-risk text arrives on WhatsApp, then the safety reply goes first and the duty lead is escalated to, as for SMS', async () => {
    const envelope = h.graph!.inboundText({ from: CONTACT, to: SCHOOL_NURSING_WHATSAPP, text: 'i took 20 paracetamol an hour ago' });
    expect((await h.graph!.postSigned(`${h.app.url}/api/whatsapp`, envelope)).status).to.equal(200);
    const [conversation] = await h.app.db.manager.find(Conversation);
    expect(conversation).to.include({ channel: 'whatsapp', riskLevel: 'high' });
    expect(await h.app.db.manager.count(Escalation)).to.equal(1);
    const first = await eventually(() => h.graph!.sent[0], 'the safety reply');
    expect(first.text).to.contain('999');
  });

  it('when Meta reports a delivery status for a message we sent, then the outbox row moves forward', async () => {
    await post(fixture('inbound__text'));
    const sent = await eventually(() => h.graph!.sent[0], 'the welcome');
    await eventually(async () => (await h.app.db.manager.findOneBy(OutboxItem, { providerMessageId: sent.wamid }))?.status === 'sent', 'the row sent');
    const delivered = h.graph!.status({ wamid: sent.wamid, status: 'delivered', recipient: CONTACT, phoneNumberId: SCHOOL_NURSING_WHATSAPP });
    expect((await h.graph!.postSigned(`${h.app.url}/api/whatsapp`, delivered)).status).to.equal(200);
    expect((await h.app.db.manager.findOneByOrFail(OutboxItem, { providerMessageId: sent.wamid })).status).to.equal('delivered');
  });

  it('when Graph answers 130429 (rate limited) and then accepts, then the reply is sent once', async () => {
    h.graph!.failNext(1, { code: 130429, httpStatus: 429 });
    await post(fixture('inbound__text'));
    // The attempt counts when the row is claimed; the failure puts it back to wait for its retry.
    const waiting = await eventually(async () => {
      const row = await h.app.db.manager.findOneBy(OutboxItem, { channel: 'whatsapp' });
      return row?.attempts === 1 && row.status === 'pending' ? row : undefined;
    }, 'the first attempt, failed and waiting');
    expect(waiting.lastError).to.contain('130429');
    h.clock.advance(60_000);
    h.app.outbox.wake();
    const item = await eventually(async () => {
      const row = await h.app.db.manager.findOneBy(OutboxItem, { channel: 'whatsapp' });
      return row?.status === 'sent' ? row : undefined;
    }, 'the retried send', 10_000);
    expect(item.attempts).to.equal(2);
    expect(h.graph!.sent).to.have.length(1);
  });

  it('when the contact last wrote more than 24 hours ago, then a clinician\'s free-text reply is refused (409) rather than breaking the window; within it, it goes', async () => {
    await post(fixture('inbound__text'));
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token });
    const path = `/api/v1/conversations/${list.conversations[0].id}/messages`;
    expect((await h.api('POST', path, { token, body: { text: 'Hi, this is the school nurse.' } })).status).to.equal(201);
    h.clock.advance(24 * 3600 * 1000 + 60_000);
    const late = await h.api('POST', path, { token, body: { text: 'Are you still there?' } });
    expect(late.status).to.equal(409);
    expect(late.body.error).to.equal('reply_window_closed');
  });
});
