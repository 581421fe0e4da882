import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { BotAdapter, ResourceResponse, TurnContext } from 'botbuilder';
import type { Request, Response, Next, Server } from 'restify';
import type { Keyring } from '../../db/crypto';
import type { Database } from '../../db/database';
import type { WebchatSession } from '../../db/entities';
import { inboundActivity } from '../activity';
import { ChannelContext, ChannelModule, ChannelSender, OutboundText, ProviderError } from '../channel';
import { typingActivity } from './activities';
import { Created, DIRECT_LINE_BASE, DirectLine, isProblem, TOKEN_PATH, WebchatService } from './directline';
import type { ChatPageView } from './page/view';
import { EMPTY_CHAT_KEPT_MS, REDRIVE_AFTER_MS } from './policy';
import { activityId, ChatActivity, WebchatStore } from './store';
import { DirectLineStreams } from './stream';
import { WebchatTokens } from './tokens';

export type { WebchatService };

/** The page's renderer and files (adapters/webchat/page/). */
export interface ChatPage {
  render(view: ChatPageView): string;
  assets(): Map<string, { contentType: string; body: Buffer }>;
}

export interface WebchatSettings {
  db: Database;
  keyring: Keyring;
  now: () => number;
  services(): WebchatService[];
  /** What the service's page shows, now; undefined for an address no service has. */
  pageView(endpoint: string, embedded: boolean): ChatPageView | undefined;
  page?: ChatPage;
  clientAddress(req: Request | IncomingMessage): string;
  onForgedToken(req: Request | IncomingMessage): void;
  limits?: { perAddress?: number; perService?: number };
}

export type WebchatChannel = ChannelModule & {
  readonly store: WebchatStore;
  readonly directLine: DirectLine;
  /** Mounts Direct Line, the token route, the page and the stream on the server. */
  register(server: Server): void;
  /** restify `pre`: CORS for Direct Line and the token route, answered before any limit or body check. */
  pre(): (req: Request, res: Response, next: Next) => void;
  /** The service is writing a reply: the chat's open pages show "typing". */
  typing(endpoint: string, userId: string): Promise<void>;
  /** Closes the open sockets and stops the redrive: before the HTTP server closes, which waits for every connection. */
  stopLive(): Promise<void>;
};

const DL_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'Authorization, Content-Type, Accept, X-Requested-With, x-ms-bot-agent',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-expose-headers': 'Retry-After',
  'access-control-max-age': '600',
};

/**
 * Web chat: Lamplight is its own Direct Line service. A page (ours at /chat/<slug>, or Bot
 * Framework Web Chat on a trust's site) talks Direct Line 3.0; each post is kept, then handed to
 * the gateway exactly as an SMS is; what the service sends goes through the outbox to this
 * channel's sender, which writes it to the chat and pushes it to the open pages.
 */
