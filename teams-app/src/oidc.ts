/**
 * Sign-in outside Teams: OpenID Connect authorization code flow with PKCE (RFC 7636), the flow a
 * single-page app registration in Entra ID uses. The verifier and state live in sessionStorage for
 * the round trip only; tokens live in sessionStorage (gone with the tab), never in localStorage.
 */
export interface OidcConfig {
  mode: 'oidc';
  clientId: string;
  scope: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

interface Pending { state: string; verifier: string; returnTo: string }
interface Tokens { accessToken: string; expiresAt: number; refreshToken?: string }

const PENDING_KEY = 'lamplight-oidc-pending';
const TOKENS_KEY = 'lamplight-oidc-tokens';
/** Ask for a new token this long before the old one expires. */
const EARLY_MS = 60_000;

export class SignInError extends Error {}

const redirectUri = () => `${location.origin}/app/`;

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

async function challengeFor(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

function readJson<T>(key: string): T | undefined {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Leaves for the identity provider; the page comes back to /app/ with a code. */
export async function beginSignIn(config: OidcConfig): Promise<never> {
  const pending: Pending = { state: randomString(), verifier: randomString(), returnTo: location.hash };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(config.authorizationEndpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    response_type: 'code',
    redirect_uri: redirectUri(),
    scope: config.scope,
    state: pending.state,
    nonce: randomString(),
    code_challenge: await challengeFor(pending.verifier),
    code_challenge_method: 'S256',
    response_mode: 'query',
  }).toString();
  location.assign(url.toString());
  return new Promise<never>(() => undefined);
}

/** True when this page load is the provider sending the browser back (with a code or an error). */
export function isReturnFromProvider(): boolean {
  const params = new URLSearchParams(location.search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

/**
 * Finishes the round trip: the state must be the one this tab sent, then the code and the
 * verifier are exchanged for tokens. The code leaves the address bar whatever happens.
 */
export async function completeSignIn(config: OidcConfig): Promise<void> {
  const params = new URLSearchParams(location.search);
  const pending = readJson<Pending>(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', `${location.pathname}${pending?.returnTo ?? ''}`);
  if (!pending || params.get('state') !== pending.state) throw new SignInError('The sign-in could not be checked (it was started in another tab, or it is stale). Sign in again.');
  const error = params.get('error');
  if (error) throw new SignInError(`The identity provider refused the sign-in: ${params.get('error_description') ?? error}`);
  await requestTokens(config, { grant_type: 'authorization_code', code: params.get('code') ?? '', redirect_uri: redirectUri(), code_verifier: pending.verifier });
}

async function requestTokens(config: OidcConfig, grant: Record<string, string>): Promise<Tokens> {
  let response: Response;
  try {
    response = await fetch(config.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: config.clientId, scope: config.scope, ...grant }).toString(),
    });
  } catch {
    throw new SignInError('The identity provider cannot be reached. Check the connection and sign in again.');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new SignInError(`The identity provider did not issue a token${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}.`);
  }
  const tokens: Tokens = {
    accessToken: body.access_token,
    expiresAt: Date.now() + (Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600) * 1000,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
  };
  sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  return tokens;
}

export function hasSession(): boolean {
  const tokens = readJson<Tokens>(TOKENS_KEY);
  return Boolean(tokens && (tokens.expiresAt > Date.now() + EARLY_MS || tokens.refreshToken));
}

/** A fresh access token: the stored one, else refreshed, else back to the provider. */
export function tokenSource(config: OidcConfig): () => Promise<string> {
  let refreshing: Promise<Tokens> | undefined;
  return async () => {
    const tokens = readJson<Tokens>(TOKENS_KEY);
    if (tokens && tokens.expiresAt > Date.now() + EARLY_MS) return tokens.accessToken;
    if (tokens?.refreshToken) {
      refreshing ??= requestTokens(config, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken }).finally(() => { refreshing = undefined; });
      try {
        return (await refreshing).accessToken;
      } catch { /* refresh refused or expired: sign in again */ }
    }
    sessionStorage.removeItem(TOKENS_KEY);
    return beginSignIn(config);
  };
}

export function signOut(): void {
  sessionStorage.removeItem(TOKENS_KEY);
  sessionStorage.removeItem(PENDING_KEY);
}
