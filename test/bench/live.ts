import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { Client } from 'pg';
import { FakeTwilio } from '../../adapters/sms/fake';
import { twilioSignature } from '../../adapters/sms/signature';
import inboundTemplate from '../../adapters/sms/fixtures/inbound__text.json';
import { startLamplight } from '../../bot/app';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { addStaff } from '../../bot/config/staff';
import { Keyring } from '../../db/crypto';
import { POSTGRES_ADMIN_URL } from '../support/database';

/**
 * Live events under background load (issue 13: "live event p99 at 200 msg/s background load,
 * in-process and with Redis (goal <= 200 ms)"; and the webhook's own p99 at 200 msg/s, goal
 * <= 50 ms). The gateway runs in a child process (this file, argv `target`) so the load generator
 * and the subscriber do not share its event loop; the bench subscribes to `GET /api/v1/events` as
 * the clinician tab does, with a dev sign-in token, and times each signed Twilio webhook from the
 * moment autocannon sends it to the moment its `message.created` reaches the subscriber.
 */
const RATE = 200;
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const LOAD = RATE * SECONDS;
const CONNECTIONS = 16;
const CONTACTS = 200;
const EVENT_GOAL_MS = 200;
const WEBHOOK_GOAL_MS = 50;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const STAFF_EMAIL = 'live-bench@example.nhs.uk';
const SERVICE_NUMBER = '+447700900101';
const PUBLIC_URL = 'http://bench.lamplight.test';
// Made up by the bench, handed to its target in the environment.
const ACCOUNT_SID = process.env.BENCH_TWILIO_ACCOUNT_SID ?? `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = process.env.BENCH_TWILIO_AUTH_TOKEN ?? randomBytes(16).toString('hex');

// autocannon ships no types; this is the part of its API the bench uses (as in run.ts, plus the
// per-connection context and overallRate).
type Context = { i?: number };
type Built = { method: string; path: string; headers: Record<string, string>; body?: string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: {
  url: string; connections: number; amount: number; overallRate: number;
  requests: { method: string; path: string; headers: Record<string, string>; setupRequest: (request: Built, context: Context) => Built; onResponse: (status: number, body: string, context: Context) => void }[];
}) => Promise<{ requests: { total: number }; latency: { p50: number; p99: number; max: number }; non2xx: number; errors: number; timeouts: number }>;

/** The target: Lamplight as target.ts starts it, plus a clinician to sign in as, and Redis when asked. */
async function target(): Promise<void> {
  const twilio = new FakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const apiBaseUrl = await twilio.listen();
  const app = await startLamplight({
    port: 0, host: '127.0.0.1', publicUrl: PUBLIC_URL, databaseUrl: process.env.LIVE_TARGET_DATABASE_URL!, configPath: DEMO_CONFIG_PATH,
    keyring: new Keyring(randomBytes(32)), twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl }, auth: undefined,
    redisUrl: process.env.LIVE_TARGET_REDIS_URL || undefined, redisChannel: process.env.LIVE_TARGET_REDIS_CHANNEL || undefined,
    appInsightsConnectionString: undefined, demo: true, production: false, trustProxyHops: 0, logLevel: 'silent', seedDemoData: false,
  }, { logger: pino({ level: 'silent' }), now: () => new Date('2026-11-24T10:00:00Z'), rateLimits: { unauthenticatedPerMinute: 100_000 } });
  await addStaff(app.db, app.directory, { email: STAFF_EMAIL, name: 'Live Bench', role: 'clinician', service: 'school-nursing' });
  process.once('SIGTERM', () => {
    void app.close().then(() => twilio.close()).finally(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
}

/** Where the target keeps its data, and Redis when it fans events out (every setting given, so none leaks in from this environment). */
interface TargetEnv { LIVE_TARGET_DATABASE_URL: string; LIVE_TARGET_REDIS_URL?: string; LIVE_TARGET_REDIS_CHANNEL?: string }

async function startTarget(env: TargetEnv): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [__filename, 'target'], {
    env: { ...process.env, LIVE_TARGET_REDIS_URL: '', LIVE_TARGET_REDIS_CHANNEL: '', ...env, BENCH_TWILIO_AUTH_TOKEN: AUTH_TOKEN, BENCH_TWILIO_ACCOUNT_SID: ACCOUNT_SID },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`live target exited with ${code}`)));
  });
  return { url: JSON.parse(line).url, child };
}

/** A signed inbound SMS, the i-th, from contact i % CONTACTS. */
function webhook(i: number): { path: string; headers: Record<string, string>; body: string } {
  const sid = `SM${i.toString(16).padStart(32, '0')}`;
  const fields = new URLSearchParams({
    ...inboundTemplate, MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, AccountSid: ACCOUNT_SID,
    From: `+447700900${String(100 + (i % CONTACTS)).padStart(3, '0')}`, To: SERVICE_NUMBER,
    Body: `live bench message ${i}: is anyone there this afternoon?`,
  });
  return {
    path: '/api/sms/twilio',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/api/sms/twilio`, fields) },
    body: fields.toString(),
  };
}

