import { EventEmitter } from 'node:events';
import type { EscalationNotification, Notifier } from '../escalation/ladder';

/**
 * Live events for open inboxes. They carry ids, kinds and levels only: an inbox that hears of a
 * change fetches it through the audited API. Each event gets a rising id and the last ones are
 * kept, so an inbox that reconnects with Last-Event-ID catches up; one that was away too long is
 * told to reload.
 */
export interface LiveEventInput {
  type: 'conversation.updated' | 'message.created' | 'delivery.updated' | 'escalation.notified' | 'escalation.acknowledged';
  serviceSlug: string;
  conversationId?: string;
  action?: string;
  level?: string;
  escalationId?: string;
  final?: boolean;
}

export type LiveEvent = LiveEventInput & { id: number; at: string };

export class LiveEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly recent: LiveEvent[] = [];
  private nextId = 1;
  private fanOut: FanOut | undefined;

  constructor(private readonly keep = 2000) {}

  /**
   * Across instances (REDIS_URL): events go out through Redis and come back to every instance,
   * this one included, numbered by one shared counter so Last-Event-ID means the same everywhere.
   */
  useFanOut(fanOut: FanOut): void {
    this.fanOut = fanOut;
    fanOut.onEvent((event) => this.deliver(event));
    // Back after Redis was away: other instances' events of that time never came here, so every
    // open inbox is told to reload (live updates were delayed; what is stored is all there).
    fanOut.onResume(() => this.resync('live updates were interrupted (Redis was unreachable); reload'));
  }

  publish(input: LiveEventInput): void {
    if (!this.fanOut) {
      this.deliver({ ...input, id: this.nextId, at: new Date().toISOString() });
      return;
    }
    // If Redis is unreachable, this instance's own inboxes still hear of it, as an event with no id
    // (id 0: kept out of the shared numbering and of what a resume replays, so it can never take an
    // id another instance's event will have); the fan-out tells every instance to reload once
    // publishing works again. Ids never go back: the shared counter is raised to at least this
    // instance's next id (Redis may have restarted empty).
    this.fanOut.publish(input, this.nextId).catch(() => this.emitter.emit('event', { ...input, id: 0, at: new Date().toISOString() }));
  }

  /** Tells every open stream to reload: events may have been missed. */
  resync(reason: string): void {
    this.emitter.emit('resync', reason);
  }

  /** `onResync`: events may have been missed here; the stream tells its inbox to reload. */
  subscribe(listener: (event: LiveEvent) => void, onResync?: (reason: string) => void): () => void {
    this.emitter.on('event', listener);
    if (onResync) this.emitter.on('resync', onResync);
    return () => {
      this.emitter.off('event', listener);
      if (onResync) this.emitter.off('resync', onResync);
    };
  }

  private deliver(event: LiveEvent): void {
    if (event.id < this.nextId - this.keep) return;
    this.nextId = Math.max(this.nextId, event.id + 1);
    this.recent.push(event);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    this.emitter.emit('event', event);
  }

  /** The id of the newest event so far (0 before any). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** Events after `lastId`, or undefined when some of them are no longer kept. */
  since(lastId: number): LiveEvent[] | undefined {
    if (lastId >= this.nextId) return undefined;
    const oldest = this.recent[0]?.id ?? this.nextId;
    if (lastId + 1 < oldest) return undefined;
    return this.recent.filter((e) => e.id > lastId);
  }
}

