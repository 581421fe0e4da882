import { expect } from 'chai';
import { Database } from '../../db/database';
import { scratchDatabase, TEST_DIALECT } from '../support/database';

/**
 * A stalled PostgreSQL must not hold a webhook past the provider's own wait (issue 16): the
 * server's connections carry a statement timeout, an idle-in-transaction timeout and a client-side
 * query timeout; migrations and operator commands run without them.
 */
(TEST_DIALECT === 'postgres' ? describe : describe.skip)('PostgreSQL request timeouts', () => {
  it('the server\'s connections stop a statement after 10 s and end a transaction left idle for 15 s; operator connections are unbounded', async () => {
    const scratch = await scratchDatabase({ migrated: true });
    const server = await Database.open(scratch.url);
    const operator = await Database.open(scratch.url, { requestTimeouts: false });
    try {
      const show = async (db: Database, name: string) => (await db.dataSource.query(`SHOW ${name}`))[0][name];
      expect(await show(server, 'statement_timeout')).to.equal('10s');
      expect(await show(server, 'idle_in_transaction_session_timeout')).to.equal('15s');
      expect(await show(operator, 'statement_timeout')).to.equal('0');
      expect(await show(operator, 'idle_in_transaction_session_timeout')).to.equal('0');
    } finally {
      await server.close();
      await operator.close();
    }
  });

  it('a statement past the bound fails (the webhook then fails and the provider retries), and the connection serves the next request', async () => {
    const scratch = await scratchDatabase({ migrated: true });
    const db = await Database.open(scratch.url, { requestTimeouts: { statement_timeout: 300 } });
    try {
      const started = Date.now();
      let failed: unknown;
      try {
        await db.transaction((tx) => tx.query('SELECT pg_sleep(3)'));
      } catch (error) {
        failed = error;
      }
      expect(String(failed)).to.contain('statement timeout');
      expect(Date.now() - started).to.be.below(2500);
      expect(await db.dataSource.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
