import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditActorType, AuditChainHead, AuditEvent, AuditEventService, AuditOutcome } from './entities';

/**
 * The audit trail as a hash chain. Each row's hash covers a canonical serialisation of every field
 * it stores (its services included) and the hash of the row before it, so an edit, an insertion or
 * a removal anywhere breaks the chain from that row on; the chain head (the last seq and hash) also
 * catches rows removed from the end.
 *
 * What it cannot catch: someone with write access to the database who recomputes every hash after
 * the row they change, and the head with them. Against that, keep a copy of the head outside the
 * database (`audit verify` prints it) and check it later with `audit verify --anchor SEQ:HASH`.
 */

/** The fields a row's hash covers, in the form they are stored. */
export interface ChainedAuditFields {
  seq: number;
  id: string;
  at: number;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  services: string[];
  outcome: AuditOutcome;
  /** The stored JSON text, hashed as stored: no second serialisation that could differ. */
  detail: string | null;
}

export const GENESIS_HASH = '0'.repeat(64);
/** The chain head's id: one chain per database. */
export const AUDIT_CHAIN = 'audit';

/**
 * Version 1 of the canonical form, frozen: the migration that chained the rows already stored uses
 * it too. A change of form is a new version tag, never an edit of this one.
 */
export function auditRowHash(row: ChainedAuditFields, prevHash: string): string {
  const canonical = JSON.stringify([
    'lamplight-audit-v1', row.seq, row.id, row.at, row.actorType, row.actorId, row.action, row.subjectType, row.subjectId,
    canonicalServices(row.services), row.outcome, row.detail, prevHash,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export const canonicalServices = (services: string[]): string[] => [...new Set(services)].sort();

/** The rows each transaction recorded, appended when its work is done. */
const queuedRows = new WeakMap<EntityManager, Omit<ChainedAuditFields, 'seq'>[]>();

/**
 * Runs a transaction's work, then appends the audit rows it recorded, still inside it. Appending
 * last, whatever order the work recorded them in, makes the chain head the last lock every
 * transaction takes: held only for a few inserts before the commit, and never part of a lock
 * cycle with the rows the work itself changed. (Database.transaction wraps every transaction so.)
 */
export async function appendingAuditRows<T>(tx: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  queuedRows.set(tx, []);
  try {
    const result = await work(tx);
    for (const row of queuedRows.get(tx) ?? []) await appendAuditRow(tx, row);
    return result;
  } finally {
    queuedRows.delete(tx);
  }
}

/** Records a row to append at the end of this transaction (see appendingAuditRows). */
export function queueAuditRow(tx: EntityManager, row: Omit<ChainedAuditFields, 'seq'>): void {
  const queue = queuedRows.get(tx);
  if (!queue) throw new Error('audit rows are recorded inside Database.transaction, the transaction of what they record');
  queue.push(row);
}

/**
 * Appends one row at the end of the chain. The chain head is taken with an UPDATE before it is
 * read: the write holds the head's row lock (PostgreSQL, SQL Server) or the database's write lock
 * (SQLite) until commit, so concurrent appends queue behind one another and each reads the head
 * the previous one left. A transaction that rolls back takes its seq with it: the chain has no gaps.
 */
async function appendAuditRow(tx: EntityManager, row: Omit<ChainedAuditFields, 'seq'>): Promise<void> {
  const seqColumn = tx.connection.driver.escape('seq');
  const taken = await tx.createQueryBuilder().update(AuditChainHead)
    .set({ seq: () => `${seqColumn} + 1` })
    .where('id = :id', { id: AUDIT_CHAIN })
    .execute();
  if (taken.affected === 0) throw new Error('the audit chain head is missing: run the migrations');
  const head = await tx.findOneByOrFail(AuditChainHead, { id: AUDIT_CHAIN });
  const services = canonicalServices(row.services);
  const hash = auditRowHash({ ...row, seq: head.seq, services }, head.hash);
  await tx.insert(AuditEvent, {
    id: row.id, seq: head.seq, at: row.at, actorType: row.actorType, actorId: row.actorId, action: row.action,
    subjectType: row.subjectType, subjectId: row.subjectId, outcome: row.outcome, detail: row.detail, prevHash: head.hash, hash,
  });
  if (services.length) await tx.insert(AuditEventService, services.map((serviceSlug) => ({ serviceSlug, auditSeq: head.seq })));
  await tx.update(AuditChainHead, { id: AUDIT_CHAIN }, { hash });
}

export type ChainVerdict =
  | { intact: true; count: number; head: { seq: number; hash: string } }
  | { intact: false; count: number; broken: { seq: number; id: string | null; problem: string } };

/**
 * Walks the whole chain in seq order and recomputes every hash. `count` is how many rows checked
 * out before the first break. Rows the application appends while it walks are walked too.
 */
export async function verifyAuditChain(manager: EntityManager, options: { batch?: number; anchor?: { seq: number; hash: string } } = {}): Promise<ChainVerdict> {
  // Retention may cut the trail's old end while this walks it: a gap below where the trail now
  // starts is that, not tampering, and the walk starts again from the new start.
  for (let attempt = 1; ; attempt++) {
    const { verdict, startSeq } = await walkChain(manager, options);
    if (verdict.intact || attempt >= 3) return verdict;
    const head = await manager.findOneBy(AuditChainHead, { id: AUDIT_CHAIN });
    if (!head || Number(head.startSeq) === startSeq) return verdict;
  }
}

/** One walk of the chain from where the trail starts; the start it read, so a caller can tell a cut made meanwhile. */
async function walkChain(manager: EntityManager, options: { batch?: number; anchor?: { seq: number; hash: string } }): Promise<{ verdict: ChainVerdict; startSeq: number }> {
  const batch = options.batch ?? 1000;
  // The trail starts where retention last cut its old end (seq 0 and the genesis hash before any cut).
  const start = await manager.findOneBy(AuditChainHead, { id: AUDIT_CHAIN });
  const startSeq = start ? Number(start.startSeq) : 0;
  let expectedSeq = startSeq + 1;
  let prevHash = start?.startHash ?? GENESIS_HASH;
  let last: { seq: number; hash: string } = { seq: startSeq, hash: prevHash };
  let anchorSeen = options.anchor !== undefined && options.anchor.seq === startSeq && options.anchor.hash === prevHash;
  const broken = (seq: number, id: string | null, problem: string): ChainVerdict => ({ intact: false, count: expectedSeq - 1 - startSeq, broken: { seq, id, problem } });
  const verdict = async (): Promise<ChainVerdict> => {
    if (options.anchor && options.anchor.seq < startSeq) {
      return broken(options.anchor.seq, null, `the anchor's seq ${options.anchor.seq} is older than the trail, which retention has cut to start after seq ${startSeq}: check against an anchor printed since`);
    }

    const walkFrom = async (after: number | undefined): Promise<ChainVerdict | undefined> => {
      for (let from = after; ;) {
        const query = manager.createQueryBuilder(AuditEvent, 'a').orderBy('a.seq', 'ASC').limit(batch);
        if (from !== undefined) query.where('a.seq > :from', { from });
        const rows = await query.getMany();
        if (rows.length === 0) return undefined;
        const links = await manager.createQueryBuilder(AuditEventService, 'l')
          .where('l.auditSeq >= :first AND l.auditSeq <= :last', { first: rows[0].seq, last: rows[rows.length - 1].seq })
          .getMany();
        const servicesOf = new Map<number, string[]>();
        for (const link of links) servicesOf.set(link.auditSeq, [...(servicesOf.get(link.auditSeq) ?? []), link.serviceSlug]);
        for (const row of rows) {
          if (row.seq > expectedSeq) return broken(row.seq, row.id, `seq ${expectedSeq}${row.seq - 1 > expectedSeq ? ` to ${row.seq - 1}` : ''} missing before it: rows were removed`);
          if (row.seq < expectedSeq) return broken(row.seq, row.id, `seq ${row.seq} is out of sequence: a row was inserted`);
          if (row.prevHash !== prevHash) return broken(row.seq, row.id, 'its link to the row before does not match: the row before was altered, removed or inserted');
          const recomputed = auditRowHash({ ...row, services: servicesOf.get(row.seq) ?? [] }, row.prevHash);
          if (recomputed !== row.hash) return broken(row.seq, row.id, 'its content does not match its hash: the row (or its services) was altered');
          if (options.anchor?.seq === row.seq) {
            if (options.anchor.hash !== row.hash) return broken(row.seq, row.id, 'its hash differs from the anchor recorded earlier: the chain was rewritten up to here');
            anchorSeen = true;
          }
          prevHash = row.hash;
          last = { seq: row.seq, hash: row.hash };
          expectedSeq++;
        }
        from = last.seq;
      }
    };

    const early = await walkFrom(startSeq || undefined);
    if (early) return early;
    // The head is committed with its row, so every row up to the head read here is visible to the
    // walk that follows; rows beyond it may be the application appending, and are walked again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const head = await manager.findOneBy(AuditChainHead, { id: AUDIT_CHAIN });
      if (!head) return broken(last.seq + 1, null, 'the chain head is missing');
      const later = await walkFrom(last.seq);
      if (later) return later;
      if (last.seq < head.seq) return broken(last.seq + 1, null, `the trail ends at seq ${last.seq} but the chain head is at seq ${head.seq}: the last rows were removed`);
      if (last.seq === head.seq) {
        if (last.hash !== head.hash) return broken(last.seq, null, 'the last row\'s hash differs from the chain head: the last row was replaced, or the head altered');
        if (options.anchor && !anchorSeen) return broken(options.anchor.seq, null, `the anchor's seq ${options.anchor.seq} is not in the trail: rows were removed`);
        return { intact: true, count: last.seq - startSeq, head: last };
      }
    }
    return broken(last.seq, null, 'rows beyond the chain head: rows were added outside the application, or the head altered');
  };
  return { verdict: await verdict(), startSeq };
}

/**
 * Removes the audit rows older than `before` (epoch ms) from the trail's old end, keeping it
 * verifiable: the head records the seq and hash of the last row removed, and the first row kept
 * links to exactly that. Rows are cut only as a run from the start, up to the last row whose time
 * is before `before` and whose every earlier row is too. Runs in the caller's transaction, holding
 * the chain head (appends wait). Returns how many rows went.
 */
export async function pruneAuditTrail(tx: EntityManager, before: number): Promise<{ removed: number; startSeq: number }> {
  const seqColumn = tx.connection.driver.escape('seq');
  await tx.createQueryBuilder().update(AuditChainHead).set({ seq: () => seqColumn }).where('id = :id', { id: AUDIT_CHAIN }).execute();
  const head = await tx.findOneByOrFail(AuditChainHead, { id: AUDIT_CHAIN });
  const startSeq = Number(head.startSeq);
  // The first row at or after the cut-off ends the run: rows are cut only before it.
  const firstKept = await tx.createQueryBuilder(AuditEvent, 'a').where('a.seq > :start AND a.at >= :before', { start: startSeq, before }).orderBy('a.seq', 'ASC').getOne();
  const through = firstKept ? Number(firstKept.seq) - 1 : Number(head.seq);
  if (through <= startSeq) return { removed: 0, startSeq };
  const lastCut = await tx.findOneByOrFail(AuditEvent, { seq: through });
  await tx.createQueryBuilder().delete().from(AuditEventService).where('"auditSeq" > :start AND "auditSeq" <= :through', { start: startSeq, through }).execute();
  const removed = await tx.createQueryBuilder().delete().from(AuditEvent).where('seq > :start AND seq <= :through', { start: startSeq, through }).execute();
  await tx.update(AuditChainHead, { id: AUDIT_CHAIN }, { startSeq: through, startHash: lastCut.hash });
  return { removed: removed.affected ?? through - startSeq, startSeq: through };
}
