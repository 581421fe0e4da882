import { expect } from 'chai';
import { AuditEvent, Conversation, Message, Note, OutboxItem } from '../../db/entities';
import { Harness, HEALTH_VISITING_SMS, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Issue 12 item 3: list rows that say enough, unread per person, search over sealed text, and a returning contact. */
describe('queues: rows, unread per person, search and returning contacts', () => {
  let h: Harness;
  let nurse: string;
  let colleague: string;
  let visitor: string;

  beforeEach(async () => {
    h = await startHarness();
    nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    colleague = await h.staff('colleague@example.nhs.uk', 'clinician', 'school-nursing');
    visitor = await h.staff('hv@example.nhs.uk', 'clinician', 'health-visiting');
  });
  afterEach(async () => h?.close());

  const text = async (from: string, body: string, to = SCHOOL_NURSING_SMS) => {
    expect((await h.sendSms({ from, to, body })).status).to.equal(200);
    h.clock.advance(MINUTE);
  };
  const conversationOf = async (from: string) => {
    const list = await h.api('GET', '/api/v1/conversations?queue=open', { token: nurse });
    return list.body.conversations.find((c: { contactLabel: string }) => c.contactLabel === `•••• ${from.slice(-4)}`);
  };
  const search = (query: string, token = nurse) => h.api('GET', `/api/v1/search/conversations?${query}`, { token });

  it('a row carries the first line of the newest message as text, the risk categories, and the last message time', async () => {
    await text('+447700900111', 'first message');
    await text('+447700900111', 'i took 20 paracetamol\nsecond line <b>not markup</b>');
    await text('+447700900222', 'x'.repeat(300));
    const high = await conversationOf('+447700900111');
    expect(high.preview).to.equal('i took 20 paracetamol');
    expect(high.riskLevel).to.equal('high');
    expect(high.riskCategories).to.include('overdose');
    expect(Date.parse(high.lastMessageAt)).to.be.greaterThan(Date.parse(high.createdAt));
    const long = await conversationOf('+447700900222');
    expect([...long.preview]).to.have.length(120);
    expect(long.preview.endsWith('…')).to.equal(true);
    expect(long.riskCategories).to.deep.equal([]);
  });

  it('unread is per person: one nurse opening a conversation leaves it unread for a colleague, and a new message is unread again', async () => {
    await text('+447700900111', 'hello');
    const row = await conversationOf('+447700900111');
    expect(row.unread).to.equal(true);
    expect((await h.api('GET', `/api/v1/conversations/${row.id}`, { token: nurse })).status).to.equal(200);
    const mine = await h.api('GET', '/api/v1/conversations?queue=open', { token: nurse });
    const theirs = await h.api('GET', '/api/v1/conversations?queue=open', { token: colleague });
    expect(mine.body.conversations[0].unread).to.equal(false);
    expect(mine.body.counts.unread).to.equal(0);
    expect(theirs.body.conversations[0].unread).to.equal(true);
    expect(theirs.body.counts.unread).to.equal(1);
    // The colleague opens it at the first message they have not read: all of it.
    expect((await h.api('GET', `/api/v1/conversations/${row.id}`, { token: colleague })).body.readUpTo).to.equal(null);
    h.clock.advance(MINUTE);
    await text('+447700900111', 'are you there?');
    expect((await h.api('GET', '/api/v1/conversations?queue=open', { token: nurse })).body.counts.unread).to.equal(1);
    const again = await h.api('GET', `/api/v1/conversations/${row.id}`, { token: nurse });
    expect(Date.parse(again.body.readUpTo)).to.be.lessThan(Date.parse(again.body.messages.at(-1).createdAt));
  });

  it('search finds words in sealed messages (any case, accents, a part of a word), with the words around the match', async () => {
    await text('+447700900111', 'I feel really anxious about my exams');
    await text('+447700900222', 'can I get the Café time for the drop-in?');
    await text('+447700900333', 'nothing to see');
    const anxious = await search('q=ANXIOUS');
    expect(anxious.status).to.equal(200);
    expect(anxious.body.conversations.map((c: { contactLabel: string }) => c.contactLabel)).to.deep.equal(['•••• 0111']);
    expect(anxious.body.conversations[0].match.snippet).to.contain('really anxious about my exams');
    expect(anxious.body.complete).to.equal(true);
    expect((await search('q=cafe')).body.conversations.map((c: { contactLabel: string }) => c.contactLabel)).to.deep.equal(['•••• 0222']);
    expect((await search('q=drop-i')).body.conversations).to.have.length(1);
    expect((await search('q=nowhere%20at%20all')).body.conversations).to.deep.equal([]);
  });

  it('search by a whole number in any spelling or its last four, by dates in UK days, by risk and by status', async () => {
    await text('+447700900111', 'hello');
    await text('+447700900222', 'i want to kill myself');
    h.clock.advance(3 * DAY);
    await text('+447700900333', 'later hello');
    const labels = (r: { body: { conversations: { contactLabel: string }[] } }) => r.body.conversations.map((c) => c.contactLabel).sort();
    expect(labels(await search('number=07700%20900111'))).to.deep.equal(['•••• 0111']);
    expect(labels(await search('number=%2B447700900222'))).to.deep.equal(['•••• 0222']);
    expect(labels(await search('number=0333'))).to.deep.equal(['•••• 0333']);
    expect(labels(await search('number=9999'))).to.deep.equal([]);
    expect(labels(await search('risk=high'))).to.deep.equal(['•••• 0222']);
    expect(labels(await search('risk=none'))).to.deep.equal(['•••• 0111', '•••• 0333']);
    const today = new Date(h.clock.now()).toISOString().slice(0, 10);
    expect(labels(await search(`from=${today}`))).to.deep.equal(['•••• 0333']);
    expect(labels(await search('to=2026-11-24'))).to.deep.equal(['•••• 0111', '•••• 0222']);
    expect(labels(await search('status=closed'))).to.deep.equal([]);
    expect(labels(await search('status=open&q=hello'))).to.deep.equal(['•••• 0111', '•••• 0333']);
  });

  it('search sees only the services the person belongs to, is audited with the filters used (never the words or number), and refuses what it cannot search', async () => {
    await text('+447700900111', 'a secret word: marmalade');
    await text('+447700900444', 'marmalade again', HEALTH_VISITING_SMS);
    expect((await search('q=marmalade')).body.conversations.map((c: { service: string }) => c.service)).to.deep.equal(['school-nursing']);
    expect((await search('q=marmalade', visitor)).body.conversations.map((c: { service: string }) => c.service)).to.deep.equal(['health-visiting']);
    expect((await search('q=marmalade&service=health-visiting')).body.conversations).to.deep.equal([]);
    await search('q=marmalade&number=0111');
    const audits = await h.app.db.manager.find(AuditEvent, { where: { action: 'conversation.search' } });
    expect(audits).to.have.length(4);
    const last = JSON.stringify(audits.map((a) => a.detail));
    expect(last).to.contain('text last-four');
    expect(last).to.not.contain('marmalade');
    expect(last).to.not.contain('0111');
    for (const bad of ['', 'q=a', `q=${'x'.repeat(101)}`, 'number=12', 'number=abcd', 'from=24/11/2026', 'from=2026-11-25&to=2026-11-24', 'risk=urgent', 'status=lost', 'q=a&q=b', 'service=nowhere&q=hi']) {
      const r = await search(bad);
      expect(r.status, bad).to.equal(400);
      expect(r.body.error, bad).to.equal('bad_request');
    }
    expect((await h.api('GET', '/api/v1/search/conversations?q=hi')).status).to.equal(401);
  });

  it('a contact who writes again soon after closing starts at the risk it closed with, with the clinician who had it, without a second welcome, and the thread says why', async () => {
    await text('+447700900111', 'i have been cutting myself');
    const first = await conversationOf('+447700900111');
    expect(first.riskLevel).to.equal('medium');
    expect((await h.api('POST', `/api/v1/conversations/${first.id}/claim`, { token: nurse })).status).to.equal(200);
    expect((await h.api('POST', `/api/v1/conversations/${first.id}/close`, { token: nurse, body: { outcome: 'advice-given', note: 'talked it through, safety plan agreed' } })).status).to.equal(200);
    const welcomesBefore = await h.app.db.manager.count(Message, { where: { autoReplyKind: 'welcome' } });
    h.clock.advance(3 * MINUTE);
    await text('+447700900111', 'thanks, one more thing');
    const second = await conversationOf('+447700900111');
    expect(second.id).to.not.equal(first.id);
    expect(second.riskLevel).to.equal('medium');
    expect(second.assignedTo.name).to.equal('nurse');
    expect(await h.app.db.manager.count(Message, { where: { autoReplyKind: 'welcome' } })).to.equal(welcomesBefore);
    const detail = (await h.api('GET', `/api/v1/conversations/${second.id}`, { token: nurse })).body;
    const note = detail.notes.find((n: { kind: string }) => n.kind === 'system');
    expect(note.text).to.match(/^Returning contact: their last conversation with this service closed on 24 Nov 2026 at \d\d:\d\d \(advice-given\), with priority \(medium risk\)\. This conversation starts at the same level until someone clears it\. It goes to the clinician who had the last one\.$/);
    expect(detail.history.map((c: { id: string }) => c.id)).to.deep.equal([first.id]);
    // Stored sealed, like every note.
    const stored = await h.app.db.manager.findOneByOrFail(Note, { conversationId: second.id, kind: 'system' });
    expect(stored.bodyCipher).to.not.contain('Returning');
  });

  it('after the returning period, a contact starts afresh: no inherited risk or clinician, and the welcome again', async () => {
    await text('+447700900111', 'i have been cutting myself');
    const first = await conversationOf('+447700900111');
    await h.api('POST', `/api/v1/conversations/${first.id}/claim`, { token: nurse });
    await h.api('POST', `/api/v1/conversations/${first.id}/close`, { token: nurse, body: { outcome: 'advice-given', note: 'ok' } });
    h.clock.advance(15 * DAY);
    await text('+447700900111', 'hello again');
    const later = await conversationOf('+447700900111');
    expect(later.riskLevel).to.equal('none');
    expect(later.assignedTo).to.equal(null);
    const welcomes = await h.app.db.manager.count(OutboxItem, { where: { conversationId: later.id } });
    expect(welcomes).to.be.greaterThan(0);
    expect(await h.app.db.manager.count(Message, { where: { conversationId: later.id, autoReplyKind: 'welcome' } })).to.equal(1);
    const conversations = await h.app.db.manager.count(Conversation);
    expect(conversations).to.equal(2);
  });
});
