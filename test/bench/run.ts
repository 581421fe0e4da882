import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { POSTGRES_ADMIN_URL } from '../support/database';
import { Client } from 'pg';
import { inboxBench } from './inbox';
import { triageBench } from './triage';
import { scaleBench } from './scale';
import { reportsBench } from './reports';
import { clusterBench } from './cluster';
import { outboxBench } from './outbox';
import { liveBench } from './live';
import { bigConversationBench } from './big-conversation';
import { load, Load, signedSms, startTarget, stopTarget } from './drive';

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
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Result { name: string; rps: number; p50: number; p99: number; errors: number; cpuMsPerRequest: number; unitsPerCommit?: number }

/** SMS posts from CONTACTS numbers, each with its own message id. */
const smsWebhook: Load = (i) => signedSms(i, `+447700900${String(100 + (i % CONTACTS)).padStart(3, '0')}`);

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

interface Usage { cpuMs: number; commits?: { commits: number; units: number } }

/** The target's CPU time so far (user + system), in milliseconds, and its SQLite commits so far. */
function usageOf(child: ChildProcess): Promise<Usage> {
  return new Promise((resolve) => {
    child.once('message', (m: { user: number; system: number; commits?: Usage['commits'] }) => resolve({ cpuMs: (m.user + m.system) / 1000, commits: m.commits }));
    child.send('cpu');
  });
}

async function measure(name: string, mode: string, env: Record<string, string>, requests: (url: string) => Promise<Load> = async () => smsWebhook): Promise<Result> {
  const { url, child } = await startTarget(mode, env);
  try {
    const request = await requests(url);
    await load(url, 0, WARMUP, request, CONCURRENCY);
    const before = await usageOf(child);
    const { rps, p50, p99, errors } = await load(url, WARMUP, REQUESTS, request, CONCURRENCY);
    const after = await usageOf(child);
    const commits = before.commits && after.commits && after.commits.commits > before.commits.commits
      ? (after.commits.units - before.commits.units) / (after.commits.commits - before.commits.commits) : undefined;
    return { name, rps, p50, p99, errors, cpuMsPerRequest: (after.cpuMs - before.cpuMs) / REQUESTS, unitsPerCommit: commits };
  } finally {
    await stopTarget(child);
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

/** The parts of `npm run bench`, in the order a whole run takes them; `npm run bench -- <part>` runs one. */
const PARTS: Record<string, () => Promise<void>> = {
  triage: async () => { process.stdout.write(`${triageBench()}\n\n`); },
  inbox: async () => { process.stdout.write(`${await inboxBench(await inboxDatabases())}\n\n`); },
  inbound,
  scale: async () => { process.stdout.write(`${await scaleBench()}\n\n`); },
  reports: async () => { process.stdout.write(`${await reportsBench()}\n\n`); },
  cluster: async () => { process.stdout.write(`${await clusterBench()}\n\n`); },
  outbox: async () => { process.stdout.write(`${await outboxBench()}\n\n`); },
  live: async () => { process.stdout.write(`${await liveBench()}\n\n`); },
  'big-conversation': async () => { process.stdout.write(`${await bigConversationBench()}\n\n`); },
};

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined && !Object.hasOwn(PARTS, only)) throw new Error(`npm run bench -- <part>: the part is one of ${Object.keys(PARTS).join(', ')}`);
  for (const [name, part] of Object.entries(PARTS)) if (only === undefined || only === name) await part();
}

/** Inbound messages per second against the echo bot (the headline figure). */
async function inbound(): Promise<void> {
  const results: Result[] = [];
  // The headline pair, SMS on SQLite against the echo bot, is measured RUNS times, alternating, on
  // a fresh database each time; the ratio reported is the median of the runs' own ratios.
  const pairs: [Result, Result][] = [];
  const dir = mkdtempSync(join(tmpdir(), 'lamplight-bench-'));
  try {
    for (let run = 1; run <= RUNS; run++) {
      const echo = await measure(`baseline: bare botbuilder + restify echo bot (run ${run})`, 'baseline', {});
      const sqlite = await measure(`Lamplight on SQLite (run ${run})`, 'lamplight', { DATABASE_URL: `sqlite:${join(dir, `bench-${run}.sqlite`)}` });
      pairs.push([echo, sqlite]);
      results.push(echo, sqlite);
    }
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

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const base = median(pairs.map(([echo]) => echo.rps));
  process.stdout.write(`\nInbound messages: ${REQUESTS} signed Twilio posts (or web chat posts with a token) after ${WARMUP} warm-up, ${CONCURRENCY} connections driven by autocannon, ${CONTACTS} contacts (or chats), loopback; the baseline echo bot takes the SMS posts; a row without a run number is compared with the runs' median echo bot; ${cpus().length} cores, Node ${process.version}\n\n`);
  process.stdout.write('| server | posts/s | p50 ms | p99 ms | non-200 | CPU ms per post | units per SQLite commit | throughput vs baseline |\n|---|---:|---:|---:|---:|---:|---:|---:|\n');
  for (const r of results) {
    const pair = pairs.find(([, l]) => l === r);
    const ratio = r.name.startsWith('baseline') ? 1 : r.rps / (pair ? pair[0].rps : base);
    process.stdout.write(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${r.cpuMsPerRequest.toFixed(2)} | ${r.unitsPerCommit?.toFixed(1) ?? ''} | ${ratio.toFixed(2)} |\n`);
  }
  const ratios = pairs.map(([echo, sqlite]) => sqlite.rps / echo.rps);
  process.stdout.write(`\n**SMS on SQLite against the echo bot, median of ${RUNS} runs: ${median(ratios).toFixed(2)}** (runs: ${ratios.map((r) => r.toFixed(2)).join(', ')}); CPU per post ${median(pairs.map(([, l]) => l.cpuMsPerRequest)).toFixed(2)} ms against the echo bot's ${median(pairs.map(([e]) => e.cpuMsPerRequest)).toFixed(2)} ms\n`);
  if (results.some((r) => r.errors > 0)) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
