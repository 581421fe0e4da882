import { expect } from 'chai';
import { auditRowHash, AUDIT_CHAIN } from '../../db/audit-chain';
import { Database } from '../../db/database';
import { AuditChainHead, AuditEvent, AuditEventService } from '../../db/entities';
import { Harness, SCHOOL_NURSING_SMS, startHarness } from '../support/harness';
import { runCli } from '../support/process';

/**
 * The operator's check of the trail, run as the operator runs it (`npm run cli -- audit verify`),
 * after the application has stopped and someone has been at the database.
 */
describe('npm run cli -- audit verify', () => {
  let h: Harness | undefined;
  let url: string;
  afterEach(async () => {
    await h?.database.drop();
    h = undefined;
  });

  /** A trail of a morning's work: texts in, reads, a claim, a note, a reply, an escalation. */
  beforeEach(async () => {
    h = await startHarness();
    url = h.database.url;
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: 'i want to kill myself' });
    const { body } = await h.api('GET', '/api/v1/conversations', { token: nurse });
    const id = body.conversations[0].id as string;
    await h.api('GET', `/api/v1/conversations/${id}`, { token: nurse });
    await h.api('POST', `/api/v1/conversations/${id}/claim`, { token: nurse });
    await h.api('POST', `/api/v1/conversations/${id}/notes`, { token: nurse, body: { text: 'called back' } });
    await h.api('POST', `/api/v1/conversations/${id}/messages`, { token: nurse, body: { text: 'I am here' } });
    await h.close({ keepDatabase: true });
  });

  const verify = (...args: string[]) => runCli(['audit', 'verify', ...args], { DATABASE_URL: url });
  const withDatabase = async <T>(work: (db: Database) => Promise<T>): Promise<T> => {
    const db = await Database.open(url);
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  };
  const rows = () => withDatabase((db) => db.manager.find(AuditEvent, { order: { seq: 'ASC' } }));

  it('when nobody has touched the trail, then it exits 0 and says how many events it checked', async () => {
    const count = (await rows()).length;
    expect(count).to.be.greaterThan(5);
    const result = verify();
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(new RegExp(`^ok: ${count} audit events, chain intact; head seq ${count} hash [0-9a-f]{64}\\n$`));
  });

  it('when one row\'s action was edited in the database, then it exits non-zero naming that row', async () => {
    // A read of a contact's thread passed off as a mere list read.
    const target = (await rows()).find((r) => r.action === 'conversation.read')!;
    await withDatabase((db) => db.manager.update(AuditEvent, { id: target.id }, { action: 'conversation.list' }));
    const result = verify();
    expect(result.status).to.equal(3);
    expect(result.stderr).to.contain(`seq ${target.seq} (id ${target.id})`).and.contain('altered');
  });

  it('when a row\'s services were changed, then it exits non-zero naming that row', async () => {
    const target = (await rows())[2];
    await withDatabase((db) => db.manager.delete(AuditEventService, { auditSeq: target.seq }));
    const result = verify();
    expect(result.status).to.equal(3);
    expect(result.stderr).to.contain(`seq ${target.seq} (id ${target.id})`);
  });

  it('when a row in the middle was deleted, then it exits non-zero naming the row after the gap', async () => {
    const all = await rows();
    await withDatabase((db) => db.manager.delete(AuditEvent, { id: all[2].id }));
    const result = verify();
    expect(result.status).to.equal(3);
    expect(result.stderr).to.contain(`seq ${all[3].seq} (id ${all[3].id})`).and.contain(`seq ${all[2].seq} missing`);
  });

  it('when the last rows were deleted, then it exits non-zero: the trail no longer reaches the chain head', async () => {
    const all = await rows();
    await withDatabase(async (db) => {
      for (const row of all.slice(-2)) await db.manager.delete(AuditEvent, { id: row.id });
    });
    const result = verify();
    expect(result.status).to.equal(3);
    expect(result.stderr).to.contain(`the trail ends at seq ${all.length - 2} but the chain head is at seq ${all.length}`);
  });

  it('when someone rewrites every hash after their edit, then only a head kept outside the database (--anchor) shows it', async () => {
    const intact = verify();
    const anchor = /head seq (\d+) hash ([0-9a-f]{64})/.exec(intact.stdout)!;
    await withDatabase(async (db) => {
      const all = await db.manager.find(AuditEvent, { order: { seq: 'ASC' } });
      const links = await db.manager.find(AuditEventService);
      const edited = all.findIndex((r) => r.action === 'conversation.read');
      let prevHash = all[edited - 1].hash;
      for (const row of all.slice(edited)) {
        const action = row.seq === all[edited].seq ? 'conversation.list' : row.action;
        const services = links.filter((l) => l.auditSeq === row.seq).map((l) => l.serviceSlug);
        const hash = auditRowHash({ ...row, action, services }, prevHash);
        await db.manager.update(AuditEvent, { id: row.id }, { action, prevHash, hash });
        prevHash = hash;
      }
      await db.manager.update(AuditChainHead, { id: AUDIT_CHAIN }, { hash: prevHash });
    });
    expect(verify().status, 'the honest limit: a full rewrite verifies').to.equal(0);
    const anchored = verify('--anchor', `${anchor[1]}:${anchor[2]}`);
    expect(anchored.status).to.equal(3);
    expect(anchored.stderr).to.contain('anchor');
  });

  it('when the anchor is not SEQ:HASH, then it says how to write it and exits 1', async () => {
    const result = verify('--anchor', 'yesterday');
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('--anchor takes SEQ:HASH');
  });
});
