import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditEvent } from '../db/entities';

export interface AuditEntry {
  actorType: AuditEvent['actorType'];
  actorId?: string | null;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  serviceSlug?: string | null;
  /** Ids, counts and codes only: never a message body, note text or contact address. */
  detail?: Record<string, string | number | boolean | null>;
}

export async function recordAudit(manager: EntityManager, at: number, entry: AuditEntry): Promise<void> {
  await manager.insert(AuditEvent, {
    id: randomUUID(),
    at,
    actorType: entry.actorType,
    actorId: entry.actorId ?? null,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId ?? null,
    serviceSlug: entry.serviceSlug ?? null,
    detail: entry.detail ? JSON.stringify(entry.detail) : null,
  });
}
