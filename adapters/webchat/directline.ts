import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import type { Request } from 'restify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { WebchatSession } from '../../db/entities';
import { INBOUND_TEXT_LIMITS } from '../channel';
import { DirectLineActivity, toDirectLine } from './activities';
import { constantTimeEqual } from '../../db/crypto';
import { CLIENT_ACTIVITY_ID, TOKENS_PER_MINUTE_PER_ADDRESS, TOKENS_PER_MINUTE_PER_SERVICE } from './policy';
import { activityId, ChatActivity, WebchatStore } from './store';
import { DirectLineStreams, parseWatermark } from './stream';
import { bearer, WebchatTokens } from './tokens';

/** A service as web chat knows it. */
export interface WebchatService {
  /** Its web chat address (`channels.webchat`): in the page's and the token's URL. */
  endpoint: string;
  name: string;
  /** Origins allowed to frame the page and to ask for tokens from the browser (besides this server). */
  embedOrigins: string[];
  /** The Direct Line secret a trust's own server may use (tokens/generate), when configured. */
  secret?: string;
}

export interface DirectLineOptions {
  store: WebchatStore;
  tokens: WebchatTokens;
  streams: () => DirectLineStreams;
  service(endpoint: string): WebchatService | undefined;
  services(): WebchatService[];
  publicUrl(): string;
  /** The young person's post, kept: hands it to the gateway; resolves once it is stored as a message. */
  deliver(session: WebchatSession, activity: ChatActivity): Promise<void>;
  /** The client's address for the token endpoint's limit (behind TRUST_PROXY_HOPS proxies). */
  clientAddress(req: Request | IncomingMessage): string;
  /** A token that fails its signature check is a forgery: counted like a failed sign-in. */
  onForgedToken(req: Request | IncomingMessage): void;
  limits?: { perAddress?: number; perService?: number };
}

/** Posts per minute one chat may make (a person types far fewer; a runaway script is stopped). */
const POSTS_PER_MINUTE_PER_CHAT = 60;

export const DIRECT_LINE_BASE = '/v3/directline';
export const TOKEN_PATH = /^\/api\/webchat\/([a-z0-9]+(?:-[a-z0-9]+)*)\/token$/;

type Problem = { status: number; code: string; message: string; headers?: Record<string, string> };
const problem = (status: number, code: string, message: string, headers?: Record<string, string>): Problem => ({ status, code, message, headers });

/**
 * Direct Line 3.0, as Microsoft's own clients speak it (PROTOCOL.md): tokens, conversations,
 * activities and the WebSocket stream, served from our own store. A token opens one chat only;
 * no secret ever reaches a browser (pages get tokens from POST /api/webchat/<slug>/token).
 */
export class DirectLine {
  private readonly tokensPerAddress: RateLimiterMemory;
  private readonly tokensPerService: RateLimiterMemory;
  private readonly postsPerChat = new RateLimiterMemory({ points: POSTS_PER_MINUTE_PER_CHAT, duration: 60 });

  constructor(private readonly o: DirectLineOptions) {
    this.tokensPerAddress = new RateLimiterMemory({ points: o.limits?.perAddress ?? TOKENS_PER_MINUTE_PER_ADDRESS, duration: 60 });
    this.tokensPerService = new RateLimiterMemory({ points: o.limits?.perService ?? TOKENS_PER_MINUTE_PER_SERVICE, duration: 60 });
  }

  /** `POST /api/webchat/<slug>/token`: a new chat, or (with its resume secret) a fresh token for the page's own chat. */
  async pageToken(req: Request, endpoint: string): Promise<unknown> {
    const service = this.o.service(endpoint);
    if (!service) throw problem(404, 'not_found', 'no service has a web chat here');
    const origin = header(req, 'origin');
    if (origin && !this.originAllowed(req, origin, service)) throw problem(403, 'forbidden', 'this site may not start a chat with the service');
    await this.limit(this.tokensPerAddress, addressKey(this.o.clientAddress(req)));
    const body = (req.body ?? {}) as { conversationId?: unknown; resume?: unknown };
    if (typeof body !== 'object' || Array.isArray(body)) throw problem(400, 'bad_request', 'send a JSON object: {} for a new chat, or {conversationId, resume} for your own');
    if (body.conversationId !== undefined || body.resume !== undefined) {
      if (typeof body.conversationId !== 'string' || typeof body.resume !== 'string' || body.resume.length > 100) throw problem(400, 'bad_request', 'conversationId and resume must both be strings');
      const session = await this.o.store.resume(service.endpoint, body.conversationId, body.resume);
      if (!session) throw problem(403, 'forbidden', 'that chat cannot be resumed: start a new one');
      return { ...this.o.tokens.issue({ conversationId: session.id, userId: session.userId, endpoint: session.endpoint }), conversationId: session.id, userId: session.userId };
    }
    // Only new chats count against the service's limit: a page coming back to its own chat is never refused for others' load.
    await this.limit(this.tokensPerService, service.endpoint);
    const { session, resume } = await this.o.store.open(service.endpoint);
    return { ...this.o.tokens.issue({ conversationId: session.id, userId: session.userId, endpoint: session.endpoint }), conversationId: session.id, userId: session.userId, resume };
  }

