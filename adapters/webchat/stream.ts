import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { WebchatSession } from '../../db/entities';
import { DirectLineActivity } from './activities';
import { KEEPALIVE_MS, SOCKETS_PER_CHAT, SOCKETS_PER_INSTANCE, STREAM_CHECK_MS } from './policy';

/** What the sockets need from the rest of web chat. */
export interface StreamSource {
  /** The chat a socket may open: its stream token checked against the path's conversation id. */
  admit(conversationId: string, token: string | undefined, req: IncomingMessage): Promise<WebchatSession | 'forbidden' | 'not_found'>;
  /** The activities after a watermark, ready to send, and the watermark they reach. */
  after(session: WebchatSession, watermark: number): Promise<{ activities: DirectLineActivity[]; watermark: number }>;
  /** A page has received everything up to this watermark. */
  received(session: WebchatSession, watermark: number): Promise<void>;
  lastSeqs(ids: string[]): Promise<Map<string, number>>;
  /** The page is still there (its socket answers pings): the inbox shows the chat as open. */
  touch(session: WebchatSession): Promise<void>;
  log: Logger;
}

interface Listener {
  socket: WebSocket;
  session: WebchatSession;
  watermark: number;
  pumping: boolean;
  again: boolean;
  /** Answered the last ping (a pong): a socket silent for two rounds is dead (a phone that lost signal). */
  alive: boolean;
  /** The watermark of frames sent and not yet acknowledged: the pong to the ping sent after them says the page has them. */
  unacknowledged: number;
}

const STREAM_PATH = /^\/v3\/directline\/conversations\/([A-Za-z0-9_-]{1,40})\/stream$/;

/**
 * Direct Line's WebSocket stream (`streamUrl`): each open socket gets every activity after its
 * watermark as `{activities, watermark}` frames, and every 15 s an empty frame (as Direct Line
 * sends, so proxies keep it open) and a WebSocket ping: a socket that has not answered the last
 * ping is closed, so a page that vanished stops counting as open. The client's own frames (empty
 * pings) are ignored. Activities sent by this instance are pushed at once; those written by
 * another instance within a few seconds.
 */
export class DirectLineStreams {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly byChat = new Map<string, Set<Listener>>();
  private readonly keepAlive: NodeJS.Timeout;
  private readonly check: NodeJS.Timeout;
  private count = 0;
  private closed = false;

  constructor(private readonly source: StreamSource) {
    this.keepAlive = setInterval(() => this.each((l) => {
      if (l.socket.readyState !== WebSocket.OPEN) return;
      if (!l.alive) return void l.socket.terminate();
      l.alive = false;
      l.socket.ping();
      l.socket.send('');
    }), KEEPALIVE_MS);
    this.check = setInterval(() => void this.checkOthers().catch(() => undefined), STREAM_CHECK_MS);
    this.keepAlive.unref();
    this.check.unref();
  }

  /** The HTTP server's `upgrade` handler: true when the request was a Direct Line stream (answered here). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://stream');
    const match = STREAM_PATH.exec(url.pathname);
    if (!match) return false;
    // Node takes its own error listener off an upgraded socket: without one, a client that resets
    // the connection while we check its token would crash the process.
    socket.on('error', () => socket.destroy());
    if (this.closed || this.count >= SOCKETS_PER_INSTANCE) {
      refuse(socket, 503, 'Service Unavailable');
      return true;
    }
    const conversationId = match[1];
    const watermark = parseWatermark(url.searchParams.get('watermark'));
    this.source.admit(conversationId, url.searchParams.get('t') ?? undefined, req).then((admitted) => {
      if (socket.destroyed) return;
      if (admitted === 'forbidden') return refuse(socket, 403, 'Forbidden');
      if (admitted === 'not_found') return refuse(socket, 404, 'Not Found');
      if (watermark === undefined) return refuse(socket, 400, 'Bad Request');
      if (this.closed) return refuse(socket, 503, 'Service Unavailable');
      this.wss.handleUpgrade(req, socket, head, (ws) => this.listen(ws, admitted, watermark ?? admitted.lastSeq));
    }, () => refuse(socket, 503, 'Service Unavailable'));
    return true;
  }

  /** Something new in a chat: every socket of it here is brought up to date. */
  notify(sessionId: string): void {
    for (const listener of this.byChat.get(sessionId) ?? []) void this.pump(listener);
  }

