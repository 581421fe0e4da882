import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { Keyring } from '../../db/crypto';
import { Escalation, Note, OutboxItem, StaffMember } from '../../db/entities';
import { openNoteBody } from '../../db/sealed-fields';
import { FakeBotConnector } from '../support/bot-connector';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const CHANNEL = '19:duty-school@thread.tacv2';

describe('Teams duty-lead channel', () => {
  let h: Harness;
  let dir: string;
  let connector: FakeBotConnector;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lamplight-teams-'));
    const config = join(dir, 'services.yaml');
    writeFileSync(config, readFileSync(DEMO_CONFIG_PATH, 'utf8').replace('      fallback: [role:admin]\n', `      fallback: [role:admin]\n      teamsChannel: "${CHANNEL}"\n`));
    connector = await new FakeBotConnector().start();
    h = await startHarness({ configPath: config, demo: true });
  });
  afterEach(async () => {
    await h?.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const activity = (type: string, fromOid: string, extra: object = {}) => ({
    type, id: `in-${Math.random()}`, channelId: 'msteams', serviceUrl: connector.url, timestamp: new Date().toISOString(),
    from: { id: `29:${fromOid}`, aadObjectId: fromOid, name: 'Someone' }, recipient: { id: '28:lamplight-bot', name: 'Lamplight' },
    conversation: { id: `${CHANNEL};messageid=1`, conversationType: 'channel', isGroup: true },
    channelData: { channel: { id: CHANNEL }, team: { id: '19:team@thread.tacv2' }, tenant: { id: 'tenant-1' } }, ...extra,
  });
  const toBot = (body: object) => fetch(`${h.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('when the app is in the duty-lead channel, then a high-risk message posts a card there, without the message text, and the duty lead acknowledges from it', async () => {
    await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    await h.app.db.manager.update(StaffMember, { email: 'lead@example.nhs.uk' }, { oid: 'oid-lead' });
    expect((await toBot(activity('conversationUpdate', 'oid-installer', { membersAdded: [{ id: '28:lamplight-bot' }] }))).status).to.equal(200);

    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'i took 30 of my mums pills' });
    const card = await eventually(() => connector.cardPosts()[0], 'the card');
    expect(card.path).to.equal(`/v3/conversations/${CHANNEL}/activities`);
    const escalation = await h.app.db.manager.findOneByOrFail(Escalation, {});
    const content = JSON.stringify(card.body.attachments[0].content);
    expect(content).to.contain('overdose').and.contain(escalation.id).and.contain('Acknowledge');
    expect(content).not.to.contain('pills').and.not.to.contain('447700900555');
    // Its links open that conversation: the tab in Teams (the conversation as the deep link's
    // subEntityId) and the web app in a browser.
    const links = new Map((card.body.attachments[0].content.actions as { type: string; title: string; url?: string }[]).filter((a) => a.url).map((a) => [a.title, new URL(a.url!)]));
    const inTeams = links.get('Open conversation')!;
    expect(`${inTeams.origin}${inTeams.pathname}`).to.match(/^https:\/\/teams\.microsoft\.com\/l\/entity\/[0-9a-f-]{36}\/inbox$/);
    expect(JSON.parse(inTeams.searchParams.get('context')!)).to.deep.equal({ subEntityId: escalation.conversationId });
    expect(links.get('Open in a browser')!.toString()).to.equal(`${h.app.publicUrl}/app/#/conversations/${escalation.conversationId}`);

    await toBot(activity('message', 'oid-stranger', { value: { action: 'acknowledge', escalationId: escalation.id } }));
    await eventually(() => connector.calls.some((p) => /does not know your Teams account/.test(p.body.text ?? '')), 'the stranger told no');
    expect((await h.app.db.manager.findOneByOrFail(Escalation, {})).status).to.equal('open');

    await toBot(activity('message', 'oid-lead', { value: { action: 'acknowledge', escalationId: escalation.id } }));
    await eventually(() => connector.calls.some((p) => p.body.text === 'Acknowledged by lead.'), 'the acknowledgement reply');
    const acknowledged = await h.app.db.manager.findOneByOrFail(Escalation, {});
    expect(acknowledged.status).to.equal('acknowledged');
    expect(acknowledged.acknowledgedBy).to.equal((await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'lead@example.nhs.uk' })).id);
    // The card asks for nothing, and the thread says so rather than inventing an outcome.
    const note = await h.app.db.manager.findOneByOrFail(Note, { kind: 'acknowledged' });
    expect(note.authorStaffId).to.equal(acknowledged.acknowledgedBy);
    expect(openNoteBody(Keyring.fromBase64(h.dataKey), note)).to.equal('Escalation acknowledged in Teams (the card asks for no outcome).');
  });

  it('when the bot has not been added to the channel yet, then the escalation still runs in the app and nothing is posted', async () => {
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself' });
    await eventually(async () => (await h.app.db.manager.findOneByOrFail(Escalation, {})).step === 1, 'level 1 notified in the app');
    expect(connector.calls).to.deep.equal([]);
  });
});

