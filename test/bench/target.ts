import { Activity, ActivityHandler, ActivityTypes, BotAdapter, ResourceResponse, TurnContext } from 'botbuilder';
import pino from 'pino';
import restify, { Request, Response } from 'restify';
import type { AddressInfo } from 'node:net';
import { FakeTwilio } from '../../adapters/sms/fake';
import { startLamplight } from '../../bot/app';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { Keyring } from '../../db/crypto';
import { randomBytes } from 'node:crypto';

/**
 * A server under benchmark, in its own process so the load generator does not share its event
 * loop. `baseline`: the bare botbuilder + restify echo bot. `lamplight`: the real gateway.
 * Prints one JSON line with its URL once listening.
 */
const [mode] = process.argv.slice(2);
const authToken = process.env.BENCH_TWILIO_AUTH_TOKEN!;
const accountSid = process.env.BENCH_TWILIO_ACCOUNT_SID!;

class EchoAdapter extends BotAdapter {
  readonly sent: string[] = [];
  async sendActivities(_c: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    return activities.map((a) => {
      this.sent.push(a.text ?? '');
      if (this.sent.length > 1000) this.sent.length = 0;
      return { id: String(this.sent.length) };
    });
  }
  async updateActivity(): Promise<void> {}
  async deleteActivity(): Promise<void> {}
  async continueConversation(): Promise<void> {}
  process(fields: URLSearchParams, logic: (c: TurnContext) => Promise<void>) {
    return this.runMiddleware(new TurnContext(this, {
      type: ActivityTypes.Message, id: fields.get('MessageSid')!, channelId: 'sms',
      from: { id: fields.get('From')!, name: '' }, recipient: { id: fields.get('To')!, name: '' },
      conversation: { id: `${fields.get('To')}/${fields.get('From')}`, isGroup: false, conversationType: 'personal', name: '' }, text: fields.get('Body') ?? '',
    }), logic);
  }
}

async function baseline(): Promise<string> {
  const adapter = new EchoAdapter();
  const bot = new ActivityHandler();
  bot.onMessage(async (context, next) => {
    await context.sendActivity(`echo: ${context.activity.text}`);
    await next();
  });
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser({ mapParams: false }));
  server.post('/api/sms/twilio', async (req: Request, res: Response) => {
    const fields = new URLSearchParams(String((req as Request & { rawBody?: string }).rawBody ?? ''));
    await adapter.process(fields, (c) => bot.run(c));
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function lamplight(): Promise<string> {
  const twilio = new FakeTwilio({ accountSid, authToken });
  const apiBaseUrl = await twilio.listen();
  const app = await startLamplight({
    port: 0, host: '127.0.0.1', publicUrl: 'http://bench.lamplight.test', databaseUrl: process.env.DATABASE_URL!, configPath: DEMO_CONFIG_PATH,
    keyring: new Keyring(randomBytes(32)), twilio: { accountSid, authToken, apiBaseUrl }, auth: undefined,
    appInsightsConnectionString: undefined, demo: true, production: false, trustProxyHops: 0, logLevel: 'silent', seedDemoData: false,
  }, { logger: pino({ level: 'silent' }), now: () => new Date('2026-11-24T10:00:00Z'), webchatTokenLimits: { perAddress: 100_000, perService: 100_000 }, rateLimits: { unauthenticatedPerMinute: 100_000 } });
  commits = app.db.commits;
  return app.url;
}

// The bench asks for this process's CPU time over the IPC channel, before and after each load.
// With it, on SQLite, how many commits were made and how many units of work they held (group commit).
let commits: { commits: number; units: number } | undefined;
process.on('message', () => process.send?.({ ...process.cpuUsage(), commits: commits && { ...commits } }));
// A plain exit on SIGTERM, so `node --cpu-prof` writes its profile when the bench stops the target.
process.once('SIGTERM', () => process.exit(0));

(mode === 'baseline' ? baseline() : lamplight()).then(
  (url) => process.stdout.write(JSON.stringify({ url }) + '\n'),
  (error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  },
);
