import { createHmac, timingSafeEqual } from 'node:crypto';
import { STREAM_TOKEN_LIFETIME_S, TOKEN_LIFETIME_S } from './policy';

/** What a token may do: a chat token works every Direct Line route; a stream token only opens the socket. */
export type TokenScope = 'chat' | 'stream';

/** What a web chat token says: which chat, which user, until when. */
export interface WebchatClaims {
  /** The Direct Line conversationId: the only chat this token opens. */
  conversationId: string;
  /** The contact's user id in that chat; Web Chat reads it from the `user` claim. */
  userId: string;
  /** The service's web chat address. */
  endpoint: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  scope: TokenScope;
}

const ISSUER = 'lamplight';
const AUDIENCE = 'lamplight-directline';
const b64 = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * Short-lived, signed tokens scoped to one chat: a compact JWT (HS256) so that Bot Framework Web
 * Chat can read the user id from it, as it does from Microsoft's own Direct Line tokens. The key
 * is derived from the data key and never leaves the server.
 */
export class WebchatTokens {
  /** `keys`: the current signing key first, then those derived from previous data keys (still recognised, as expired). */
  constructor(private readonly keys: Buffer[], private readonly nowMs: () => number) {}

  issue(chat: { conversationId: string; userId: string; endpoint: string }, scope: TokenScope = 'chat'): { token: string; expires_in: number } {
    const iat = Math.floor(this.nowMs() / 1000);
    const life = scope === 'chat' ? TOKEN_LIFETIME_S : STREAM_TOKEN_LIFETIME_S;
    const header = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, conv: chat.conversationId, user: chat.userId, ep: chat.endpoint, scope, iat, exp: iat + life }));
    return { token: `${header}.${payload}.${this.sign(this.keys[0], `${header}.${payload}`)}`, expires_in: life };
  }

  /**
   * The claims of a genuine, unexpired token of this scope; otherwise why not. A token signed with
   * a previous data key (before a rotation) is expired, not forged: the page gets a new one.
   */
  verify(token: string | undefined, scope: TokenScope = 'chat'): { claims: WebchatClaims } | { problem: 'missing' | 'invalid' | 'expired' } {
    if (!token) return { problem: 'missing' };
    const parts = token.split('.');
    if (parts.length !== 3 || token.length > 2048) return { problem: 'invalid' };
    const given = Buffer.from(parts[2]);
    const signedBy = this.keys.findIndex((key) => {
      const expected = Buffer.from(this.sign(key, `${parts[0]}.${parts[1]}`));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (signedBy < 0) return { problem: 'invalid' };
    if (signedBy > 0) return { problem: 'expired' };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return { problem: 'invalid' };
    }
    if (body.iss !== ISSUER || body.aud !== AUDIENCE || typeof body.conv !== 'string' || typeof body.user !== 'string' || typeof body.ep !== 'string' || typeof body.exp !== 'number') return { problem: 'invalid' };
    // A stream token is not a chat token (it travels in a URL), nor the other way round.
    if (body.scope !== scope) return { problem: 'invalid' };
    if (body.exp * 1000 <= this.nowMs()) return { problem: 'expired' };
    return { claims: { conversationId: body.conv, userId: body.user, endpoint: body.ep, exp: body.exp, scope } };
  }

  private sign(key: Buffer, input: string): string {
    return createHmac('sha256', key).update(input).digest('base64url');
  }
}

/** The bearer token of a request's Authorization header. */
export function bearer(authorization: string | string[] | undefined): string | undefined {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
  return match?.[1];
}
