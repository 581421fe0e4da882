import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { uncountConversations } from '../../db/report-hours';
import { change, dialectOf, sql } from '../../db/rows';
import { LegalHold } from '../../db/entities';
import { Database } from '../../db/database';
import { recordAudit } from '../audit/record';
import { invalid, notFound } from '../problems';

/**
 * Deleting a person's records, for retention and erasure alike: whole conversations only (the
 * database's foreign keys take their messages, notes, outbox rows, escalations with their alerts
 * and cards, notices and read receipts with them), their report counts taken out in the same
 * transaction, and never anything under a legal hold.
 */

const ids = (n: number) => new Array(n).fill('?').join(', ');

/**
 * Locks a contact's row for the rest of the transaction (PostgreSQL FOR UPDATE, SQL Server UPDLOCK;
 * SQLite has one writer). A conversation being inserted for the contact takes a key-share lock on
 * the same row (its foreign key), so retention or erasure, and a new message from that person,
 * go one after the other: the deletion then reads the conversations the message made (and keeps
 * the record), or the message's insert finds the contact gone and its unit is run again, making a
 * new contact. Placing a hold takes the same lock, so a hold is never placed between a deletion's
 * check for holds and its delete. Whether the contact is still there.
 */
export async function lockContact(tx: EntityManager, contactId: string): Promise<boolean> {
  const dialect = dialectOf(tx);
  const statement = dialect === 'postgres' ? 'SELECT id FROM contact WHERE id = ? FOR UPDATE'
    : dialect === 'mssql' ? 'SELECT id FROM contact WITH (UPDLOCK, ROWLOCK) WHERE id = ?' : 'SELECT id FROM contact WHERE id = ?';
  return (await sql(tx, statement, [contactId])).length > 0;
}

/** Conversations among these that a legal hold covers: held themselves, or their contact is. */
export async function heldConversations(tx: EntityManager, conversationIds: string[]): Promise<Set<string>> {
  const held = new Set<string>();
  for (let i = 0; i < conversationIds.length; i += 400) {
    const part = conversationIds.slice(i, i + 400);
    const rows = await sql(tx, `SELECT c.id AS id FROM conversation c WHERE c.id IN (${ids(part.length)}) AND EXISTS (
        SELECT 1 FROM legal_hold h WHERE h."releasedAt" IS NULL AND ((h."subjectType" = 'conversation' AND h."subjectId" = c.id) OR (h."subjectType" = 'contact' AND h."subjectId" = c."contactId")))`, part);
    for (const row of rows) held.add(String(row.id));
  }
  return held;
}

/** Deletes whole conversations (none of them may be held: the caller has checked, in this transaction). */
export async function deleteConversations(tx: EntityManager, conversationIds: string[]): Promise<{ conversations: number; messages: number }> {
  if (!conversationIds.length) return { conversations: 0, messages: 0 };
  const messages = await uncountConversations(tx, conversationIds);
  let conversations = 0;
  for (let i = 0; i < conversationIds.length; i += 400) {
    const part = conversationIds.slice(i, i + 400);
    conversations += await change(tx, `DELETE FROM conversation WHERE id IN (${ids(part.length)})`, part);
  }
  return { conversations, messages };
}

/** Deletes these contacts where no conversation of theirs is left and no hold is on them; returns how many went. */
export async function deleteContactsLeftEmpty(tx: EntityManager, contactIds: string[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < contactIds.length; i += 400) {
    const part = contactIds.slice(i, i + 400);
    deleted += await change(tx, `DELETE FROM contact WHERE id IN (${ids(part.length)})
      AND NOT EXISTS (SELECT 1 FROM conversation c WHERE c."contactId" = contact.id)
      AND NOT EXISTS (SELECT 1 FROM legal_hold h WHERE h."releasedAt" IS NULL AND h."subjectType" = 'contact' AND h."subjectId" = contact.id)`, part);
  }
  return deleted;
}

/** How many messages these conversations hold (a dry run's count of what deleteConversations would take). */
export async function countMessages(tx: EntityManager, conversationIds: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < conversationIds.length; i += 400) {
    const part = conversationIds.slice(i, i + 400);
    n += Number((await sql(tx, `SELECT COUNT(*) AS n FROM message WHERE "conversationId" IN (${part.map(() => '?').join(', ')})`, part))[0].n);
  }
  return n;
}