  /** `POST /v3/directline/tokens/generate` with a service's Direct Line secret: a token for a new chat. */
  async generate(req: Request): Promise<unknown> {
    const service = this.serviceBySecret(req);
    if (!service) throw this.forbidden(req, 'tokens/generate takes a service\'s Direct Line secret; a page gets its token from /api/webchat/<slug>/token');
    const { session } = await this.o.store.open(service.endpoint);
    return { conversationId: session.id, ...this.o.tokens.issue({ conversationId: session.id, userId: session.userId, endpoint: session.endpoint }) };
  }

  /** `POST /v3/directline/tokens/refresh`: the same chat, a new expiry. */
  async refresh(req: Request): Promise<unknown> {
    const session = await this.authorised(req);
    return { conversationId: session.id, ...this.o.tokens.issue({ conversationId: session.id, userId: session.userId, endpoint: session.endpoint }) };
  }

  /** `POST /v3/directline/conversations`: the token's chat (200; it was made with the token), or a new one with a secret (201). */
  async start(req: Request): Promise<unknown> {
    const service = this.serviceBySecret(req);
    if (service) {
      const { session } = await this.o.store.open(service.endpoint);
      return new Created(this.conversation(session, session.lastSeq));
    }
    const session = await this.authorised(req);
    // A page starting with a token whose chat already has messages sees all of them (a new chat has none).
    return this.conversation(session, 0);
  }

  /** `GET /v3/directline/conversations/:id?watermark=`: reconnect; the new streamUrl replays from the watermark. */
  async reconnect(req: Request, conversationId: string): Promise<unknown> {
    const session = await this.authorised(req, conversationId);
    const watermark = parseWatermark(query(req, 'watermark'));
    if (watermark === undefined) throw problem(400, 'BadArgument', 'the watermark is not one this server gave');
    // The client had everything up to its watermark.
    if (watermark) await this.received(session, watermark);
    return this.conversation(session, watermark ?? session.lastSeq);
  }

  /** `POST /v3/directline/conversations/:id/activities`: the young person's message, kept, then given to the gateway. */
  async post(req: Request, conversationId: string): Promise<unknown> {
    const session = await this.authorised(req, conversationId);
    const activity = (req.body ?? {}) as { type?: unknown; text?: unknown; attachments?: unknown; channelData?: { clientActivityID?: unknown } };
    if (typeof activity !== 'object' || Array.isArray(activity)) throw problem(400, 'BadArgument', 'send an activity as a JSON object');
    // Typing and events carry nothing for the service: taken, not kept.
    if (activity.type !== 'message') return { id: `${session.id}|${activity.type === 'typing' ? 't' : 'e'}${randomBytes(6).toString('hex')}` };
    const text = typeof activity.text === 'string' ? activity.text : '';
    const attachments = Array.isArray(activity.attachments) ? activity.attachments.length : 0;
    const limit = INBOUND_TEXT_LIMITS.get('webchat')!;
    if (text.length > limit) throw problem(400, 'BadArgument', `a message can be at most ${limit} characters`);
    if (!text.trim() && !attachments) throw problem(400, 'BadArgument', 'a message needs text');
    const clientId = activity.channelData?.clientActivityID;
    if (clientId !== undefined && (typeof clientId !== 'string' || !CLIENT_ACTIVITY_ID.test(clientId))) throw problem(400, 'BadArgument', 'channelData.clientActivityID must be 1 to 100 letters, digits or ._:-');
    await this.limit(this.postsPerChat, session.id);
    const { activity: kept } = await this.o.store.appendInbound(session.id, {
      dedupeKey: clientId ? `c:${clientId}` : `r:${randomBytes(12).toString('hex')}`,
      // What Lamplight does not read (files, cards) is named in the text, as on the other channels.
      text: attachments ? `[attachment]${text.trim() ? ` ${text}` : ''}` : text,
      notRead: attachments > 0,
    });
    this.o.streams().notify(session.id);
    if (kept.storedAt === null) {
      try {
        await this.o.deliver(session, kept);
      } catch {
        // Kept already, and driven to the gateway again shortly: the page may send it again (same
        // clientActivityID), which finds it; nothing is lost or doubled.
        throw problem(503, 'ServiceError', 'your message is saved but not yet with the service; it will be sent on');
      }
    }
    return { id: activityId(kept.sessionId, kept.seq) };
  }

