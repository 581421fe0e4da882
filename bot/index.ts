import { startLamplight } from './app';
import { ConfigError } from './config/services';
import { createLogger, flushLogs } from './logger';
import { readSettings, SettingsError } from './config/settings';
import { RedisUnreachableError } from './live/live-events';
import { LexiconError } from '../triage';

/** `npm start`: read the environment, start Lamplight, say where to go, stop cleanly on SIGTERM. */
async function main(): Promise<void> {
  const settings = readSettings();
  const log = createLogger(settings.logLevel);
  const app = await startLamplight(settings, { logger: log });
  const base = app.publicUrl;
  const lines = [
    '',
    // Where it listens, then (when PUBLIC_URL names another address) where the world reaches it.
    `Lamplight is running on ${settings.publicUrl ? app.url : base}  (database: ${app.db.dialect}${settings.publicUrl ? `; public URL ${base}` : ''}${settings.demo ? '; demo mode' : ''})`,
    `  Clinician inbox (the Teams tab, also in a browser):  ${base}/app/`,
    ...(app.channels.simulated ? [`  Channel simulator (a phone that texts the demo services):  ${base}/simulator`] : []),
    ...app.directory.services.filter((s) => s.channels.webchat).map((s) => `  Web chat, ${s.name}:  ${base}/chat/${s.channels.webchat}`),
    ...(app.devIdentity ? [
      `  Dev sign-in: demo staff at ${base}/dev/idp/staff; a token for one of them:`,
      `    curl -s -X POST ${base}/dev/idp/token -H 'content-type: application/json' -d '{"email":"sam.patel@lamplight.example"}'`,
    ] : []),
    `  Clinician API:  ${base}/api/v1/conversations  (OpenAPI: ${base}/api/v1/openapi.json)`,
    `  Health:  ${base}/healthz   ${base}/readyz`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'shutdown', signal }, 'shutting down');
    // Nothing registers an exit hook that could wait on a blocked stdout, so exit() always exits.
    const timer = setTimeout(() => process.exit(1), 25_000).unref();
    let code = 0;
    try {
      await app.close();
    } catch (error) {
      log.error({ event: 'shutdown.failed', err: { name: (error as Error).name } }, 'shutdown did not complete cleanly');
      code = 1;
    }
    clearTimeout(timer);
    await flushLogs(2000);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  const known = error instanceof ConfigError || error instanceof SettingsError || error instanceof LexiconError || error instanceof RedisUnreachableError;
  process.stderr.write(`Lamplight did not start: ${known ? error.message : (error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
