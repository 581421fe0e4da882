import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { FakeTwilio } from '../../adapters/sms/fake';
import { loadConfig, ServiceDirectory } from '../../bot/config/services';
import { addStaff } from '../../bot/config/staff';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Contact, Conversation, EscalationNotice, Message } from '../../db/entities';
import { openContactAddress } from '../../db/sealed-fields';
import { Instance, InstanceEnv } from '../support/cluster';
import { TestIdentityProvider } from '../support/identity-provider';
import { TestRedis } from '../support/redis';
import { withPostgres } from './live';

/**
 * Several instances under load and faults (issue 16): three server processes on one PostgreSQL and
 * one Redis (a redis-server of the bench's own), taking signed SMS webhooks at a fixed rate from
 * many contacts, round-robin over the instances that are up, while one of instances 2 and 3 is
 * killed (SIGKILL) every KILL_EVERY_MS and started again 2 s later, and Redis is restarted (empty)
 * once. Instance 1 holds a clinician's live stream throughout. Then it counts, from the database
 * and the Twilio fake: webhooks acknowledged, stored, lost (acknowledged, not stored), texts sent
 * twice, escalation steps fired twice, and live-event latency (post to event on instance 1). A
 * second phase measures throughput with one instance and with three (closed loop).
 */
const SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? 60);
const RATE = Number(process.env.BENCH_CLUSTER_RATE ?? 40);
const CONTACTS = 300;
const KILL_EVERY_MS = 12_000;
const HIGH_RISK_EVERY = 25;
const SCALE_SECONDS = 10;
const SCALE_CONNECTIONS = 24;
const SN = '+447700900101';

interface Post { i: number; from: string; sid: string; sentAt: number; ackedAt?: number; status?: number }

const percentile = (values: number[], p: number) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Contacts' numbers: UK mobiles outside any real range used here (the Twilio fake texts nobody). */
const contact = (n: number) => `+4478${String(n).padStart(8, '0')}`;

