import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { queueAuditRow } from '../../db/audit-chain';
import type { Database } from '../../db/database';
import { AuditActorType, AuditOutcome, looksLikeId } from '../../db/entities';
import type { StaffIdentity } from '../identity';
import { AccessRefused } from '../problems';

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

export interface Attempt {
  action: string;
  subjectType: string;
  subjectId?: string | null;
}

/**
 * Runs a staff member's attempt. When it is refused on access grounds, the refusal is audited as
 * `denied` (in a transaction of its own: the attempt's rolled back) and the refusal goes on.
 */
export async function auditingRefusals<T>(deps: { db: Database; now: () => number }, staff: StaffIdentity, attempt: Attempt, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AccessRefused) {
      await deps.db.transaction((tx) => recordAudit(tx, deps.now(), {
        actorType: 'staff',
        actorId: staff.id,
        action: attempt.action,
        subjectType: attempt.subjectType,
        // Only an id of ours is kept: anything else in that place of the URL is the caller's text.
        subjectId: attempt.subjectId && looksLikeId(attempt.subjectId) ? attempt.subjectId : null,
        // The target's services, whose admins should see the attempt, and the caller's, whose admins answer for them.
        services: [...error.services, ...staff.memberships.map((m) => m.serviceSlug)],
        outcome: 'denied',
        detail: { reason: error.code },
      }));
    }
    throw error;
  }
}

export interface SignInRefusal {
  /** A code: token_missing, token_malformed, token_invalid, token_expired, token_without_expiry, oid_mismatch, not_staff. */
  reason: string;
  /** Method and route pattern, never the URL as sent. */
  route: string;
  /** The first 16 hex digits of SHA-256 of the token's oid (else sub), when the token verified. */
  tokenSubject?: string;
  /** The staff member a token claimed by email while carrying another account's object id. */
  staffId?: string;
  services: string[];
}

/** Refused authentications, audited per process per minute at most this often. */
export const REFUSED_SIGN_INS_PER_MINUTE = 60;

/**
 * Refused authentications, with what is safe to keep (never the token). Anyone can send a bad
 * token, so the rows they cost are bounded: beyond the budget of a minute they are counted, and
 * the count rides on the next row written. The server's rate limits also shut out an address after
 * repeated failed authentications; this bound holds for a flood spread over many addresses too.
 */
export class RefusedSignIns {
  private windowStartedAt = Number.NEGATIVE_INFINITY;
  private recordedInWindow = 0;
  private notRecorded = 0;

  constructor(private readonly deps: { db: Database; now: () => number; perMinute?: number }) {}

  async record(refusal: SignInRefusal): Promise<void> {
    const at = this.deps.now();
    if (at - this.windowStartedAt >= 60_000 || at < this.windowStartedAt) {
      this.windowStartedAt = at;
      this.recordedInWindow = 0;
    }
    if (this.recordedInWindow >= (this.deps.perMinute ?? REFUSED_SIGN_INS_PER_MINUTE)) {
      this.notRecorded++;
      return;
    }
    this.recordedInWindow++;
    const notRecordedBefore = this.notRecorded;
    this.notRecorded = 0;
    await this.deps.db.transaction((tx) => recordAudit(tx, at, {
      actorType: 'anonymous',
      action: 'api.authenticate',
      subjectType: refusal.staffId ? 'staff' : 'token',
      subjectId: refusal.staffId ?? null,
      services: refusal.services,
      outcome: 'denied',
      detail: {
        reason: refusal.reason,
        route: refusal.route,
        ...(refusal.tokenSubject ? { tokenSubject: refusal.tokenSubject } : {}),
        ...(notRecordedBefore ? { refusalsNotRecordedBefore: notRecordedBefore } : {}),
      },
    }));
  }
}
