import { exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * An identity provider for tests, independent of Lamplight's own dev one: a JWKS on loopback and
 * tokens shaped like Entra ID's (iss, aud, oid, preferred_username).
 */
export class TestIdentityProvider {
  readonly issuer = 'https://login.test.example/tenant-0000/v2.0';
  readonly audience = 'api://lamplight-test';
  private server!: Server;
  private key!: CryptoKey;
  private jwk!: JWK;
  jwksUrl = '';

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.key = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    this.server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [this.jwk] }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.jwksUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/keys`;
    return this;
  }

  async token(email: string, overrides: { issuer?: string; audience?: string; expiresIn?: string; claims?: Record<string, unknown>; key?: CryptoKey } = {}): Promise<string> {
    return new SignJWT({ preferred_username: email, name: email, ...overrides.claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(overrides.issuer ?? this.issuer)
      .setAudience(overrides.audience ?? this.audience)
      .setSubject(`sub-${email}`)
      .setIssuedAt()
      .setExpirationTime(overrides.expiresIn ?? '1h')
      .sign(overrides.key ?? this.key);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
