import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { Keyring } from '../../db/crypto';
import { DEMO_CONFIG_PATH } from './services';
import type { TokenSettings } from '../http/auth/clinician-auth';

/** Everything read from the environment, in one place (DESIGN.md, Contract: Environment). */
export interface Settings {
  port: number;
  host: string;
  /** Undefined means "http://localhost:<bound port>", decided once the server listens. */
  publicUrl: string | undefined;
  databaseUrl: string;
  configPath: string;
  keyring: Keyring;
  /** Provider credentials; undefined = the built-in simulator stands in (demo mode only). */
  twilio: { accountSid: string; authToken: string; apiBaseUrl: string } | undefined;
  /** WhatsApp Cloud API; undefined = no WhatsApp outside demo mode (a local stand-in takes the sends in the demo). */
  whatsapp?: { appSecret: string; verifyToken: string; accessToken: string; apiBaseUrl: string };
  /** The Teams bot's identity; undefined = the bot runs unauthenticated, for local testing only (demo mode only). */
  microsoftApp?: { appId: string; password: string; tenantId?: string };
  /** The mail relay for escalation alerts by email; undefined = no email alerts. */
  smtp?: { url: string; from: string };
  /** Undefined = the dev identity provider signs tokens (demo mode only). */
  auth: TokenSettings | undefined;
  /**
   * Sign-in for the tab opened in a browser outside Teams (authorization code + PKCE against an
   * OpenID Connect provider). Undefined with `auth` set: outside Teams the tab asks to be opened
   * from Teams. Ignored in the embedded default, where the dev sign-in runs.
   */
  webSignIn?: WebSignInSettings;
  appInsightsConnectionString: string | undefined;
  /** When set, live events fan out across instances through Redis pub/sub. */
  redisUrl?: string;
  /** The pub/sub channel (and counter key prefix); one per deployment sharing a Redis. */
  redisChannel?: string;
  /**
   * Demo mode: the embedded default's conveniences (dev sign-in, channel simulator, unauthenticated
   * Teams bot activities, demo staff) may stand in for what is not configured. Never together with
   * a real credential or a NODE_ENV other than development/test (see readSettings).
   */
  demo: boolean;
  production: boolean;
  /** How many reverse proxies stand in front (TRUST_PROXY_HOPS): the client address for rate limits is read from X-Forwarded-For that many hops back. */
  trustProxyHops: number;
  logLevel: string;
  /** Seed demo staff into an empty database (the embedded default). */
  seedDemoData: boolean;
}

