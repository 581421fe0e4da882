import type { Logger } from 'pino';
import type { Request, Response, Server } from 'restify';
import { visibleServices } from '../inbox/access';
import type { ServiceDirectory } from '../config/services';
import { jsonRoute } from './respond';
import type { LiveEvent, LiveEvents } from '../live/live-events';
import type { TokenHolder } from './auth/clinician-auth';

/**
 * Live streams one staff member may hold open on one instance. Over it, the oldest is closed with
 * `superseded` rather than the new one refused: the tab a clinician has just opened is the one they
 * are looking at, and the oldest is most often a forgotten tab or a connection that died without a
 * word. The tab that is closed this way says so and waits for a click, so two tabs over the limit
 * do not take turns closing each other.
 */
export const MAX_STREAMS_PER_STAFF = 5;

interface Dependencies {
  staffOf: (req: Request, options?: { clockToleranceSeconds?: number }) => Promise<TokenHolder>;
  events: LiveEvents;
  directory: ServiceDirectory;
  log: Logger;
  /** How often an idle stream gets a comment line, so a client can tell a dead connection from a quiet one. */
  heartbeatMs?: number;
  maxStreamsPerStaff?: number;
}

interface OpenStream {
  end(final?: { type: 'expired' | 'superseded'; data: Record<string, unknown> }): void;
}

/**
 * `GET /api/v1/events`: live events of the caller's services as Server-Sent Events, resumed with
 * Last-Event-ID. A stream lasts no longer than the token it was opened with: at the token's expiry
 * it sends `expired` and ends, and the client reconnects with a fresh token from where it was.
 */
export function registerEventStream(server: Server, deps: Dependencies): { closeAll: () => void } {
  const openByStaff = new Map<string, Set<OpenStream>>();
  const maxPerStaff = deps.maxStreamsPerStaff ?? MAX_STREAMS_PER_STAFF;

  server.get('/api/v1/events', async (req: Request, res: Response) => {
    let staff: TokenHolder;
    try {
      // No clock tolerance: a stream must not start on a token that has already run out.
      staff = await deps.staffOf(req, { clockToleranceSeconds: 0 });
    } catch (error) {
      return jsonRoute(deps.log, async () => { throw error; })(req, res);
    }
    const services = new Set(visibleServices(staff, deps.directory));
    const heartbeatMs = deps.heartbeatMs ?? 15_000;
    let ended = false;
    const frame = (type: string, data: unknown, id?: number) => `${id !== undefined ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    const write = (chunk: string) => {
      if (!ended) res.write(chunk);
    };
    const send = (event: LiveEvent) => {
      // An event with id 0 was heard only here while Redis was away: sent without an id, so it never moves the inbox's Last-Event-ID.
      if (services.has(event.serviceSlug)) write(frame(event.type, event, event.id || undefined));
    };

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    write(`retry: 2000\n${frame('ready', { lastEventId: deps.events.lastId, heartbeatMs })}`);
    const lastId = Number(req.headers['last-event-id'] ?? (req.query ?? {}).lastEventId);
    if (Number.isInteger(lastId) && lastId >= 0) {
      const missed = deps.events.since(lastId);
      if (missed) missed.forEach(send);
      else write(frame('resync', { reason: `events since ${lastId} are no longer kept; reload` }));
    }
    const unsubscribe = deps.events.subscribe(send, (reason) => write(frame('resync', { reason })));
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), heartbeatMs);
    // The token's expiry is on the real clock (jose checks it against Date.now()), whatever clock the app runs on.
    const expiry = setTimeout(() => stream.end({ type: 'expired', data: { reason: 'token_expired', message: 'the sign-in behind this stream has expired; reconnect with a fresh token and Last-Event-ID' } }), Math.max(0, staff.tokenExpiresAt - Date.now()));

    const mine = openByStaff.get(staff.id) ?? new Set<OpenStream>();
    openByStaff.set(staff.id, mine);
    const stream: OpenStream = {
      end(final) {
        if (ended) return;
        if (final) res.write(frame(final.type, final.data));
        ended = true;
        clearInterval(heartbeat);
        clearTimeout(expiry);
        unsubscribe();
        mine.delete(stream);
        if (mine.size === 0 && openByStaff.get(staff.id) === mine) openByStaff.delete(staff.id);
        res.end();
      },
    };
    mine.add(stream);
    req.on('close', () => stream.end());
    // A Set iterates in insertion order: the first is the oldest.
    for (const oldest of mine) {
      if (mine.size <= maxPerStaff) break;
      oldest.end({ type: 'superseded', data: { reason: 'too_many_streams', limit: maxPerStaff, message: `live updates stopped here: Lamplight is open in more than ${maxPerStaff} places` } });
    }
  });

  return {
    closeAll: () => {
      for (const streams of [...openByStaff.values()]) for (const stream of [...streams]) stream.end();
    },
  };
}
