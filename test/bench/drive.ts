import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { twilioSignature } from '../../adapters/sms/signature';
import inboundTemplate from '../../adapters/sms/fixtures/inbound__text.json';

/**
 * What the benches that drive a real server share: the Twilio account every target of this bench
 * process trusts, starting a target (test/bench/target.ts) in its own process, a signed SMS
 * webhook, and a fixed-count load driven by autocannon.
 */
export const BENCH_TWILIO = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex'), publicUrl: 'http://bench.lamplight.test' };

// autocannon ships no types; this is the part of its API the benches use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const autocannon = require('autocannon') as (options: {
  url: string; connections: number; amount: number; pipelining?: number;
  requests: { method: string; path: string; headers: Record<string, string>; setupRequest: (request: { method: string; path: string; headers: Record<string, string>; body?: string }) => { method: string; path: string; headers: Record<string, string>; body?: string }; onResponse?: () => void }[];
}) => Promise<{ duration: number; requests: { total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number }>;

/** A server under benchmark (`baseline`: the echo bot; `lamplight`: the real gateway), once it prints its URL. */
export async function startTarget(mode: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  // BENCH_PROFILE=<folder>: each target writes a V8 CPU profile there (open it in Chrome's DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, join(__dirname, 'target.js'), mode], {
    env: { ...process.env, ...env, BENCH_TWILIO_AUTH_TOKEN: BENCH_TWILIO.authToken, BENCH_TWILIO_ACCOUNT_SID: BENCH_TWILIO.accountSid },
    // The IPC channel asks the target for its CPU time (process.cpuUsage) before and after a load.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${mode} target exited with ${code}`)));
  });
  return { url: JSON.parse(line).url, child };
}

/** Stops a target and waits for it to go. */
export async function stopTarget(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** One request of a load: where it goes, with what. */
export type Load = (i: number) => { path: string; headers: Record<string, string>; body: string };

/** A signed Twilio post to school nursing's SMS number, with this message id, from this number. */
export function signedSms(messageNumber: number, from: string): ReturnType<Load> {
  const sid = `SM${messageNumber.toString(16).padStart(32, '0')}`;
  const fields = new URLSearchParams({
    ...inboundTemplate, MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, AccountSid: BENCH_TWILIO.accountSid,
    From: from, To: '+447700900101',
    Body: `benchmark message ${messageNumber}: can I talk to someone about something at home?`,
  });
  const signature = twilioSignature(BENCH_TWILIO.authToken, `${BENCH_TWILIO.publicUrl}/api/sms/twilio`, fields);
  return { path: '/api/sms/twilio', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: fields.toString() };
}

/**
 * A load of `count` requests from request number `from` on, over `connections` connections,
 * driven by autocannon (the fetch loop it replaced capped the echo bot at about 620 requests a
 * second, which flattered every ratio). The rate is counted up to the last answer.
 */
export async function load(url: string, from: number, count: number, request: Load, connections: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  let next = from;
  let finished = 0;
  const started = performance.now();
  const result = await autocannon({
    url, connections, amount: count,
    requests: [{
      method: 'POST', path: '/', headers: {},
      setupRequest: () => {
        const { path, headers, body } = request(next++);
        // The headers replace autocannon's own, Host among them (restify needs it to route).
        return { method: 'POST', path, headers: { host: new URL(url).host, ...headers }, body };
      },
      onResponse: () => { finished = performance.now(); },
    }],
  });
  // Up to the last answer: autocannon resolves (and counts its duration) on whole-second ticks.
  return { rps: (result.requests.total / (finished - started)) * 1000, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors + result.timeouts };
}
