import { expect } from 'chai';
import { RefusedSignIns } from '../../bot/audit/record';
import { addStaff } from '../../bot/config/staff';
import { verifyAuditChain } from '../../db/audit-chain';
import { AuditEvent, AuditEventService, Conversation, Escalation, StaffMember } from '../../db/entities';
import { Harness, HEALTH_VISITING_SMS, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

/** The trail as an admin reads it: whose services, which outcomes, in what pages. */
describe('the audit trail, as admins read it', () => {
  let h: Harness;
  let nurse: string;
  let healthVisitor: string;
  let float: string;
  let schoolAdmin: string;
  let visitingAdmin: string;
  let sexualHealthAdmin: string;
  afterEach(async () => h?.close());
  beforeEach(async () => {
    h = await startHarness();
    nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    healthVisitor = await h.staff('hv@example.nhs.uk', 'clinician', 'health-visiting');
    await h.staff('float@example.nhs.uk', 'clinician', 'school-nursing');
    float = await h.staff('float@example.nhs.uk', 'clinician', 'health-visiting');
    schoolAdmin = await h.staff('admin.sn@example.nhs.uk', 'admin', 'school-nursing');
    visitingAdmin = await h.staff('admin.hv@example.nhs.uk', 'admin', 'health-visiting');
    sexualHealthAdmin = await h.staff('admin.sh@example.nhs.uk', 'admin', 'sexual-health');
  });

  const staffId = async (email: string) => (await h.app.db.manager.findOneByOrFail(StaffMember, { email })).id;
  const audit = async (token: string, query = '') => {
    const response = await h.api('GET', `/api/v1/audit${query}`, { token });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return response.body as { events: any[]; nextCursor: string | null };
  };

  it('when a clinician of two services lists conversations and escalations, then an admin of either service finds both reads, and an admin of a third does not', async () => {
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'hello' });
    expect((await h.api('GET', '/api/v1/conversations', { token: float })).status).to.equal(200);
    expect((await h.api('GET', '/api/v1/escalations', { token: float })).status).to.equal(200);
    const floatId = await staffId('float@example.nhs.uk');
    for (const admin of [schoolAdmin, visitingAdmin]) {
      const { events } = await audit(admin, `?actor=${floatId}`);
      expect(events.map((e) => e.action).sort()).to.deep.equal(['conversation.list', 'escalation.list']);
      for (const event of events) expect(event).to.deep.include({ outcome: 'ok', actorName: 'float', services: ['health-visiting', 'school-nursing'] });
    }
    expect((await audit(sexualHealthAdmin, `?actor=${floatId}`)).events).to.deep.equal([]);
  });

  it('when an admin reads the trail, then the read is in it, for the admins of the services it covered only', async () => {
    await audit(schoolAdmin);
    const { events } = await audit(schoolAdmin, '?action=audit.read');
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ actorId: await staffId('admin.sn@example.nhs.uk'), services: ['school-nursing'], outcome: 'ok' });
    expect((await audit(visitingAdmin, '?action=audit.read')).events.map((e) => e.actorName)).to.deep.equal([]);
  });

  it('when a clinician asks for another service\'s conversation or escalation, then 404, recorded as denied with who asked, for the admins of both services', async () => {
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'i want to kill myself' });
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    const escalation = await h.app.db.manager.findOneByOrFail(Escalation, {});
    expect((await h.api('GET', `/api/v1/conversations/${conversation.id}`, { token: healthVisitor })).status).to.equal(404);
    expect((await h.api('POST', `/api/v1/conversations/${conversation.id}/messages`, { token: healthVisitor, body: { text: 'hi' } })).status).to.equal(404);
    expect((await h.api('POST', `/api/v1/escalations/${escalation.id}/acknowledge`, { token: healthVisitor })).status).to.equal(404);
    const hv = await staffId('hv@example.nhs.uk');
    for (const admin of [schoolAdmin, visitingAdmin]) {
      const { events } = await audit(admin, '?outcome=denied');
      expect(events.map((e) => [e.action, e.subjectId, e.actorId, e.detail.reason])).to.deep.equal([
        ['escalation.acknowledge', escalation.id, hv, 'not_found'],
        ['message.send', conversation.id, hv, 'not_found'],
        ['conversation.read', conversation.id, hv, 'not_found'],
      ]);
      expect(events[2].services).to.deep.equal(['health-visiting', 'school-nursing']);
    }
    expect((await audit(sexualHealthAdmin, '?outcome=denied')).events).to.deep.equal([]);
    expect((await h.app.db.manager.findOneByOrFail(Escalation, { id: escalation.id })).status).to.equal('open');
  });

  it('when a clinician tries what only an admin or a duty lead may, then 403, recorded as denied', async () => {
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'hello' });
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    expect((await h.api('GET', '/api/v1/audit', { token: nurse })).status).to.equal(403);
    expect((await h.api('GET', '/api/v1/audit.csv', { token: nurse })).status).to.equal(403);
    expect((await h.api('POST', `/api/v1/conversations/${conversation.id}/unblock`, { token: nurse })).status).to.equal(403);
    const { events } = await audit(schoolAdmin, `?outcome=denied&actor=nurse@example.nhs.uk`);
    expect(events.map((e) => [e.action, e.detail.reason])).to.deep.equal([['contact.unblock', 'forbidden'], ['audit.export', 'forbidden'], ['audit.read', 'forbidden']]);
  });

  it('when a token is missing, bad, expired or names nobody, then a denied row keeps the reason and route, and never the token or the email', async () => {
    const garbage = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2VjcmV0LXRva2Vu';
    const expired = await h.idp.token('nurse@example.nhs.uk', { expiresIn: '-2h' });
    const stranger = await h.idp.token('stranger@elsewhere.example', { claims: { oid: 'aaaaaaaa-0000-0000-0000-000000000001' } });
    expect((await h.api('GET', '/api/v1/conversations')).status).to.equal(401);
    expect((await h.api('GET', '/api/v1/conversations', { token: garbage })).status).to.equal(401);
    expect((await h.api('GET', '/api/v1/escalations', { token: expired })).status).to.equal(401);
    expect((await h.api('GET', '/api/v1/me', { token: stranger })).status).to.equal(403);
    const rows = await h.app.db.manager.find(AuditEvent, { where: { actorType: 'anonymous' }, order: { seq: 'ASC' } });
    expect(rows.map((r) => [r.action, r.outcome, r.actorId, JSON.parse(r.detail!).reason, JSON.parse(r.detail!).route])).to.deep.equal([
      ['api.authenticate', 'denied', null, 'token_missing', 'GET /api/v1/conversations'],
      ['api.authenticate', 'denied', null, 'token_invalid', 'GET /api/v1/conversations'],
      ['api.authenticate', 'denied', null, 'token_expired', 'GET /api/v1/escalations'],
      ['api.authenticate', 'denied', null, 'not_staff', 'GET /api/v1/me'],
    ]);
    expect(JSON.parse(rows[3].detail!).tokenSubject).to.match(/^[0-9a-f]{16}$/);
    const stored = JSON.stringify(rows);
    for (const secret of [garbage, expired, stranger, 'stranger@elsewhere.example', 'aaaaaaaa-0000-0000-0000-000000000001']) expect(stored).not.to.contain(secret);
  });

  it('when another account uses a bound staff member\'s email, then the refusal names that staff member for their service\'s admins', async () => {
    await h.api('GET', '/api/v1/me', { token: await h.idp.token('nurse@example.nhs.uk', { claims: { oid: 'bbbbbbbb-0000-0000-0000-000000000001' } }) });
    expect((await h.api('GET', '/api/v1/me', { token: await h.idp.token('nurse@example.nhs.uk', { claims: { oid: 'bbbbbbbb-0000-0000-0000-000000000002' } }) })).status).to.equal(401);
    const { events } = await audit(schoolAdmin, '?outcome=denied&actor=anonymous');
    expect(events.map((e) => [e.subjectType, e.subjectId, e.detail.reason])).to.deep.equal([['staff', await staffId('nurse@example.nhs.uk'), 'oid_mismatch']]);
    expect((await audit(visitingAdmin, '?outcome=denied')).events).to.deep.equal([]);
  });

  it('when refused authentications flood in, then at most the budget of a minute is stored, and the next row counts the rest', async () => {
    const refusals = new RefusedSignIns({ db: h.app.db, now: () => h.clock.now().getTime(), perMinute: 3 });
    const before = await h.app.db.manager.count(AuditEvent);
    for (let i = 0; i < 10; i++) await refusals.record({ reason: 'token_invalid', route: 'GET /api/v1/me', services: [] });
    expect(await h.app.db.manager.count(AuditEvent)).to.equal(before + 3);
    h.clock.advance(61_000);
    await refusals.record({ reason: 'token_invalid', route: 'GET /api/v1/me', services: [] });
    const last = await h.app.db.manager.findOneOrFail(AuditEvent, { where: {}, order: { seq: 'DESC' } });
    expect(JSON.parse(last.detail!)).to.include({ refusalsNotRecordedBefore: 7 });
  });

  it('when events are added while an admin pages through, then every event there at the first page comes exactly once, newest first', async () => {
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'hello' });
    for (let i = 0; i < 12; i++) await h.api('GET', '/api/v1/conversations', { token: nurse });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { events: any[]; nextCursor: string | null } = await audit(schoolAdmin, `?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.events.map((e) => e.seq));
      cursor = page.nextCursor;
      pages++;
      // Meanwhile the service goes on: more reads, and in another service too.
      await h.api('GET', '/api/v1/conversations', { token: nurse });
      await h.sendSms({ from: `+4477009006${String(pages).padStart(2, '0')}`, to: HEALTH_VISITING_SMS, body: 'hi' });
    } while (cursor);
    const linked = await h.app.db.manager.find(AuditEventService, { where: { serviceSlug: 'school-nursing' } });
    const expected = linked.map((l) => l.auditSeq).filter((seq) => seq <= seen[0]).sort((a, b) => b - a);
    expect(pages).to.be.greaterThan(3);
    expect(seen).to.deep.equal(expected);
    expect(new Set(seen).size).to.equal(seen.length);
  });

  it('when filters or a cursor are malformed, then 400 and nothing read', async () => {
    for (const query of ['?limit=0', '?limit=501', '?limit=ten', '?cursor=not-ours', '?outcome=maybe', '?from=yesterday', '?actor=a%20b', '?sort=at', '?action=DROP%20TABLE', '?action=a&action=b']) {
      expect((await h.api('GET', `/api/v1/audit${query}`, { token: schoolAdmin })).status, query).to.equal(400);
    }
  });

  it('filters by actor, action, subject and time', async () => {
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'hello' });
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    await h.api('GET', `/api/v1/conversations/${conversation.id}`, { token: nurse });
    h.clock.advance(60 * 60_000);
    await h.api('POST', `/api/v1/conversations/${conversation.id}/claim`, { token: nurse });
    const bySubject = await audit(schoolAdmin, `?subject=${conversation.id}&subjectType=conversation`);
    expect(bySubject.events.map((e) => e.action)).to.deep.equal(['conversation.claim', 'conversation.read']);
    const later = new Date(h.clock.now().getTime() - 30 * 60_000).toISOString();
    expect((await audit(schoolAdmin, `?subject=${conversation.id}&from=${later}`)).events.map((e) => e.action)).to.deep.equal(['conversation.claim']);
    expect((await audit(schoolAdmin, `?subject=${conversation.id}&to=${later}`)).events.map((e) => e.action)).to.deep.equal(['conversation.read']);
    expect((await audit(schoolAdmin, '?actor=nurse@example.nhs.uk&action=conversation.read')).events).to.have.length(1);
    expect((await audit(schoolAdmin, '?actor=nobody@example.nhs.uk')).events).to.deep.equal([]);
  });

  it('exports the same events as CSV, with a header, quoted where needed, formulas defused, and the export audited', async () => {
    // A name is the admin's text and can look like anything, a spreadsheet formula included.
    await addStaff(h.app.db, h.app.directory, { email: 'odd@example.nhs.uk', name: '=HYPERLINK("http://evil.example","open"), then', role: 'clinician', service: 'school-nursing' });
    await h.api('GET', '/api/v1/conversations', { token: await h.idp.token('odd@example.nhs.uk') });
    await h.api('GET', '/api/v1/conversations', { token: nurse });
    const response = await fetch(`${h.app.url}/api/v1/audit.csv?action=conversation.list`, { headers: { authorization: `Bearer ${schoolAdmin}` } });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    const lines = (await response.text()).split('\r\n');
    expect(lines[0]).to.equal('seq,id,at,actorType,actorId,actorName,action,subjectType,subjectId,services,outcome,detail,hash');
    expect(lines.at(-1)).to.equal('');
    const rows = lines.slice(1, -1);
    expect(rows).to.have.length(2);
    expect(rows[0]).to.contain(',nurse,conversation.list,');
    expect(rows[1]).to.contain(`,"'=HYPERLINK(""http://evil.example"",""open""), then",conversation.list,`);
    expect(rows[1]).to.contain(',"{""queue"":""open"",""count"":0}",');
    const exported = await audit(schoolAdmin, '?action=audit.export');
    expect(exported.events).to.have.length(1);
    expect(exported.events[0].detail).to.include({ format: 'csv', action: 'conversation.list' });
  });

  it('when many actions commit at once, then the chain has no gap or fork and verifies', async () => {
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'hello' });
    const conversation = await h.app.db.manager.findOneByOrFail(Conversation, {});
    const calls = Array.from({ length: 24 }, (_, i) => (i % 3 === 0
      ? h.api('POST', `/api/v1/conversations/${conversation.id}/notes`, { token: nurse, body: { text: `note ${i}` } })
      : i % 3 === 1 ? h.api('GET', '/api/v1/conversations', { token: float }) : h.api('GET', `/api/v1/conversations/${conversation.id}`, { token: healthVisitor })));
    const statuses = (await Promise.all(calls)).map((r) => r.status);
    expect(statuses.filter((s) => s === 201 || s === 200)).to.have.length(16);
    const verdict = await verifyAuditChain(h.app.db.manager);
    const rows = await h.app.db.manager.count(AuditEvent);
    expect(verdict).to.deep.include({ intact: true, count: rows });
  });
});
