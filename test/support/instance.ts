import pino from 'pino';
import { startLamplight } from '../../bot/app';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { Keyring } from '../../db/crypto';
import { TestClock } from './harness';

/**
 * One Lamplight server process for tests that run several (test/support/cluster.ts): the real
 * app on the database, Redis, provider fake and identity provider the test gives it, on a clock
 * the test moves over IPC ({ set: iso } or { advance: ms }, answered { ok: true }). It says
 * { url } when listening and stops cleanly on { stop: true }.
 */
async function main(): Promise<void> {
  const env = process.env;
  // 'real': the wall clock (the cluster bench); otherwise a clock the test moves.
  const clock = env.INSTANCE_CLOCK === 'real' ? undefined : new TestClock(Date.parse(env.INSTANCE_CLOCK!));
  const app = await startLamplight({
    port: 0, host: '127.0.0.1', publicUrl: env.INSTANCE_PUBLIC_URL, databaseUrl: env.INSTANCE_DATABASE_URL!, configPath: DEMO_CONFIG_PATH,
    keyring: Keyring.fromBase64(env.INSTANCE_DATA_KEY!),
    twilio: { accountSid: env.INSTANCE_TWILIO_SID!, authToken: env.INSTANCE_TWILIO_TOKEN!, apiBaseUrl: env.INSTANCE_TWILIO_URL! },
    auth: { issuer: env.INSTANCE_AUTH_ISSUER!, audience: env.INSTANCE_AUTH_AUDIENCE!, jwksUrl: env.INSTANCE_AUTH_JWKS! },
    appInsightsConnectionString: undefined, redisUrl: env.INSTANCE_REDIS_URL || undefined, redisChannel: env.INSTANCE_REDIS_CHANNEL || undefined,
    demo: false, production: false, trustProxyHops: 0, logLevel: 'silent', seedDemoData: false,
  }, {
    now: clock?.now,
    logger: pino({ level: 'silent' }),
    outbox: { pollIntervalMs: 50 },
    escalationPollIntervalMs: Number(env.INSTANCE_ESCALATION_POLL_MS ?? 100),
  });
  process.on('message', (message: { set?: string; advance?: number; stop?: boolean }) => {
    if (message.set) clock?.set(message.set);
    if (message.advance) clock?.advance(message.advance);
    if (message.stop) {
      void app.close().then(() => process.exit(0));
      return;
    }
    process.send?.({ ok: true });
  });
  // The test that started this process has gone: go too, rather than linger.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ url: app.url, publicUrl: app.publicUrl });
}

main().catch((error) => {
  process.stderr.write(`instance did not start: ${(error as Error).stack}\n`);
  process.exit(1);
});