export async function clusterBench(): Promise<string> {
  if (!(await TestRedis.available())) return 'Cluster bench: skipped (no redis-server on this machine).';
  return withPostgres(async (url) => {
    const bootstrap = await Database.open(url);
    await bootstrap.migrate();
    const directory = new ServiceDirectory(loadConfig());
    await addStaff(bootstrap, directory, { email: 'nurse@example.nhs.uk', name: 'Nurse', role: 'clinician', service: 'school-nursing' });
    const account = { sid: `AC${randomBytes(16).toString('hex')}`, token: randomBytes(16).toString('hex') };
    const twilio = new FakeTwilio({ accountSid: account.sid, authToken: account.token });
    const idp = await new TestIdentityProvider().start();
    const redis = await new TestRedis().start();
    const dataKey = randomBytes(32).toString('base64');
    const env: InstanceEnv = {
      databaseUrl: url, dataKey, clock: 'real',
      twilio: { sid: account.sid, token: account.token, url: await twilio.listen() },
      auth: { issuer: idp.issuer, audience: idp.audience, jwksUrl: idp.jwksUrl }, redis: { url: redis.url, channel: 'lamplight-bench-cluster' },
    };
    const instances: (Instance | undefined)[] = await Promise.all([0, 1, 2].map(() => Instance.start(env)));
    try {
      // A clinician's stream on instance 1, kept for the whole run.
      const events: { conversationId: string; at: number }[] = [];
      const controller = new AbortController();
      const stream = await fetch(`${instances[0]!.url}/api/v1/events`, { headers: { authorization: `Bearer ${await idp.token('nurse@example.nhs.uk', { expiresIn: '1h' })}` }, signal: controller.signal });
      const reading = (async () => {
        const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let split: number;
          while ((split = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, split);
            buffer = buffer.slice(split + 2);
            if (/^event: message\.created$/m.test(block)) events.push({ conversationId: JSON.parse(/^data: (.*)$/m.exec(block)![1]).conversationId, at: performance.now() });
          }
        }
      })().catch(() => undefined);

      // Phase 1: fixed rate under kills and a Redis restart.
      const posts: Post[] = [];
      let next = 0;
      const post = async (p: Post): Promise<void> => {
        for (let tries = 0; tries < 6; tries++) {
          const up = instances.map((x, n) => (x ? n : -1)).filter((n) => n >= 0);
          const target = instances[up[(p.i + tries) % up.length]]!;
          const body = p.i % HIGH_RISK_EVERY === 0 ? 'ive taken loads of pills' : `hello, question ${p.i}`;
          try {
            const response = await twilio.postSigned(`${target.url}/api/sms/twilio`, twilio.inboundFields({ from: p.from, to: SN, body, messageSid: p.sid }), `${target.publicUrl}/api/sms/twilio`);
            p.status = response.status;
            if (response.status === 200) {
              p.ackedAt = performance.now();
              return;
            }
          } catch (error) {
            // The instance died under the request: as a provider would, send it again (same message id) elsewhere.
            p.status = -1;
            if (process.env.BENCH_DEBUG) process.stderr.write(`post ${p.i}: ${(error as Error).message}\n`);
          }
          await sleep(200);
        }
      };
      const inflight: Promise<void>[] = [];
      const started = performance.now();
      let redisRestarted = false;
      let kills = 0;
      const killer = setInterval(() => {
        const n = 1 + Math.floor(Math.random() * 2);
        const victim = instances[n];
        if (!victim) return;
        instances[n] = undefined;
        kills++;
        const restart = async (): Promise<void> => {
          for (;;) {
            try {
              instances[n] = await Instance.start(env);
              return;
            } catch {
              await sleep(1000);
            }
          }
        };
        void victim.kill().then(() => sleep(2000)).then(restart);
      }, KILL_EVERY_MS);
      while (performance.now() - started < SECONDS * 1000) {
        const due = Math.floor(((performance.now() - started) / 1000) * RATE);
        while (next < due) {
          const i = next++;
          const p: Post = { i, from: contact(i % CONTACTS), sid: `SM${randomBytes(16).toString('hex')}`, sentAt: performance.now() };
          posts.push(p);
          inflight.push(post(p));
        }
        if (!redisRestarted && performance.now() - started > (SECONDS * 1000) / 2) {
          redisRestarted = true;
          await redis.stop();
          await sleep(1000);
          await redis.start();
        }
        await sleep(10);
      }
      clearInterval(killer);
      await Promise.all(inflight);
      // Every instance up again, then the leases of rows a killed instance held (60 s) run out and the outbox drains.
      while (instances.some((x) => !x)) await sleep(200);
      const drainStarted = performance.now();
      let stable = 0;
      let lastCount = -1;
      while (performance.now() - drainStarted < 150_000) {
        const [{ n }] = await bootstrap.dataSource.query(`SELECT COUNT(*)::int AS n FROM outbox_item WHERE status IN ('pending', 'sending')`);
        if (n === 0 && twilio.sent.length === lastCount) stable++;
        else stable = 0;
        lastCount = twilio.sent.length;
        if (stable >= 3) break;
        await sleep(1000);
      }
      controller.abort();
      await reading;

      // Counting.
      const acked = posts.filter((p) => p.ackedAt !== undefined);
      if (process.env.BENCH_DEBUG) {
        const codes = new Map<number, number>();
        for (const p of posts) codes.set(p.status ?? 0, (codes.get(p.status ?? 0) ?? 0) + 1);
        process.stderr.write(`final statuses: ${JSON.stringify([...codes])}\n`);
      }
      const stored = new Set((await bootstrap.manager.find(Message, { select: { externalId: true }, where: { direction: 'in' } })).map((m) => m.externalId));
      const lost = acked.filter((p) => !stored.has(p.sid)).length;
      const storedTwice = Number((await bootstrap.dataSource.query(`SELECT COUNT(*)::int AS n FROM (SELECT "externalId" FROM message WHERE direction = 'in' GROUP BY channel, "externalId" HAVING COUNT(*) > 1) d`))[0].n);
      const welcome = directory.bySlugOrUndefined('school-nursing')!.autoReplies.welcome.split('{')[0];
      const byRecipient = new Map<string, number>();
      for (const s of twilio.sent.filter((x) => x.body.startsWith(welcome))) byRecipient.set(s.to, (byRecipient.get(s.to) ?? 0) + 1);
      const welcomesTwice = [...byRecipient.values()].filter((n) => n > 1).length;
      const outboundRows = await bootstrap.manager.count(Message, { where: { direction: 'out' } });
      const textsSent = twilio.sent.length;
      const stepsTwice = Number((await bootstrap.dataSource.query(`SELECT COUNT(*)::int AS n FROM (SELECT "escalationId", step FROM escalation_notice GROUP BY "escalationId", step HAVING COUNT(*) > 1) d`))[0].n);
      const escalationSteps = await bootstrap.manager.count(EscalationNotice);
      // Live latency: post acknowledged -> the first message.created on instance 1's stream for that contact's conversation after it was sent.
      const keyring = Keyring.fromBase64(dataKey);
      const contactOf = new Map<string, string>();
      for (const c of await bootstrap.manager.find(Contact)) contactOf.set(c.id, openContactAddress(keyring, c));
      const phoneOf = new Map<string, string>();
      for (const v of await bootstrap.manager.find(Conversation)) phoneOf.set(v.id, contactOf.get(v.contactId)!);
      const eventsByPhone = new Map<string, number[]>();
      for (const e of events) {
        const phone = phoneOf.get(e.conversationId);
        if (phone) eventsByPhone.set(phone, [...(eventsByPhone.get(phone) ?? []), e.at]);
      }
      const latencies: number[] = [];
      let missedEvents = 0;
      for (const p of acked) {
        const at = (eventsByPhone.get(p.from) ?? []).find((t) => t >= p.sentAt);
        if (at === undefined) missedEvents++;
        else latencies.push(at - p.sentAt);
      }

      // Phase 2: throughput, one instance and three, closed loop.
      const throughput = async (targets: Instance[]) => {
        let n = 0;
        let done = 0;
        const end = performance.now() + SCALE_SECONDS * 1000;
        await Promise.all(Array.from({ length: SCALE_CONNECTIONS }, async (_, c) => {
          while (performance.now() < end) {
            const i = n++;
            const target = targets[i % targets.length];
            const r = await twilio.postSigned(`${target.url}/api/sms/twilio`, twilio.inboundFields({ from: contact(1000 + ((c * 7919 + i) % 2000)), to: SN, body: `load ${i}`, messageSid: `SM${randomBytes(16).toString('hex')}` }), `${target.publicUrl}/api/sms/twilio`).catch(() => undefined);
            if (r?.status === 200) done++;
          }
        }));
        return done / SCALE_SECONDS;
      };
      const all = instances.map((x) => x!);
      const one = await throughput([all[0]]);
      const three = await throughput(all);

      const ms = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(0)} ms`);
      return [
        `Cluster bench: 3 instances on PostgreSQL and Redis, ${SECONDS} s of signed SMS webhooks at ${RATE}/s from ${CONTACTS} contacts (1 in ${HIGH_RISK_EVERY} high risk), round-robin over the instances that are up; ${kills} kills (SIGKILL, one of instances 2 and 3 every ${KILL_EVERY_MS / 1000} s, started again 2 s later); Redis restarted empty once, half way. Webhooks to a dead instance are sent again elsewhere with the same message id, as a provider would. ${cpus().length} cores, Node ${process.version}.`,
        '',
        '| measure | result | target |',
        '|---|---|---|',
        `| webhooks posted / acknowledged | ${posts.length} / ${acked.length} | |`,
        `| acknowledged and stored / lost | ${acked.length - lost} / **${lost}** | 0 lost |`,
        `| messages stored twice | **${storedTwice}** | 0 |`,
        `| texts sent (Twilio fake) / outbound messages stored | ${textsSent} / ${outboundRows} | equal |`,
        `| contacts who got the welcome twice | **${welcomesTwice}** | 0 |`,
        `| escalation steps / fired twice | ${escalationSteps} / **${stepsTwice}** | 0 twice |`,
        `| live event on instance 1, p50 / p99 (post sent to event) | ${ms(percentile(latencies, 50))} / **${ms(percentile(latencies, 99))}** | p99 <= 1 s |`,
        `| acknowledged posts with no event on instance 1 (their instance died before publishing, or Redis was away: those inboxes were told to reload) | ${missedEvents} | |`,
        `| throughput, 1 instance / 3 instances (closed loop, ${SCALE_CONNECTIONS} connections, ${SCALE_SECONDS} s) | ${one.toFixed(0)}/s / ${three.toFixed(0)}/s: **${(three / one / 3).toFixed(2)}x per instance** | >= 0.8x until PostgreSQL saturates |`,
      ].join('\n');
    } finally {
      await Promise.all(instances.map((x) => x?.stop()));
      await bootstrap.close();
      await redis.stop();
      await twilio.close();
      await idp.close();
    }
  });
}
