import { expect } from 'chai';
import { verifyAuditChain } from '../../db/audit-chain';
import { AuditEvent, Conversation } from '../../db/entities';
import { Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';

/** The trail as an admin reads it: whose services, which outcomes, in what pages. */
describe('the audit trail, as admins read it', () => {
  let h: Harness;
  let nurse: string;
  let healthVisitor: string;
  let float: string;
  afterEach(async () => h?.close());
  beforeEach(async () => {
    h = await startHarness();
    nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    healthVisitor = await h.staff('hv@example.nhs.uk', 'clinician', 'health-visiting');
    await h.staff('float@example.nhs.uk', 'clinician', 'school-nursing');
    float = await h.staff('float@example.nhs.uk', 'clinician', 'health-visiting');
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
