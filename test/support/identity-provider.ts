import { exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

interface Grant { email: string; clientId: string; redirectUri: string; challenge: string; scope: string; expiresAt: number }

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const base64Url = (b: Buffer) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * An identity provider for tests, independent of Lamplight's own dev one, on loopback: a JWKS and
 * tokens shaped like Entra ID's (iss, aud, oid, preferred_username). With `oidc` it is also an
 * OpenID Connect provider for a single-page app, as Entra ID is for one: discovery, an authorize
 * endpoint with a sign-in form, and a token endpoint for the authorization code grant with PKCE
 * (S256 only, codes single-use and short-lived, redirect URIs registered exactly) and refresh
 * tokens, answering with CORS headers as Entra ID does for SPA redirect URIs.
 */
export class TestIdentityProvider {
  issuer = 'https://login.test.example/tenant-0000/v2.0';
  readonly audience = 'api://lamplight-test';
  readonly clientId = 'spa-client-0001';
  private server!: Server;
  private key!: CryptoKey;
  private jwk!: JWK;
  private base = '';
  jwksUrl = '';
  /** Registered redirect URIs of the SPA client: anything else is refused, as Entra ID does. */
  readonly redirectUris = new Set<string>();
  /** Access token lifetime in seconds (short in tests of refreshing). */
  accessTokenSeconds = 3600;
  /** While true, every OpenID Connect endpoint answers 503 (an outage). */
  down = false;
  readonly requests: { path: string; grantType?: string; hadVerifier?: boolean }[] = [];
  private readonly codes = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, { email: string; clientId: string; scope: string }>();

  constructor(private readonly options: { oidc?: boolean } = {}) {}

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.key = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => this.json(res, 500, { error: 'server_error' })));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.jwksUrl = `${this.base}/keys`;
    if (this.options.oidc) this.issuer = `${this.base}/tenant-0000/v2.0`;
    return this;
  }

  /** `expiresIn: null` signs a token with no `exp` at all, which no real provider issues. */
  async token(email: string, overrides: { issuer?: string; audience?: string; expiresIn?: string | null; claims?: Record<string, unknown>; key?: CryptoKey } = {}): Promise<string> {
    const token = new SignJWT({ preferred_username: email, name: email, ...overrides.claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(overrides.issuer ?? this.issuer)
      .setAudience(overrides.audience ?? this.audience)
      .setSubject(`sub-${email}`)
      .setIssuedAt();
    if (overrides.expiresIn !== null) token.setExpirationTime(overrides.expiresIn ?? '1h');
    return token.sign(overrides.key ?? this.key);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const prefix = new URL(this.issuer).pathname;
    if (url.pathname === '/keys') return this.json(res, 200, { keys: [this.jwk] });
    if (!this.options.oidc) return this.json(res, 404, { error: 'not_found' });
    if (!url.pathname.endsWith('/token')) this.requests.push({ path: url.pathname });
    if (this.down) return this.json(res, 503, { error: 'temporarily_unavailable' });
    if (url.pathname === `${prefix}/.well-known/openid-configuration`) {
      return this.json(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.base}/tenant-0000/oauth2/v2.0/authorize`,
        token_endpoint: `${this.base}/tenant-0000/oauth2/v2.0/token`,
        jwks_uri: this.jwksUrl,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/tenant-0000/oauth2/v2.0/authorize' && req.method === 'GET') return this.authorizePage(url.searchParams, res);
    if (url.pathname === '/tenant-0000/oauth2/v2.0/authorize' && req.method === 'POST') return this.authorizeAnswer(new URLSearchParams(await body(req)), res);
    if (url.pathname === '/tenant-0000/oauth2/v2.0/token' && req.method === 'POST') return this.tokenEndpoint(req, new URLSearchParams(await body(req)), res);
    this.json(res, 404, { error: 'not_found' });
  }

  /** Checks the request; a bad client or redirect URI is never redirected to (RFC 6749 4.1.2.1). */
  private authorizePage(params: URLSearchParams, res: ServerResponse): void {
    const redirectUri = params.get('redirect_uri') ?? '';
    if (params.get('client_id') !== this.clientId || !this.redirectUris.has(redirectUri)) return this.page(res, 400, '<p>AADSTS50011: the redirect URI or client is not registered.</p>');
    const refuse = (error: string, description: string) => this.redirect(res, redirectUri, { error, error_description: description, state: params.get('state') ?? '' });
    if (params.get('response_type') !== 'code') return refuse('unsupported_response_type', 'only the code flow');
    if (params.get('code_challenge_method') !== 'S256' || !params.get('code_challenge')) return refuse('invalid_request', 'PKCE with S256 is required');
    if (!params.get('state')) return refuse('invalid_request', 'state is required');
    const hidden = ['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge'].map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(params.get(k) ?? '')}">`).join('');
    this.page(res, 200, `<h1>Test identity provider</h1><form method="post">${hidden}<label>Email <input name="email" type="email"></label><button name="action" value="sign-in">Sign in</button><button name="action" value="cancel">Cancel</button></form>`);
  }

  private authorizeAnswer(form: URLSearchParams, res: ServerResponse): void {
    const redirectUri = form.get('redirect_uri') ?? '';
    if (form.get('client_id') !== this.clientId || !this.redirectUris.has(redirectUri)) return this.page(res, 400, '<p>not registered</p>');
    const state = form.get('state') ?? '';
    if (form.get('action') === 'cancel') return this.redirect(res, redirectUri, { error: 'access_denied', error_description: 'AADSTS65004: User declined to consent to access the app.', state });
    const code = base64Url(randomBytes(24));
    this.codes.set(code, { email: form.get('email') ?? '', clientId: this.clientId, redirectUri, challenge: form.get('code_challenge') ?? '', scope: form.get('scope') ?? '', expiresAt: Date.now() + 60_000 });
    this.redirect(res, redirectUri, { code, state });
  }

  private async tokenEndpoint(req: IncomingMessage, form: URLSearchParams, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    const cors: Record<string, string> = origin ? { 'access-control-allow-origin': origin } : {};
    const grantType = form.get('grant_type') ?? '';
    this.requests.push({ path: '/token', grantType, hadVerifier: form.has('code_verifier') });
    const refuse = (description: string) => this.json(res, 400, { error: 'invalid_grant', error_description: description }, cors);
    if (form.get('client_id') !== this.clientId) return refuse('unknown client');
    let email: string;
    let scope: string;
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const grant = this.codes.get(code);
      this.codes.delete(code);
      if (!grant || grant.expiresAt < Date.now()) return refuse('AADSTS70008: the code has expired or was already used');
      if (grant.redirectUri !== form.get('redirect_uri')) return refuse('redirect_uri does not match');
      if (base64Url(createHash('sha256').update(form.get('code_verifier') ?? '').digest()) !== grant.challenge) return refuse('AADSTS501481: the code_verifier does not match the code_challenge');
      ({ email, scope } = grant);
    } else if (grantType === 'refresh_token') {
      const held = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!held) return refuse('AADSTS700082: the refresh token has expired');
      ({ email, scope } = held);
    } else {
      return this.json(res, 400, { error: 'unsupported_grant_type' }, cors);
    }
    // As Entra ID: a refresh token only when offline_access was asked for.
    const refreshToken = scope.split(' ').includes('offline_access') ? base64Url(randomBytes(24)) : undefined;
    if (refreshToken) this.refreshTokens.set(refreshToken, { email, clientId: this.clientId, scope });
    this.json(res, 200, {
      token_type: 'Bearer',
      scope,
      expires_in: this.accessTokenSeconds,
      access_token: await this.token(email, { expiresIn: `${this.accessTokenSeconds}s`, claims: { oid: `oid-${email}`, scp: 'access_as_user' } }),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    }, cors);
  }

  private json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(value));
  }

  private page(res: ServerResponse, status: number, html: string): void {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><title>Sign in</title><main>${html}</main></html>`);
  }

  private redirect(res: ServerResponse, uri: string, params: Record<string, string>): void {
    const target = new URL(uri);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    res.writeHead(302, { location: target.toString() });
    res.end();
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
