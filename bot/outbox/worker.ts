import type { Logger } from 'pino';
import { ChannelSender, OutboundTemplate, OutboundText, ProviderError, WINDOW_CLOSED_CODES } from '../../adapters/channel';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Channel, Contact, Conversation, Message, OutboxItem } from '../../db/entities';
import { openContactAddress, openMessageBody } from '../../db/sealed-fields';
import { Poller } from '../poller';
import type { Telemetry } from '../telemetry';
import type { ServiceDirectory } from '../config/services';
import { planSend } from './send-guards';
import { change, columnsOf, rowOf, sql } from '../../db/rows';

/** OutboxWorker.claim's one statement (exported for the schema test that checks it is read off indexes). */
export const CLAIM_SQL = `UPDATE outbox_item SET status = 'sending', "lockedUntil" = ?, attempts = ?, "updatedAt" = ?
  WHERE id = ? AND attempts = ? AND ((status = 'pending' AND "nextAttemptAt" <= ?) OR (status = 'sending' AND "lockedUntil" < ?))
  AND (? = 1 OR NOT EXISTS (SELECT 1 FROM outbox_item earlier WHERE earlier."conversationId" = ? AND earlier.channel = ? AND earlier.id <> ?
    AND (earlier."createdAt" < ? OR (earlier."createdAt" = ? AND earlier.id < ?))
    AND (earlier.status IN ('pending', 'sending') OR (earlier.status = 'failed' AND earlier."holdsLater" = ?))))`;

/**
 * What goes to a person (a notice in their Teams chat, an escalation alert by text or email) goes
 * in no order: each is its own lane, so one person's message that waits for a retry (their mail
 * domain saying "try later", Teams throttling their chat) never holds up another's, nor the
 * duty-lead channel's card. Everything else goes in order within its conversation and channel
 * (the card's post before its updates; a young person's replies in the order written).
 */
const UNORDERED: ReadonlySet<string> = new Set(['teams-notice', 'alert-sms', 'alert-email']);

export interface OutboxWorkerOptions {
  db: Database;
  keyring: Keyring;
  senders: Partial<Record<Channel, ChannelSender>>;
  /** The services, for their approved reply templates (a reply after a channel's window closed). */
  directory?: ServiceDirectory;
  log: Logger;
  telemetry: Telemetry;
  now?: () => number;
  random?: () => number;
  pollIntervalMs?: number;
  /** How long a claimed row is ours; after that a crashed worker's row is taken up again. */
  leaseMs?: number;
  /**
   * How long a row keeps being retried while the provider's answers say the failure is
   * transient (timeouts, 5xx, 429): hours, so an outage delays messages rather than losing them.
   */
  retryForMs?: number;
  /** An extra cap on attempts (tests); by default only the retry window ends retrying. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  batchSize?: number;
  /** Sends in flight at once, each to a different conversation (a provider that hangs on one holds one slot). */
  concurrency?: number;
  /**
   * Further slots only safety and holding texts and escalation cards may take: when a provider
   * hangs on every ordinary slot, the next text to someone at risk still goes at once.
   */
  urgentConcurrency?: number;
  /**
   * Slots of their own for what goes to people (notices in Teams, alerts by text and email), apart
   * from the others: however many a step alerts, and however long a mail relay hangs, the contacts'
   * lanes keep theirs.
   */
  staffConcurrency?: number;
  /** Posts escalation cards to Teams (rows with channel `teams`); absent = such rows fail. */
  cards?: { send(item: OutboxItem): Promise<{ providerMessageId: string }> };
  /** Sends escalation alerts to staff by text and email (rows with channel `alert-sms`, `alert-email`); absent = such rows fail. */
  alerts?: { send(item: OutboxItem): Promise<{ providerMessageId: string } | { cancelled: string }> };
  /** Told after a row's status is recorded (sent, retrying, failed), for live updates. */
  onStatus?: (change: { conversationId: string; serviceSlug: string; status: string }) => void;
}

