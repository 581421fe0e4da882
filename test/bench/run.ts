import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'node:net';
import { twilioSignature } from '../../adapters/sms/signature';
import inboundTemplate from '../../adapters/sms/fixtures/inbound__text.json';
import { POSTGRES_ADMIN_URL } from '../support/database';
import { Client } from 'pg';
import { inboxBench } from './inbox';
import { triageBench } from './triage';

/**
 * `npm run bench`: inbound SMS webhooks (and web chat posts) per second and latency to the 200, for
 * Lamplight on SQLite and on PostgreSQL and for a bare botbuilder + restify echo bot, all in this one run. The ratio
 * to the baseline is the figure that means something; absolute numbers depend on the machine.
 * Loopback only; every load is a fixed number of requests.
 */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CONTACTS = 200;
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const PUBLIC_URL = 'http://bench.lamplight.test';

interface Result { name: string; rps: number; p50: number; p99: number; errors: number }

async function startTarget(mode: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(__dirname, 'target.js'), mode], {
    env: { ...process.env, ...env, BENCH_TWILIO_AUTH_TOKEN: AUTH_TOKEN, BENCH_TWILIO_ACCOUNT_SID: ACCOUNT_SID },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${mode} target exited with ${code}`)));
  });
  return { url: JSON.parse(line).url, child };
}

function webhook(i: number): { body: string; signature: string } {
  const sid = `SM${i.toString(16).padStart(32, '0')}`;
  const fields = new URLSearchParams({
    ...inboundTemplate, MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, AccountSid: ACCOUNT_SID,
    From: `+447700900${String(100 + (i % CONTACTS)).padStart(3, '0')}`, To: '+447700900101',
    Body: `benchmark message ${i}: can I talk to someone about something at home?`,
  });
  return { body: fields.toString(), signature: twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/api/sms/twilio`, fields) };
}

/** One request of a load: where it goes, with what. */
type Load = (i: number) => { path: string; headers: Record<string, string>; body: string };

const smsWebhook: Load = (i) => {
  const { body, signature } = webhook(i);
  return { path: '/api/sms/twilio', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body };
};

/**
 * Web chat posts as the official client sends them, from as many chats as there are SMS contacts
 * (their tokens fetched before the clock starts), each post with its own clientActivityID.
 */
async function webchatPosts(url: string): Promise<Load> {
  const chats: { token: string; conversationId: string; userId: string }[] = [];
  for (let c = 0; c < CONTACTS; c++) {
    const response = await fetch(`${url}/api/webchat/school-nursing/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (response.status !== 200) throw new Error(`web chat token: ${response.status}`);
    chats.push(await response.json());
  }
  return (i) => {
    const chat = chats[i % CONTACTS];
    return {
      path: `/v3/directline/conversations/${chat.conversationId}/activities`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${chat.token}` },
      body: JSON.stringify({ type: 'message', from: { id: chat.userId, role: 'user' }, text: `benchmark message ${i}: can I talk to someone about something at home?`, channelData: { clientActivityID: `bench-${i}` } }),
    };
  };
}

async function load(url: string, from: number, count: number, request: Load): Promise<{ latencies: number[]; elapsedMs: number; errors: number }> {
  const latencies: number[] = [];
  let next = from;
  let errors = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < from + count) {
      const { path, headers, body } = request(next++);
      const t0 = performance.now();
      const response = await fetch(`${url}${path}`, { method: 'POST', headers, body });
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (response.status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { latencies, elapsedMs: performance.now() - started, errors };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(name: string, mode: string, env: Record<string, string>, requests: (url: string) => Promise<Load> = async () => smsWebhook): Promise<Result> {
  const { url, child } = await startTarget(mode, env);
  try {
    const request = await requests(url);
    await load(url, 0, WARMUP, request);
    const { latencies, elapsedMs, errors } = await load(url, WARMUP, REQUESTS, request);
    latencies.sort((a, b) => a - b);
    return { name, rps: (REQUESTS / elapsedMs) * 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const postgresUp = () => new Promise<boolean>((resolve) => {
  const s = connect({ host: '127.0.0.1', port: 5432, timeout: 1500 }, () => { s.end(); resolve(true); });
  s.on('error', () => resolve(false));
  s.on('timeout', () => { s.destroy(); resolve(false); });
});

/** A scratch SQLite file, and a scratch PostgreSQL database when PostgreSQL answers. */
async function inboxDatabases(): Promise<{ name: string; url: string; drop: () => Promise<void> }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lamplight-bench-inbox-'));
  const targets = [{ name: 'SQLite', url: `sqlite:${join(dir, 'inbox.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) }];
  if (await postgresUp()) {
    const name = `lamplight_bench_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    targets.push({
      name: 'PostgreSQL',
      url: url.toString(),
      drop: async () => {
        const c = new Client({ connectionString: POSTGRES_ADMIN_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    });
  }
  return targets;
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (!only || only === 'triage') process.stdout.write(`${triageBench()}\n\n`);
  if (only === 'triage') return;
  if (!only || only === 'inbox') process.stdout.write(`${await inboxBench(await inboxDatabases())}\n\n`);
  if (only === 'inbox') return;
  const results: Result[] = [];
  results.push(await measure('baseline: bare botbuilder + restify echo bot', 'baseline', {}));

  const dir = mkdtempSync(join(tmpdir(), 'lamplight-bench-'));
  try {
    results.push(await measure('Lamplight on SQLite', 'lamplight', { DATABASE_URL: `sqlite:${join(dir, 'bench.sqlite')}` }));
    results.push(await measure('Lamplight on SQLite, web chat posts (Direct Line)', 'lamplight', { DATABASE_URL: `sqlite:${join(dir, 'bench-webchat.sqlite')}` }, webchatPosts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (await postgresUp()) {
    const name = `lamplight_bench_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${name}`;
      results.push(await measure('Lamplight on PostgreSQL', 'lamplight', { DATABASE_URL: url.toString() }));
      await admin.query(`CREATE DATABASE ${name}_wc`);
      try {
        url.pathname = `/${name}_wc`;
        results.push(await measure('Lamplight on PostgreSQL, web chat posts (Direct Line)', 'lamplight', { DATABASE_URL: url.toString() }, webchatPosts));
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name}_wc WITH (FORCE)`);
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } else {
    process.stdout.write('(PostgreSQL at 127.0.0.1:5432 does not answer: its row is skipped)\n');
  }

  const base = results[0].rps;
  process.stdout.write(`\nInbound messages: ${REQUESTS} signed Twilio posts (or web chat posts with a token) after ${WARMUP} warm-up, ${CONCURRENCY} at a time, ${CONTACTS} contacts (or chats), loopback; the baseline echo bot takes the SMS posts; ${cpus().length} cores, Node ${process.version}\n\n`);
  process.stdout.write('| server | posts/s | p50 ms | p99 ms | non-200 | throughput vs baseline |\n|---|---:|---:|---:|---:|---:|\n');
  for (const r of results) {
    process.stdout.write(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${(r.rps / base).toFixed(2)} |\n`);
  }
  if (results.some((r) => r.errors > 0)) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