export interface FanOut {
  /** Numbers the event (at least `atLeastId`) and sends it to every instance. */
  publish(input: LiveEventInput, atLeastId: number): Promise<void>;
  onEvent(listener: (event: LiveEvent) => void): void;
  /** Called when the connection comes back after being lost. */
  onResume(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * Numbers an event and publishes it in one round trip to Redis (it used to be two: INCR, then
 * PUBLISH with the id): the id goes in front of the event's JSON, which always has fields.
 */
const PUBLISH_NUMBERED = `local id = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[3])
if id < floor then
  redis.call('SET', KEYS[1], floor)
  id = floor
end
redis.call('PUBLISH', ARGV[1], '{"id":' .. id .. ',' .. string.sub(ARGV[2], 2))
return id`;

export class RedisUnreachableError extends Error {
  constructor(url: string, ms: number) {
    const { host } = new URL(url);
    super(`REDIS_URL is set but Redis at ${host} did not answer within ${ms / 1000} s: start it, correct REDIS_URL, or unset it to run one instance without Redis`);
    this.name = 'RedisUnreachableError';
  }
}

/** Redis pub/sub fan-out: a shared id (INCR) and PUBLISH to one channel in one script, every instance subscribed. */
export async function redisFanOut(url: string, onError: (error: Error) => void, channel = 'lamplight:live-events', connectWithinMs = 10_000): Promise<FanOut> {
  const { createClient } = await import('redis');
  // While Redis is away a publish fails at once (no queue of events growing in memory to replay
  // late): this instance's inboxes hear of it directly, and the others are told to reload when
  // their connection is back.
  const publisher = createClient({ url, disableOfflineQueue: true });
  const subscriber = createClient({ url });
  // While starting, the client retries for ever and says nothing: a wrong REDIS_URL hung the start
  // silently. Errors are reported only once connected; before that, a deadline fails the start.
  let connected = false;
  const report = (error: Error) => { if (connected) onError(error); };
  publisher.on('error', report);
  subscriber.on('error', report);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnreachableError(url, connectWithinMs)), connectWithinMs);
  });
  try {
    await Promise.race([Promise.all([publisher.connect(), subscriber.connect()]), deadline]);
  } catch (error) {
    await Promise.allSettled([publisher.destroy(), subscriber.destroy()]);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  const listeners: ((event: LiveEvent) => void)[] = [];
  const resumed: (() => void)[] = [];
  let lost = false;
  // A publish failed (the publisher's connection dropped, or Redis refused the write): the other
  // instances never heard of that event, so the next publish first tells every instance to reload.
  let publishFailed = false;
  subscriber.on('end', () => { lost = true; });
  subscriber.on('error', () => { lost = true; });
  subscriber.on('ready', () => {
    if (!lost) return;
    lost = false;
    for (const listener of resumed) listener();
  });
  await subscriber.subscribe(channel, (message) => {
    try {
      const event = JSON.parse(message) as LiveEvent | { resync: true };
      if ('resync' in event) {
        for (const listener of resumed) listener();
        return;
      }
      for (const listener of listeners) listener(event);
    } catch (error) {
      onError(error as Error);
    }
  });
  return {
    async publish(input, atLeastId) {
      try {
        if (publishFailed) {
          await publisher.sendCommand(['PUBLISH', channel, JSON.stringify({ resync: true })]);
          publishFailed = false;
        }
        await publisher.sendCommand(['EVAL', PUBLISH_NUMBERED, '1', `${channel}:id`, channel, JSON.stringify({ ...input, at: new Date().toISOString() }), String(atLeastId)]);
      } catch (error) {
        publishFailed = true;
        throw error;
      }
    },
    onEvent: (listener) => void listeners.push(listener),
    onResume: (listener) => void resumed.push(listener),
    async close() {
      // QUIT (deprecated in node-redis 5+) could wait for ever on a subscriber that had just
      // reconnected after Redis restarted, holding up shutdown: wait briefly for what is in
      // flight, then drop the connections.
      await Promise.allSettled([subscriber, publisher].map(closeWithin));
    },
  };
}

/** Closes a Redis connection, waiting at most `ms` for its pending commands, then destroys it. */
async function closeWithin(client: { close(): Promise<void>; destroy(): void }, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.close(), new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  } finally {
    clearTimeout(timer);
    try {
      client.destroy();
    } catch {
      // already closed
    }
  }
}

/** Escalation notices as live events to every open inbox of the service. */
export class InAppNotifier implements Notifier {
  constructor(private readonly events: LiveEvents) {}

  async notify(notification: EscalationNotification): Promise<void> {
    this.events.publish({
      type: 'escalation.notified', serviceSlug: notification.serviceSlug, conversationId: notification.conversationId,
      escalationId: notification.escalationId, level: String(notification.level), final: notification.final,
    });
  }
}