/**
 * Sends what the outbox holds, oldest first and in order within each conversation. Rows are
 * claimed with a conditional update, so two workers (or a restarted one) never both send a row
 * they both saw as due. A send that the provider may have accepted just before a crash is the one
 * case that can repeat: providers offer no idempotency key for new messages.
 */
export class OutboxWorker {
  private readonly o: Required<Omit<OutboxWorkerOptions, 'senders' | 'onStatus' | 'cards' | 'alerts' | 'directory'>> & Pick<OutboxWorkerOptions, 'senders' | 'onStatus' | 'cards' | 'alerts' | 'directory'>;
  private readonly poller: Poller;
  /** Set while stop() waits: the lanes in flight finish their current send and take no more. */
  private draining = false;
  /** Lanes sending now, by conversation and channel. */
  private readonly sending = new Map<string, Promise<void>>();
  /** Of those, the lanes to people (each one row: a notice or an alert). */
  private readonly sendingToPeople = new Set<string>();

  constructor(options: OutboxWorkerOptions) {
    this.o = {
      now: Date.now,
      random: Math.random,
      pollIntervalMs: 1000,
      leaseMs: 60_000,
      retryForMs: 6 * 60 * 60_000,
      maxAttempts: Number.POSITIVE_INFINITY,
      backoffBaseMs: 2000,
      // At most five minutes between tries, so the queue drains soon after an outage ends.
      backoffMaxMs: 5 * 60_000,
      batchSize: 25,
      concurrency: 4,
      urgentConcurrency: 2,
      staffConcurrency: 3,
      ...options,
    };
    this.poller = new Poller(() => this.dispatch(), this.o.pollIntervalMs, (error) => this.o.log.error({ event: 'outbox.poll_failed', err: { name: (error as Error).name } }, 'outbox poll failed'));
  }

  start(): void {
    this.poller.start();
  }

  /** Called after a commit that queued something, so replies do not wait for the next poll. */
  wake(): void {
    this.poller.wake();
  }

  /** Waits until no lane is sending (tests; stop). */
  async settle(): Promise<void> {
    while (this.sending.size) await Promise.all(this.sending.values());
  }

  /** Stops polling and waits for the sends in flight to finish and be recorded. */
  async stop(): Promise<void> {
    this.draining = true;
    try {
      await this.poller.stop();
      await this.settle();
    } finally {
      this.draining = false;
    }
  }

  /**
   * One pass over what is due, waiting for the sends it started; returns how many rows were
   * attempted. (The poller does not wait: see dispatch.)
   */
  async runOnce(): Promise<number> {
    return (await this.dispatch()).done;
  }

