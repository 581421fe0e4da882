import { createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';

/**
 * A TCP hop between a browser and the server that can fail the way networks do: `drop()` stops
 * carrying bytes without closing anything (a laptop that changes Wi-Fi, a proxy that loses a
 * connection), so neither end is told; `restore()` carries new connections again. Connections
 * caught in the drop stay dead, as they would.
 */
export class FlakyNetwork {
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  private down = false;
  private readonly dead = new WeakSet<Socket>();
  url = '';

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.down) {
        this.dead.add(client); // accepted, never answered
        return;
      }
      const upstream = new Socket();
      this.sockets.add(upstream);
      upstream.on('close', () => { this.sockets.delete(upstream); client.destroy(); });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.connect(this.target.port, this.target.host);
      // Forward by hand rather than pipe(), so a drop can stop the bytes mid-stream, for good.
      const live = () => !this.down && !this.dead.has(client);
      client.on('data', (chunk) => { if (live()) upstream.write(chunk); });
      upstream.on('data', (chunk) => { if (live()) client.write(chunk); });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  drop(): void {
    this.down = true;
    for (const socket of this.sockets) this.dead.add(socket);
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