/** The clinician tab's event stream: each `message.created` is handed over with the moment it arrived. */
function subscribe(url: string, token: string, onMessage: (conversationId: string, at: number) => void): Promise<{ close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`event stream: ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type === 'ready') resolve({ close: () => req.destroy() });
          if (type === 'message.created' && data) onMessage(JSON.parse(data).conversationId, at);
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

async function post(url: string, i: number): Promise<void> {
  const { path, headers, body } = webhook(i);
  const response = await fetch(`${url}${path}`, { method: 'POST', headers, body });
  await response.text();
  if (response.status !== 200) throw new Error(`webhook ${i}: ${response.status}`);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** One load's record: when each post went and was answered, and its status (indexed by message number). */
interface Timings { sentAt: number[]; answeredAt: number[]; bad: number; answered: number }

/** A load sends LOAD posts, numbered from `from`, calling `sending(i)` just before each goes. */
type Driver = (url: string, from: number, sending: (i: number) => void) => Promise<Timings>;

/** autocannon with overallRate: each connection sends as fast as answered until its share of the second is spent. */
const burst: Driver = async (url, from, sending) => {
  const t: Timings = { sentAt: [], answeredAt: [], bad: 0, answered: 0 };
  let next = from;
  const host = new URL(url).host;
  const result = await autocannon({
    url, connections: CONNECTIONS, amount: LOAD, overallRate: RATE,
    requests: [{
      method: 'POST', path: '/', headers: {},
      // Built just before it is written (autocannon builds a connection's next request as the last is answered).
      setupRequest: (_request, context) => {
        const i = next++;
        context.i = i;
        sending(i);
        t.sentAt[i] = performance.now();
        const { path, headers, body } = webhook(i);
        return { method: 'POST', path, headers: { host, ...headers }, body };
      },
      onResponse: (status, _body, context) => {
        if (status !== 200) t.bad++;
        if (context.i !== undefined) t.answeredAt[context.i] = performance.now();
        t.answered++;
      },
    }],
  });
  t.bad += result.non2xx + result.errors + result.timeouts;
  if (next - from !== LOAD || result.requests.total !== LOAD) t.bad++;
  return t;
};

/** The same posts, one every 1000 / RATE ms on a schedule (open loop: a slow answer does not delay the next post). */
const paced: Driver = async (url, from, sending) => {
  const t: Timings = { sentAt: [], answeredAt: [], bad: 0, answered: 0 };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const started = performance.now();
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      // Every post whose time has come goes now; then sleep until the next one's.
      while (n < LOAD && performance.now() >= started + (n * 1000) / RATE) {
        const i = from + n++;
        const { path, headers, body } = webhook(i);
        sending(i);
        t.sentAt[i] = performance.now();
        const req = httpRequest(`${url}${path}`, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
          res.resume();
          res.on('end', () => {
            t.answeredAt[i] = performance.now();
            if (res.statusCode !== 200) t.bad++;
            if (++t.answered === LOAD) resolve();
          });
        });
        req.on('error', () => { t.bad++; if (++t.answered === LOAD) resolve(); });
        req.end(body);
      }
      if (n < LOAD) setTimeout(tick, Math.max(0, started + (n * 1000) / RATE - performance.now()));
    };
    tick();
  });
  agent.destroy();
  return t;
};

interface Row {
  name: string; load: string; rate: number; firstQuarter: number;
  webhookP50: number; webhookP99: number; webhookMax: number;
  eventP50: number; eventP95: number; eventP99: number; eventMax: number; afterAnswerP99: number;
}

/**
 * One gateway, one subscriber: first a message from each contact, one at a time, to learn each
 * contact's conversation (and to warm up); then each load of LOAD messages at RATE a second, each
 * message matched to its event: the n-th event of a conversation is the n-th message its contact sent.
 */
async function measure(name: string, env: TargetEnv, loads: [string, Driver][]): Promise<Row[]> {
  const { url, child } = await startTarget(env);
  let stream: { close: () => void } | undefined;
  try {
    const signIn = await fetch(`${url}/dev/idp/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: STAFF_EMAIL }) });
    if (signIn.status !== 200) throw new Error(`dev sign-in: ${signIn.status}`);
    const { access_token: token } = await signIn.json() as { access_token: string };

    const contactOf = new Map<string, number>();
    let heard: ((conversationId: string, at: number) => void) | undefined;
    stream = await subscribe(url, token, (conversationId, at) => heard?.(conversationId, at));
    for (let c = 0; c < CONTACTS; c++) {
      const event = new Promise<string>((resolve, reject) => {
        const timeout = setTimeout(() => reject(new Error(`the live bench (${name}): no event for contact ${c}'s first message`)), 10_000);
        heard = (conversationId) => { clearTimeout(timeout); resolve(conversationId); };
      });
      await post(url, c);
      contactOf.set(await event, c);
    }
    if (contactOf.size !== CONTACTS) throw new Error(`the live bench: ${contactOf.size} conversations for ${CONTACTS} contacts`);

    const rows: Row[] = [];
    let from = CONTACTS;
    for (const [load, drive] of loads) {
      const heardAt: number[] = [];
      const pending: number[][] = Array.from({ length: CONTACTS }, () => []);
      let heardCount = 0;
      let unexpected = 0;
      let allHeard!: () => void;
      const everyEvent = new Promise<void>((resolve) => { allHeard = resolve; });
      heard = (conversationId, at) => {
        const contact = contactOf.get(conversationId);
        const i = contact === undefined ? undefined : pending[contact].shift();
        if (i === undefined) return void unexpected++;
        heardAt[i] = at;
        if (++heardCount === LOAD) allHeard();
      };
      const t = await drive(url, from, (i) => pending[i % CONTACTS].push(i));
      const timeout = setTimeout(allHeard, 10_000);
      await everyEvent;
      clearTimeout(timeout);
      if (t.bad || t.answered !== LOAD) throw new Error(`the live bench (${name}, ${load}): ${t.answered} of ${LOAD} posts answered, ${t.bad} not 200 or lost`);
      if (heardCount !== LOAD || unexpected) throw new Error(`the live bench (${name}, ${load}): ${heardCount} of ${LOAD} messages heard, ${unexpected} events matched no message`);

      const numbers = Array.from({ length: LOAD }, (_, n) => from + n);
      const first = t.sentAt[from];
      const last = t.sentAt[from + LOAD - 1];
      const sort = (values: number[]) => values.sort((a, b) => a - b);
      const webhooks = sort(numbers.map((i) => t.answeredAt[i] - t.sentAt[i]));
      const events = sort(numbers.map((i) => heardAt[i] - t.sentAt[i]));
      rows.push({
        name, load, rate: (LOAD - 1) / ((last - first) / 1000),
        // What the load made of "200 a second": the share of posts sent in the first quarter of each second since the first.
        firstQuarter: numbers.filter((i) => (t.sentAt[i] - first) % 1000 < 250).length / LOAD,
        webhookP50: percentile(webhooks, 50), webhookP99: percentile(webhooks, 99), webhookMax: webhooks[LOAD - 1],
        eventP50: percentile(events, 50), eventP95: percentile(events, 95), eventP99: percentile(events, 99), eventMax: events[LOAD - 1],
        afterAnswerP99: percentile(sort(numbers.map((i) => heardAt[i] - t.answeredAt[i])), 99),
      });
      from += LOAD;
    }
    return rows;
  } finally {
    stream?.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const answers = (host: string, port: number) => new Promise<boolean>((resolve) => {
  const s = connect({ host, port, timeout: 1500 }, () => { s.end(); resolve(true); });
  s.on('error', () => resolve(false));
  s.on('timeout', () => { s.destroy(); resolve(false); });
});

/** Runs `work` against a scratch PostgreSQL database, dropped after (as run.ts does). */
export async function withPostgres<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `lamplight_bench_live_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${name}`;
      return await work(url.toString());
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

export async function liveBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lamplight-bench-live-'));
  const rows: Row[] = [];
  const skipped: string[] = [];
  // Both loads, one after the other, on each server: autocannon as asked, and evenly spaced posts.
  const loads: [string, Driver][] = [['autocannon', burst], ['paced', paced]];
  try {
    rows.push(...await measure('SQLite, in-process events', { LIVE_TARGET_DATABASE_URL: `sqlite:${join(dir, 'in-process.sqlite')}` }, loads));
    const redis = new URL(REDIS_URL);
    if (await answers(redis.hostname, Number(redis.port || 6379))) {
      // A channel (and counter key) of its own, deleted after, so a shared Redis keeps nothing of the bench.
      const channel = `lamplight-bench-${randomBytes(6).toString('hex')}`;
      try {
        rows.push(...await measure('SQLite, events through Redis', { LIVE_TARGET_DATABASE_URL: `sqlite:${join(dir, 'redis.sqlite')}`, LIVE_TARGET_REDIS_URL: REDIS_URL, LIVE_TARGET_REDIS_CHANNEL: channel }, loads));
      } finally {
        const { createClient } = await import('redis');
        const client = createClient({ url: REDIS_URL });
        await client.connect();
        await client.del(`${channel}:id`);
        await client.quit();
      }
    } else skipped.push(`Redis at ${REDIS_URL} does not answer`);
    const pg = new URL(POSTGRES_ADMIN_URL);
    if (await answers(pg.hostname, Number(pg.port || 5432))) {
      rows.push(...await withPostgres((url) => measure('PostgreSQL, in-process events', { LIVE_TARGET_DATABASE_URL: url }, loads)));
    } else skipped.push(`PostgreSQL at ${pg.host} does not answer`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ms = (v: number) => v.toFixed(1);
  return [
    '### Live events and webhooks at 200 messages a second',
    '',
    `Lamplight in a child process (its own event loop; demo config, a fake Twilio for its replies, a scratch SQLite file or PostgreSQL database); this process holds one clinician event stream open (GET /api/v1/events with a dev sign-in token, as the tab does) and sends signed Twilio webhooks from ${CONTACTS} contacts over loopback: first one per contact, one at a time (to learn each contact's conversation), then two loads of ${LOAD} posts each at ${RATE} a second, one after the other on the same server: "autocannon" (overallRate ${RATE}, ${CONNECTIONS} connections), and "paced" (one post every ${1000 / RATE} ms on a schedule, whatever the answers). autocannon's overallRate is a budget per second, not a spacing: "first quarter" is the share of posts sent in the first 250 ms of each second (0.25 when even). Webhook latency: from send to the 200. Event lag: from send to the post's message.created arriving on the stream (the n-th event of a conversation is its contact's n-th post; every post is matched, or the bench fails); also its p99 counted from the 200 instead. Goals: webhook p99 <= ${WEBHOOK_GOAL_MS} ms, event p99 <= ${EVENT_GOAL_MS} ms.${skipped.length ? ` Skipped: ${skipped.join('; ')}.` : ''}`,
    '',
    '| server | load | posts/s | first quarter | webhook p50 / p99 / max ms | webhook p99 / goal | event p50 / p95 / p99 / max ms | event p99 / goal | event p99 after the 200, ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.load} | ${r.rate.toFixed(0)} | ${r.firstQuarter.toFixed(2)} | ${ms(r.webhookP50)} / ${ms(r.webhookP99)} / ${ms(r.webhookMax)} | ${(r.webhookP99 / WEBHOOK_GOAL_MS).toFixed(2)}x | ${ms(r.eventP50)} / ${ms(r.eventP95)} / ${ms(r.eventP99)} / ${ms(r.eventMax)} | ${(r.eventP99 / EVENT_GOAL_MS).toFixed(2)}x | ${ms(r.afterAnswerP99)} |`),
  ].join('\n');
}

if (require.main === module && process.argv[2] === 'target') {
  target().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