  /**
   * Starts sending what is due, a lane per conversation and channel, in as many lanes as are free
   * (`concurrency`), safety texts' lanes first; a lane sends its rows one after another, in order.
   * Returns once the lanes are started, so the poller never waits on a provider: a send that hangs
   * holds its own lane for at most the client's timeout, while the next pass starts lanes for
   * everything else. When a lane ends the poller is woken for whatever waited behind it.
   */
  private async dispatch(): Promise<{ done: Promise<number> }> {
    const now = this.o.now();
    // A lane per conversation and channel, represented by its head: the first row still to go. A
    // pass takes only heads that are due (nothing behind a row waiting for its retry, being sent,
    // or failed and holding the rest can go anyway), ranked by the most urgent row anywhere in
    // their lane, so a safety text queued behind a nurse's reply moves that lane up without
    // overtaking the reply. Taking rows instead let blocked rows fill the batch: held
    // conversations, or safety texts behind due replies that were not in it, stopped the outbox.
    // Ordered lanes (contacts' texts, the duty-lead channel's card), and apart from them the rows to
    // people (notices, alerts), each its own lane: a step that alerts many people must neither fill
    // the batch nor every send slot, or a young person's reply or safety text would wait behind it.
    const ordered = await this.o.db.manager.createQueryBuilder(OutboxItem, 'o')
      .addSelect(`(SELECT MAX(u.priority) FROM outbox_item u WHERE u."conversationId" = o."conversationId" AND u.channel = o.channel AND u.status IN ('pending', 'sending'))`, 'lane_priority')
      .where(`((o.status = 'pending' AND o."nextAttemptAt" <= :now) OR (o.status = 'sending' AND o."lockedUntil" < :now))`, { now })
      .andWhere('o.channel NOT IN (:...unordered)', { unordered: [...UNORDERED] })
      .andWhere(`NOT EXISTS (SELECT 1 FROM outbox_item b WHERE b."conversationId" = o."conversationId" AND b.channel = o.channel
        AND (b."createdAt" < o."createdAt" OR (b."createdAt" = o."createdAt" AND b.id < o.id))
        AND (b.status IN ('pending', 'sending') OR (b.status = 'failed' AND b."holdsLater" = :held)))`, { held: true })
      // Safety and holding texts first, then escalation cards, then the rest, oldest first.
      .orderBy('lane_priority', 'DESC').addOrderBy('o.createdAt', 'ASC')
      .take(this.o.batchSize)
      .getRawAndEntities();
    const toPeople = await this.o.db.manager.createQueryBuilder(OutboxItem, 'o')
      .where(`((o.status = 'pending' AND o."nextAttemptAt" <= :now) OR (o.status = 'sending' AND o."lockedUntil" < :now))`, { now })
      .andWhere('o.channel IN (:...unordered)', { unordered: [...UNORDERED] })
      .orderBy('o.priority', 'DESC').addOrderBy('o.createdAt', 'ASC')
      .take(this.o.staffConcurrency * 2)
      .getMany();
    const lanes = [
      ...ordered.entities.map((head, i) => ({ key: `${head.conversationId}:${head.channel}`, head, urgent: Number(ordered.raw[i]?.lane_priority ?? head.priority) > 0, toPerson: false })),
      ...toPeople.map((head) => ({ key: `${head.conversationId}:${head.channel}:${head.id}`, head, urgent: false, toPerson: true })),
    ];
    const counter = { attempted: 0 };
    const waiting = [...lanes];
    const runners: Promise<void>[] = [];
    const ordinary = Math.max(1, this.o.concurrency);
    // Lanes start while slots are free; each lane's end frees its slot for the next that waits.
    const fill = (): void => {
      for (let i = 0; i < waiting.length && !this.draining;) {
        const { key, head, urgent, toPerson } = waiting[i];
        const toPeopleSending = this.sendingToPeople.size;
        if (toPerson ? toPeopleSending >= this.o.staffConcurrency : this.sending.size - toPeopleSending >= ordinary + (urgent ? this.o.urgentConcurrency : 0)) {
          // No slot of its kind: a lane further down (of the other kind, or urgent) may still start.
          i++;
          continue;
        }
        waiting.splice(i, 1);
        // A lane already sending in this conversation keeps its place; what it did not take waits for its end.
        if (this.sending.has(key)) continue;
        if (toPerson) this.sendingToPeople.add(key);
        const run = this.sendLane(head, counter).finally(() => {
          this.sending.delete(key);
          this.sendingToPeople.delete(key);
          this.poller.wake();
        });
        this.sending.set(key, run);
        runners.push(run.then(fill));
      }
    };
    fill();
    const done = (async () => {
      for (let i = 0; i < runners.length; i++) await runners[i];
      return counter.attempted;
    })();
    return { done };
  }

  /**
   * Sends a lane's rows one after another from its head, each next row read once the one before
   * has gone, at most a batch's worth (then the lane waits its turn again). It ends when a row is
   * not claimed: another worker has it, or the row before it did not go (it waits for a retry, or
   * failed and holds the rest).
   */
  private async sendLane(head: OutboxItem, counter: { attempted: number }): Promise<void> {
    let item: OutboxItem | undefined = head;
    for (let sent = 0; item && sent < this.o.batchSize && !this.draining; sent++) {
      if (!(await this.claim(item))) return;
      counter.attempted++;
      await this.deliver(item).catch((error) => this.o.log.error({ event: 'outbox.lane_failed', outboxItemId: item!.id, err: { name: (error as Error).name } }, 'a send failed unexpectedly; the row is taken up again after its lease'));
      // An alert to staff is a lane of its own: the next one has its own lane too.
      if (UNORDERED.has(item.channel)) return;
      item = await this.nextInLane(item);
    }
  }

