import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { FakeTwilio } from '../../adapters/sms/fake';
import { SmsAdapter } from '../../adapters/sms/adapter';
import { TwilioClient } from '../../adapters/sms/client';
import { loadConfig, ServiceDirectory } from '../../bot/config/services';
import { OutboxWorker } from '../../bot/outbox/worker';
import { queueOutbound } from '../../bot/outbox/queue';
import { noTelemetry } from '../../bot/telemetry';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Contact, Conversation, OutboxItem } from '../../db/entities';
import { contactLookupHash, sealContactAddress } from '../../db/sealed-fields';

/**
 * The outbox against a local fake Twilio that takes 20 ms to answer each create-message call
 * (issue 13): sends per second with the worker's default lanes, against one lane as the in-run
 * baseline; and the drain of 1,000 queued replies after a 10-minute outage, on a clock the bench
 * moves, so the real backoff (capped at five minutes) decides when the retries go.
 */
const REPLIES = 1000;
const CONVERSATIONS = 200;
const PER_CONVERSATION = REPLIES / CONVERSATIONS;
const LATENCY_MS = 20;
const OUTAGE_MS = 10 * 60_000;
const STEP_MS = 5_000;
/** The worker's own cap between tries (OutboxWorker's default backoffMaxMs), the drain's goal. */
const BACKOFF_CAP_MS = 5 * 60_000;
const SERVICE_NUMBER = '+447700900101';
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');

/** A scratch SQLite database with CONVERSATIONS open SMS conversations and REPLIES clinician replies queued. */
interface Queued { db: Database; keyring: Keyring; directory: ServiceDirectory; numbers: string[] }

async function queueReplies(file: string, at: number): Promise<Queued> {
  const db = await Database.open(`sqlite:${file}`);
  await db.migrate();
  const keyring = new Keyring(randomBytes(32));
  const directory = new ServiceDirectory(loadConfig());
  const conversations: Conversation[] = [];
  const numbers: string[] = [];
  await db.transaction(async (tx) => {
    const contacts: Contact[] = [];
    for (let c = 0; c < CONVERSATIONS; c++) {
      const id = randomUUID();
      const address = `+4477009${String(20000 + c).padStart(5, '0')}`;
      numbers.push(address);
      contacts.push({ id, channel: 'sms', addressHash: contactLookupHash(keyring, 'sms', address), ...sealContactAddress(keyring, id, address), consent: 'active', consentChangedAt: null, createdAt: at, blockedAt: null });
      conversations.push({
        id: randomUUID(), serviceSlug: 'school-nursing', contactId: id, channel: 'sms', endpointAddress: SERVICE_NUMBER, status: 'open',
        openKey: `open:${id}:school-nursing:sms`, riskLevel: 'none', assignedStaffId: null, createdAt: at - 60_000,
        lastMessageAt: at - 60_000, lastInboundAt: at - 60_000, awaitingReplySince: at - 60_000,
        closedAt: null, outcome: null, recordedAt: null, lastReadAt: null, firstReplyAt: null, outOfHoursAt: null, repeatContact: false,
      });
    }
    await tx.insert(Contact, contacts);
    await tx.insert(Conversation, conversations);
  });
  // Interleaved as clinicians answer many young people at once: reply k of every conversation is
  // queued before reply k + 1 of any, each a millisecond after the last (and all due by `at`).
  for (let start = 0; start < REPLIES; start += CONVERSATIONS) {
    await db.transaction(async (tx) => {
      for (let i = start; i < Math.min(REPLIES, start + CONVERSATIONS); i++) {
        const written = at - REPLIES + i;
        await queueOutbound(tx, keyring, { conversation: conversations[i % CONVERSATIONS], text: `reply ${Math.floor(i / CONVERSATIONS) + 1}`, authorKind: 'clinician', at: written });
      }
    });
  }
  return { db, keyring, directory, numbers };
}

