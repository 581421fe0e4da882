import type { Logger } from 'pino';
import type { WebSignInSettings } from '../../config/settings';

/** What the tab needs to sign in outside Teams; public information, served without a token. */
export type SignInConfig =
  | { mode: 'dev' }
  | { mode: 'teams-only' }
  | { mode: 'oidc'; clientId: string; scope: string; authorizationEndpoint: string; tokenEndpoint: string };

interface Discovery {
  authorization_endpoint?: unknown;
  token_endpoint?: unknown;
  code_challenge_methods_supported?: unknown;
}

/**
 * The browser sign-in (authorization code + PKCE, as Entra ID's single-page-app registrations
 * expect). The server reads the provider's discovery document once, so the tab gets the two
 * endpoints and the page's Content-Security-Policy can allow exactly the token endpoint.
 * A provider that is down at start-up is asked again on the next request, not cached as broken.
 */
export class WebSignIn {
  private discovered: Promise<SignInConfig> | undefined;
  private known: SignInConfig | undefined;

  constructor(private readonly settings: WebSignInSettings | undefined, private readonly mode: 'dev' | 'token-only', private readonly log: Logger) {}

  /** Starts discovery early so the first page load already has its CSP. */
  warm(): void {
    if (this.settings) void this.config().catch(() => undefined);
  }

  async config(): Promise<SignInConfig> {
    if (this.mode === 'dev') return { mode: 'dev' };
    if (!this.settings) return { mode: 'teams-only' };
    if (this.known) return this.known;
    this.discovered ??= this.discover(this.settings).then(
      (config) => (this.known = config),
      (error: Error) => {
        this.discovered = undefined;
        this.log.error({ event: 'sign_in.discovery_failed', err: { name: error.name, message: error.message } }, 'OpenID Connect discovery failed');
        throw error;
      },
    );
    return this.discovered;
  }

  /** Origins the tab may fetch besides its own: the token endpoint, once known. */
  connectOrigins(): string[] {
    return this.known?.mode === 'oidc' ? [new URL(this.known.tokenEndpoint).origin] : [];
  }

  private async discover(settings: WebSignInSettings): Promise<SignInConfig> {
    const url = `${settings.authority}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const document = (await response.json()) as Discovery;
    const endpoint = (value: unknown, name: string) => {
      if (typeof value !== 'string' || !/^https?:\/\//.test(value)) throw new Error(`${url} has no usable ${name}`);
      return value;
    };
    const methods = document.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) throw new Error(`${url} does not support PKCE with S256`);
    return {
      mode: 'oidc',
      clientId: settings.clientId,
      scope: settings.scope,
      authorizationEndpoint: endpoint(document.authorization_endpoint, 'authorization_endpoint'),
      tokenEndpoint: endpoint(document.token_endpoint, 'token_endpoint'),
    };
  }
}