  /** The row after this one in its conversation and channel, if it is due. */
  private async nextInLane(item: OutboxItem): Promise<OutboxItem | undefined> {
    const now = this.o.now();
    const next = await this.o.db.manager.createQueryBuilder(OutboxItem, 'o')
      .where('o.conversationId = :conversationId AND o.channel = :channel', { conversationId: item.conversationId, channel: item.channel })
      .andWhere('(o.createdAt > :at OR (o.createdAt = :at AND o.id > :id))', { at: item.createdAt, id: item.id })
      .andWhere(`((o.status = 'pending' AND o."nextAttemptAt" <= :now) OR (o.status = 'sending' AND o."lockedUntil" < :now))`, { now })
      .orderBy('o.createdAt', 'ASC').addOrderBy('o.id', 'ASC')
      .take(1)
      .getOne();
    return next ?? undefined;
  }

  /**
   * One change to a row, as a unit of work of its own: on SQLite it shares the group commit (and
   * its one fsync) with whatever else is committing, rather than paying an autocommit's fsync.
   */
  private write(text: string, parameters: unknown[]): Promise<number> {
    return this.o.db.transaction((tx) => change(tx, text, parameters));
  }

  /**
   * Takes a due row for this worker, in one conditional statement: only if no other worker took it
   * since it was read, and only if nothing earlier in its conversation and channel is still to go.
   * In order per conversation and channel: a card to the duty leads never waits behind a reply's
   * retries. A reply that failed after the whole retry window still holds the rows behind it: the
   * young person must not get replies 2 to 5 without 1.
   */
  private async claim(item: OutboxItem): Promise<boolean> {
    // The time of the claim itself: a lane's later rows are claimed long after its pass began, and
    // a lease counted from then could run out mid-send and let another worker send the row again.
    const now = this.o.now();
    const claimed = await this.write(CLAIM_SQL, [now + this.o.leaseMs, item.attempts + 1, now, item.id, item.attempts, now, now, UNORDERED.has(item.channel) ? 1 : 0, item.conversationId, item.channel, item.id, item.createdAt, item.createdAt, item.id, true]);
    if (claimed !== 1) return false;
    item.attempts += 1;
    return true;
  }