/** The worker as the app builds it, its SMS sender talking to the fake over loopback HTTP. */
function workerFor(q: Queued, apiBaseUrl: string, options: { concurrency?: number; now?: () => number; onSent: () => void }): OutboxWorker {
  const log = pino({ level: 'silent' });
  const sms = new SmsAdapter({
    authToken: AUTH_TOKEN, publicUrl: () => 'http://bench.lamplight.test', isKnownNumber: () => true, log,
    client: new TwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl }), onDeliveryStatus: async () => undefined,
  });
  return new OutboxWorker({
    db: q.db, keyring: q.keyring, senders: { sms }, directory: q.directory, log, telemetry: noTelemetry,
    ...(options.now ? { now: options.now } : {}), ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    onStatus: (change) => { if (change.status === 'sent') options.onSent(); },
  });
}

/**
 * What the fake took is what was queued: every reply once, and in each conversation replies
 * 1, 2, 3... in the order they were queued. Throws otherwise.
 */
async function checkDelivered(q: Queued, twilio: FakeTwilio): Promise<void> {
  const byNumber = new Map<string, number[]>(q.numbers.map((n) => [n, []]));
  for (const sms of twilio.sent) byNumber.get(sms.to)?.push(Number(sms.body.replace('reply ', '')));
  const expected = Array.from({ length: PER_CONVERSATION }, (_, k) => k + 1);
  for (const [number, replies] of byNumber) {
    if (replies.join() !== expected.join()) throw new Error(`the outbox bench: ${number} got replies ${replies.join(',')}, not ${expected.join(',')} in order`);
  }
  const sent = await q.db.manager.countBy(OutboxItem, { status: 'sent' });
  if (twilio.sent.length !== REPLIES || sent !== REPLIES) throw new Error(`the outbox bench: ${twilio.sent.length} messages reached the fake and ${sent} rows are sent, not ${REPLIES}`);
}

/** Sends per second from the worker running as it does in the app (start(): its poller, woken as lanes end). */
async function sendRate(dir: string, concurrency: number | undefined): Promise<{ perSecond: number; seconds: number }> {
  const twilio = new FakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, latencyMs: LATENCY_MS });
  const q = await queueReplies(join(dir, `rate-${concurrency ?? 'default'}.sqlite`), Date.now());
  try {
    const apiBaseUrl = await twilio.listen();
    let sent = 0;
    let allSent!: () => void;
    const done = new Promise<void>((resolve) => { allSent = resolve; });
    const worker = workerFor(q, apiBaseUrl, { concurrency, onSent: () => { if (++sent === REPLIES) allSent(); } });
    const started = performance.now();
    worker.start();
    const timeout = setTimeout(() => allSent(), 60_000);
    await done;
    const seconds = (performance.now() - started) / 1000;
    clearTimeout(timeout);
    await worker.stop();
    await checkDelivered(q, twilio);
    return { perSecond: REPLIES / seconds, seconds };
  } finally {
    await twilio.close();
    await q.db.close();
  }
}

interface Drain { clockMinutes: number; realSeconds: number; refused: number; maxAttempts: number; failed: number; steps: number }

/**
 * The outage: every create-message call answers 500 for ten minutes of the bench's clock, which
 * moves in 5-second steps; at each step the worker runs passes until a pass attempts nothing (as
 * its poller does, woken by each lane's end), so the clock stands still while it sends. Then
 * Twilio recovers and the clock keeps stepping until every reply is sent.
 */