  /**
   * Sends an activity that is not stored (typing) to the chat's open sockets here. The frame
   * carries no watermark: the client keeps its own (a typing frame must never set it back).
   */
  broadcast(sessionId: string, activity: DirectLineActivity): void {
    for (const listener of this.byChat.get(sessionId) ?? []) {
      if (listener.socket.readyState === WebSocket.OPEN) listener.socket.send(JSON.stringify({ activities: [activity] }));
    }
  }

  get openSockets(): number {
    return this.count;
  }

  /**
   * Stops taking sockets and closes the open ones (1001, going away: the official client
   * reconnects, to another instance, from its watermark); those that do not close within a
   * second are cut. Called before the HTTP server closes, which waits for every connection.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    clearInterval(this.check);
    this.each((l) => l.socket.close(1001, 'server shutting down'));
    const deadline = Date.now() + 1000;
    while (this.count > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.each((l) => l.socket.terminate());
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private listen(socket: WebSocket, session: WebchatSession, watermark: number): void {
    const listener: Listener = { socket, session, watermark, pumping: false, again: false, alive: true, unacknowledged: 0 };
    let listeners = this.byChat.get(session.id);
    if (!listeners) this.byChat.set(session.id, (listeners = new Set()));
    if (listeners.size >= SOCKETS_PER_CHAT) {
      const oldest = listeners.values().next().value!;
      oldest.socket.close(4000, 'collision');
    }
    listeners.add(listener);
    this.count++;
    void this.source.touch(session).catch(() => undefined);
    socket.on('message', () => undefined);
    socket.on('pong', () => {
      listener.alive = true;
      void this.source.touch(session).catch(() => undefined);
      // Frames arrive in order: a pong to a ping sent after a frame means the page has the frame.
      const acknowledged = listener.unacknowledged;
      listener.unacknowledged = 0;
      if (acknowledged) void this.source.received(session, acknowledged).catch(() => undefined);
    });
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      this.count--;
      const set = this.byChat.get(session.id);
      set?.delete(listener);
      if (set?.size === 0) this.byChat.delete(session.id);
    });
    void this.pump(listener);
  }

  /** Sends what is after the socket's watermark; one pass at a time per socket, again if told meanwhile. */
  private async pump(listener: Listener): Promise<void> {
    if (listener.pumping) {
      listener.again = true;
      return;
    }
    listener.pumping = true;
    try {
      do {
        listener.again = false;
        if (listener.socket.readyState !== WebSocket.OPEN) return;
        const page = await this.source.after(listener.session, listener.watermark);
        if (!page.activities.length) continue;
        const frame = JSON.stringify({ activities: page.activities, watermark: String(page.watermark) });
        await new Promise<void>((resolve, reject) => listener.socket.send(frame, (error) => (error ? reject(error) : resolve())));
        listener.watermark = page.watermark;
        listener.unacknowledged = page.watermark;
        listener.socket.ping();
        listener.again = true;
      } while (listener.again);
    } catch (error) {
      this.source.log.warn({ event: 'webchat.stream_failed', err: { name: (error as Error).name } }, 'web chat stream: could not send; the page reconnects with its watermark');
      listener.socket.terminate();
    } finally {
      listener.pumping = false;
    }
  }

  /** Finds activities written by another instance: one query for every chat with a socket here. */
  private async checkOthers(): Promise<void> {
    const ids = [...this.byChat.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const seqs = await this.source.lastSeqs(ids.slice(i, i + 500));
      for (const [id, last] of seqs) {
        for (const listener of this.byChat.get(id) ?? []) if (last > listener.watermark) void this.pump(listener);
      }
    }
  }

  private each(visit: (listener: Listener) => void): void {
    for (const set of this.byChat.values()) for (const listener of set) visit(listener);
  }
}

/** A watermark as the client echoes it: absent (null: from now), empty (0: from the start) or a number; undefined if malformed. */
export function parseWatermark(value: string | null | undefined): number | null | undefined {
  if (value === null || value === undefined) return null;
  if (value === '') return 0;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