  private async deliver(item: OutboxItem): Promise<void> {
    if (item.channel === 'teams' || item.channel === 'teams-notice') {
      const cards = this.o.cards;
      if (!cards) return this.fail(item, 'the Teams bot is not configured');
      return this.attempt(item, () => cards.send(item), { authorKind: 'system', kind: 'escalation-card' }, () => undefined);
    }
    if (item.channel === 'alert-sms' || item.channel === 'alert-email') {
      const alerts = this.o.alerts;
      if (!alerts) return this.fail(item, 'escalation alerts by text and email are not set up');
      return this.attempt(item, () => alerts.send(item), { authorKind: 'system', kind: item.channel }, () => undefined);
    }
    const { manager } = this.o.db;
    const [raw] = await sql(manager, `SELECT ${columnsOf(manager, Message, 'm', 'm_')}, ${columnsOf(manager, Conversation, 'v', 'v_')}, ${columnsOf(manager, Contact, 'c', 'c_')}
      FROM message m JOIN conversation v ON v.id = m."conversationId" JOIN contact c ON c.id = v."contactId" WHERE m.id = ?`, [item.messageId]);
    if (!raw) throw new Error('the outbox row\'s message is gone');
    const message = rowOf(manager, Message, raw, 'm_')!;
    const conversation = rowOf(manager, Conversation, raw, 'v_')!;
    const contact = rowOf(manager, Contact, raw, 'c_')!;
    const announce = (status: string) => this.o.onStatus?.({ conversationId: conversation.id, serviceSlug: conversation.serviceSlug, status });
    const now = this.o.now();
    const body = openMessageBody(this.o.keyring, message);
    const plan = (windowKnownClosed: boolean) => planSend({
      contact, conversation, service: this.o.directory?.bySlugOrUndefined(conversation.serviceSlug), authorKind: message.authorKind,
      text: body, now, consentNotice: item.consentNotice, windowKnownClosed,
    });
    // The window is known closed by our clock, or because the provider already said so for this
    // row (a delivery status, an earlier attempt: the row then names its template).
    const first = plan(item.templateName !== null);
    if (first.refusal) return this.fail(item, first.refusal.reason).then(() => announce('failed'));
    const sender = this.o.senders[item.channel];
    if (!sender) return this.fail(item, `no ${item.channel} provider is configured`).then(() => announce('failed'));
    const text: OutboundText = { from: conversation.endpointAddress, to: openContactAddress(this.o.keyring, contact), text: body, outboxItemId: item.id, authorKind: message.authorKind };
    const asTemplate = async (template: OutboundTemplate) => {
      // Remembered before the call: a retry after a timeout goes straight to the template again.
      await this.write('UPDATE outbox_item SET "templateName" = ? WHERE id = ?', [template.name, item.id]);
      const sent = await sender.send({ ...text, template });
      return { ...sent, templateName: template.name };
    };
    // An earlier attempt's outcome is unknown (this row was taken over after its lease ran out: the
    // process sending it died; or the provider did not answer in time): ask the provider before
    // sending again, so the young person does not get the same text twice.
    if (item.attempts > 1 && sender.findSent) {
      const known = async (sid: string) => (await sql(manager, 'SELECT id FROM outbox_item WHERE channel = ? AND "providerMessageId" = ?', [item.channel, sid])).length > 0;
      const found = await sender.findSent(text, item.createdAt, known).catch((error: Error) => {
        this.o.log.warn({ event: 'outbox.reconcile_failed', outboxItemId: item.id, channel: item.channel, err: { name: error.name } }, 'could not ask the provider whether it already has this message; sending');
        return undefined;
      });
      if (found) {
        this.o.log.info({ event: 'outbox.reconciled', outboxItemId: item.id, channel: item.channel, attempts: item.attempts }, 'the provider already had this message: recorded, not sent again');
        return this.attempt(item, async () => ({ providerMessageId: found }), { authorKind: message.authorKind, autoReplyKind: message.autoReplyKind ?? '' }, announce);
      }
    }
    await this.attempt(item, async () => {
      if (first.template) return asTemplate(first.template);
      try {
        return await sender.send(text);
      } catch (error) {
        // The provider says the window has closed before our clock did: a clinician's reply goes
        // again at once inside the template; anything else fails as the provider said.
        if (!(error instanceof ProviderError) || !WINDOW_CLOSED_CODES.get(conversation.channel)?.has(error.providerCode ?? '')) throw error;
        const second = plan(true);
        if (second.refusal) throw new ProviderError(second.refusal.reason, false, undefined, undefined, second.refusal.code);
        if (second.template) return asTemplate(second.template);
        throw error;
      }
    }, { authorKind: message.authorKind, autoReplyKind: message.autoReplyKind ?? '' }, announce);
  }

