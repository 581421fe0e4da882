import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const PHONE = '+447700900577';
const SECRET_TEXT = 'my stepdad hits me when he drinks';
const REPLY_TEXT = 'Thank you for telling us, you did the right thing';
// Every way the number could appear in plain: E.164, national, digits alone.
const NUMBER_FORMS = ['+447700900577', '07700900577', '447700900577', '7700900577'];

/** Everything the database holds, as bytes on disk (SQLite) or every row as text (PostgreSQL). */
async function everythingStored(h: Harness): Promise<string> {
  if (h.database.file) {
    const files = [h.database.file, `${h.database.file}-wal`].filter(existsSync);
    return files.map((f) => readFileSync(f).toString('latin1')).join('\n');
  }
  const tables = ['contact', 'conversation', 'message', 'outbox_item', 'audit_event', 'staff_member', 'service_membership', 'note', 'escalation', 'webchat_session', 'webchat_activity'];
  const dumps = await Promise.all(tables.map((t) => h.app.db.dataSource.query(`SELECT row_to_json(t)::text AS row FROM ${t} t`)));
  return dumps.flat().map((r: { row: string }) => r.row).join('\n');
}

describe('data at rest and in logs', () => {
  let h: Harness;
  const logLines: string[] = [];
  afterEach(async () => h?.close());

  it('when a message, a note and a reply are stored, by SMS and by web chat, then neither text nor the phone number is in the database in plain, nor in the logs', async () => {
    h = await startHarness({ logDestination: { write: (line) => void logLines.push(line) } });
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    expect((await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: SECRET_TEXT })).status).to.equal(200);
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token });
    h.clock.advance(60_000);
    await h.api('POST', `/api/v1/conversations/${list.conversations[0].id}/messages`, { token, body: { text: REPLY_TEXT } });
    // Wait for the reply itself: the words are high risk, so a safety reply and the welcome go
    // first, and a count caught between sends would race (CI once saw it pass 2 straight to 3).
    await eventually(() => h.twilio.sent.some((s) => s.body === REPLY_TEXT), 'the reply sent');
    await h.api('POST', `/api/v1/conversations/${list.conversations[0].id}/notes`, { token, body: { text: `note: ${SECRET_TEXT}` } });

    // The same words by web chat: the chat's own copy of the post and of the reply are sealed too.
    const chat = await (await fetch(`${h.app.url}/api/webchat/school-nursing/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
    const posted = await fetch(`${h.app.url}/v3/directline/conversations/${chat.conversationId}/activities`, {
      method: 'POST', headers: { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: SECRET_TEXT, channelData: { clientActivityID: 'rest-1' } }),
    });
    expect(posted.status).to.equal(200);
    const { body: all } = await h.api('GET', '/api/v1/conversations', { token });
    const webchat = all.conversations.find((c: { channel: string }) => c.channel === 'webchat');
    await h.api('POST', `/api/v1/conversations/${webchat.id}/messages`, { token, body: { text: REPLY_TEXT } });
    await eventually(async () => (await fetch(`${h.app.url}/v3/directline/conversations/${chat.conversationId}/activities?watermark=`, { headers: { authorization: `Bearer ${chat.token}` } }).then((r) => r.json())).activities.some((a: { text: string }) => a.text === REPLY_TEXT), 'the reply in the web chat');

    const stored = await everythingStored(h);
    // A check that can fail: the store is not empty and does hold the (non-secret) service slug.
    expect(stored).to.contain('school-nursing');
    expect(stored).not.to.contain(SECRET_TEXT);
    expect(stored).not.to.contain('stepdad');
    expect(stored).not.to.contain(REPLY_TEXT);
    for (const form of NUMBER_FORMS) expect(stored, form).not.to.contain(form);

    const logs = logLines.join('');
    expect(logs).to.contain('message.received');
    expect(logs).not.to.contain('stepdad');
    expect(logs).not.to.contain('right thing');
    for (const form of NUMBER_FORMS) expect(logs, form).not.to.contain(form);
  });
});
