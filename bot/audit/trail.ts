import { EntityManager, In } from 'typeorm';
import type { Database } from '../../db/database';
import { AuditEvent, AuditEventService, AuditOutcome, looksLikeId, StaffMember } from '../../db/entities';
import type { StaffIdentity } from '../identity';
import { forbidden, invalid } from '../problems';
import { auditingRefusals, recordAudit } from './record';

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 500;
/** How many rows an export reads at a time. */
const EXPORT_BATCH = 500;

const ACTOR_TYPES = ['system', 'operator', 'anonymous'] as const;
const OUTCOMES: readonly AuditOutcome[] = ['ok', 'denied'];
const FILTERS = ['cursor', 'limit', 'actor', 'action', 'subject', 'subjectType', 'from', 'to', 'outcome', 'service'] as const;

export interface AuditQuery {
  /** Events older than this seq (from the opaque cursor). */
  before?: number;
  limit?: number;
  /** A staff id or email, or an actor type (system, operator, anonymous). */
  actor?: { staffId: string } | { email: string } | { type: (typeof ACTOR_TYPES)[number] };
  action?: string;
  subjectId?: string;
  subjectType?: string;
  from?: number;
  to?: number;
  outcome?: AuditOutcome;
  service?: string;
}

export interface AuditView {
  seq: number;
  id: string;
  at: string;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  services: string[];
  outcome: AuditOutcome;
  detail: Record<string, unknown> | null;
  hash: string;
}

