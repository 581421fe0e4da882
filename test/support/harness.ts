import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { FakeTwilio } from '../../adapters/sms/fake';
import { FakeGraphApi } from '../../adapters/whatsapp/fake';
import { Keyring } from '../../db/crypto';
import { Lamplight, Overrides, startLamplight } from '../../bot/app';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { Settings } from '../../bot/config/settings';
import { addStaff } from '../../bot/config/staff';
import { scratchDatabase, ScratchDatabase } from './database';
import { TestIdentityProvider } from './identity-provider';

/** A controllable clock: tests that depend on opening hours or retry delays set the time. */
export class TestClock {
  constructor(private ms: number = Date.now()) {}
  now = (): Date => new Date(this.ms);
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Tuesday 24 November 2026, 10:00 in London: the school nursing team is in. */
export const IN_HOURS = '2026-11-24T10:00:00Z';

export interface HarnessOptions {
  clockStart?: string;
  configPath?: string;
  outbox?: Overrides['outbox'];
  /** Default: an hour, so tests drive the ladder with runDue() (a new escalation still fires at once). */
  escalationPollIntervalMs?: number;
  /** Reuse a database (to restart against the same data); otherwise a scratch one is made. */
  database?: ScratchDatabase;
  dataKey?: string;
  /** Live events through Redis (REDIS_URL), on this channel. */
  redis?: { url: string; channel: string };
  /** Run as NODE_ENV=production would (the dev-only paths refuse). */
  production?: boolean;
  /**
   * Demo mode beside real sign-in and a Twilio fake, which readSettings never allows: for tests
   * of the Teams bot, which post activities without Bot Framework tokens (the Emulator's way).
   */
  demo?: boolean;
  rateLimits?: Overrides['rateLimits'];
  triage?: Overrides['triage'];
  webchatTokenLimits?: Overrides['webchatTokenLimits'];
  /** PUBLIC_URL (default: none, so http://localhost:<port>). */
  publicUrl?: string;
  /** WhatsApp through a local fake Graph API (`graph`), with these test credentials. */
  whatsapp?: boolean;
  /** The test identity provider also speaks OpenID Connect, and the tab signs in with it outside Teams. */
  webSignIn?: boolean;
  /** The identity provider answers 503 to OpenID Connect requests until `idp.down` is cleared. */
  identityProviderDown?: boolean;
  /** Escalation alerts by email through this SMTP relay (SMTP_URL, ALERT_EMAIL_FROM). */
  smtp?: { url: string; from: string };
  /** Where the app's logs go (default: nowhere), for tests that inspect them. */
  logDestination?: { write(line: string): void };
}

export interface Harness {
  app: Lamplight;
  twilio: FakeTwilio;
  /** Present with `whatsapp: true`: the stand-in for Meta's Graph API. */
  graph?: FakeGraphApi;
  idp: TestIdentityProvider;
  clock: TestClock;
  database: ScratchDatabase;
  dataKey: string;
  sendSms(message: { from: string; to: string; body: string; messageSid?: string }): Promise<{ status: number; body: string }>;
  api(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  staff(email: string, role: 'clinician' | 'duty-lead' | 'admin', service: string): Promise<string>;
  /** Stops the app; `keepDatabase` leaves the data for a restart. */
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

export const TWILIO_ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const TWILIO_AUTH_TOKEN = '12345678901234567890123456789012';
export const WHATSAPP_APP_SECRET = 'whatsapp-app-secret-for-tests-only';
export const WHATSAPP_VERIFY_TOKEN = 'whatsapp-verify-token-for-tests';
export const WHATSAPP_ACCESS_TOKEN = 'whatsapp-access-token-for-tests';

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = new TestClock(Date.parse(options.clockStart ?? IN_HOURS));
  const database = options.database ?? (await scratchDatabase({ migrated: true }));
  const twilio = new FakeTwilio({ accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN });
  const twilioUrl = await twilio.listen();
  // Meta's rules, on: the demo config's approved reply template, and the 24-hour window by the test's clock.
  const graph = options.whatsapp ? new FakeGraphApi({
    accessToken: WHATSAPP_ACCESS_TOKEN,
    appSecret: WHATSAPP_APP_SECRET,
    templates: [{ name: 'lamplight_reply', language: 'en_GB', parameters: 2 }],
    replyWindow: { now: () => clock.now().getTime() },
  }) : undefined;
  const graphUrl = await graph?.listen();
  const idp = await new TestIdentityProvider({ oidc: options.webSignIn }).start();
  idp.down = options.identityProviderDown ?? false;
  const dataKey = options.dataKey ?? randomBytes(32).toString('base64');
  const settings: Settings = {
    port: 0,
    host: '127.0.0.1',
    publicUrl: options.publicUrl,
    databaseUrl: database.url,
    configPath: options.configPath ?? DEMO_CONFIG_PATH,
    keyring: Keyring.fromBase64(dataKey),
    twilio: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN, apiBaseUrl: twilioUrl },
    whatsapp: graph ? { appSecret: WHATSAPP_APP_SECRET, verifyToken: WHATSAPP_VERIFY_TOKEN, accessToken: WHATSAPP_ACCESS_TOKEN, apiBaseUrl: graphUrl! } : undefined,
    auth: { issuer: idp.issuer, audience: idp.audience, jwksUrl: idp.jwksUrl },
    webSignIn: options.webSignIn ? { authority: idp.issuer, clientId: idp.clientId, scope: `openid ${idp.audience}/access_as_user` } : undefined,
    appInsightsConnectionString: undefined,
    redisUrl: options.redis?.url,
    redisChannel: options.redis?.channel,
    demo: options.demo ?? false,
    production: options.production ?? false,
    trustProxyHops: 0,
    logLevel: 'silent',
    seedDemoData: false,
    smtp: options.smtp,
  };
  const app = await startLamplight(settings, {
    now: clock.now,
    logger: options.logDestination ? pino({ level: 'debug' }, options.logDestination) : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    outbox: { pollIntervalMs: 50, random: () => 0.5, ...options.outbox },
    escalationPollIntervalMs: options.escalationPollIntervalMs ?? 3_600_000,
    rateLimits: options.rateLimits,
    triage: options.triage,
    webchatTokenLimits: options.webchatTokenLimits,
  });

  return {
    app,
    twilio,
    graph,
    idp,
    clock,
    database,
    dataKey,
    sendSms: (m) => twilio.postSigned(`${app.url}/api/sms/twilio`, twilio.inboundFields({ from: m.from, to: m.to, body: m.body, messageSid: m.messageSid }), `${app.publicUrl}/api/sms/twilio`),
    async api(method, path, { token, body } = {}) {
      const response = await fetch(`${app.url}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch { /* not JSON: keep the text */ }
      return { status: response.status, body: parsed };
    },
    async staff(email, role, service) {
      await addStaff(app.db, app.directory, { email, name: email.split('@')[0], role, service });
      return idp.token(email);
    },
    async close({ keepDatabase = false } = {}) {
      await app.close();
      await twilio.close();
      await graph?.close();
      await idp.close();
      if (!keepDatabase) await database.drop();
    },
  };
}

/** Polls until `check` returns a truthy value (the outbox and callbacks are asynchronous by design). */
export async function eventually<T>(check: () => Promise<T> | T, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const SCHOOL_NURSING_SMS = '+447700900101';
export const HEALTH_VISITING_SMS = '+447700900102';
export const SEXUAL_HEALTH_SMS = '+447700900103';