/** Contacts that would have nothing left once these conversations went (a dry run's count of what deleteContactsLeftEmpty would take). */
export async function countContactsLeftEmpty(tx: EntityManager, contactIds: string[], going: string[]): Promise<number> {
  const goingSet = new Set(going);
  let n = 0;
  for (const contactId of new Set(contactIds)) {
    const rows = await sql(tx, 'SELECT id FROM conversation WHERE "contactId" = ?', [contactId]);
    const holds = await sql(tx, `SELECT 1 AS held FROM legal_hold WHERE "releasedAt" IS NULL AND "subjectType" = 'contact' AND "subjectId" = ?`, [contactId]);
    if (!holds.length && rows.every((r) => goingSet.has(String(r.id)))) n++;
  }
  return n;
}

/** Legal holds, placed and released by an operator (`npm run cli -- hold ...`), each audited. */
export class LegalHolds {
  constructor(private readonly deps: { db: Database; now: () => number }) {}

  async place(input: { subjectType: 'conversation' | 'contact'; subjectId: string; reason: string; by: string }): Promise<LegalHold> {
    const reason = input.reason.trim();
    const by = input.by.trim();
    if (!reason || reason.length > 500) throw invalid('a hold needs a reason (at most 500 characters): the case, request or instruction it is for');
    if (!by || by.length > 200) throw invalid('say who is placing the hold (--by)');
    return this.deps.db.transaction(async (tx) => {
      // The person's contact row, locked: a deletion of their record waits for the hold, or the hold for the deletion (then finds nothing to hold).
      const [owner] = input.subjectType === 'conversation'
        ? await sql(tx, 'SELECT "contactId" AS contact FROM conversation WHERE id = ?', [input.subjectId])
        : [{ contact: input.subjectId }];
      if (!owner || !(await lockContact(tx, String(owner.contact)))) throw notFound(`no ${input.subjectType} ${input.subjectId}`);
      if (input.subjectType === 'conversation' && !(await sql(tx, 'SELECT id FROM conversation WHERE id = ?', [input.subjectId])).length) throw notFound(`no conversation ${input.subjectId}`);
      const at = this.deps.now();
      const hold: LegalHold = { id: randomUUID(), subjectType: input.subjectType, subjectId: input.subjectId, reason, placedBy: by, placedAt: at, releasedAt: null, releasedBy: null, releaseReason: null };
      await tx.insert(LegalHold, hold);
      await recordAudit(tx, at, { actorType: 'operator', action: 'hold.place', subjectType: input.subjectType, subjectId: input.subjectId, services: await servicesOf(tx, input.subjectType, input.subjectId), detail: { holdId: hold.id, by, reason } });
      return hold;
    });
  }

  async release(input: { holdId: string; reason: string; by: string }): Promise<LegalHold> {
    const reason = input.reason.trim();
    const by = input.by.trim();
    if (!reason || reason.length > 500) throw invalid('say why the hold is released (at most 500 characters)');
    if (!by || by.length > 200) throw invalid('say who is releasing the hold (--by)');
    return this.deps.db.transaction(async (tx) => {
      const hold = await tx.findOneBy(LegalHold, { id: input.holdId });
      if (!hold) throw notFound(`no hold ${input.holdId}`);
      if (hold.releasedAt !== null) throw invalid(`hold ${hold.id} was already released`);
      const at = this.deps.now();
      await tx.update(LegalHold, { id: hold.id }, { releasedAt: at, releasedBy: by, releaseReason: reason });
      await recordAudit(tx, at, { actorType: 'operator', action: 'hold.release', subjectType: hold.subjectType, subjectId: hold.subjectId, services: await servicesOf(tx, hold.subjectType, hold.subjectId), detail: { holdId: hold.id, by, reason } });
      return { ...hold, releasedAt: at, releasedBy: by, releaseReason: reason };
    });
  }

  async list(includeReleased = false): Promise<LegalHold[]> {
    const holds = await this.deps.db.manager.find(LegalHold, { order: { placedAt: 'ASC' } });
    return includeReleased ? holds : holds.filter((h) => h.releasedAt === null);
  }
}

/** The services a conversation or a contact's conversations belong to, for the audit row. */
async function servicesOf(tx: EntityManager, subjectType: 'conversation' | 'contact', subjectId: string): Promise<string[]> {
  const column = subjectType === 'conversation' ? 'id' : '"contactId"';
  return (await sql(tx, `SELECT DISTINCT "serviceSlug" AS slug FROM conversation WHERE ${column} = ?`, [subjectId])).map((r) => String(r.slug)).sort();
}
