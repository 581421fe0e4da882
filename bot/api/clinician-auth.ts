import { createRemoteJWKSet, errors, JWTPayload, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';
import { Database } from '../../db/database';
import { Role, ServiceMembership, StaffMember } from '../../db/entities';
import type { SignInRefusal } from '../audit';
import { HttpError } from './http-error';

export interface StaffIdentity {
  id: string;
  email: string;
  name: string;
  memberships: { serviceSlug: string; role: Role }[];
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
 * naming a staff member by `oid`, else by email.
 */
export class ClinicianAuth {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: TokenSettings, private readonly db: Database) {
    this.keys = createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5000 });
  }

  async authenticate(authorization: string | undefined): Promise<StaffIdentity> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw unauthorised(authorization ? 'token_malformed' : 'token_missing', 'a bearer token is required');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(match[1], this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ['RS256', 'ES256'],
        clockTolerance: 60,
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
    // First sign-in with an Entra token binds the object id, so a later change of email keeps access.
    if (oid && !byEmail.oid) await this.db.manager.update(StaffMember, { id: byEmail.id }, { oid });
    return byEmail;
  }
}

function refusalReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token_expired';
  return 'token_invalid';
}