describe('Teams escalation cards go through the outbox', () => {
  let h: Harness;
  let dir: string;
  let config: string;
  let connector: FakeBotConnector;
  const cardPosts = () => connector.cardPosts();
  const cardRow = () => h.app.db.manager.findOneByOrFail(OutboxItem, { channel: 'teams' });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lamplight-teams-'));
    config = join(dir, 'services.yaml');
    writeFileSync(config, readFileSync(DEMO_CONFIG_PATH, 'utf8').replace('      fallback: [role:admin]\n', `      fallback: [role:admin]\n      teamsChannel: "${CHANNEL}"\n`));
    connector = await new FakeBotConnector().start();
    h = await startHarness({ configPath: config, demo: true });
    await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    await fetch(`${h.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({
      type: 'conversationUpdate', id: 'in-1', channelId: 'msteams', serviceUrl: connector.url, timestamp: new Date().toISOString(),
      from: { id: '29:installer', aadObjectId: 'oid-installer', name: 'Someone' }, recipient: { id: '28:lamplight-bot', name: 'Lamplight' },
      conversation: { id: `${CHANNEL};messageid=1`, conversationType: 'channel', isGroup: true }, membersAdded: [{ id: '28:lamplight-bot' }],
      channelData: { channel: { id: CHANNEL }, team: { id: '19:team@thread.tacv2' }, tenant: { id: 'tenant-1' } },
    }) });
  });
  afterEach(async () => {
    await h?.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // 429 without Retry-After: the Bot Framework client itself retries 5xx within one attempt, so a
  // throttled post is the failure that reaches the outbox's own backoff.
  it('when Teams throttles the post (429), then the card is retried with backoff and posted once, and the row records the Teams activity id', async () => {
    connector.failures.push(429);
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself' });
    const retrying = await eventually(async () => ((await cardRow()).attempts === 1 && (await cardRow()).status === 'pending' ? cardRow() : undefined), 'the first attempt recorded as failed');
    expect(retrying.lastError).to.equal('Teams answered 429');
    expect(cardPosts()).to.have.length(0);
    h.clock.advance(2000);
    await eventually(() => cardPosts().length === 1, 'the card posted on the retry');
    const sent = await eventually(async () => ((await cardRow()).status === 'sent' ? cardRow() : undefined), 'the row sent');
    expect(sent.providerMessageId).to.equal('activity-1');
    // The SMS safety reply did not wait behind the card's retry.
    expect(h.twilio.sent.length).to.be.greaterThan(0);
  });

  it('when Teams throttles the post with Retry-After, then the card goes once, no sooner than Teams asked, and the SMS safety reply does not wait for it', async () => {
    connector.failures.push({ status: 429, retryAfterSeconds: 2 });
    await h.sendSms({ from: '+447700900556', to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself' });
    await eventually(() => h.twilio.sent.length > 0, 'the safety reply');
    expect(cardPosts()).to.have.length(0);
    await eventually(() => cardPosts().length === 1, 'the card, after the wait', 10_000);
    expect(connector.refusedAt).to.have.length(1);
    expect(cardPosts()[0].at - connector.refusedAt[0]).to.be.at.least(1900);
    // The Bot Framework client waited as asked within the one attempt, holding only this card's lane.
    const sent = await eventually(async () => ((await cardRow()).status === 'sent' ? cardRow() : undefined), 'the row sent');
    expect(sent.attempts).to.equal(1);
    expect(cardPosts()).to.have.length(1);
  });

  it('when Teams refuses the post (403: the bot was removed), then the card fails without retries and the ladder carries on in the app', async () => {
    connector.failures.push(403);
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself' });
    const failed = await eventually(async () => ((await cardRow()).status === 'failed' ? cardRow() : undefined), 'the card row failed');
    expect(failed).to.include({ attempts: 1, lastError: 'Teams answered 403' });
    expect((await h.app.db.manager.findOneByOrFail(Escalation, {})).step).to.equal(1);
  });

  it('when the server stops after the step committed but before Teams took the card, then the restarted server posts it once', async () => {
    connector.failures.push(429);
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself' });
    await eventually(async () => (await cardRow()).attempts === 1, 'the first attempt');
    const { database, dataKey } = h;
    const at = new Date(h.clock.now().getTime() + 60_000).toISOString();
    await h.close({ keepDatabase: true });
    h = await startHarness({ configPath: config, database, dataKey, clockStart: at, demo: true });
    await eventually(async () => (await cardRow()).status === 'sent', 'the card sent after the restart');
    expect(cardPosts()).to.have.length(1);
    expect(await h.app.db.manager.count(OutboxItem, { where: { channel: 'teams' } })).to.equal(1);
  });
});

describe('the Teams bot endpoint outside demo mode', () => {
  it('when no MICROSOFT_APP_ID is set, then /api/messages refuses (503) rather than trusting unauthenticated activities', async () => {
    for (const production of [true, false]) {
      const h = await startHarness({ production });
      try {
        const response = await fetch(`${h.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', text: 'hi' }) });
        expect(response.status, `production ${production}`).to.equal(503);
      } finally {
        await h.close();
      }
    }
  });
});

describe('the Teams bot endpoint, given malformed activities', () => {
  it('when the body is not an activity ({} or a list, no serviceUrl, a non-http serviceUrl), then 400 says what is missing and nothing fails inside', async () => {
    const h = await startHarness({ demo: true });
    try {
      const post = (body: string) => fetch(`${h.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const valid = { type: 'message', channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/uk/', conversation: { id: 'c' }, from: { id: 'u' } };
      for (const [body, problem] of [
        ['{}', '"type"'], ['[]', 'JSON object'], ['null', 'JSON object'],
        [JSON.stringify({ ...valid, serviceUrl: undefined }), 'serviceUrl'], [JSON.stringify({ ...valid, serviceUrl: 'file:///etc/passwd' }), 'serviceUrl'],
        [JSON.stringify({ ...valid, conversation: 'c' }), 'conversation'], [JSON.stringify({ ...valid, from: undefined }), '"from"'],
      ] as const) {
        const response = await post(body);
        expect(response.status, body).to.equal(400);
        expect((await response.json()).message, body).to.contain(problem);
      }
      const notJson = await post('{"type":');
      expect(notJson.status).to.equal(400);
    } finally {
      await h.close();
    }
  });
});