  /** `GET /v3/directline/conversations/:id/activities?watermark=`: polling. Never slow, never a 5xx for a passing reason (the client would stop). */
  async poll(req: Request, conversationId: string): Promise<unknown> {
    const session = await this.authorised(req, conversationId);
    const watermark = parseWatermark(query(req, 'watermark'));
    if (watermark === undefined) throw problem(400, 'BadArgument', 'the watermark is not one this server gave');
    // A poll's watermark says what the page already has: the service's messages up to it are delivered.
    if (watermark) await this.received(session, watermark);
    const page = await this.after(session, watermark ?? 0);
    await this.o.store.touch(session);
    return { activities: page.activities, watermark: String(page.watermark) };
  }

  /** The activities after a watermark, for a poll or a socket. */
  async after(session: WebchatSession, watermark: number): Promise<{ activities: DirectLineActivity[]; watermark: number }> {
    const rows = await this.o.store.after(session.id, watermark);
    const name = this.o.service(session.endpoint)?.name ?? '';
    return { activities: rows.map((r) => toDirectLine(r, session, name)), watermark: rows.length ? rows[rows.length - 1].seq : watermark };
  }

  /** Filled in by the channel: a page has everything up to the watermark; tells the outbox which of the service's messages it now has. */
  received: (session: WebchatSession, watermark: number) => Promise<void> = async () => undefined;

  /** The chat a stream may open: only with the stream token its streamUrl carries. */
  async admit(conversationId: string, token: string | undefined, req: IncomingMessage): Promise<WebchatSession | 'forbidden' | 'not_found'> {
    const verdict = this.o.tokens.verify(token, 'stream');
    if (!('claims' in verdict)) {
      if (verdict.problem === 'invalid') this.o.onForgedToken(req);
      return 'forbidden';
    }
    if (verdict.claims.conversationId !== conversationId) return 'forbidden';
    const session = await this.o.store.session(conversationId);
    return session && session.endedAt === null ? session : 'not_found';
  }

  /**
   * A chat's start or reconnect answer. The streamUrl carries its own token, which opens that
   * socket only and only for a minute: URLs end up in proxies' access logs, chat tokens must not.
   */
  private conversation(session: WebchatSession, watermark: number) {
    const chat = { conversationId: session.id, userId: session.userId, endpoint: session.endpoint };
    const issued = this.o.tokens.issue(chat);
    const base = this.o.publicUrl().replace(/^http/, 'ws').replace(/\/$/, '');
    const streamUrl = `${base}${DIRECT_LINE_BASE}/conversations/${session.id}/stream?watermark=${watermark}&t=${encodeURIComponent(this.o.tokens.issue(chat, 'stream').token)}`;
    return { conversationId: session.id, ...issued, streamUrl };
  }

  /** The token's chat; 403 for a missing, forged, expired or foreign token, 404 for a chat that is gone. */
  private async authorised(req: Request, conversationId?: string): Promise<WebchatSession> {
    const verdict = this.o.tokens.verify(bearer(req.headers.authorization));
    if (!('claims' in verdict)) {
      if (verdict.problem === 'invalid') this.o.onForgedToken(req);
      throw problem(403, verdict.problem === 'expired' ? 'TokenExpired' : 'Forbidden', verdict.problem === 'expired' ? 'the token has expired' : 'a valid token is needed');
    }
    if (conversationId !== undefined && verdict.claims.conversationId !== conversationId) throw problem(403, 'Forbidden', 'this token is for another conversation');
    const session = await this.o.store.session(verdict.claims.conversationId);
    if (!session || session.endedAt !== null) throw problem(404, 'NotFound', 'this conversation has ended');
    return session;
  }

  private serviceBySecret(req: Request): WebchatService | undefined {
    const given = bearer(req.headers.authorization);
    if (!given || given.split('.').length === 3) return undefined;
    return this.o.services().find((s) => s.secret !== undefined && constantTimeEqual(s.secret, given));
  }

  private forbidden(req: Request, message: string): Problem {
    if (bearer(req.headers.authorization)) this.o.onForgedToken(req);
    return problem(403, 'Forbidden', message);
  }

  private originAllowed(req: Request, origin: string, service: WebchatService): boolean {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    return host === header(req, 'host') || origin === new URL(this.o.publicUrl()).origin || service.embedOrigins.includes(origin);
  }

  private async limit(limiter: RateLimiterMemory, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (limited) {
      const seconds = Math.max(1, Math.ceil((limited instanceof RateLimiterRes ? limited.msBeforeNext : 1000) / 1000));
      throw problem(429, 'TooManyRequests', `too many requests; try again in ${seconds} s`, { 'retry-after': String(seconds) });
    }
  }
}

/** An answer that made something new: 201. */
export class Created {
  constructor(readonly body: unknown) {}
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as Problem).status === 'number' && typeof (value as Problem).code === 'string';
}

/** The key an address is limited by: IPv6 by its /64 (one household or phone holds a whole /64), IPv4 as it is. */
export function addressKey(address: string): string {
  const plain = address.replace(/^::ffff:/i, '');
  if (!isIPv6(plain)) return plain;
  const [head] = plain.split('%');
  const halves = head.split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function query(req: Request, name: string): string | null {
  return new URL(req.url ?? '/', 'http://x').searchParams.get(name);
}
