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
  const tables = ['contact', 'conversation', 'message', 'outbox_item', 'audit_event', 'staff_member', 'service_membership'];
  const dumps = await Promise.all(tables.map((t) => h.app.db.dataSource.query(`SELECT row_to_json(t)::text AS row FROM ${t} t`)));
  return dumps.flat().map((r: { row: string }) => r.row).join('\n');
}

describe('data at rest and in logs', () => {
  let h: Harness;
  const logLines: string[] = [];
  afterEach(async () => h?.close());

  it('when a message and a reply are stored, then neither text nor the phone number is in the database in plain, nor in the logs', async () => {
    h = await startHarness({ logDestination: { write: (line) => void logLines.push(line) } });
    const token = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    expect((await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: SECRET_TEXT })).status).to.equal(200);
    const { body: list } = await h.api('GET', '/api/v1/conversations', { token });
    h.clock.advance(60_000);
    await h.api('POST', `/api/v1/conversations/${list.conversations[0].id}/messages`, { token, body: { text: REPLY_TEXT } });
    await eventually(() => h.twilio.sent.length === 2, 'welcome and reply sent');

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
