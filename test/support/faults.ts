import type { Database } from '../../db/database';

/**
 * A real database failure in the middle of the inbound transaction: a trigger that refuses every
 * outbox insert, after the contact, conversation and message rows were already written.
 */
export async function failOutboxInserts(db: Database): Promise<() => Promise<void>> {
  if (db.dialect === 'postgres') {
    await db.dataSource.query(`CREATE OR REPLACE FUNCTION lamplight_test_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql`);
    await db.dataSource.query(`CREATE TRIGGER lamplight_test_fail BEFORE INSERT ON outbox_item FOR EACH ROW EXECUTE FUNCTION lamplight_test_fail()`);
    return async () => void (await db.dataSource.query('DROP TRIGGER lamplight_test_fail ON outbox_item'));
  }
  await db.dataSource.query(`CREATE TRIGGER lamplight_test_fail BEFORE INSERT ON outbox_item BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  return async () => void (await db.dataSource.query('DROP TRIGGER lamplight_test_fail'));
}
