import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { uncountConversations } from '../../db/report-hours';
import { change, sql } from '../../db/rows';
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

/** Legal holds, placed and released by an operator (`npm run cli -- hold ...`), each audited. */
export class LegalHolds {
  constructor(private readonly deps: { db: Database; now: () => number }) {}

  async place(input: { subjectType: 'conversation' | 'contact'; subjectId: string; reason: string; by: string }): Promise<LegalHold> {
    const reason = input.reason.trim();
    const by = input.by.trim();
    if (!reason || reason.length > 500) throw invalid('a hold needs a reason (at most 500 characters): the case, request or instruction it is for');
    if (!by || by.length > 200) throw invalid('say who is placing the hold (--by)');
    return this.deps.db.transaction(async (tx) => {
      const table = input.subjectType === 'conversation' ? 'conversation' : 'contact';
      const [found] = await sql(tx, `SELECT id FROM ${table} WHERE id = ?`, [input.subjectId]);
      if (!found) throw notFound(`no ${input.subjectType} ${input.subjectId}`);
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
