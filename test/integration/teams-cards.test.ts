import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { AuditEvent, Conversation, Escalation, EscalationNotice, Note, StaffMember, TeamsCard } from '../../db/entities';
import { FakeBotConnector } from '../support/bot-connector';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const CHANNEL = '19:duty-school@thread.tacv2';
const MINUTE = 60_000;
const PHONE = '+447700900655';
const WORDS = 'i took 30 of my mums pills';

/**
 * Cards that update in place (issue 14 item 1), against a fake Bot Connector on loopback: the
 * Universal Actions invoke (`adaptiveCard/action`) as Teams sends it, and the card as the channel
 * shows it after the bot's updates (PUT …/activities/{id}).
 */
describe('Teams escalation cards update in place (Universal Actions)', () => {
  let h: Harness;
  let dir: string;
  let connector: FakeBotConnector;
  let leadToken: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lamplight-cards-'));
    const config = join(dir, 'services.yaml');
    writeFileSync(config, readFileSync(DEMO_CONFIG_PATH, 'utf8').replace('      fallback: [role:admin]\n', `      fallback: [role:admin]\n      teamsChannel: "${CHANNEL}"\n`));
    connector = await new FakeBotConnector().start();
    h = await startHarness({ configPath: config, demo: true, escalationPollIntervalMs: 50 });
    await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    await h.staff('second@example.nhs.uk', 'duty-lead', 'school-nursing');
    await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.staff('boss@example.nhs.uk', 'admin', 'school-nursing');
    for (const [email, oid] of [['lead', 'oid-lead'], ['second', 'oid-second'], ['nurse', 'oid-nurse'], ['boss', 'oid-boss']]) {
      await h.app.db.manager.update(StaffMember, { email: `${email}@example.nhs.uk` }, { oid });
    }
    leadToken = await h.idp.token('lead@example.nhs.uk', { claims: { oid: 'oid-lead' } });
    // The app is added to the channel; the lead has spoken to the bot there (so Teams refreshes the card for them).
    expect((await toBot(activity('conversationUpdate', 'oid-installer', { membersAdded: [{ id: '28:lamplight-bot' }] }))).status).to.equal(200);
    expect((await toBot(activity('message', 'oid-lead', { text: 'hello' }))).status).to.equal(200);
  });
  afterEach(async () => {
    await h?.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const activity = (type: string, fromOid: string, extra: object = {}) => ({
    type, id: `in-${Math.random()}`, channelId: 'msteams', serviceUrl: connector.url, timestamp: new Date().toISOString(),
    from: { id: `29:${fromOid}`, aadObjectId: fromOid, name: 'Someone' }, recipient: { id: '28:lamplight-bot', name: 'Lamplight' },
    conversation: { id: `${CHANNEL};messageid=activity-1`, conversationType: 'channel', isGroup: true },
    channelData: { channel: { id: CHANNEL }, team: { id: '19:team@thread.tacv2' }, tenant: { id: 'tenant-1' } }, ...extra,
  });
  const toBot = (body: object) => fetch(`${h.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** A click on the card's Action.Execute, as Teams sends it; the HTTP answer is the invoke response. */
  async function invoke(fromOid: string, verb: string, data: object, trigger: 'manual' | 'automatic' = 'manual') {
    const response = await toBot(activity('invoke', fromOid, { name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', id: verb, verb, data }, trigger } }));
    return { status: response.status, body: await response.json() as { statusCode: number; type: string; value: any } };
  }
  const texts = (card: any): string[] => JSON.stringify(card).match(/"(?:text|value|title)":"[^"]*"/g) ?? [];
  const headline = (card: any): string => card.body[0].text;
  const fact = (card: any, title: string): string | undefined => card.body.find((b: any) => b.type === 'FactSet')?.facts.find((f: any) => f.title === title)?.value;
  const buttons = (card: any): string[] => card.actions.map((a: any) => a.title);

  async function raise(): Promise<{ escalation: Escalation; cardId: string }> {
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: WORDS });
    const post = await eventually(() => connector.cardPosts()[0], 'the card');
    const escalation = await h.app.db.manager.findOneByOrFail(Escalation, {});
    return { escalation, cardId: [...connector.messages.keys()].find((id) => connector.messages.get(id)!.activity === post.body)! };
  }

  it('the card is Adaptive Card 1.5: Acknowledge and Claim are Action.Execute with an Action.Submit fallback, and Teams refreshes it for the duty leads it has met', async () => {
    const { escalation, cardId } = await raise();
    const card = connector.cardNow(cardId);
    expect(card.version).to.equal('1.5');
    const execute = card.actions.filter((a: any) => a.type === 'Action.Execute');
    expect(execute.map((a: any) => [a.title, a.verb, a.data.escalationId, a.fallback.type, a.fallback.data.action])).to.deep.equal([
      ['Acknowledge', 'acknowledge', escalation.id, 'Action.Submit', 'acknowledge'],
      ['Claim', 'claim', escalation.id, 'Action.Submit', 'claim'],
    ]);
    expect(card.refresh.action).to.deep.include({ type: 'Action.Execute', verb: 'refresh' });
    expect(card.refresh.userIds).to.deep.equal(['29:oid-lead']);
    expect(headline(card)).to.equal('High-risk message needs a duty lead');
    expect(fact(card, 'Alerted')).to.equal('Level 1, round 1 of 2: lead and second');
    expect(fact(card, 'Conversation')).to.equal('nobody has claimed it yet');
  });

  it('when a duty lead clicks Acknowledge, then the escalation is acknowledged, the ladder stops, the card is updated in place for everyone and the invoke is answered with it; a second duty lead clicking gets the same card, not a second acknowledgement', async () => {
    const { escalation, cardId } = await raise();
    const ack = await invoke('oid-lead', 'acknowledge', { escalationId: escalation.id });
    expect(ack.status).to.equal(200);
    expect(ack.body.statusCode).to.equal(200);
    expect(ack.body.type).to.equal('application/vnd.microsoft.card.adaptive');
    expect(headline(ack.body.value)).to.equal('Acknowledged by lead at 10:00, 24 Nov');
    expect(buttons(ack.body.value)).to.deep.equal(['Claim the conversation', 'Open conversation', 'Open in a browser']);
    const stored = await h.app.db.manager.findOneByOrFail(Escalation, { id: escalation.id });
    expect(stored.status).to.equal('acknowledged');
    expect(stored.acknowledgedBy).to.equal((await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'lead@example.nhs.uk' })).id);

    // Everyone else's copy: the bot replaced the channel's message with the same card.
    await eventually(() => connector.updates().length === 1, 'the card updated in the channel');
    expect(connector.updates()[0].activityId).to.equal(cardId);
    expect(connector.cardNow(cardId)).to.deep.equal(ack.body.value);
    expect(connector.cardPosts()).to.have.length(1);

    const second = await invoke('oid-second', 'acknowledge', { escalationId: escalation.id });
    expect(second.status).to.equal(200);
    expect(second.body.type).to.equal('application/vnd.microsoft.card.adaptive');
    expect(headline(second.body.value)).to.equal('Acknowledged by lead at 10:00, 24 Nov');
    expect((await h.app.db.manager.findOneByOrFail(Escalation, { id: escalation.id })).acknowledgedBy).to.equal(stored.acknowledgedBy);
    expect(await h.app.db.manager.count(Note, { where: { kind: 'acknowledged' } })).to.equal(1);
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'escalation.acknowledge' } })).to.equal(1);

    // The ladder has stopped: long past the limit, no level 2.
    h.clock.advance(30 * MINUTE);
    await new Promise((r) => setTimeout(r, 300));
    expect(await h.app.db.manager.count(EscalationNotice)).to.equal(1);
    // Teams refreshing the card (a duty lead looking at it) gets the same current card.
    const refreshed = await invoke('oid-lead', 'refresh', { escalationId: escalation.id }, 'automatic');
    expect({ ...refreshed.body.value, refresh: undefined }).to.deep.equal({ ...ack.body.value, refresh: undefined });
    // ...and the second duty lead, now met, is refreshed too.
    expect(refreshed.body.value.refresh.userIds).to.deep.equal(['29:oid-lead', '29:oid-second']);
  });

  it('when a duty lead clicks Claim, then the escalation is acknowledged and the conversation is theirs, and the card says "Claimed by"', async () => {
    const { escalation, cardId } = await raise();
    const claim = await invoke('oid-second', 'claim', { escalationId: escalation.id });
    expect(claim.body.type).to.equal('application/vnd.microsoft.card.adaptive');
    expect(headline(claim.body.value)).to.equal('Claimed by second at 10:00, 24 Nov');
    expect(fact(claim.body.value, 'Conversation')).to.equal('with second');
    expect(buttons(claim.body.value)).to.deep.equal(['Open conversation', 'Open in a browser']);
    const second = await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'second@example.nhs.uk' });
    expect((await h.app.db.manager.findOneByOrFail(Conversation, { id: escalation.conversationId })).assignedStaffId).to.equal(second.id);
    expect((await h.app.db.manager.findOneByOrFail(Escalation, { id: escalation.id })).acknowledgedBy).to.equal(second.id);
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'conversation.claim', actorId: second.id } })).to.equal(1);
    await eventually(() => headline(connector.cardNow(cardId)) === 'Claimed by second at 10:00, 24 Nov', 'the channel card updated');

    // A later Claim by someone else takes nothing from them: the card still says who has it.
    const late = await invoke('oid-lead', 'claim', { escalationId: escalation.id });
    expect(fact(late.body.value, 'Conversation')).to.equal('with second');
    expect((await h.app.db.manager.findOneByOrFail(Conversation, { id: escalation.conversationId })).assignedStaffId).to.equal(second.id);
  });

  it('when the duty lead acknowledges in the tab, or a clinician claims the conversation there, then the card in the channel says so', async () => {
    const { escalation, cardId } = await raise();
    const nurse = await h.idp.token('nurse@example.nhs.uk', { claims: { oid: 'oid-nurse' } });
    expect((await h.api('POST', `/api/v1/conversations/${escalation.conversationId}/claim`, { token: nurse })).status).to.equal(200);
    await eventually(() => fact(connector.cardNow(cardId), 'Conversation') === 'with nurse', 'the card shows who has the conversation');
    expect(headline(connector.cardNow(cardId))).to.equal('High-risk message needs a duty lead');

    h.clock.advance(2 * MINUTE);
    const acknowledged = await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: leadToken, body: { outcome: 'Rang the school; the nurse is with her' } });
    expect(acknowledged.status).to.equal(200);
    await eventually(() => headline(connector.cardNow(cardId)) === 'Acknowledged by lead at 10:02, 24 Nov', 'the card shows the acknowledgement');
    // What the lead wrote stays in Lamplight: the channel sees that it was acknowledged, not the words.
    expect(JSON.stringify(connector.cardNow(cardId))).not.to.contain('Rang the school');
    expect(connector.cardPosts()).to.have.length(1);
  });

  it('each ladder round updates the same card, and the final alert is a reply in its thread that @mentions the fallback contacts', async () => {
    const { escalation, cardId } = await raise();
    for (const [minutes, alerted] of [[10, 'Level 2, round 1 of 2: boss, lead and second'], [10, 'Level 1, round 2 of 2: lead and second'], [10, 'Level 2, round 2 of 2: boss, lead and second']] as const) {
      h.clock.advance(minutes * MINUTE);
      await eventually(() => fact(connector.cardNow(cardId), 'Alerted') === alerted, alerted);
    }
    h.clock.advance(10 * MINUTE);
    const reply = await eventually(() => connector.calls.find((c) => c.method === 'POST' && c.conversationId === `${CHANNEL};messageid=${cardId}`), 'the final alert in the thread');
    expect(headline(connector.cardNow(cardId))).to.equal('FINAL ALERT: high-risk message not acknowledged');
    expect(fact(connector.cardNow(cardId), 'Alerted')).to.equal('Final alert: boss');
    expect(connector.cardPosts()).to.have.length(1);
    expect(reply.body.text).to.match(/^<at>boss<\/at> FINAL ALERT: a high-risk message to School Nursing has not been acknowledged after 2 rounds/);
    expect(reply.body.entities).to.deep.equal([{ type: 'mention', text: '<at>boss</at>', mentioned: { id: 'oid-boss', name: 'boss' } }]);
    expect(await h.app.db.manager.count(EscalationNotice, { where: { escalationId: escalation.id } })).to.equal(5);
    // Acknowledging after the final alert still works from the card.
    const ack = await invoke('oid-boss', 'acknowledge', { escalationId: escalation.id });
    expect(headline(ack.body.value)).to.match(/^Acknowledged by boss at /);
  });

  it('when someone Lamplight does not know, or a clinician, clicks, then they are told why in a message and nothing changes', async () => {
    const { escalation } = await raise();
    const stranger = await invoke('oid-stranger', 'acknowledge', { escalationId: escalation.id });
    expect(stranger.body).to.deep.equal({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Lamplight does not know your Teams account yet: open the Lamplight tab once, then try again.' });
    const clinician = await invoke('oid-nurse', 'claim', { escalationId: escalation.id });
    expect(clinician.body.type).to.equal('application/vnd.microsoft.activity.message');
    expect(clinician.body.value).to.equal('Not done: only a duty lead or an admin of this service can claim an escalation.');
    expect((await h.app.db.manager.findOneByOrFail(Escalation, { id: escalation.id })).status).to.equal('open');
    expect((await h.app.db.manager.findOneByOrFail(Conversation, { id: escalation.conversationId })).assignedStaffId).to.equal(null);
    // Refused attempts are audited like any other.
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'escalation.claim', outcome: 'denied' } })).to.equal(1);
  });

  it('when an invoke is not one of ours (an unknown verb, an id that is not an id, no action at all), then 400 and nothing changes', async () => {
    const { escalation } = await raise();
    for (const [verb, data] of [['delete', { escalationId: escalation.id }], ['acknowledge', { escalationId: 'constructor' }], ['acknowledge', {}]] as const) {
      const answer = await invoke('oid-lead', verb, data);
      expect(answer.status, verb).to.equal(400);
      expect(answer.body.type).to.equal('application/vnd.microsoft.error');
    }
    const noAction = await toBot(activity('invoke', 'oid-lead', { name: 'adaptiveCard/action', value: {} }));
    expect(noAction.status).to.equal(400);
    expect((await h.app.db.manager.findOneByOrFail(Escalation, { id: escalation.id })).status).to.equal('open');
  });

  it('when someone deleted the card in Teams, then the next update posts it again rather than losing the alert', async () => {
    const { escalation, cardId } = await raise();
    connector.messages.delete(cardId);
    h.clock.advance(10 * MINUTE);
    await eventually(() => connector.cardPosts().length === 2, 'the card posted again');
    const again = connector.cardPosts()[1];
    expect(fact(again.body.attachments[0].content, 'Alerted')).to.equal('Level 2, round 1 of 2: boss, lead and second');
    const ack = await invoke('oid-lead', 'acknowledge', { escalationId: escalation.id });
    expect(ack.status).to.equal(200);
    await eventually(() => connector.updates().some((u) => u.activityId !== cardId && u.body.attachments[0].content.body[0].text.startsWith('Acknowledged')), 'the new card updated');
  });

  it('nothing the bot sends to Teams carries the message text or the phone number', async () => {
    const { escalation } = await raise();
    await invoke('oid-lead', 'claim', { escalationId: escalation.id });
    h.clock.advance(MINUTE);
    await eventually(() => connector.updates().length >= 1, 'the update');
    const everything = JSON.stringify(connector.calls.map((c) => c.body));
    for (const secret of ['pills', 'mums', PHONE, PHONE.slice(1), '7700900655', '0655']) expect(everything, secret).not.to.contain(secret);
    expect(texts(connector.cardNow(connector.updates()[0].activityId!)).length).to.be.greaterThan(3);
  });
  it('a burst of escalations while Teams throttles: each card is posted once, every update comes after its post, and each shows its acknowledgement in the end', async () => {
    const phones = ['+447700900670', '+447700900671', '+447700900672', '+447700900673', '+447700900674', '+447700900675'];
    // Teams answers the first calls 429 (502 and 412 among them), without Retry-After: the outbox backs off.
    connector.failures.push(429, 429, 502, 412, 429, 429, 504, 429);
    for (const phone of phones) await h.sendSms({ from: phone, to: SCHOOL_NURSING_SMS, body: WORDS });
    const escalations = await eventually(async () => {
      const all = await h.app.db.manager.find(Escalation);
      return all.length === phones.length ? all : undefined;
    }, 'six escalations');
    // Acknowledged in the tab at once, most of them before their card could be posted.
    for (const e of escalations) {
      expect((await h.api('POST', `/api/v1/escalations/${e.id}/acknowledge`, { token: leadToken, body: { outcome: 'Rang back; safe' } })).status).to.equal(200);
    }
    const deadline = Date.now() + 15_000;
    const cardsShowing = () => connector.cardPosts().map((post) => post.postedId!);
    while (!(connector.cardPosts().length === phones.length && cardsShowing().every((id) => headline(connector.cardNow(id)).startsWith('Acknowledged')))) {
      if (Date.now() > deadline) throw new Error(`cards: ${connector.cardPosts().length} posted; ${connector.failures.length} failures left`);
      h.clock.advance(5_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(connector.failures).to.have.length(0);
    // Once each: one post per escalation, in no conversation twice.
    const rows = await h.app.db.manager.find(TeamsCard);
    expect(rows.map((r) => r.escalationId).sort()).to.deep.equal(escalations.map((e) => e.id).sort());
    expect(new Set(rows.map((r) => r.activityId)).size).to.equal(phones.length);
    expect(connector.cardPosts().map((p) => p.postedId).sort()).to.deep.equal(rows.map((r) => r.activityId).sort());
    // An update never comes before the post it updates (the lane keeps them in order).
    for (const update of connector.updates()) {
      const post = connector.cardPosts().find((c) => c.postedId === update.activityId);
      expect(post, 'an update of a message that was posted').to.not.equal(undefined);
      expect(connector.calls.indexOf(post!)).to.be.lessThan(connector.calls.indexOf(update));
    }
  });
});
