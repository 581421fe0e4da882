import { exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';
import { createHash, randomUUID } from 'node:crypto';

export const DEV_AUDIENCE = 'api://lamplight-dev';

/**
 * The embedded default's identity provider: signs clinician tokens for demo staff so the real
 * token check (JWKS over HTTP, issuer, audience) runs unchanged. Never in production.
 */
export class DevIdentityProvider {
  private constructor(readonly issuer: string, private readonly privateKey: CryptoKey, private readonly publicJwk: JWK) {}

  static async create(publicUrl: string, nodeEnv = process.env.NODE_ENV): Promise<DevIdentityProvider> {
    if (nodeEnv === 'production') throw new Error('the dev identity provider refuses to run with NODE_ENV=production; set AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL');
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
    return new DevIdentityProvider(`${publicUrl.replace(/\/$/, '')}/dev/idp`, privateKey, publicJwk);
  }

  get jwksPath(): string {
    return '/dev/idp/jwks.json';
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async issue(user: { email: string; name: string }, lifetimeSeconds = 8 * 3600): Promise<string> {
    return new SignJWT({ email: user.email, name: user.name, preferred_username: user.email, oid: devObjectId(user.email) })
      .setProtectedHeader({ alg: 'RS256', kid: this.publicJwk.kid })
      .setIssuer(this.issuer)
      .setAudience(DEV_AUDIENCE)
      .setSubject(user.email)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(this.privateKey);
  }
}

/**
 * A demo staff member's stable object id, as Entra ID would give one: the same email always gets
 * the same id (the sign-in binds it to the staff row, and a restart must not change it), so the
 * bot can know them in Teams too.
 */
export function devObjectId(email: string): string {
  const h = createHash('sha256').update(`lamplight-dev:${email.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
