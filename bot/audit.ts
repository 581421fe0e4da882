import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { queueAuditRow } from '../db/audit-chain';
import { AuditActorType, AuditOutcome } from '../db/entities';

export interface AuditEntry {
  actorType: AuditActorType;
  actorId?: string | null;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  /**
   * Every service the event concerns: an admin of any of them sees it. Empty only when it concerns
   * none (a token that names nobody), which the database and the operator's CLI still show.
   */
  services: string[];
  outcome?: AuditOutcome;
  /** Ids, counts and codes only: never a message body, note text or contact address. */
  detail?: Record<string, string | number | boolean | null>;
}

/**
 * Records an audit event in the transaction of what it records (a Database.transaction); the row
 * joins the chain as that transaction ends. Returns the row's id.
 */
export async function recordAudit(tx: EntityManager, at: number, entry: AuditEntry): Promise<string> {
  const id = randomUUID();
  queueAuditRow(tx, {
    id,
    at,
    actorType: entry.actorType,
    actorId: entry.actorId ?? null,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId ?? null,
    services: entry.services,
    outcome: entry.outcome ?? 'ok',
    detail: entry.detail ? JSON.stringify(entry.detail) : null,
  });
  return id;
}