/** The cursor is opaque to clients: today the seq to continue below. */
export const encodeCursor = (seq: number): string => Buffer.from(`v1:${seq}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string): number {
  const match = /^v1:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw invalid('cursor is not one this API gave out');
  return Number(match[1]);
}

/** The query string of an audit read, checked value by value: every value is the caller's text. */
export function auditQueryFrom(raw: Record<string, unknown>, defaults: { limit?: number }): AuditQuery {
  const unknown = Object.keys(raw).filter((key) => !(FILTERS as readonly string[]).includes(key));
  if (unknown.length) throw invalid(`unknown parameter ${unknown[0].slice(0, 40)}; known: ${FILTERS.join(', ')}`);
  const text = (name: (typeof FILTERS)[number], pattern: RegExp, what: string): string | undefined => {
    const value = new Map(Object.entries(raw)).get(name);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) throw invalid(`${name} must be ${what}`);
    return value;
  };
  const time = (name: 'from' | 'to'): number | undefined => {
    const value = text(name, /^[0-9T:.+\-Z ]{4,40}$/i, 'an ISO 8601 date or time');
    if (value === undefined) return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw invalid(`${name} must be an ISO 8601 date or time`);
    return ms;
  };
  const query: AuditQuery = {};
  const cursor = text('cursor', /^[A-Za-z0-9_-]{1,64}$/, 'a cursor from a previous page');
  if (cursor) query.before = decodeCursor(cursor);
  const limit = text('limit', /^\d{1,4}$/, `a whole number from 1 to ${AUDIT_PAGE_MAX}`);
  if (limit !== undefined && (Number(limit) < 1 || Number(limit) > AUDIT_PAGE_MAX)) throw invalid(`limit must be a whole number from 1 to ${AUDIT_PAGE_MAX}`);
  query.limit = limit !== undefined ? Number(limit) : defaults.limit;
  const actor = text('actor', /^[^\s,;]{1,320}$/, 'a staff id, an email, or system, operator or anonymous');
  if (actor !== undefined) {
    const type = ACTOR_TYPES.find((t) => t === actor);
    if (type) query.actor = { type };
    else if (looksLikeId(actor)) query.actor = { staffId: actor.toLowerCase() };
    else if (/^[^@]+@[^@]+$/.test(actor)) query.actor = { email: actor.toLowerCase() };
    else throw invalid('actor must be a staff id, an email, or system, operator or anonymous');
  }
  query.action = text('action', /^[a-z][a-z_.]{0,63}$/, 'an action name such as conversation.read');
  query.subjectId = text('subject', /^[A-Za-z0-9._:-]{1,64}$/, 'an id');
  query.subjectType = text('subjectType', /^[a-z][a-z_]{0,31}$/, 'a subject type such as conversation');
  query.from = time('from');
  query.to = time('to');
  const outcome = text('outcome', /^[a-z]{1,8}$/, 'ok or denied');
  if (outcome !== undefined) {
    query.outcome = OUTCOMES.find((o) => o === outcome);
    if (!query.outcome) throw invalid('outcome must be ok or denied');
  }
  query.service = text('service', /^[a-z0-9][a-z0-9-]{0,63}$/, 'a service slug');
  return query;
}

interface Dependencies {
  db: Database;
  now: () => number;
}

/**
 * The audit trail as admins read it: the events of the services where they are an admin, newest
 * first, in pages that stay stable while events are added (keyed by seq, which only grows). Every
 * read and export is itself audited.
 */
export class AuditTrail {
  constructor(private readonly deps: Dependencies) {}

  async page(staff: StaffIdentity, query: AuditQuery): Promise<{ events: AuditView[]; nextCursor: string | null }> {
    return auditingRefusals(this.deps, staff, { action: 'audit.read', subjectType: 'service' }, async () => {
      const services = this.servicesToRead(staff, query);
      const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
      return this.deps.db.transaction(async (tx) => {
        const rows = await this.select(tx, services, query, query.before, limit + 1);
        const page = rows.slice(0, limit);
        const events = await this.views(tx, page);
        await recordAudit(tx, this.deps.now(), {
          actorType: 'staff', actorId: staff.id, action: 'audit.read', subjectType: 'service', services,
          detail: { count: events.length, ...filtersOf(query, events) },
        });
        return { events, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].seq) : null };
      });
    });
  }

  /**
   * Every matching event, newest first, handed over a batch at a time. The export is recorded
   * before any row leaves, and covers the events that were there when it was recorded.
   */
  async export(staff: StaffIdentity, query: AuditQuery, deliver: (events: AuditView[]) => Promise<void>): Promise<void> {
    const services = await auditingRefusals(this.deps, staff, { action: 'audit.export', subjectType: 'service' }, async () => this.servicesToRead(staff, query));
    const ownId = await this.deps.db.transaction((tx) => recordAudit(tx, this.deps.now(), {
      actorType: 'staff', actorId: staff.id, action: 'audit.export', subjectType: 'service', services,
      detail: { format: 'csv', ...filtersOf(query, []) },
    }));
    const { seq: ownSeq } = await this.deps.db.manager.findOneByOrFail(AuditEvent, { id: ownId });
    let before = Math.min(query.before ?? ownSeq, ownSeq);
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const rows = await this.select(this.deps.db.manager, services, query, before, Math.min(EXPORT_BATCH, remaining));
      if (rows.length === 0) return;
      await deliver(await this.views(this.deps.db.manager, rows));
      remaining -= rows.length;
      before = rows[rows.length - 1].seq;
    }
  }

  private servicesToRead(staff: StaffIdentity, query: AuditQuery): string[] {
    const adminOf = staff.memberships.filter((m) => m.role === 'admin').map((m) => m.serviceSlug);
    if (adminOf.length === 0) throw forbidden('only an admin can read the audit trail');
    if (query.service === undefined) return adminOf;
    if (!adminOf.includes(query.service)) throw forbidden('you are not an admin of that service', [query.service]);
    return [query.service];
  }

  private async select(manager: EntityManager, services: string[], query: AuditQuery, before: number | undefined, take: number): Promise<AuditEvent[]> {
    const q = manager.createQueryBuilder(AuditEvent, 'a')
      .where((qb) => `a.seq IN ${qb.subQuery().select('l.auditSeq').from(AuditEventService, 'l').where('l.serviceSlug IN (:...services)').getQuery()}`)
      .setParameter('services', services);
    if (before !== undefined) q.andWhere('a.seq < :before', { before });
    const actor = query.actor;
    if (actor && 'type' in actor) q.andWhere('a.actorType = :actorType', { actorType: actor.type });
    if (actor && 'staffId' in actor) q.andWhere('a.actorId = :actorId', { actorId: actor.staffId });
    if (actor && 'email' in actor) {
      const staff = await manager.findOneBy(StaffMember, { email: actor.email });
      if (!staff) return [];
      q.andWhere('a.actorId = :actorId', { actorId: staff.id });
    }
    if (query.action) q.andWhere('a.action = :action', { action: query.action });
    if (query.subjectType) q.andWhere('a.subjectType = :subjectType', { subjectType: query.subjectType });
    if (query.subjectId) q.andWhere('a.subjectId = :subjectId', { subjectId: query.subjectId });
    if (query.from !== undefined) q.andWhere('a.at >= :from', { from: query.from });
    if (query.to !== undefined) q.andWhere('a.at < :to', { to: query.to });
    if (query.outcome) q.andWhere('a.outcome = :outcome', { outcome: query.outcome });
    return q.orderBy('a.seq', 'DESC').limit(take).getMany();
  }

  private async views(manager: EntityManager, rows: AuditEvent[]): Promise<AuditView[]> {
    if (rows.length === 0) return [];
    const links = await manager.find(AuditEventService, { where: { auditSeq: In(rows.map((r) => r.seq)) } });
    const servicesOf = new Map<number, string[]>();
    for (const link of links) servicesOf.set(link.auditSeq, [...(servicesOf.get(link.auditSeq) ?? []), link.serviceSlug]);
    const actorIds = [...new Set(rows.map((r) => r.actorId).filter((id): id is string => !!id))];
    const names = new Map(actorIds.length ? (await manager.findBy(StaffMember, { id: In(actorIds) })).map((s) => [s.id, s.name]) : []);
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      at: new Date(r.at).toISOString(),
      actorType: r.actorType,
      actorId: r.actorId,
      actorName: r.actorId ? names.get(r.actorId) ?? null : null,
      action: r.action,
      subjectType: r.subjectType,
      subjectId: r.subjectId,
      services: (servicesOf.get(r.seq) ?? []).sort(),
      outcome: r.outcome,
      detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
      hash: r.hash,
    }));
  }
}

/** What the read asked for, as the audit keeps it: codes and ids, never an email. */
function filtersOf(query: AuditQuery, events: AuditView[]): Record<string, string | number | boolean | null> {
  const actor = query.actor;
  return {
    ...(query.before !== undefined ? { before: query.before } : {}),
    ...(actor && 'type' in actor ? { actorType: actor.type } : {}),
    ...(actor && 'staffId' in actor ? { actorId: actor.staffId } : {}),
    ...(actor && 'email' in actor ? { actorByEmail: true } : {}),
    ...(query.action ? { action: query.action } : {}),
    ...(query.subjectType ? { subjectType: query.subjectType } : {}),
    ...(query.subjectId ? { subjectId: query.subjectId } : {}),
    ...(query.from !== undefined ? { from: new Date(query.from).toISOString() } : {}),
    ...(query.to !== undefined ? { to: new Date(query.to).toISOString() } : {}),
    ...(query.outcome ? { outcome: query.outcome } : {}),
    ...(events.length ? { newestSeq: events[0].seq, oldestSeq: events[events.length - 1].seq } : {}),
  };
}
