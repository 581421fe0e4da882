/** The clinician API, with the bearer token from Teams SSO or the dev sign-in. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Why the server ended a live stream. */
export type StreamEnd = 'expired' | 'superseded' | 'ended';

export class Api {
  /** How long the event stream may stay silent: three of the server's heartbeats, once it has said. */
  private silenceMs = 45_000;

  constructor(private readonly token: () => Promise<string>) {}

  async get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  async post<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.call<T>('POST', path, body, headers);
  }

  async put<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  async download(path: string, filename: string): Promise<void> {
    const response = await fetch(path, { headers: { authorization: `Bearer ${await this.token()}` } });
    if (!response.ok) throw new ApiError(response.status, 'download_failed', 'the export failed');
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    // The server names the file (service, date, last four of the contact); the caller's name is the fallback.
    link.download = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? filename;
    link.click();
    URL.revokeObjectURL(url);
  }

  /**
   * The live event stream over fetch (EventSource cannot send a bearer token), resuming by event id.
   * A connection that goes silent (a network that drops without closing it) is given up after
   * three missed heartbeats, so the caller reconnects and catches up rather than waiting for ever.
   * Resolves with why the server ended it: `expired` (the token ran out: reconnect at once, with a
   * fresh token), `superseded` (opened in too many places: wait for the person), or `ended`.
   */
  async stream(onEvent: (type: string, data: { id?: number; [k: string]: unknown }) => void, signal: AbortSignal, lastId: () => number | undefined): Promise<StreamEnd> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token()}`, accept: 'text/event-stream' };
    const last = lastId();
    if (last !== undefined) headers['last-event-id'] = String(last);
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal.addEventListener('abort', stop);
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const heard = () => { clearTimeout(watchdog); watchdog = setTimeout(stop, this.silenceMs); };
    try {
      heard();
      const response = await fetch('/api/v1/events', { headers, signal: connection.signal });
      if (!response.ok || !response.body) throw new ApiError(response.status, 'stream_failed', 'live updates unavailable');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let end: StreamEnd = 'ended';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return end;
        heard();
        buffer += value;
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          let type = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) {
            const parsed = JSON.parse(data);
            if (type === 'ready' && typeof parsed.heartbeatMs === 'number') { this.silenceMs = Math.max(1000, parsed.heartbeatMs * 3); heard(); }
            if (type === 'expired' || type === 'superseded') end = type;
            else onEvent(type, parsed);
          }
        }
      }
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', stop);
    }
  }

  private async call<T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers: { ...extra, authorization: `Bearer ${await this.token()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, parsed.error ?? 'error', parsed.message ?? `request failed (${response.status})`);
    return parsed as T;
  }
}
