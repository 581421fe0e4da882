import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { WebchatSession } from '../../db/entities';
import { DirectLineActivity } from './activities';
import { KEEPALIVE_MS, SOCKETS_PER_CHAT, STREAM_CHECK_MS } from './policy';

/** What the sockets need from the rest of web chat. */
export interface StreamSource {
  /** The chat a socket may open: its token checked against the path's conversation id. */
  admit(conversationId: string, token: string | undefined): Promise<WebchatSession | 'forbidden' | 'not_found'>;
  /** The activities after a watermark, ready to send, and the watermark they reach. */
  after(session: WebchatSession, watermark: number): Promise<{ activities: DirectLineActivity[]; watermark: number; delivered: number[] }>;
  /** A page received these outbound activities (their numbers). */
  delivered(session: WebchatSession, seqs: number[]): Promise<void>;
  lastSeqs(ids: string[]): Promise<Map<string, number>>;
  /** The page is still there (an open socket): the inbox shows the chat as open. */
  touch(session: WebchatSession): Promise<void>;
  log: Logger;
}

interface Listener {
  socket: WebSocket;
  session: WebchatSession;
  watermark: number;
  pumping: boolean;
  again: boolean;
}

const STREAM_PATH = /^\/v3\/directline\/conversations\/([A-Za-z0-9_-]{1,40})\/stream$/;

/**
 * Direct Line's WebSocket stream (`streamUrl`): each open socket gets every activity after its
 * watermark as `{activities, watermark}` frames, an empty frame every 15 s to keep proxies from
 * closing it, and nothing else. The client's own frames (empty pings) are ignored. Activities sent
 * by this instance are pushed at once; those written by another instance within a few seconds.
 */
export class DirectLineStreams {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly byChat = new Map<string, Set<Listener>>();
  private readonly keepAlive: NodeJS.Timeout;
  private readonly check: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly source: StreamSource) {
    this.keepAlive = setInterval(() => this.each((l) => {
      if (l.socket.readyState !== WebSocket.OPEN) return;
      l.socket.send('');
      void this.source.touch(l.session).catch(() => undefined);
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
    if (this.closed) {
      refuse(socket, 503, 'Service Unavailable');
      return true;
    }
    const conversationId = match[1];
    const watermark = parseWatermark(url.searchParams.get('watermark'));
    this.source.admit(conversationId, url.searchParams.get('t') ?? undefined).then((admitted) => {
      if (admitted === 'forbidden') return refuse(socket, 403, 'Forbidden');
      if (admitted === 'not_found') return refuse(socket, 404, 'Not Found');
      if (watermark === undefined) return refuse(socket, 400, 'Bad Request');
      this.wss.handleUpgrade(req, socket, head, (ws) => this.listen(ws, admitted, watermark ?? admitted.lastSeq));
    }, () => refuse(socket, 503, 'Service Unavailable'));
    return true;
  }

  /** Something new in a chat: every socket of it here is brought up to date. */
  notify(sessionId: string): void {
    for (const listener of this.byChat.get(sessionId) ?? []) void this.pump(listener);
  }

  /** Sends an activity that is not stored (typing) to the chat's open sockets here. */
  broadcast(sessionId: string, activity: DirectLineActivity): void {
    for (const listener of this.byChat.get(sessionId) ?? []) {
      if (listener.socket.readyState === WebSocket.OPEN) listener.socket.send(JSON.stringify({ activities: [activity], watermark: String(listener.watermark) }));
    }
  }

  get openSockets(): number {
    let n = 0;
    this.each(() => n++);
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.keepAlive);
    clearInterval(this.check);
    // 1001 going away: the client reconnects (to another instance) with its watermark.
    this.each((l) => l.socket.close(1001, 'server shutting down'));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private listen(socket: WebSocket, session: WebchatSession, watermark: number | null): void {
    const listener: Listener = { socket, session, watermark: watermark ?? session.lastSeq, pumping: false, again: false };
    let listeners = this.byChat.get(session.id);
    if (!listeners) this.byChat.set(session.id, (listeners = new Set()));
    if (listeners.size >= SOCKETS_PER_CHAT) {
      const oldest = listeners.values().next().value!;
      listeners.delete(oldest);
      oldest.socket.close(4000, 'collision');
    }
    listeners.add(listener);
    void this.source.touch(session).catch(() => undefined);
    socket.on('message', () => undefined);
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
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
        await this.source.delivered(listener.session, page.delivered);
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
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
