import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * What every provider stand-in shares: a loopback HTTP server speaking the provider's wire format,
 * the messages it accepted (`sent`), listeners told of each, and a count of the calls it took.
 * Each channel's `fake.ts` supplies `handle` (the provider's paths, auth and answers).
 */
export abstract class LoopbackProviderFake<Accepted> {
  readonly sent: Accepted[] = [];
  requests = 0;
  private server: Server | undefined;
  private readonly listeners = new Set<(message: Accepted) => void>();

  /** Node request handler: mount it under a prefix, or let `listen` serve it. */
  abstract handle(req: IncomingMessage & { rawBody?: Buffer | string }, res: ServerResponse, pathPrefix?: string): Promise<void>;

  /** Told of every message the stand-in accepts (the simulator's phone page listens). */
  onMessage(listener: (message: Accepted) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts listening on loopback; resolves to the base URL a client is given (`basePath` appended). */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    const { port: bound } = this.server.address() as AddressInfo;
    return `http://${host}:${bound}${this.basePath()}`;
  }

  /** Stops listening; calls left hanging on purpose are dropped. */
  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** What follows host and port in the base URL (e.g. the Graph API's version). */
  protected basePath(): string {
    return '';
  }

  /** Records an accepted message and tells the listeners. */
  protected accept(message: Accepted): void {
    this.sent.push(message);
    for (const listener of this.listeners) listener(message);
  }
}

/** A JSON answer, as the providers give them. */
export function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The request body, when no body parser has already kept it as `rawBody`. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