export interface WebSignInSettings {
  /** Where `/.well-known/openid-configuration` is found; default AUTH_ISSUER. */
  authority: string;
  /** The public client (SPA) registration; its redirect URI is PUBLIC_URL + /app/. */
  clientId: string;
  /** Scopes asked for; the access token must be for AUTH_AUDIENCE. */
  scope: string;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** Settings that name a real provider or identity provider: any of them ends demo mode. */
const REAL_CREDENTIALS = [
  'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL', 'AUTH_CLIENT_ID',
  'MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_ACCESS_TOKEN', 'SMTP_URL',
] as const;
const DEVELOPMENT_ENVIRONMENTS = new Set(['', 'development', 'test']);

/**
 * Demo mode is explicit (LAMPLIGHT_MODE=demo) or the default when nothing real is configured and
 * NODE_ENV is unset, development or test. Asking for demo beside a real credential, or in any
 * other NODE_ENV (production, Production, staging…), stops the start: fail closed, say why.
 */
export function demoModeFrom(env: NodeJS.ProcessEnv): boolean {
  const mode = env.LAMPLIGHT_MODE ?? '';
  if (!['', 'demo', 'live'].includes(mode)) throw new SettingsError('LAMPLIGHT_MODE must be demo or live');
  const credentials = REAL_CREDENTIALS.filter((name) => env[name]);
  const nodeEnv = env.NODE_ENV ?? '';
  const developmentEnvironment = DEVELOPMENT_ENVIRONMENTS.has(nodeEnv);
  if (mode === 'demo') {
    if (credentials.length) throw new SettingsError(`LAMPLIGHT_MODE=demo cannot run with real credentials (${credentials.join(', ')} set): the demo's dev sign-in, simulator and unauthenticated bot never run beside them`);
    if (!developmentEnvironment) throw new SettingsError(`LAMPLIGHT_MODE=demo runs only with NODE_ENV unset, development or test (it is ${nodeEnv})`);
    return true;
  }
  return mode === '' && credentials.length === 0 && developmentEnvironment;
}

export const databaseUrlFrom = (env: NodeJS.ProcessEnv = process.env) => env.DATABASE_URL || 'sqlite:./data/lamplight.sqlite';
export const configPathFrom = (env: NodeJS.ProcessEnv = process.env) => (env.LAMPLIGHT_CONFIG ? resolve(env.LAMPLIGHT_CONFIG) : DEMO_CONFIG_PATH);
/** The data keys, as the server would load them (the CLI's subject commands open sealed fields). */
export const keyringFrom = (env: NodeJS.ProcessEnv = process.env): Keyring => loadKeyring(env, databaseUrlFrom(env), demoModeFrom(env));

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const production = env.NODE_ENV === 'production';
  const databaseUrl = databaseUrlFrom(env);
  const port = env.PORT ? Number(env.PORT) : 3978;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SettingsError('PORT must be a port number');
  const publicUrl = env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/$/, '') : undefined;
  if (publicUrl && !/^https?:\/\//.test(publicUrl)) throw new SettingsError('PUBLIC_URL must start with http:// or https://');

  const twilio = env.TWILIO_ACCOUNT_SID || env.TWILIO_AUTH_TOKEN
    ? { accountSid: required(env, 'TWILIO_ACCOUNT_SID'), authToken: required(env, 'TWILIO_AUTH_TOKEN'), apiBaseUrl: env.TWILIO_API_BASE_URL || 'https://api.twilio.com' }
    : undefined;
  const whatsapp = env.WHATSAPP_APP_SECRET || env.WHATSAPP_VERIFY_TOKEN || env.WHATSAPP_ACCESS_TOKEN
    ? {
      appSecret: required(env, 'WHATSAPP_APP_SECRET'), verifyToken: required(env, 'WHATSAPP_VERIFY_TOKEN'), accessToken: required(env, 'WHATSAPP_ACCESS_TOKEN'),
      apiBaseUrl: (env.WHATSAPP_API_BASE_URL || 'https://graph.facebook.com/v21.0').replace(/\/$/, ''),
    }
    : undefined;
  const auth = env.AUTH_JWKS_URL || env.AUTH_ISSUER || env.AUTH_AUDIENCE
    ? { jwksUrl: required(env, 'AUTH_JWKS_URL'), issuer: required(env, 'AUTH_ISSUER'), audience: required(env, 'AUTH_AUDIENCE') }
    : undefined;

  const webSignIn = env.AUTH_CLIENT_ID
    ? {
      authority: (env.AUTH_AUTHORITY || auth?.issuer || '').replace(/\/$/, ''),
      clientId: env.AUTH_CLIENT_ID,
      scope: env.AUTH_SCOPE || (auth ? `openid profile offline_access ${auth.audience.replace(/\/$/, '')}/access_as_user` : ''),
    }
    : undefined;
  const smtp = env.SMTP_URL ? { url: env.SMTP_URL, from: required(env, 'ALERT_EMAIL_FROM') } : undefined;
  if (smtp && !/^smtps?:\/\//.test(smtp.url)) throw new SettingsError('SMTP_URL must start with smtp:// or smtps://');
  if (smtp && !/^(?:[^<>]*<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+)$/.test(smtp.from.trim())) throw new SettingsError('ALERT_EMAIL_FROM must be an email address (optionally "Name <address>")');
  if (webSignIn && !auth) throw new SettingsError('AUTH_CLIENT_ID needs AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL: it signs in to the same identity provider');
  if (webSignIn && !/^https?:\/\//.test(webSignIn.authority)) throw new SettingsError('AUTH_AUTHORITY must be an http(s) URL');
  if (webSignIn && production && !webSignIn.authority.startsWith('https://')) throw new SettingsError('AUTH_AUTHORITY (or AUTH_ISSUER) must be https:// in production: tokens travel through it');

  const demo = demoModeFrom(env);
  if (!demo) {
    const missing = [
      !env.DATA_KEY && 'DATA_KEY',
      !publicUrl && 'PUBLIC_URL',
      !twilio && 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the simulator runs only in demo mode)',
      !auth && 'AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL (the dev sign-in runs only in demo mode)',
    ].filter(Boolean);
    if (missing.length) throw new SettingsError(`Lamplight is not in demo mode (${liveBecause(env)}), so it needs: ${missing.join('; ')}`);
  }
  const trustProxyHops = env.TRUST_PROXY_HOPS ? Number(env.TRUST_PROXY_HOPS) : 0;
  if (!Number.isInteger(trustProxyHops) || trustProxyHops < 0 || trustProxyHops > 5) throw new SettingsError('TRUST_PROXY_HOPS must be a whole number from 0 to 5');

  return {
    port,
    // The demo has a dev sign-in that anyone who can reach it may use: it listens on this machine only.
    host: env.HOST || (demo ? '127.0.0.1' : '0.0.0.0'),
    publicUrl,
    databaseUrl,
    configPath: configPathFrom(env),
    keyring: loadKeyring(env, databaseUrl, demo),
    twilio,
    whatsapp,
    auth,
    webSignIn,
    appInsightsConnectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING || undefined,
    smtp,
    microsoftApp: env.MICROSOFT_APP_ID ? { appId: env.MICROSOFT_APP_ID, password: required(env, 'MICROSOFT_APP_PASSWORD'), tenantId: env.MICROSOFT_APP_TENANT_ID || undefined } : undefined,
    redisUrl: env.REDIS_URL || undefined,
    redisChannel: env.LAMPLIGHT_REDIS_CHANNEL || undefined,
    demo,
    production,
    trustProxyHops,
    logLevel: env.LOG_LEVEL || 'info',
    seedDemoData: demo && env.LAMPLIGHT_DEMO_DATA !== 'false',
  };
}

function liveBecause(env: NodeJS.ProcessEnv): string {
  if (env.LAMPLIGHT_MODE === 'live') return 'LAMPLIGHT_MODE=live';
  const credentials = REAL_CREDENTIALS.filter((name) => env[name]);
  if (credentials.length) return `${credentials.join(', ')} set`;
  return `NODE_ENV=${env.NODE_ENV}`;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new SettingsError(`${name} must be set too (it goes with the other variables of its group)`);
  return value;
}

/**
 * DATA_KEY (base64, 32 bytes) when given. In the embedded default a key file is created beside the
 * SQLite database on first start, readable only by its owner, so `npm start` needs no setup.
 */
function loadKeyring(env: NodeJS.ProcessEnv, databaseUrl: string, demo: boolean): Keyring {
  const previous = (env.DATA_KEY_PREVIOUS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (env.DATA_KEY) {
    if (Buffer.from(env.DATA_KEY, 'base64').length !== 32) throw new SettingsError('DATA_KEY must be 32 random bytes, base64-encoded (openssl rand -base64 32)');
    return Keyring.fromBase64(env.DATA_KEY, previous);
  }
  if (!demo) throw new SettingsError('DATA_KEY must be set outside demo mode');
  const dataDir = databaseUrl.startsWith('sqlite:') && databaseUrl !== 'sqlite::memory:' ? dirname(resolve(databaseUrl.slice(7))) : resolve('data');
  const keyFile = resolve(dataDir, 'data.key');
  if (!existsSync(keyFile)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(keyFile, 0o600);
  return Keyring.fromBase64(readFileSync(keyFile, 'utf8').trim(), previous);
}