  /** One provider call for a claimed row, and what it means for the row: sent, retry later, or failed. */
  private async attempt(item: OutboxItem, send: () => Promise<{ providerMessageId: string; templateName?: string } | { cancelled: string }>, telemetry: Record<string, string>, announce: (status: string) => void): Promise<void> {
    let sent: { providerMessageId: string; templateName?: string };
    try {
      const result = await send();
      if ('cancelled' in result) {
        // Not needed any more when its turn came (a staff alert for an escalation acknowledged meanwhile): nothing went.
        await this.write(`UPDATE outbox_item SET status = 'cancelled', "lockedUntil" = NULL, "lastError" = ?, "updatedAt" = ? WHERE id = ? AND status = 'sending'`, [result.cancelled.slice(0, 500), this.o.now(), item.id]);
        this.o.log.info({ event: 'outbox.cancelled', outboxItemId: item.id, channel: item.channel }, 'not sent: no longer needed');
        return;
      }
      sent = result;
    } catch (error) {
      const retryable = !(error instanceof ProviderError) || error.retryable;
      const reason = error instanceof Error ? error.message.slice(0, 300) : 'send failed';
      const since = item.retryFrom ?? item.createdAt;
      const inWindow = this.o.now() - since < this.o.retryForMs && item.attempts < this.o.maxAttempts;
      if (retryable && inWindow) await this.retryLater(item, reason).then(() => announce('retrying'));
      // A clinician's reply the provider never took holds what was queued after it; an automatic
      // text, a refused send (4xx: that message, not the line) or a Teams card does not.
      else await this.fail(item, retryable ? `${reason} (still failing after ${Math.round((this.o.now() - since) / 60_000)} minutes of retries)` : reason, retryable && telemetry.authorKind === 'clinician').then(() => announce('failed'));
      return;
    }
    // The provider has it. Recording that is outside the provider's try: a database that fails here
    // must not be read as a failed send and queue the text again at once (the row stays claimed and
    // is taken up after its lease, the one repeat the README names).
    const { providerMessageId, templateName = null } = sent;
    const recorded = await this.write(`UPDATE outbox_item SET status = 'sent', "providerMessageId" = ?, "templateName" = ?, "lockedUntil" = NULL, "lastError" = NULL, "updatedAt" = ? WHERE id = ? AND status = 'sending'`,
      [providerMessageId, templateName, this.o.now(), item.id]);
    // A delivery callback may have got here first (it names the outbox row) and moved the status
    // on: keep its status, and still record the provider's id.
    if (recorded !== 1) {
      await this.write(`UPDATE outbox_item SET "providerMessageId" = ?, "templateName" = ?, "lockedUntil" = NULL WHERE id = ? AND "providerMessageId" IS NULL`, [providerMessageId, templateName, item.id]);
    }
    this.o.log.info({ event: 'outbox.sent', outboxItemId: item.id, channel: item.channel, attempts: item.attempts }, 'sent');
    this.o.telemetry.event('MessageSent', { channel: item.channel, ...telemetry, ...(templateName ? { template: 'yes' } : {}) });
    announce('sent');
  }

  private async retryLater(item: OutboxItem, reason: string): Promise<void> {
    // Exponential backoff with jitter (half to all of the step) so retries from many rows spread out.
    const step = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** (item.attempts - 1));
    const delay = Math.round(step * (0.5 + this.o.random() / 2));
    const now = this.o.now();
    await this.write(`UPDATE outbox_item SET status = 'pending', "nextAttemptAt" = ?, "lockedUntil" = NULL, "lastError" = ?, "updatedAt" = ? WHERE id = ? AND status = 'sending'`,
      [now + delay, reason, now, item.id]);
    this.o.log.warn({ event: 'outbox.retry', outboxItemId: item.id, attempts: item.attempts, delayMs: delay }, 'send failed; will retry');
  }

  private async fail(item: OutboxItem, reason: string, holdsLater = false): Promise<void> {
    // Only the attempt in flight fails: a delivery callback that came first (see recordDeliveryStatus) stands.
    await this.write(`UPDATE outbox_item SET status = 'failed', "lockedUntil" = NULL, "lastError" = ?, "holdsLater" = ?, "updatedAt" = ? WHERE id = ? AND status = 'sending'`,
      [reason.slice(0, 500), holdsLater, this.o.now(), item.id]);
    this.o.log.error({ event: 'outbox.failed', outboxItemId: item.id, attempts: item.attempts, holdsLater, reason }, 'send failed permanently');
    this.o.telemetry.event('MessageFailed', { channel: item.channel });
  }
}
