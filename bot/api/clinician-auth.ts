import { createRemoteJWKSet, JWTPayload, jwtVerify } from 'jose';
import { Database } from '../../db/database';
import { Role, ServiceMembership, StaffMember } from '../../db/entities';
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

const unauthorised = (message: string) => new HttpError(401, 'unauthorised', message, { 'www-authenticate': 'Bearer' });

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
    if (!match) throw unauthorised('a bearer token is required');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(match[1], this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ['RS256', 'ES256'],
        clockTolerance: 60,
      }));
    } catch {
      throw unauthorised('the bearer token is not valid');
    }
    const staff = await this.findStaff(claims);
    if (!staff) throw new HttpError(403, 'not_staff', 'this account is not registered as Lamplight staff');
    const memberships = await this.db.manager.find(ServiceMembership, { where: { staffId: staff.id } });
    return { id: staff.id, email: staff.email, name: staff.name, memberships: memberships.map((m) => ({ serviceSlug: m.serviceSlug, role: m.role })) };
  }

  private async findStaff(claims: JWTPayload): Promise<StaffMember | null> {
    const oid = typeof claims.oid === 'string' ? claims.oid : undefined;
    if (oid) {
      const byOid = await this.db.manager.findOneBy(StaffMember, { oid });
      if (byOid) return byOid;
    }
    const email = [claims.email, claims.preferred_username, claims.upn].find((v): v is string => typeof v === 'string' && v.includes('@'));
    if (!email) return null;
    const byEmail = await this.db.manager.findOneBy(StaffMember, { email: email.toLowerCase() });
    // First sign-in with an Entra token binds the object id, so a later change of email keeps access.
    if (byEmail && oid && !byEmail.oid) await this.db.manager.update(StaffMember, { id: byEmail.id }, { oid });
    return byEmail;
  }
}