export function createWebchatChannel(settings: WebchatSettings, context: ChannelContext): WebchatChannel {
  const store = new WebchatStore(settings.db, settings.keyring, settings.now);
  const tokens = new WebchatTokens(settings.keyring.tokenSigningKeys, settings.now);
  // The services config is read once at start: look services up by address without rebuilding this per request.
  const byEndpoint = new Map(settings.services().map((s) => [s.endpoint, s]));
  const gateway = new WebchatGatewayAdapter();
  let streams: DirectLineStreams | undefined;

  const deliver = async (session: WebchatSession, activity: ChatActivity) => {
    const turn = inboundActivity({
      channel: 'webchat',
      id: activityId(session.id, activity.seq),
      from: session.userId,
      to: session.endpoint,
      text: activity.text,
      serviceUrl: context.publicUrl(),
      timestamp: new Date(activity.createdAt),
      notRead: activity.notRead ? ['attachment'] : undefined,
    });
    await gateway.run(turn, (t) => context.runGateway(t));
    await store.markStored(session.id, activity.seq);
    context.onStored();
  };

  const directLine = new DirectLine({
    store, tokens, streams: () => streams!, publicUrl: () => context.publicUrl(),
    service: (endpoint) => byEndpoint.get(endpoint),
    services: () => settings.services(),
    deliver,
    clientAddress: settings.clientAddress,
    onForgedToken: settings.onForgedToken,
    limits: settings.limits,
  });
  directLine.received = async (session, watermark) => {
    for (const { outboxItemId, seq } of await store.markDeliveredUpTo(session.id, watermark)) {
      await context.onDeliveryStatus({ channel: 'webchat', providerMessageId: activityId(session.id, seq), outboxItemId, status: 'delivered' });
    }
  };
  streams = new DirectLineStreams({
    admit: (id, token, req) => directLine.admit(id, token, req),
    after: (session, watermark) => directLine.after(session, watermark),
    received: (session, watermark) => directLine.received(session, watermark),
    lastSeqs: (ids) => store.lastSeqs(ids),
    touch: (session) => store.touch(session),
    log: context.log,
  });

  // A post kept while the gateway could not take it (the database failed mid-way) is driven there
  // again. Each row on its own, with its own backoff: one that keeps failing (its service was
  // removed from the config) never holds up the others, and says so in the log.
  const failing = new Map<string, { attempts: number; nextAt: number }>();
  let redriving = false;
  let purgedAt = 0;
  const redrive = setInterval(() => {
    if (redriving) return;
    redriving = true;
    void (async () => {
      const now = settings.now();
      for (const activity of await store.unstored(now - REDRIVE_AFTER_MS)) {
        const key = `${activity.sessionId}:${activity.seq}`;
        const record = failing.get(key);
        if (record && record.nextAt > now) continue;
        try {
          const session = await store.session(activity.sessionId);
          if (session) await deliver(session, activity);
          failing.delete(key);
          context.log.info({ event: 'webchat.redriven', sessionId: activity.sessionId }, 'a kept web chat message reached the gateway');
        } catch (error) {
          const attempts = (record?.attempts ?? 0) + 1;
          failing.set(key, { attempts, nextAt: now + Math.min(10 * 60_000, REDRIVE_AFTER_MS * 2 ** attempts) });
          context.log[attempts >= 5 ? 'error' : 'warn']({ event: 'webchat.redrive_failed', sessionId: activity.sessionId, attempts, err: { name: (error as Error).name } }, 'web chat: a kept message has not reached the gateway yet');
        }
      }
      if (now - purgedAt > 60 * 60_000) {
        purgedAt = now;
        const purged = await store.purgeEmpty(now - EMPTY_CHAT_KEPT_MS);
        if (purged) context.log.info({ event: 'webchat.purged_empty', chats: purged }, 'web chats that never had a message were deleted');
      }
    })().catch((error) => context.log.warn({ event: 'webchat.redrive_failed', err: { name: (error as Error).name } }, 'web chat: the kept messages could not be read')).finally(() => (redriving = false));
  }, REDRIVE_AFTER_MS);
  redrive.unref();

  const sender: ChannelSender = {
    channel: 'webchat',
    async send(message: OutboundText) {
      if (message.template) throw new ProviderError('web chat has no templates', false, undefined, undefined, 'permanent');
      const session = await store.sessionOfUser(message.from, message.to);
      if (!session) throw new ProviderError('this web chat no longer exists', false, 404, undefined, 'permanent');
      const { activity } = await store.appendOutbound(session.id, { outboxItemId: message.outboxItemId, text: message.text, authorKind: message.authorKind ?? null });
      streams!.notify(session.id);
      return { providerMessageId: activityId(session.id, activity.seq) };
    },
  };

  const send = (res: Response, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  /** Direct Line answers: `{error: {code, message}}` for a refusal, as Microsoft's service does. */
  const dl = (handler: (req: Request) => Promise<unknown>, onFailure?: (req: Request) => unknown) => async (req: Request, res: Response) => {
    try {
      const answer = await handler(req);
      if (answer instanceof Created) send(res, 201, answer.body);
      else send(res, 200, answer);
    } catch (error) {
      if (isProblem(error)) return send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
      context.log.error({ event: 'webchat.error', route: req.getRoute?.()?.path, err: { name: (error as Error)?.name } }, 'web chat request failed');
      if (onFailure) return send(res, 200, onFailure(req));
      send(res, 503, { error: { code: 'ServiceError', message: 'the service is unavailable; try again shortly' } });
    }
  };
  const param = (req: Request, name: string) => String((req.params as Record<string, string>)[name] ?? '');

  return {
    channel: 'webchat',
    routes: [],
    sender,
    store,
    directLine,
    async typing(endpoint, userId) {
      const session = await store.sessionOfUser(endpoint, userId);
      const service = byEndpoint.get(endpoint);
      if (session && service) streams!.broadcast(session.id, typingActivity(session, service.name));
    },
    pre: () => (req, res, next) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path.startsWith(`${DIRECT_LINE_BASE}/`)) {
        for (const [name, value] of Object.entries(DL_CORS)) res.setHeader(name, value);
      } else {
        const token = TOKEN_PATH.exec(path);
        const origin = req.headers.origin;
        const service = token && byEndpoint.get(token[1]);
        if (!token) return next();
        // A trust's own site may ask for tokens from the browser (Web Chat embedded there): only the origins it lists.
        if (service && origin && service.embedOrigins.includes(origin)) {
          res.setHeader('access-control-allow-origin', origin);
          res.setHeader('access-control-allow-headers', 'Content-Type');
          res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
          res.setHeader('access-control-expose-headers', 'Retry-After');
        }
        res.setHeader('vary', 'Origin');
      }
      if (req.method === 'OPTIONS') {
        res.writeHead(204);
        res.end();
        return next(false);
      }
      next();
    },
    register(server: Server) {
      server.post('/api/webchat/:slug/token', dl(async (req) => directLine.pageToken(req, param(req, 'slug'))));
      server.post(`${DIRECT_LINE_BASE}/tokens/generate`, dl((req) => directLine.generate(req)));
      server.post(`${DIRECT_LINE_BASE}/tokens/refresh`, dl((req) => directLine.refresh(req)));
      server.post(`${DIRECT_LINE_BASE}/conversations`, dl((req) => directLine.start(req)));
      server.get(`${DIRECT_LINE_BASE}/conversations/:id`, dl((req) => directLine.reconnect(req, param(req, 'id'))));
      server.post(`${DIRECT_LINE_BASE}/conversations/:id/activities`, dl((req) => directLine.post(req, param(req, 'id'))));
      // A poll must not fail for a passing reason: the official client would stop polling for good.
      server.get(`${DIRECT_LINE_BASE}/conversations/:id/activities`, dl((req) => directLine.poll(req, param(req, 'id')), (req) => ({ activities: [], watermark: new URL(req.url ?? '/', 'http://x').searchParams.get('watermark') ?? '' })));
      server.post(`${DIRECT_LINE_BASE}/conversations/:id/upload`, dl(async () => {
        throw { status: 415, code: 'BadArgument', message: 'this chat takes typed messages only' };
      }));
      server.get(`${DIRECT_LINE_BASE}/session/getsessionid`, dl(async () => {
        throw { status: 404, code: 'NotFound', message: 'no sign-in sessions here' };
      }));
      (server.server as HttpServer).on('upgrade', (req, socket, head) => {
        if (!streams!.handleUpgrade(req, socket, head)) socket.destroy();
      });
      if (settings.page) registerPage(server, settings.page, settings, byEndpoint, context);
    },
    async stopLive() {
      clearInterval(redrive);
      await streams!.close();
    },
    async close() {
      await this.stopLive();
    },
  };
}

