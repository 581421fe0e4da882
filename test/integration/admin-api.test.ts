import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEvent, Conversation, Message, OutboxItem, ServiceMembership, StaffMember } from '../../db/entities';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import {
  eventually, Harness, HEALTH_VISITING_SMS, SCHOOL_NURSING_SMS, startHarness, TWILIO_AUTH_TOKEN, WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN,
} from '../support/harness';

const PHONE = '+447700900555';
const OTHER_PHONE = '+447700900666';
const MINUTE = 60_000;
/** The demo config, with the school nursing web chat naming an environment variable for its Direct Line secret. */
const SECRET_ENV = 'SCHOOL_NURSING_DIRECT_LINE_SECRET';
const SECRET = 'direct-line-secret-for-the-admin-tests-0123456789';

describe('admin API', () => {
  let h: Harness;
  let logs: string[];
  let schoolAdmin: string;
  let visitingAdmin: string;
  let nurse: string;
  let lead: string;
  let configDir: string;

  beforeEach(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'lamplight-admin-config-'));
    const config = readFileSync(DEMO_CONFIG_PATH, 'utf8').replace('      answeredBy: a school nurse\n', `      answeredBy: a school nurse\n      secretEnv: ${SECRET_ENV}\n`);
    expect(config).to.contain(SECRET_ENV);
    writeFileSync(join(configDir, 'services.yaml'), config);
    logs = [];
    process.env[SECRET_ENV] = SECRET;
    h = await startHarness({ configPath: join(configDir, 'services.yaml'), logDestination: { write: (line) => void logs.push(line) } });
    schoolAdmin = await h.staff('admin.sn@example.nhs.uk', 'admin', 'school-nursing');
    visitingAdmin = await h.staff('admin.hv@example.nhs.uk', 'admin', 'health-visiting');
    nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.staff('nurse@example.nhs.uk', 'clinician', 'health-visiting');
    lead = await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
  });
  afterEach(async () => {
    // Nothing an admin did put an email address or a phone number in the logs.
    const all = logs.join('\n');
    // The numbers whole, in any spelling, or as their masked last four (a bare '0555' also turns up by chance inside ids and timings).
    for (const secret of ['@example.nhs.uk', '7700900555', '7700900666', '900 555', '900 666', '•••• 0555', '•••• 0666', 'new.person']) expect(all, `logs mention ${secret}`).not.to.contain(secret);
    for (const lastFour of [/(?<![0-9a-f-])0555(?![0-9a-f-])/i, /(?<![0-9a-f-])0666(?![0-9a-f-])/i]) expect(all, `logs mention ${lastFour}`).not.to.match(lastFour);
    await h?.close();
    rmSync(configDir, { recursive: true, force: true });
    delete process.env[SECRET_ENV];
  });

  const staffId = async (email: string) => (await h.app.db.manager.findOneByOrFail(StaffMember, { email })).id;
  const membershipId = async (email: string, service: string) => (await h.app.db.manager.findOneByOrFail(ServiceMembership, { staffId: await staffId(email), serviceSlug: service })).id;
  const audits = (action: string) => h.app.db.manager.find(AuditEvent, { where: { action }, order: { seq: 'ASC' } });

  /** A clinician's reply that the provider refuses (Twilio 400), in a school nursing conversation. */
  async function failedReply(): Promise<{ conversationId: string; outbox: OutboxItem }> {
    await h.sendSms({ from: PHONE, to: SCHOOL_NURSING_SMS, body: 'hi, can i talk to someone' });
    await eventually(() => h.twilio.sent.length === 1, 'the welcome');
    const conversationId = (await h.app.db.manager.findOneByOrFail(Conversation, { serviceSlug: 'school-nursing' })).id;
    h.twilio.failNext(1, 400, 21211);
    const reply = await h.api('POST', `/api/v1/conversations/${conversationId}/messages`, { token: nurse, body: { text: 'Are you OK? Private words' } });
    expect(reply.status).to.equal(201);
    const outbox = await eventually(async () => (await h.app.db.manager.findOneBy(OutboxItem, { messageId: reply.body.id, status: 'failed' })) ?? undefined, 'the reply failing');
    return { conversationId, outbox };
  }

  describe('access', () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v1/admin/services'],
      ['GET', '/api/v1/admin/outbox?state=failed'],
      ['POST', `/api/v1/admin/outbox/${randomUUID()}/retry`],
      ['GET', '/api/v1/admin/staff'],
      ['POST', '/api/v1/admin/staff', { email: 'x@example.org', name: 'X', role: 'clinician', service: 'school-nursing' }],
      ['PATCH', `/api/v1/admin/staff/memberships/${randomUUID()}`, { role: 'admin' }],
      ['POST', `/api/v1/admin/staff/memberships/${randomUUID()}`, { role: 'admin' }],
      ['DELETE', `/api/v1/admin/staff/memberships/${randomUUID()}`],
      ['POST', `/api/v1/admin/staff/memberships/${randomUUID()}/remove`],
    ];

    it('when a clinician or a duty lead calls any admin route, then 403 with a sentence saying only an admin can, recorded as denied', async () => {
      for (const token of [nurse, lead]) {
        for (const [method, path, body] of routes) {
          const response = await h.api(method, path, { token, body });
          expect(response.status, `${method} ${path}`).to.equal(403);
          expect(response.body.error).to.equal('forbidden');
          expect(response.body.message, `${method} ${path}`).to.match(/^only an admin of a service can /);
        }
      }
      const denied = await h.app.db.manager.find(AuditEvent, { where: { outcome: 'denied', actorId: await staffId('nurse@example.nhs.uk') } });
      expect(denied.map((e) => e.action).sort()).to.deep.equal(['outbox.list', 'outbox.retry', 'service.settings_read', 'staff.add', 'staff.list', 'staff.remove', 'staff.remove', 'staff.role_change', 'staff.role_change'].sort());
    });

    it('when there is no token, then 401', async () => {
      for (const [method, path] of routes) expect((await h.api(method, path)).status, `${method} ${path}`).to.equal(401);
    });
  });

  describe("services' settings", () => {
    it('when an admin reads them, then only the services they administer, as the config has them: hours, holidays, promises, replies, templates, ladder, channels', async () => {
      const { status, body } = await h.api('GET', '/api/v1/admin/services', { token: schoolAdmin });
      expect(status).to.equal(200);
      expect(body.source).to.deep.include({ env: 'LAMPLIGHT_CONFIG', defaultPath: 'config/demo.services.yaml', check: 'npm run cli -- config check' });
      // The file this server read: the harness starts it on a copy of the config in a temporary folder.
      expect(body.source.loaded).to.equal(join(configDir, 'services.yaml'));
      expect(body.services.map((s: any) => s.slug)).to.deep.equal(['school-nursing']);
      const s = body.services[0];
      expect(s).to.deep.include({ name: 'School Nursing', timeZone: 'Europe/London', bankHolidays: 'england-and-wales' });
      expect(s.hours.monday).to.deep.equal(['09:00-17:00']);
      expect(s.hours.friday).to.deep.equal(['09:00-16:30']);
      expect(s.hours.saturday).to.deep.equal([]);
      // The clock is 24 November 2026: Christmas Day is a bank holiday within the next 120 days.
      expect(s.upcomingBankHolidays.map((d: any) => d.date)).to.include('2026-12-25');
      expect(s.replyPromise).to.deep.equal({ minutes: 1440, wording: 'within one working day' });
      expect(s.retention).to.deep.equal({ records: 'children', youngestAge: 11, years: 14 });
      expect(s.urgentReplyPromise).to.deep.equal({ minutes: 15, wording: 'within 15 minutes' });
      expect(s.autoReplies.welcome).to.be.a('string').and.not.equal('');
      expect(s.templates.map((t: any) => t.id)).to.deep.equal(['introduce', 'check-safe', 'drop-in']);
      expect(s.escalation.inHours).to.deep.equal({ acknowledgeWithinMinutes: 10, levels: [['role:duty-lead'], ['role:duty-lead', 'role:admin']] });
      expect(s.channels.sms).to.equal(SCHOOL_NURSING_SMS);
      expect(s.channels.whatsapp).to.deep.include({ phoneNumberId: '100000000000101' });
      expect(s.channels.whatsapp.replyTemplate).to.include({ name: 'lamplight_reply', language: 'en_GB' });
      expect(s.channels.webchat).to.deep.include({ slug: 'school-nursing', answeredBy: 'a school nurse', embedOrigins: ['http://localhost:8081'] });
      const both = await h.api('GET', '/api/v1/admin/services', { token: await h.staff('admin.sn@example.nhs.uk', 'admin', 'health-visiting') });
      expect(both.body.services.map((x: any) => x.slug)).to.deep.equal(['school-nursing', 'health-visiting']);
      const [read] = await audits('service.settings_read');
      expect(read).to.include({ actorId: await staffId('admin.sn@example.nhs.uk'), outcome: 'ok' });
    });

    it('when they are read, then nothing secret is in them: no Direct Line secret (nor the name of the variable that holds it), no provider token, no key', async () => {
      const { body } = await h.api('GET', '/api/v1/admin/services', { token: schoolAdmin });
      const text = JSON.stringify(body);
      for (const secret of [SECRET, SECRET_ENV, TWILIO_AUTH_TOKEN, WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, h.dataKey, 'secretEnv']) {
        expect(text, secret).not.to.contain(secret);
      }
      const keys: string[] = [];
      const walk = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(walk);
        else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) { keys.push(k); walk(v); }
      };
      walk(body);
      expect(keys.filter((k) => /secret|token|password|credential|apikey|private/i.test(k))).to.deep.equal([]);
    });
  });

  describe('failed and delayed sends', () => {
    it('when a reply fails, then its admin sees it (channel, kind, attempts, the error code, the last four of the number, never the text), and Retry sends it again', async () => {
      const { conversationId, outbox } = await failedReply();
      const { status, body } = await h.api('GET', '/api/v1/admin/outbox?state=failed', { token: schoolAdmin });
      expect(status).to.equal(200);
      expect(body).to.deep.include({ state: 'failed', delayedAfterMinutes: 5, total: 1 });
      expect(body.items).to.have.length(1);
      expect(body.items[0]).to.deep.include({
        id: outbox.id, conversationId, service: 'school-nursing', serviceName: 'School Nursing', channel: 'sms', kind: 'clinician', status: 'failed', attempts: 1,
        lastError: 'Twilio answered 400 (code 21211, permanent)', errorCode: '21211', contactLabel: '•••• 0555', retryable: true,
      });
      expect(JSON.stringify(body)).not.to.contain('Private words').and.not.to.contain(PHONE);
      // Another service's admin sees nothing of it, and cannot retry it.
      expect((await h.api('GET', '/api/v1/admin/outbox?state=failed', { token: visitingAdmin })).body).to.deep.include({ total: 0, items: [] });
      const theirs = await h.api('POST', `/api/v1/admin/outbox/${outbox.id}/retry`, { token: visitingAdmin });
      expect(theirs.status).to.equal(404);
      expect((await h.app.db.manager.findOneByOrFail(OutboxItem, { id: outbox.id })).status).to.equal('failed');

      const retried = await h.api('POST', `/api/v1/admin/outbox/${outbox.id}/retry`, { token: schoolAdmin });
      expect(retried.status, JSON.stringify(retried.body)).to.equal(200);
      expect(retried.body).to.deep.equal({ id: outbox.id, conversationId, status: 'pending' });
      await eventually(() => h.twilio.sent.some((m) => m.body === 'Are you OK? Private words'), 'the retried reply');
      await eventually(async () => (await h.app.db.manager.findOneByOrFail(OutboxItem, { id: outbox.id })).status === 'sent', 'recorded as sent');
      expect((await h.api('GET', '/api/v1/admin/outbox?state=failed', { token: schoolAdmin })).body.total).to.equal(0);
      const again = await h.api('POST', `/api/v1/admin/outbox/${outbox.id}/retry`, { token: schoolAdmin });
      expect(again.status).to.equal(409);
      expect(again.body.error).to.equal('not_failed');

      const [retryAudit] = await audits('message.retry');
      expect(retryAudit).to.include({ actorId: await staffId('admin.sn@example.nhs.uk'), subjectId: conversationId, outcome: 'ok' });
      expect((await audits('outbox.list')).map((e) => e.outcome)).to.deep.equal(['ok', 'ok', 'ok']);
      expect((await audits('outbox.retry')).map((e) => [e.outcome, e.actorId])).to.deep.equal([['denied', await staffId('admin.hv@example.nhs.uk')]]);
    });

    it('when a send has waited longer than 5 minutes, then it is listed as delayed, with when it is tried next; a newer one is not; Retry is for failed sends only', async () => {
      await h.sendSms({ from: OTHER_PHONE, to: HEALTH_VISITING_SMS, body: 'hello' });
      await eventually(() => h.twilio.sent.length === 1, 'the welcome');
      const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
      const welcome = await h.app.db.manager.findOneByOrFail(Message, { direction: 'out' });
      const now = h.clock.now().getTime();
      const row = (createdAt: number): OutboxItem => ({
        id: randomUUID(), messageId: welcome.id, conversationId: conversation.id, channel: 'sms', status: 'pending', consentNotice: false, attempts: 2,
        nextAttemptAt: now + 60 * MINUTE, lockedUntil: null, lastError: 'Twilio answered 500 (code 20500, transient)', providerMessageId: null, providerStatus: null,
        templateName: null, holdsLater: false, retryFrom: null, priority: 0, createdAt, updatedAt: now,
      });
      const old = row(now - 6 * MINUTE);
      // One at a time, and copies: TypeORM writes what it reads back after a many-row insert into the objects given.
      for (const item of [old, row(now - 4 * MINUTE)]) await h.app.db.manager.insert(OutboxItem, { ...item });
      const { body } = await h.api('GET', '/api/v1/admin/outbox?state=delayed', { token: visitingAdmin });
      expect(body.total).to.equal(1);
      expect(body.items[0], JSON.stringify([body, old.id])).to.deep.include({ id: old.id, kind: 'auto-reply', status: 'pending', attempts: 2, errorCode: '20500', contactLabel: '•••• 0666', retryable: false, nextAttemptAt: new Date(now + 60 * MINUTE).toISOString() });
      expect((await h.api('GET', '/api/v1/admin/outbox?state=delayed', { token: schoolAdmin })).body.total).to.equal(0);
      const refused = await h.api('POST', `/api/v1/admin/outbox/${old.id}/retry`, { token: visitingAdmin });
      expect(refused.status).to.equal(409);
      expect(refused.body.error).to.equal('not_failed');
    });

    it('when the query is wrong, then 400 saying what is wrong; another service\'s list is 403', async () => {
      for (const [query, message] of [['?state=lost', 'state must be failed or delayed'], ['?colour=red', 'unknown parameter colour'], ['?service=Not%20A%20Slug', 'service must be a service slug']]) {
        const response = await h.api('GET', `/api/v1/admin/outbox${query}`, { token: schoolAdmin });
        expect(response.status, query).to.equal(400);
        expect(response.body.message).to.contain(message);
      }
      const other = await h.api('GET', '/api/v1/admin/outbox?service=health-visiting', { token: schoolAdmin });
      expect(other.status).to.equal(403);
      expect(other.body.message).to.contain('not an admin of that service');
      expect((await h.api('GET', '/api/v1/admin/outbox?service=school-nursing', { token: schoolAdmin })).status).to.equal(200);
      expect((await h.api('POST', '/api/v1/admin/outbox/not-an-id/retry', { token: schoolAdmin })).status).to.equal(404);
    });
  });

  describe('staff and memberships', () => {
    it('when an admin lists staff, then the people of their services with those memberships only', async () => {
      const { status, body } = await h.api('GET', '/api/v1/admin/staff', { token: schoolAdmin });
      expect(status).to.equal(200);
      expect(body.services).to.deep.equal([{ slug: 'school-nursing', name: 'School Nursing' }]);
      expect(body.roles).to.deep.equal(['clinician', 'duty-lead', 'admin']);
      expect(body.staff.map((p: any) => [p.email, p.memberships.map((m: any) => `${m.serviceSlug}:${m.role}`)])).to.deep.equal([
        ['admin.sn@example.nhs.uk', ['school-nursing:admin']],
        ['lead@example.nhs.uk', ['school-nursing:duty-lead']],
        ['nurse@example.nhs.uk', ['school-nursing:clinician']],
      ]);
      const [read] = await audits('staff.list');
      expect(read).to.include({ actorId: await staffId('admin.sn@example.nhs.uk'), outcome: 'ok' });
      expect(read.detail).not.to.contain('@');
    });

    it('when an admin adds a person, then the CLI\'s rules hold (400 naming what is wrong), only in their services (403), once (409), audited without the email', async () => {
      const add = (body: unknown, token = schoolAdmin) => h.api('POST', '/api/v1/admin/staff', { token, body });
      const good = { email: ' New.Person@Example.org ', name: 'New Person', role: 'clinician', service: 'school-nursing' };
      for (const [body, message] of [
        [{ ...good, email: 'not-an-email' }, 'email must be an email address'],
        [{ ...good, name: '  ' }, 'a name is required'],
        [{ ...good, name: 'x'.repeat(201) }, 'longer than 200'],
        [{ ...good, role: 'boss' }, 'role must be one of clinician, duty-lead, admin'],
        [{ ...good, service: 'dentistry' }, 'no service "dentistry"'],
        [{ ...good, role: undefined }, '"role" is required'],
      ] as [unknown, string][]) {
        const response = await add(body);
        expect(response.status, message).to.equal(400);
        expect(response.body.message).to.contain(message);
      }
      expect((await h.api('POST', '/api/v1/admin/staff', { token: schoolAdmin, body: '[1]' })).status).to.equal(400);
      const elsewhere = await add({ ...good, service: 'health-visiting' });
      expect(elsewhere.status).to.equal(403);
      expect(elsewhere.body.message).to.contain('not an admin of that service');

      const added = await add(good);
      expect(added.status).to.equal(201);
      expect(added.body).to.include({ created: true });
      const person = await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'new.person@example.org' });
      expect(person).to.include({ id: added.body.staffId, name: 'New Person' });
      expect((await add(good)).status).to.equal(409);
      // Someone already on the staff list gets another membership; they keep their name.
      const more = await add({ email: 'admin.hv@example.nhs.uk', name: 'Other Name', role: 'duty-lead', service: 'school-nursing' });
      expect(more.status).to.equal(201);
      expect(more.body).to.include({ created: false, staffId: await staffId('admin.hv@example.nhs.uk') });
      expect((await h.app.db.manager.findOneByOrFail(StaffMember, { email: 'admin.hv@example.nhs.uk' })).name).to.equal('admin.hv');

      const events = (await audits('staff.add')).filter((e) => e.actorType === 'staff');
      expect(events.map((e) => [e.outcome, e.actorId])).to.deep.equal([
        ['denied', await staffId('admin.sn@example.nhs.uk')], ['ok', await staffId('admin.sn@example.nhs.uk')], ['ok', await staffId('admin.sn@example.nhs.uk')],
      ]);
      expect(events[1]).to.include({ subjectId: person.id });
      for (const e of events) expect(e.detail ?? '').not.to.contain('@').and.not.to.contain('New Person');
    });

    it('when an admin changes a role or removes a membership, then it changes in their services only (404 elsewhere), with a clear 400 for a bad role, audited', async () => {
      const nurseMembership = await membershipId('nurse@example.nhs.uk', 'school-nursing');
      expect((await h.api('PATCH', `/api/v1/admin/staff/memberships/${nurseMembership}`, { token: schoolAdmin, body: { role: 'boss' } })).body.message).to.contain('one of clinician, duty-lead, admin');
      const changed = await h.api('PATCH', `/api/v1/admin/staff/memberships/${nurseMembership}`, { token: schoolAdmin, body: { role: 'duty-lead' } });
      expect(changed.status).to.equal(200);
      expect(changed.body).to.deep.equal({ id: nurseMembership, role: 'duty-lead', previousRole: 'clinician' });
      const viaPost = await h.api('POST', `/api/v1/admin/staff/memberships/${nurseMembership}`, { token: schoolAdmin, body: { role: 'admin' } });
      expect(viaPost.body).to.deep.equal({ id: nurseMembership, role: 'admin', previousRole: 'duty-lead' });
      expect((await h.api('GET', '/api/v1/me', { token: nurse })).body.memberships).to.deep.include({ serviceSlug: 'school-nursing', role: 'admin' });

      const theirs = await membershipId('nurse@example.nhs.uk', 'health-visiting');
      expect((await h.api('PATCH', `/api/v1/admin/staff/memberships/${theirs}`, { token: schoolAdmin, body: { role: 'admin' } })).status).to.equal(404);
      expect((await h.api('DELETE', `/api/v1/admin/staff/memberships/${theirs}`, { token: schoolAdmin })).status).to.equal(404);
      expect((await h.app.db.manager.findOneByOrFail(ServiceMembership, { id: theirs })).role).to.equal('clinician');

      const leadMembership = await membershipId('lead@example.nhs.uk', 'school-nursing');
      const removed = await h.api('DELETE', `/api/v1/admin/staff/memberships/${leadMembership}`, { token: schoolAdmin });
      expect(removed.status).to.equal(200);
      expect(removed.body).to.deep.equal({ id: leadMembership, removed: true });
      expect(await h.app.db.manager.existsBy(ServiceMembership, { id: leadMembership })).to.equal(false);
      expect((await h.api('GET', '/api/v1/me', { token: lead })).body.memberships).to.deep.equal([]);
      expect((await h.api('POST', `/api/v1/admin/staff/memberships/${leadMembership}/remove`, { token: schoolAdmin })).status).to.equal(404);

      expect((await audits('staff.role_change')).map((e) => [e.outcome, JSON.parse(e.detail ?? '{}').role ?? null])).to.deep.equal([['ok', 'duty-lead'], ['ok', 'admin'], ['denied', null]]);
      expect((await audits('staff.remove')).map((e) => [e.outcome, e.subjectId])).to.deep.equal([
        ['denied', theirs], ['ok', await staffId('lead@example.nhs.uk')], ['denied', leadMembership],
      ]);
    });

    it('when the last admin of a service would demote or remove themselves, then 409 and they stay admin; with a second admin they can', async () => {
      const own = await membershipId('admin.sn@example.nhs.uk', 'school-nursing');
      const demote = await h.api('PATCH', `/api/v1/admin/staff/memberships/${own}`, { token: schoolAdmin, body: { role: 'clinician' } });
      expect(demote.status).to.equal(409);
      expect(demote.body).to.deep.equal({ error: 'last_admin', message: 'you cannot change the role of the last admin of School Nursing: make someone else an admin first' });
      expect((await h.api('DELETE', `/api/v1/admin/staff/memberships/${own}`, { token: schoolAdmin })).body.error).to.equal('last_admin');
      expect((await h.app.db.manager.findOneByOrFail(ServiceMembership, { id: own })).role).to.equal('admin');

      const nurseMembership = await membershipId('nurse@example.nhs.uk', 'school-nursing');
      expect((await h.api('PATCH', `/api/v1/admin/staff/memberships/${nurseMembership}`, { token: schoolAdmin, body: { role: 'admin' } })).status).to.equal(200);
      // Two admins demoting each other at once: one wins, the service keeps an admin.
      const [a, b] = await Promise.all([
        h.api('PATCH', `/api/v1/admin/staff/memberships/${own}`, { token: nurse, body: { role: 'clinician' } }),
        h.api('PATCH', `/api/v1/admin/staff/memberships/${nurseMembership}`, { token: schoolAdmin, body: { role: 'clinician' } }),
      ]);
      // The loser is refused as the last admin (409), or, once the winner's change is in, as no longer an admin (403).
      expect([a.status, b.status].filter((s) => s === 200)).to.have.length(1);
      expect([a.status, b.status].filter((s) => s !== 200)[0]).to.be.oneOf([403, 409]);
      expect(await h.app.db.manager.countBy(ServiceMembership, { serviceSlug: 'school-nursing', role: 'admin' })).to.equal(1);
    });
  });
});
