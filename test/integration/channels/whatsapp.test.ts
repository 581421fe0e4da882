import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DEMO_CONFIG_PATH } from '../../../bot/config/services';
import { join } from 'node:path';
import { Conversation, Escalation, Message, OutboxItem } from '../../../db/entities';
import { whatsappSignature } from '../../../adapters/whatsapp/signature';
import { failOutboxInserts } from '../../support/faults';
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

  /** A webhook post as Meta makes it; Meta's window for the contact opens as it sends. */
  const post = (body: string, signature = whatsappSignature(WHATSAPP_APP_SECRET, body)) => {
    h.graph!.heard(body);
    return fetch(`${h.app.url}/api/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
  };

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

  it('when the store fails part-way through, then Meta gets 503 and nothing half-written; Meta\'s retry of the same post stores it once', async () => {
    const restore = await failOutboxInserts(h.app.db);
    const raw = fixture('inbound__text');
    expect((await post(raw)).status).to.equal(503);
    expect(await h.app.db.manager.count(Message)).to.equal(0);
    expect(await h.app.db.manager.count(Conversation)).to.equal(0);
    await restore();
    expect((await post(raw)).status).to.equal(200);
    expect(await h.app.db.manager.count(Message, { where: { direction: 'in' } })).to.equal(1);
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

  /** A conversation opened by a text from the contact, a clinician's token, and the reply path. */
  async function openConversation(text = 'hello, can I ask about something') {
    await post(JSON.stringify(h.graph!.inboundText({ from: CONTACT, to: SCHOOL_NURSING_WHATSAPP, text })));
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token });
    const id: string = list.conversations[0].id;
    // The welcome goes first; later sends are the ones under test.
    await eventually(() => h.graph!.sent.length >= 1, 'the welcome');
    h.clock.advance(60_000);
    return { token, id, path: `/api/v1/conversations/${id}/messages` };
  }
  const sentRow = (messageId: string) => eventually(async () => {
    const row = await h.app.db.manager.findOneBy(OutboxItem, { messageId });
    return row && (row.status === 'sent' || row.status === 'failed') ? row : undefined;
  }, 'the reply sent or failed', 10_000);

  it('when the contact wrote within 24 hours, then a reply goes as free text, and the inbox says the window is open and until when', async () => {
    const { token, id, path } = await openConversation();
    const { body: detail } = await h.api('GET', `/api/v1/conversations/${id}`, { token });
    expect(detail.reply.maxLength).to.equal(4096);
    expect(detail.reply.window).to.deep.include({ open: true, closesAt: new Date(h.clock.now().getTime() - 60_000 + 24 * 3600 * 1000).toISOString(), template: 'lamplight_reply' });
    const reply = await h.api('POST', path, { token, body: { text: 'Hi, this is the school nurse.\nHow can I help?' } });
    expect(reply.status).to.equal(201);
    expect(reply.body.delivery.template).to.equal(null);
    const row = await sentRow(reply.body.id);
    expect(row).to.include({ status: 'sent', templateName: null });
    expect(h.graph!.sent.at(-1)).to.include({ type: 'text', text: 'Hi, this is the school nurse.\nHow can I help?' });
    // WhatsApp takes 4,096 characters, not SMS's 1,600.
    expect((await h.api('POST', path, { token, body: { text: 'y'.repeat(2000) } })).status).to.equal(201);
    expect((await h.api('POST', path, { token, body: { text: 'y'.repeat(4097) } })).status).to.equal(400);
  });

  it('when the contact last wrote more than 24 hours ago, then a clinician\'s reply goes inside the approved template (Meta would refuse free text), and the inbox shows why', async () => {
    const { token, id, path } = await openConversation();
    h.clock.advance(24 * 3600 * 1000);
    const { body: before } = await h.api('GET', `/api/v1/conversations/${id}`, { token });
    expect(before.reply.window).to.include({ open: false, template: 'lamplight_reply' });
    expect(before.reply.maxLength).to.equal(928);
    expect(before.reply.window.preview).to.equal('The School Nursing team has replied to your message: [your reply] (Reply here to carry on the conversation.)');
    const reply = await h.api('POST', path, { token, body: { text: 'Sorry for the slow reply.\n\nAre you OK?' } });
    expect(reply.status).to.equal(201);
    expect(reply.body.delivery.template).to.equal('lamplight_reply');
    const row = await sentRow(reply.body.id);
    expect(row).to.include({ status: 'sent', templateName: 'lamplight_reply' });
    // Straight to the template: no free text was tried and refused first (the welcome, then this).
    expect(h.graph!.requests).to.equal(2);
    const sent = h.graph!.sent.at(-1)!;
    expect(sent.type).to.equal('template');
    expect(sent.template).to.deep.equal({ name: 'lamplight_reply', languageCode: 'en_GB', parameters: ['School Nursing', 'Sorry for the slow reply. Are you OK?'] });
    expect(sent.body.template).to.deep.equal({ name: 'lamplight_reply', language: { code: 'en_GB' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'School Nursing' }, { type: 'text', text: 'Sorry for the slow reply. Are you OK?' }] }] });
    const { body: after } = await h.api('GET', `/api/v1/conversations/${id}`, { token });
    expect(after.messages.at(-1).delivery).to.include({ status: 'sent', template: 'lamplight_reply' });
    const transcript = await h.api('GET', `/api/v1/conversations/${id}/transcript.txt`, { token });
    expect(transcript.body).to.contain('[sent inside the approved WhatsApp template lamplight_reply, on one line]');
    // Too long for a template: refused now, with the reason, rather than failing later.
    const long = await h.api('POST', path, { token, body: { text: 'x'.repeat(929) } });
    expect(long.status).to.equal(409);
    expect(long.body.error).to.equal('reply_too_long_for_template');
  });

  it('when Meta says the window has closed though our clock thought it open (131047), then the reply goes again at once inside the template', async () => {
    const { token, path } = await openConversation();
    h.graph!.failNext(1, { code: 131047, httpStatus: 400 });
    const reply = await h.api('POST', path, { token, body: { text: 'Are you still there?' } });
    const row = await sentRow(reply.body.id);
    expect(row).to.include({ status: 'sent', templateName: 'lamplight_reply', attempts: 1 });
    expect(h.graph!.sent.at(-1)!.template!.parameters).to.deep.equal(['School Nursing', 'Are you still there?']);
    // The welcome, the refused free text, the template: nothing more.
    expect(h.graph!.requests).to.equal(3);
  });

  it('when the template sent after a 131047 fails for a while, then the retry goes straight to the template, not free text again', async () => {
    const { token, path } = await openConversation();
    h.graph!.failNext(1, { code: 131047, httpStatus: 400 });
    h.graph!.failNext(1, { code: 131000, httpStatus: 500 });
    const reply = await h.api('POST', path, { token, body: { text: 'Are you OK?' } });
    await eventually(async () => {
      const row = await h.app.db.manager.findOneBy(OutboxItem, { messageId: reply.body.id });
      return row?.status === 'pending' && row.attempts === 1 ? row : undefined;
    }, 'the template attempt, failed and waiting');
    h.clock.advance(60_000);
    h.app.outbox.wake();
    const row = await sentRow(reply.body.id);
    expect(row).to.include({ status: 'sent', templateName: 'lamplight_reply', attempts: 2 });
    // The welcome; free text refused (131047); the template failing (131000); the template again.
    expect(h.graph!.requests).to.equal(4);
    expect(h.graph!.sent.at(-1)!.type).to.equal('template');
  });

  it('when Meta accepts a reply and later reports it failed with 131047, then it goes again once inside the template, and the inbox says so', async () => {
    const { token, id, path } = await openConversation();
    const reply = await h.api('POST', path, { token, body: { text: 'Checking in: how are you today?' } });
    const first = await sentRow(reply.body.id);
    expect(first).to.include({ status: 'sent', templateName: null });
    const failed = h.graph!.status({ wamid: first.providerMessageId!, status: 'failed', recipient: CONTACT, phoneNumberId: SCHOOL_NURSING_WHATSAPP, error: { code: 131047, title: 'Re-engagement message' } });
    expect((await h.graph!.postSigned(`${h.app.url}/api/whatsapp`, failed)).status).to.equal(200);
    const again = await eventually(async () => {
      const row = await h.app.db.manager.findOneBy(OutboxItem, { messageId: reply.body.id });
      return row?.status === 'sent' && row.templateName ? row : undefined;
    }, 'the reply sent again inside the template');
    expect(again.providerMessageId).to.not.equal(first.providerMessageId);
    expect(h.graph!.sent.at(-1)!.template).to.deep.equal({ name: 'lamplight_reply', languageCode: 'en_GB', parameters: ['School Nursing', 'Checking in: how are you today?'] });
    // A second 131047 for the template itself is a plain failure: it is not sent a third time.
    const templateFailed = h.graph!.status({ wamid: again.providerMessageId!, status: 'failed', recipient: CONTACT, phoneNumberId: SCHOOL_NURSING_WHATSAPP, error: { code: 131047, title: 'Re-engagement message' } });
    await h.graph!.postSigned(`${h.app.url}/api/whatsapp`, templateFailed);
    expect(await h.app.db.manager.findOneByOrFail(OutboxItem, { messageId: reply.body.id })).to.include({ status: 'failed' });
    const { body } = await h.api('GET', `/api/v1/conversations/${id}`, { token });
    expect(body.messages.at(-1).delivery).to.include({ status: 'failed', template: 'lamplight_reply' });
  });

  it('when an automatic reply is held up until the window has closed, then it is not sent at all (never as free text, never as a template), and the failure says why', async () => {
    h.graph!.failNext(1, { code: 131000, httpStatus: 500 });
    await post(JSON.stringify(h.graph!.inboundText({ from: CONTACT, to: SCHOOL_NURSING_WHATSAPP, text: 'hello' })));
    const waiting = await eventually(async () => {
      const row = await h.app.db.manager.findOneBy(OutboxItem, { channel: 'whatsapp' });
      return row?.status === 'pending' && row.attempts === 1 ? row : undefined;
    }, 'the welcome, failed once and waiting');
    h.clock.advance(25 * 3600 * 1000);
    h.app.outbox.wake();
    const failed = await eventually(async () => {
      const row = await h.app.db.manager.findOneBy(OutboxItem, { id: waiting.id });
      return row?.status === 'failed' ? row : undefined;
    }, 'the welcome refused');
    expect(failed.lastError).to.contain('an automatic reply never goes outside the 24-hour reply window');
    expect(h.graph!.sent).to.have.length(0);
    // Nor can a clinician push it out with Retry.
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const retry = await h.api('POST', `/api/v1/conversations/${failed.conversationId}/retry`, { token, body: { messageId: failed.messageId } });
    expect(retry.status).to.equal(409);
    expect(retry.body.error).to.equal('reply_window_closed');
  });

  it('when Meta refuses a reply for good (131026, not a WhatsApp number), then it fails at once and the conversation shows the failure', async () => {
    const { token, id, path } = await openConversation();
    h.graph!.failNext(1, { code: 131026, httpStatus: 400 });
    const reply = await h.api('POST', path, { token, body: { text: 'Hello?' } });
    const row = await sentRow(reply.body.id);
    expect(row).to.include({ status: 'failed', attempts: 1 });
    const { body } = await h.api('GET', `/api/v1/conversations/${id}`, { token });
    expect(body.messages.at(-1).delivery.status).to.equal('failed');
    expect(body.messages.at(-1).delivery.lastError).to.contain('131026');
  });

  it('when a photo, a voice note and a location arrive, then each is stored as a typed placeholder (the caption kept and triaged) and the "text only" reply goes once', async () => {
    for (const name of ['inbound__image', 'inbound__audio', 'inbound__location']) expect((await post(fixture(name))).status).to.equal(200);
    const stored = await h.app.db.manager.find(Message, { where: { direction: 'in' }, order: { createdAt: 'ASC' } });
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const { body } = await h.api('GET', `/api/v1/conversations/${stored[0].conversationId}`, { token });
    expect(body.messages.filter((m: { direction: string }) => m.direction === 'in').map((m: { text: string }) => m.text)).to.deep.equal(['[image] is this rash normal', '[audio]', '[location]']);
    const autoReplies = body.messages.filter((m: { authorKind: string }) => m.authorKind === 'auto').map((m: { autoReplyKind: string }) => m.autoReplyKind);
    expect(autoReplies).to.deep.equal(['welcome', 'text_only']);
    await eventually(() => h.graph!.sent.length === 2, 'both replies sent');
    expect(h.graph!.sent[1].text).to.equal("The School Nursing team can only read typed words here: we can't open photos, voice notes, files or locations. If there's more you want to tell us, please type it. If you need help right now, call 999 in an emergency or NHS 111.");
  });

  it('when a tapped button reply arrives, then its words are the message and no "text only" reply goes', async () => {
    expect((await post(fixture('inbound__interactive_button_reply'))).status).to.equal(200);
    const [message] = await h.app.db.manager.find(Message, { where: { direction: 'in' } });
    const kinds = (await h.app.db.manager.find(Message, { where: { direction: 'out' } })).map((m) => m.autoReplyKind);
    expect(kinds).to.deep.equal(['welcome']);
    expect(message.channel).to.equal('whatsapp');
  });

  it('when every fixture named after Meta\'s events arrives signed, then each is accepted after its commit and statuses for unknown wamids change nothing', async () => {
    for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''))) {
      const response = await post(fixture(name));
      expect(response.status, name).to.equal(200);
    }
    // inbound__text, two_messages_two_entries (3), image, audio, location, interactive: 8 messages, each once.
    expect(await h.app.db.manager.count(Message, { where: { direction: 'in' } })).to.equal(8);
  });
});

describe('WhatsApp for a service with no approved reply template', () => {
  let h: Harness;
  let dir: string;
  beforeEach(async () => {
    // The demo config, with the first service's reply template taken out.
    const demo = readFileSync(DEMO_CONFIG_PATH, 'utf8');
    const withoutTemplate = demo.replace(/    whatsapp:\n(      #.*\n)*      replyTemplate:\n(        .*\n)+/, '');
    if (withoutTemplate === demo) throw new Error('test setup: the demo config has no reply template to take out');
    dir = mkdtempSync(join(tmpdir(), 'lamplight-config-'));
    writeFileSync(join(dir, 'services.yaml'), withoutTemplate);
    h = await startHarness({ whatsapp: true, configPath: join(dir, 'services.yaml') });
  });
  afterEach(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the window has closed, then a reply is refused (409) with the reason, and the inbox says no reply can go', async () => {
    const body = JSON.stringify(h.graph!.inboundText({ from: CONTACT, to: SCHOOL_NURSING_WHATSAPP, text: 'hello' }));
    await h.graph!.postSigned(`${h.app.url}/api/whatsapp`, body);
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token });
    const id = list.conversations[0].id;
    h.clock.advance(24 * 3600 * 1000 + 1);
    const { body: detail } = await h.api('GET', `/api/v1/conversations/${id}`, { token });
    expect(detail.reply).to.deep.equal({ maxLength: 4096, window: { open: false, closesAt: new Date(h.clock.now().getTime() - 1).toISOString(), template: null, preview: null }, page: null });
    const late = await h.api('POST', `/api/v1/conversations/${id}/messages`, { token, body: { text: 'Are you still there?' } });
    expect(late.status).to.equal(409);
    expect(late.body.error).to.equal('reply_window_closed');
    expect(late.body.message).to.contain('has none set up');
  });
});
