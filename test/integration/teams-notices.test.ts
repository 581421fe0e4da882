import { In } from 'typeorm';
import { expect } from 'chai';
import { AuditEvent, Escalation, OutboxItem, ServiceChannel, StaffMember, StaffNotice, TeamsUser } from '../../db/entities';
import { FakeBotConnector } from '../support/bot-connector';
import { eventually, Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

const CHANNEL = '19:duty-school@thread.tacv2';
const TEAM = '19:team-school@thread.tacv2';
const PHONE = '+447700900656';

/**
 * Personal notices (issue 14 item 3) and linking the duty-lead channel by a command (item 4),
 * against a fake Bot Connector on loopback. The demo config names no Teams channel.
 */
describe('Teams: personal notices and linking the duty-lead channel', () => {
  let h: Harness;
  let connector: FakeBotConnector;
  const tokens = new Map<string, string>();

  beforeEach(async () => {
    connector = await new FakeBotConnector().start();
    connector.channels = [{ id: CHANNEL, name: 'Duty leads' }];
    h = await startHarness({ demo: true, escalationPollIntervalMs: 50 });
    for (const [name, role, service] of [['lead', 'duty-lead', 'school-nursing'], ['nurse', 'clinician', 'school-nursing'], ['boss', 'admin', 'school-nursing'], ['hvlead', 'duty-lead', 'health-visiting']] as const) {
      await h.staff(`${name}@example.nhs.uk`, role, service);
      await h.app.db.manager.update(StaffMember, { email: `${name}@example.nhs.uk` }, { oid: `oid-${name}` });
      tokens.set(name, await h.idp.token(`${name}@example.nhs.uk`, { claims: { oid: `oid-${name}` } }));
    }
    // The lead is also a clinician of health visiting, so they can transfer there.
    await h.staff('lead@example.nhs.uk', 'clinician', 'health-visiting');
  });
  afterEach(async () => {
    await h?.close();
    await connector.close();
  });

  const toBot = (body: object) => fetch(`${h.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const base = (oid: string) => ({
    id: `in-${Math.random()}`, channelId: 'msteams', serviceUrl: connector.url, timestamp: new Date().toISOString(),
    from: { id: `29:${oid}`, aadObjectId: oid, name: 'Someone' }, recipient: { id: '28:lamplight-bot', name: 'Lamplight' },
  });
  /** Teams telling the bot the app was installed for (or removed by) this person: their personal chat. */
  const personal = (oid: string, extra: object) => ({ ...base(oid), conversation: { id: `a:chat-${oid}`, conversationType: 'personal', tenantId: 'tenant-1' }, channelData: { tenant: { id: 'tenant-1' } }, ...extra });
  const install = (oid: string) => toBot(personal(oid, { type: 'installationUpdate', action: 'add' }));
  /** A message in the duty-lead channel that @mentions the bot, as Teams sends it. */
  const inChannel = (oid: string, text: string) => toBot({
    ...base(oid), type: 'message', text: `<at>Lamplight</at> ${text}`,
    entities: [{ type: 'mention', text: '<at>Lamplight</at>', mentioned: { id: '28:lamplight-bot', name: 'Lamplight' } }],
    conversation: { id: `${CHANNEL};messageid=root-${Math.random()}`, conversationType: 'channel', isGroup: true },
    channelData: { channel: { id: CHANNEL }, team: { id: TEAM }, tenant: { id: 'tenant-1' } },
  });
  const sentTo = (oid: string) => connector.calls.filter((c) => c.method === 'POST' && c.conversationId === `a:chat-${oid}`);
  const cardText = (call: { body: any }) => call.body.attachments[0].content.body[0].text as string;
  const repliesInChannel = () => connector.calls.filter((c) => c.method === 'POST' && c.conversationId.startsWith(`${CHANNEL};messageid=root-`)).map((c) => c.body.text as string);

  async function conversationOf(phone: string, text: string): Promise<string> {
    await h.sendSms({ from: phone, to: SCHOOL_NURSING_SMS, body: text });
    const { body } = await h.api('GET', '/api/v1/conversations', { token: tokens.get('lead') });
    return body.conversations[0].id;
  }

  it('when a conversation is assigned to a clinician who has the app, then they get one personal message with a working link and no message text or number; assigning to oneself sends nothing', async () => {
    expect((await install('oid-nurse')).status).to.equal(200);
    expect((await h.api('GET', '/api/v1/me', { token: tokens.get('nurse') })).body.teamsNotices).to.deep.equal({ personalChat: true, muteNonUrgent: false });
    const id = await conversationOf(PHONE, 'can i talk to someone about my periods');
    const nurse = await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'nurse@example.nhs.uk' });
    expect((await h.api('POST', `/api/v1/conversations/${id}/assign`, { token: tokens.get('lead'), body: { staffId: nurse.id } })).status).to.equal(200);
    const [notice] = await eventually(() => (sentTo('oid-nurse').length ? sentTo('oid-nurse') : undefined), 'the personal notice');
    expect(cardText(notice)).to.equal('lead assigned you a conversation in School Nursing.');
    const links = new Map((notice.body.attachments[0].content.actions as { title: string; url: string }[]).map((a) => [a.title, new URL(a.url)]));
    expect(JSON.parse(links.get('Open conversation')!.searchParams.get('context')!)).to.deep.equal({ subEntityId: id });
    expect(links.get('Open in a browser')!.toString()).to.equal(`${h.app.publicUrl}/app/#/conversations/${id}`);
    const everything = JSON.stringify(notice.body);
    for (const secret of ['periods', PHONE, PHONE.slice(1), '0656']) expect(everything, secret).not.to.contain(secret);

    // The nurse takes one for herself: no notice to herself.
    const other = await conversationOf('+447700900657', 'hello');
    await h.api('POST', `/api/v1/conversations/${other}/claim`, { token: tokens.get('nurse') });
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo('oid-nurse')).to.have.length(1);
    expect(await h.app.db.manager.count(StaffNotice)).to.equal(1);
  });

  it('when a clinician has not installed the app, then nothing is queued for them and the tab is told; once installed and then removed, the same', async () => {
    expect((await h.api('GET', '/api/v1/me', { token: tokens.get('nurse') })).body.teamsNotices).to.deep.equal({ personalChat: false, muteNonUrgent: false });
    const id = await conversationOf(PHONE, 'hello');
    const nurse = await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'nurse@example.nhs.uk' });
    await h.api('POST', `/api/v1/conversations/${id}/assign`, { token: tokens.get('lead'), body: { staffId: nurse.id } });
    expect(await h.app.db.manager.count(OutboxItem, { where: { channel: In(['teams', 'teams-notice']) } })).to.equal(0);

    await install('oid-nurse');
    expect((await toBot(personal('oid-nurse', { type: 'installationUpdate', action: 'remove' }))).status).to.equal(200);
    expect((await h.app.db.manager.findOneByOrFail(TeamsUser, { aadObjectId: 'oid-nurse' })).personalReference).to.equal(null);
    expect((await h.api('GET', '/api/v1/me', { token: tokens.get('nurse') })).body.teamsNotices.personalChat).to.equal(false);
  });

  it('when a clinician mutes non-urgent notices, then assignments send nothing but an escalation alert still reaches a duty lead who muted them', async () => {
    await install('oid-nurse');
    await install('oid-lead');
    const muted = await h.api('PUT', '/api/v1/me/notices', { token: tokens.get('nurse'), body: { muteNonUrgent: true } });
    expect(muted).to.deep.equal({ status: 200, body: { personalChat: true, muteNonUrgent: true } });
    expect((await h.api('PUT', '/api/v1/me/notices', { token: tokens.get('nurse'), body: { muteNonUrgent: 'yes' } })).status).to.equal(400);
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'staff.notices_mute' } })).to.equal(1);
    // The lead mutes from their chat with the bot.
    await toBot(personal('oid-lead', { type: 'message', text: 'mute' }));
    await eventually(() => sentTo('oid-lead').some((c) => /^Muted:/.test(c.body.text ?? '')), 'the lead told it is muted');
    expect((await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'lead@example.nhs.uk' })).muteNonUrgent).to.equal(true);

    const id = await conversationOf(PHONE, 'hello');
    const nurse = await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'nurse@example.nhs.uk' });
    await h.api('POST', `/api/v1/conversations/${id}/assign`, { token: tokens.get('lead'), body: { staffId: nurse.id } });
    await h.sendSms({ from: '+447700900658', to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself tonight' });
    const alert = await eventually(() => sentTo('oid-lead').find((c) => c.body.attachments), 'the escalation alert');
    expect(cardText(alert)).to.equal('Urgent: a high-risk message to School Nursing needs a duty lead, and you are alerted (level 1, round 1). Open it to acknowledge or claim it.');
    const escalation = await h.app.db.manager.findOneByOrFail(Escalation, {});
    expect(JSON.parse(new URL(alert.body.attachments[0].content.actions[0].url).searchParams.get('context')!)).to.deep.equal({ subEntityId: escalation.conversationId });
    expect(JSON.stringify(alert.body)).not.to.contain('kill');
    expect(sentTo('oid-nurse')).to.have.length(0);
  });

  it('when a conversation is transferred to another service, then that service\'s duty leads who have the app are told', async () => {
    await install('oid-hvlead');
    const id = await conversationOf(PHONE, 'my baby is not feeding well');
    expect((await h.api('POST', `/api/v1/conversations/${id}/transfer`, { token: tokens.get('lead'), body: { service: 'health-visiting', note: 'a question for health visiting' } })).status).to.equal(200);
    const [notice] = await eventually(() => (sentTo('oid-hvlead').length ? sentTo('oid-hvlead') : undefined), 'the notice');
    expect(cardText(notice)).to.equal('lead transferred a conversation to Health Visiting. It is waiting in the unassigned queue.');
  });

  it('when an admin types "@Lamplight link school-nursing" in a channel, then the service\'s cards go there, the tab shows which channel, and it is audited; "unlink" stops them', async () => {
    // Not an admin of the service: refused, said why, audited.
    await inChannel('oid-lead', 'link school-nursing');
    await eventually(() => repliesInChannel().includes('Not done: only an admin of School Nursing can link its duty-lead channel.'), 'the refusal');
    expect(await h.app.db.manager.count(ServiceChannel)).to.equal(0);
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'teams.channel_link', outcome: 'denied' } })).to.equal(1);
    await inChannel('oid-boss', 'link no-such-service');
    await eventually(() => repliesInChannel().some((t) => t.startsWith('Not done: there is no service "no-such-service"')), 'no such service');

    await inChannel('oid-boss', 'link school-nursing');
    await eventually(() => repliesInChannel().some((t) => t.startsWith('Linked: escalation cards for School Nursing now come to this channel')), 'linked');
    expect(await h.app.db.manager.findOneByOrFail(ServiceChannel, { serviceSlug: 'school-nursing' })).to.include({ channelId: CHANNEL, channelName: 'Duty leads', teamName: 'School Nursing Team' });
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'teams.channel_link', outcome: 'ok' } })).to.equal(1);
    const services = await h.api('GET', '/api/v1/services', { token: tokens.get('lead') });
    expect(services.body.mine.find((s: any) => s.slug === 'school-nursing').dutyLeadChannel).to.deep.include({ channelId: CHANNEL, channelName: 'Duty leads', teamName: 'School Nursing Team', source: 'command', linkedBy: 'boss' });

    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'i took 30 of my mums pills' });
    const card = await eventually(() => connector.cardPosts()[0], 'the card in the linked channel');
    expect(card.conversationId).to.equal(CHANNEL);

    await inChannel('oid-boss', 'unlink school-nursing');
    await eventually(() => repliesInChannel().some((t) => t.startsWith('Unlinked: escalation cards for School Nursing no longer come to this channel')), 'unlinked');
    expect(await h.app.db.manager.count(ServiceChannel)).to.equal(0);
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'teams.channel_unlink', outcome: 'ok' } })).to.equal(1);
    await h.sendSms({ from: '+447700900659', to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself' });
    await eventually(async () => (await h.app.db.manager.count(Escalation)) === 2 && (await h.app.db.manager.findOneByOrFail(Escalation, { status: 'open' })).step === 1, 'the second escalation notified in the app');
    expect(connector.cardPosts()).to.have.length(1);
  });

  it('when Teams keeps refusing a person\'s chat, their notice waits for its retries while the channel\'s card is posted and updated', async () => {
    await install('oid-lead');
    await inChannel('oid-boss', 'link school-nursing');
    await eventually(() => repliesInChannel().some((t) => t.startsWith('Linked:')), 'linked');
    connector.failuresFor.set('a:chat-oid-lead', [503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503]);
    await h.sendSms({ from: '+447700900676', to: SCHOOL_NURSING_SMS, body: 'i am going to kill myself tonight' });
    const card = await eventually(() => connector.cardPosts().find((c) => c.conversationId === CHANNEL), 'the card in the channel');
    const escalation = await h.app.db.manager.findOneByOrFail(Escalation, {});
    expect((await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: tokens.get('lead'), body: { outcome: 'Rang back' } })).status).to.equal(200);
    await eventually(() => connector.updates().some((u) => u.activityId === card.postedId), 'the card updated');
    const notice = await h.app.db.manager.findOneByOrFail(OutboxItem, { channel: 'teams-notice' });
    expect(notice.status, 'the notice still waiting for Teams').to.be.oneOf(['pending', 'sending']);
    expect(connector.refusedAt.length, 'Teams refused the chat').to.be.greaterThan(0);
    expect(sentTo('oid-lead').filter((c) => c.body.attachments)).to.have.length(0);
  });

  it('anything else said to the bot gets the help for where it was said', async () => {
    await inChannel('oid-boss', 'what can you do');
    await eventually(() => repliesInChannel().some((t) => t.includes('"@Lamplight link school-nursing"')), 'channel help');
    await toBot(personal('oid-nurse', { type: 'message', text: 'help' }));
    await eventually(() => sentTo('oid-nurse').some((c) => /"mute" stops the notices/.test(c.body.text ?? '')), 'personal help');
  });
});
