import { createRemoteJWKSet, errors, JWTPayload, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';
import { IsNull } from 'typeorm';
import { Database } from '../../../db/database';
import { ServiceMembership, StaffMember } from '../../../db/entities';
import type { SignInRefusal } from '../../audit/record';
import { HttpError } from '../errors';
import type { StaffIdentity } from '../../identity';

export type { StaffIdentity };

/** A staff member known by a bearer token, and when that token stops being valid. */
export interface TokenHolder extends StaffIdentity {
  /** Epoch ms on the real clock, as jose checks it: a live stream ends then. */
  tokenExpiresAt: number;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
}

/** A refused authentication, with what the audit may keep about it (never the token). */
export class AuthenticationRefused extends HttpError {
  constructor(status: 401 | 403, code: string, message: string, readonly refusal: Omit<SignInRefusal, 'route'>) {
    super(status, code, message, status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    this.name = 'AuthenticationRefused';
  }
}

const unauthorised = (reason: string, message: string, more: Partial<SignInRefusal> = {}) =>
  new AuthenticationRefused(401, 'unauthorised', message, { reason, services: [], ...more });

/** Enough to tell two refused accounts apart in the audit, not enough to name one. */
const subjectReference = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);

/**
 * Who is calling the clinician API: a bearer JWT signed by a key from the JWKS, for our audience,
 * from our issuer (Entra ID in production, the dev identity provider in the embedded default),
 * with an expiry, naming a staff member by `oid`, else by email.
 *
 * A bound object id wins over the email: once a staff member has signed in with an Entra account,
 * a token from any other account (or one with no `oid`) that carries the same email is refused.
 * Emails move between accounts (a re-used alias, a guest account with a copied address); object
 * ids do not.
 */
export class ClinicianAuth {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: TokenSettings, private readonly db: Database) {
    this.keys = createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5000 });
  }

  /**
   * `clockToleranceSeconds` allows for skew with the identity provider's clock (60 s by default);
   * a live stream asks for none, so it never starts on a token that has already run out.
   */
  async authenticate(authorization: string | undefined, options: { clockToleranceSeconds?: number } = {}): Promise<TokenHolder> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw unauthorised(authorization ? 'token_malformed' : 'token_missing', 'a bearer token is required');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(match[1], this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ['RS256', 'ES256'],
        clockTolerance: options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw unauthorised(refusalReason(error), 'the bearer token is not valid');
    }
    const staff = await this.findStaff(claims);
    const memberships = await this.db.manager.find(ServiceMembership, { where: { staffId: staff.id } });
    return {
      id: staff.id,
      email: staff.email,
      name: staff.name,
      memberships: memberships.map((m) => ({ serviceSlug: m.serviceSlug, role: m.role })),
      tokenExpiresAt: (claims.exp as number) * 1000,
    };
  }

  private async findStaff(claims: JWTPayload): Promise<StaffMember> {
    const oid = typeof claims.oid === 'string' && claims.oid ? claims.oid : undefined;
    const tokenSubject = subjectReference(oid ?? String(claims.sub ?? ''));
    if (oid) {
      const byOid = await this.db.manager.findOneBy(StaffMember, { oid });
      if (byOid) return byOid;
    }
    const email = [claims.email, claims.preferred_username, claims.upn].find((v): v is string => typeof v === 'string' && v.includes('@'));
    const byEmail = email ? await this.db.manager.findOneBy(StaffMember, { email: email.toLowerCase() }) : null;
    if (!byEmail) throw new AuthenticationRefused(403, 'not_staff', 'this account is not registered as Lamplight staff', { reason: 'not_staff', tokenSubject, services: [] });
    if (byEmail.oid === null && oid) {
      // First sign-in with an Entra token binds the object id, so a later change of email keeps
      // access. Conditional, so two accounts racing to be first cannot both be bound.
      await this.db.manager.update(StaffMember, { id: byEmail.id, oid: IsNull() }, { oid });
      byEmail.oid = (await this.db.manager.findOneByOrFail(StaffMember, { id: byEmail.id })).oid;
    }
    if (byEmail.oid !== null && byEmail.oid !== oid) {
      const memberships = await this.db.manager.find(ServiceMembership, { where: { staffId: byEmail.id } });
      throw unauthorised('oid_mismatch', 'the bearer token is not valid for this account', { tokenSubject, staffId: byEmail.id, services: memberships.map((m) => m.serviceSlug) });
    }
    return byEmail;
  }
}

function refusalReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token_expired';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp') return 'token_without_expiry';
  return 'token_invalid';
}
