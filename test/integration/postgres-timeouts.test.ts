import { expect } from 'chai';
import { Database } from '../../db/database';
import { scratchDatabase, TEST_DIALECT } from '../support/database';

/**
 * What bounds PostgreSQL work (issue 16): a transaction left idle is ended by the server, so a
 * stalled request cannot hold its locks for ever; a slow statement is not cut short, because
 * Twilio does not send a webhook again by default and a slow commit must still store the text.
 */
(TEST_DIALECT === 'postgres' ? describe : describe.skip)('PostgreSQL request bounds', () => {
  it('the server\'s connections end a transaction left idle for 60 s and do not cut statements short; operator connections are unbounded', async () => {
    const scratch = await scratchDatabase({ migrated: true });
    const server = await Database.open(scratch.url);
    const operator = await Database.open(scratch.url, { requestTimeouts: false });
    try {
      const show = async (db: Database, name: string) => (await db.dataSource.query(`SHOW ${name}`))[0][name];
      expect(await show(server, 'statement_timeout')).to.equal('0');
      expect(await show(server, 'idle_in_transaction_session_timeout')).to.equal('1min');
      expect(await show(operator, 'idle_in_transaction_session_timeout')).to.equal('0');
    } finally {
      await server.close();
      await operator.close();
    }
  });

  it('a slow unit of work still commits (a late commit stores the text); a transaction left idle past the bound is ended and the pool serves the next request', async () => {
    const scratch = await scratchDatabase({ migrated: true });
    const db = await Database.open(scratch.url, { requestTimeouts: { idle_in_transaction_session_timeout: 300 } });
    try {
      expect(await db.transaction(async (tx) => (await tx.query('SELECT pg_sleep(0.5), 1 AS one'))[0].one)).to.equal(1);
      let failed: unknown;
      try {
        await db.transaction(async (tx) => {
          await tx.query('SELECT 1');
          await new Promise((r) => setTimeout(r, 800));
          await tx.query('SELECT 1');
        });
      } catch (error) {
        failed = error;
      }
      expect(failed, 'the idle transaction ended by the server').to.be.instanceOf(Error);
      expect(await db.dataSource.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