/** The service user's page and its files. Its CSP names who may frame it: the service's own sites only. */
function registerPage(server: Server, page: ChatPage, settings: WebchatSettings, byEndpoint: ReadonlyMap<string, WebchatService>, context: ChannelContext): void {
  // Compressed once at start: the page's scripts and styles are about 625 KB, 115 KB gzipped, and
  // many young people read it on a phone's data allowance.
  const assets = new Map([...page.assets()].map(([name, asset]) => [name, { ...asset, gzipped: gzipSync(asset.body, { level: 9 }) }]));
  server.get('/chat/assets/:name', async (req: Request, res: Response) => {
    const asset = assets.get(String((req.params as Record<string, string>).name));
    if (!asset) return void res.send(404);
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && asset.gzipped.length < asset.body.length;
    res.writeHead(200, {
      'content-type': asset.contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', vary: 'Accept-Encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(gzip ? asset.gzipped : asset.body);
  });
  server.get('/chat/:slug', async (req: Request, res: Response) => {
    const endpoint = String((req.params as Record<string, string>).slug);
    const embedded = new URL(req.url ?? '/', 'http://x').searchParams.get('embed') === '1';
    const view = settings.pageView(endpoint, embedded);
    const service = byEndpoint.get(endpoint);
    if (!view || !service) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('No service has a web chat here.');
    }
    // The page's client talks to the public address (the streamUrl names it), wherever the page was opened.
    const origin = new URL(context.publicUrl()).origin;
    const ws = origin.replace(/^http/, 'ws');
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      // Leaves nothing behind in the browser's cache.
      'cache-control': 'no-store',
      'content-security-policy': [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", `connect-src 'self' ${origin} ${ws}`, "font-src 'self'",
        `frame-ancestors ${["'self'", ...service.embedOrigins].join(' ')}`, "base-uri 'none'", "form-action 'none'", "object-src 'none'",
      ].join('; '),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(page.render(view));
  });
}

/** Hands a kept post to the gateway as a turn; web chat's replies go through the outbox, never from inside a turn. */
class WebchatGatewayAdapter extends BotAdapter {
  async run(activity: ReturnType<typeof inboundActivity>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    await this.runMiddleware(new TurnContext(this, activity), logic);
  }

  async sendActivities(): Promise<ResourceResponse[]> {
    throw new Error('web chat replies go through the outbox, never from inside a turn');
  }

  async continueConversation(): Promise<void> {
    throw new Error('web chat replies go through the outbox');
  }

  async updateActivity(): Promise<void> {
    throw new Error('web chat messages cannot be edited once sent');
  }

  async deleteActivity(): Promise<void> {
    throw new Error('web chat messages cannot be deleted once sent');
  }
}