async function drainAfterOutage(dir: string): Promise<Drain> {
  const twilio = new FakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, latencyMs: LATENCY_MS });
  let clock = Date.parse('2026-11-24T10:00:00Z');
  const q = await queueReplies(join(dir, 'outage.sqlite'), clock);
  try {
    const apiBaseUrl = await twilio.listen();
    let sent = 0;
    let lastSentAt = 0;
    const worker = workerFor(q, apiBaseUrl, { now: () => clock, onSent: () => { sent++; lastSentAt = clock; } });
    const passes = async () => { while ((await worker.runOnce()) > 0); };
    let steps = 0;
    // More failures than the outage can use: recover() drops the rest.
    twilio.failNext(REPLIES * 100, 500);
    const outageEnds = clock + OUTAGE_MS;
    for (await passes(); clock + STEP_MS <= outageEnds; steps++) {
      clock += STEP_MS;
      await passes();
    }
    const refused = twilio.requests;
    if (sent !== 0 || twilio.sent.length !== 0 || refused < CONVERSATIONS) throw new Error(`the outbox bench's outage did not hold: ${sent} sent, ${refused} calls refused`);
    twilio.recover();
    const recoveredAt = clock;
    const started = performance.now();
    for (; sent < REPLIES; steps++) {
      if (clock - recoveredAt > 4 * BACKOFF_CAP_MS) throw new Error(`the outbox bench: only ${sent} of ${REPLIES} sent ${(clock - recoveredAt) / 60_000} minutes after the outage`);
      clock += STEP_MS;
      await passes();
    }
    const realSeconds = (performance.now() - started) / 1000;
    await checkDelivered(q, twilio);
    const rows = await q.db.manager.find(OutboxItem, { select: { attempts: true, status: true } });
    return {
      clockMinutes: (lastSentAt - recoveredAt) / 60_000, realSeconds, refused, steps,
      maxAttempts: Math.max(...rows.map((r) => r.attempts)), failed: rows.filter((r) => r.status === 'failed').length,
    };
  } finally {
    await twilio.close();
    await q.db.close();
  }
}

export async function outboxBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lamplight-bench-outbox-'));
  try {
    const lanes = await sendRate(dir, undefined);
    const one = await sendRate(dir, 1);
    const drain = await drainAfterOutage(dir);
    if (drain.failed !== 0) throw new Error(`the outbox bench: ${drain.failed} rows failed after the outage`);
    return [
      `### Outbox: sends per second, and the drain after a 10-minute outage`,
      '',
      `${REPLIES} clinician replies queued with queueOutbound across ${CONVERSATIONS} open SMS conversations (interleaved, ${PER_CONVERSATION} each) in a scratch SQLite file, sent by the OutboxWorker to a FakeTwilio on loopback that waits ${LATENCY_MS} ms before answering each create-message call. Rate: the worker runs as in the app (start(), its poller woken as lanes end) from start until the last row is recorded sent, with its default concurrency and then with concurrency 1 (the baseline in this run, a fresh database each). Outage: on a clock the bench moves in ${STEP_MS / 1000}-second steps, running passes (runOnce) at each step until one attempts nothing, every Twilio call answers 500 for ${OUTAGE_MS / 60_000} minutes of that clock (the worker's real exponential backoff with jitter, capped at ${BACKOFF_CAP_MS / 60_000} minutes); then Twilio recovers and the clock steps on until every row is sent. Both check that the fake received each reply exactly once and, per conversation, in queue order (1..${PER_CONVERSATION}).`,
      '',
      '| measure | figure | against |',
      '|---|---:|---|',
      `| sends/s, default concurrency | ${lanes.perSecond.toFixed(0)} (${lanes.seconds.toFixed(1)} s) | ${(lanes.perSecond / one.perSecond).toFixed(2)}x concurrency 1 |`,
      `| sends/s, concurrency 1 (baseline) | ${one.perSecond.toFixed(0)} (${one.seconds.toFixed(1)} s) | 1 lane can reach at most ${(1000 / LATENCY_MS).toFixed(0)}/s at ${LATENCY_MS} ms: ${(one.perSecond / (1000 / LATENCY_MS)).toFixed(2)} of that |`,
      `| clock minutes from recovery to the last reply sent | ${drain.clockMinutes.toFixed(2)} | ${(drain.clockMinutes / (BACKOFF_CAP_MS / 60_000)).toFixed(2)}x the ${BACKOFF_CAP_MS / 60_000}-minute backoff cap (step ${STEP_MS / 1000} s) |`,
      `| real seconds from recovery to the last reply sent | ${drain.realSeconds.toFixed(1)} | ${(REPLIES / drain.realSeconds).toFixed(0)} sends/s over passes that each wait for their slowest lane |`,
      `| Twilio calls refused during the outage; most attempts of one row | ${drain.refused}; ${drain.maxAttempts} | ${drain.steps} clock steps in all |`,
      `| rows failed or dead-lettered; per-conversation order | ${drain.failed}; kept | ${REPLIES} of ${REPLIES} sent exactly once |`,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
