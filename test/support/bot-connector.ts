import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** One call the bot made to the Bot Connector, as Teams received it. */
export interface ConnectorCall {
  method: string;
  path: string;
  /** The conversation named in the path (a channel, `<channel>;messageid=<root>` for a thread, or a personal chat). */
  conversationId: string;
  /** The activity id in the path: the message updated (PUT) or replied to (POST …/activities/<id>). */
  activityId?: string;
  /** For a new message (POST): the id the connector gave it. */
  postedId?: string;
  body: any;
  at: number;
}

export type InjectedFailure = number | { status: number; retryAfterSeconds?: number };

/**
 * A stand-in for the Bot Connector service (the `serviceUrl` Teams gives the bot), on loopback,
 * speaking its REST shape: POST /v3/conversations/{id}/activities (a new message; answers its id),
 * POST …/activities/{id} (a reply), PUT …/activities/{id} (an update of a message the bot posted;
 * 404 if there is no such message), POST /v3/conversations (a new personal chat), and GET
 * /v3/teams/{id} and /v3/teams/{id}/conversations (a team's name and channels). It keeps what
 * each message shows now, so a test reads a card as the channel would show it after its updates.
 */
export class FakeBotConnector {
  readonly calls: ConnectorCall[] = [];
  /** Statuses to answer the next calls with instead of taking them (Bot Connector error shape), with a Retry-After if given. */
  readonly failures: InjectedFailure[] = [];
  readonly refusedAt: number[] = [];
  /** Like `failures`, but only for calls to one conversation (a person's chat, a channel). */
  readonly failuresFor = new Map<string, InjectedFailure[]>();
  /** What each message the bot posted shows now, by activity id. */
  readonly messages = new Map<string, { conversationId: string; activity: any; updates: number }>();
  /** The team's channels (besides General, whose id is the team's) and its name, as Teams lists them. */
  channels: { id: string; name: string }[] = [];
  teamName = 'School Nursing Team';
  private server?: Server;
  private nextId = 1;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const answer = (status: number, body: object, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        const next = this.failures.shift();
        if (next !== undefined) {
          const failure = typeof next === 'number' ? { status: next, retryAfterSeconds: undefined } : next;
          this.refusedAt.push(Date.now());
          return answer(failure.status, { error: { code: failure.status === 403 ? 'BotNotInConversationRoster' : 'ServiceError', message: 'injected' } },
            failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {});
        }
        const path = (req.url ?? '').split('?')[0];
        const body = raw ? JSON.parse(raw) : {};
        if (req.method === 'POST' && path === '/v3/conversations') {
          const id = `a:personal-${this.nextId++}`;
          this.calls.push({ method: 'POST', path, conversationId: id, body, at: Date.now() });
          return answer(201, { id, activityId: undefined, serviceUrl: this.url });
        }
        const team = /^\/v3\/teams\/([^/]+)(\/conversations)?$/.exec(path);
        if (req.method === 'GET' && team) {
          const id = decodeURIComponent(team[1]);
          this.calls.push({ method: 'GET', path: decodeURIComponent(path), conversationId: id, body: {}, at: Date.now() });
          if (team[2]) return answer(200, { conversations: [{ id, name: null }, ...this.channels.map((c) => ({ id: c.id, name: c.name }))] });
          return answer(200, { id, name: this.teamName, aadGroupId: 'group-1' });
        }
        const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
        if (!match) return answer(404, { error: { code: 'NotFound', message: `no route ${req.method} ${path}` } });
        const conversationId = decodeURIComponent(match[1]);
        const activityId = match[2] ? decodeURIComponent(match[2]) : undefined;
        const refused = this.failuresFor.get(conversationId)?.shift();
        if (refused !== undefined) {
          const failure = typeof refused === 'number' ? { status: refused, retryAfterSeconds: undefined } : refused;
          this.refusedAt.push(Date.now());
          return answer(failure.status, { error: { code: 'ServiceError', message: 'injected' } }, failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {});
        }
        const postedId = req.method === 'POST' ? `activity-${this.nextId++}` : undefined;
        this.calls.push({ method: req.method ?? '', path: decodeURIComponent(path), conversationId, activityId, postedId, body, at: Date.now() });
        if (req.method === 'PUT') {
          const message = activityId ? this.messages.get(activityId) : undefined;
          if (!message) return answer(404, { error: { code: 'ActivityNotFoundInConversation', message: 'no such message' } });
          message.activity = body;
          message.updates += 1;
          return answer(200, { id: activityId });
        }
        if (req.method !== 'POST') return answer(405, { error: { code: 'MethodNotAllowed', message: req.method } });
        this.messages.set(postedId!, { conversationId, activity: body, updates: 0 });
        return answer(200, { id: postedId });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  /** New messages (not updates) carrying an Adaptive Card. */
  cardPosts(): ConnectorCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.body.attachments?.[0]?.contentType === 'application/vnd.microsoft.card.adaptive');
  }

  /** Updates of a message (PUT). */
  updates(): ConnectorCall[] {
    return this.calls.filter((c) => c.method === 'PUT');
  }

  /** A card as the channel shows it now (after every update). */
  cardNow(activityId: string): any {
    return this.messages.get(activityId)?.activity.attachments?.[0]?.content;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
