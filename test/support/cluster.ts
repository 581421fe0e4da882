import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export interface InstanceEnv {
  databaseUrl: string;
  dataKey: string;
  clock: string;
  twilio: { sid: string; token: string; url: string };
  auth: { issuer: string; audience: string; jwksUrl: string };
  redis?: { url: string; channel: string };
  publicUrl?: string;
}

/** A Lamplight server in a process of its own (test/support/instance.ts), its clock moved by the test. */
export class Instance {
  private constructor(readonly child: ChildProcess, readonly url: string, readonly publicUrl: string, readonly stderr: string[]) {}

  static async start(env: InstanceEnv): Promise<Instance> {
    const stderr: string[] = [];
    const child = fork(join(__dirname, 'instance.js'), [], {
      env: {
        PATH: process.env.PATH ?? '', NODE_ENV: 'test',
        INSTANCE_DATABASE_URL: env.databaseUrl, INSTANCE_DATA_KEY: env.dataKey, INSTANCE_CLOCK: env.clock,
        INSTANCE_TWILIO_SID: env.twilio.sid, INSTANCE_TWILIO_TOKEN: env.twilio.token, INSTANCE_TWILIO_URL: env.twilio.url,
        INSTANCE_AUTH_ISSUER: env.auth.issuer, INSTANCE_AUTH_AUDIENCE: env.auth.audience, INSTANCE_AUTH_JWKS: env.auth.jwksUrl,
        INSTANCE_REDIS_URL: env.redis?.url ?? '', INSTANCE_REDIS_CHANNEL: env.redis?.channel ?? '', INSTANCE_PUBLIC_URL: env.publicUrl ?? '',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (chunk) => stderr.push(String(chunk)));
    const { url, publicUrl } = await new Promise<{ url: string; publicUrl: string }>((resolve, reject) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the instance did not start within 60 s:\n${stderr.join('')}`)); }, 60_000);
      child.once('message', (m: { url?: string; publicUrl?: string }) => { clearTimeout(timer); if (m.url) resolve({ url: m.url, publicUrl: m.publicUrl ?? m.url }); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the instance exited with ${code}:\n${stderr.join('')}`)); });
    });
    return new Instance(child, url, publicUrl, stderr);
  }

  private ask(message: object): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('message', () => resolve());
      this.child.send(message);
    });
  }

  advance(ms: number): Promise<void> {
    return this.ask({ advance: ms });
  }

  /** A clean stop (SIGTERM's path: requests in flight finish, the outbox step in flight ends). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ stop: true });
    await exited;
  }

  /** kill -9: nothing finishes. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
