import { expect } from 'chai';
import { Database } from '../../db/database';
import { scratchDatabase, TEST_DIALECT } from '../support/database';

/**
 * The migrations are the schema outside tests; the entities are what the code believes. TypeORM's
 * schema builder says what it would change to make the database match the entities: after all
 * migrations, nothing.
 */
describe(`the schema (${TEST_DIALECT})`, () => {
  it('when every migration has run, then the database matches the entities exactly', async () => {
    const scratch = await scratchDatabase();
    const db = await Database.open(scratch.url);
    try {
      await db.migrate();
      const pending = await db.dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).to.deep.equal([]);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });
});
