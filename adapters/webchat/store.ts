import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EntityManager, In, IsNull, LessThan, LessThanOrEqual, MoreThan } from 'typeorm';
import type { Keyring } from '../../db/crypto';
import type { Database } from '../../db/database';
import { WebchatActivity, WebchatSession } from '../../db/entities';
import { ACTIVITY_PAGE, RESUME_WITHIN_MS } from './policy';

/** One activity of a chat as read back, its text opened. */
export interface ChatActivity {
  sessionId: string;
  seq: number;
  direction: 'in' | 'out';
  authorKind: string | null;
  text: string;
  notRead: boolean;
  /** The client's idempotency key of an inbound post, when it sent one. */
  clientActivityId?: string;
  createdAt: number;
  storedAt: number | null;
  deliveredAt: number | null;
}

/** The Direct Line id of an activity: the chat's id and its number, URL-safe. */
export const activityId = (sessionId: string, seq: number) => `${sessionId}|${String(seq).padStart(7, '0')}`;

const urlSafeId = (bytes: number) => randomBytes(bytes).toString('base64url');
const hashOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
const aad = (sessionId: string, seq: number) => `webchat_activity:${sessionId}:${seq}`;

/**
 * The Direct Line side of web chat: the chats and their activities in order. This is web chat's
 * "provider": what a page reads back comes from here, and what the service sends is written here
 * by the outbox. Every text is sealed like a message body.
 */
export class WebchatStore {
  constructor(private readonly db: Database, private readonly keyring: Keyring, private readonly now: () => number) {}

  /** A new chat for a page: its ids, and the resume secret (returned once; only its hash is kept). */
  async open(endpoint: string): Promise<{ session: WebchatSession; resume: string }> {
    const resume = urlSafeId(32);
    const at = this.now();
    const session: WebchatSession = {
      id: urlSafeId(18), endpoint, userId: `dl_${urlSafeId(16)}`, resumeHash: hashOf(resume), lastSeq: 0, createdAt: at, lastActiveAt: at, endedAt: null,
    };
    await this.db.manager.insert(WebchatSession, session);
    return { session, resume };
  }

  async session(id: string): Promise<WebchatSession | null> {
    return this.db.manager.findOneBy(WebchatSession, { id });
  }

  async sessionOfUser(endpoint: string, userId: string): Promise<WebchatSession | null> {
    return this.db.manager.findOneBy(WebchatSession, { endpoint, userId });
  }

  /** The chat a page comes back to with its resume secret, if the secret is right and the chat recent and not ended. */
  async resume(endpoint: string, id: string, secret: string): Promise<WebchatSession | undefined> {
    const session = await this.session(id);
    if (!session || session.endpoint !== endpoint || session.endedAt !== null) return undefined;
    const given = Buffer.from(hashOf(secret));
    if (!timingSafeEqual(given, Buffer.from(session.resumeHash))) return undefined;
    if (session.lastActiveAt < this.now() - RESUME_WITHIN_MS) return undefined;
    return session;
  }

  /** Records that the page is still there (at most once a minute per chat). */
  async touch(session: WebchatSession): Promise<void> {
    const at = this.now();
    if (at - session.lastActiveAt < 60_000) return;
    session.lastActiveAt = at;
    await this.db.manager.update(WebchatSession, { id: session.id }, { lastActiveAt: at });
  }

  /**
   * The young person's post, kept before anything else happens to it: a post with a key already
   * seen returns the activity it made (a page that re-sent after losing the answer).
   */
  async appendInbound(sessionId: string, post: { dedupeKey: string; text: string; notRead: boolean }): Promise<{ activity: ChatActivity; created: boolean }> {
    return this.append(sessionId, { direction: 'in', dedupeKey: post.dedupeKey, text: post.text, notRead: post.notRead, authorKind: null });
  }

  /** What the service sent, once per outbox row (the outbox may try a row again after a crash). */
  async appendOutbound(sessionId: string, sent: { outboxItemId: string; text: string; authorKind: string | null }): Promise<{ activity: ChatActivity; created: boolean }> {
    return this.append(sessionId, { direction: 'out', dedupeKey: `o:${sent.outboxItemId}`, text: sent.text, notRead: false, authorKind: sent.authorKind });
  }

  private async append(sessionId: string, row: Pick<WebchatActivity, 'direction' | 'dedupeKey' | 'notRead' | 'authorKind'> & { text: string }): Promise<{ activity: ChatActivity; created: boolean }> {
    return this.db.transactionRetryingConflicts(async (tx) => {
      const existing = await tx.findOneBy(WebchatActivity, { sessionId, dedupeKey: row.dedupeKey });
      if (existing) return { activity: this.opened(existing), created: false };
      const seq = await this.nextSeq(tx, sessionId);
      const at = this.now();
      const sealed = this.keyring.seal(row.text, aad(sessionId, seq));
      const activity: WebchatActivity = {
        sessionId, seq, direction: row.direction, dedupeKey: row.dedupeKey, authorKind: row.authorKind, bodyCipher: sealed.cipher, keyId: sealed.keyId,
        notRead: row.notRead, createdAt: at, storedAt: null, deliveredAt: null,
      };
      await tx.insert(WebchatActivity, activity);
      return { activity: this.opened(activity), created: true };
    });
  }

  /** Takes the chat's next number by updating its row: writers to one chat queue here, so numbers commit in order. */
  private async nextSeq(tx: EntityManager, sessionId: string): Promise<number> {
    const result = await tx.createQueryBuilder().update(WebchatSession).set({ lastSeq: () => '"lastSeq" + 1', lastActiveAt: this.now() }).where('id = :id', { id: sessionId }).execute();
    if (result.affected === 0) throw new Error('no such web chat');
    const session = await tx.findOneOrFail(WebchatSession, { where: { id: sessionId }, select: { lastSeq: true } });
    return session.lastSeq;
  }

  async markStored(sessionId: string, seq: number): Promise<void> {
    await this.db.manager.update(WebchatActivity, { sessionId, seq }, { storedAt: this.now() });
  }

  /** Inbound posts that have not reached the gateway, oldest first, that arrived before `before`. */
  async unstored(before: number, limit = 50): Promise<ChatActivity[]> {
    const rows = await this.db.manager.find(WebchatActivity, { where: { direction: 'in', storedAt: IsNull(), createdAt: LessThan(before) }, order: { createdAt: 'ASC' }, take: limit });
    return rows.map((r) => this.opened(r));
  }

  /** The activities after a watermark, in order, at most a page of them. */
  async after(sessionId: string, watermark: number): Promise<ChatActivity[]> {
    const rows = await this.db.manager.find(WebchatActivity, { where: { sessionId, seq: MoreThan(watermark) }, order: { seq: 'ASC' }, take: ACTIVITY_PAGE });
    return rows.map((r) => this.opened(r));
  }

  /** Deletes chats that never had a message and were made before `before` (pages opened and left); returns how many. */
  async purgeEmpty(before: number): Promise<number> {
    const result = await this.db.manager.delete(WebchatSession, { lastSeq: 0, createdAt: LessThan(before) });
    return result.affected ?? 0;
  }

  /** The chats' current numbers, for the sockets' check for activities written by another instance. */
  async lastSeqs(ids: string[]): Promise<Map<string, number>> {
    if (!ids.length) return new Map();
    const rows = await this.db.manager.find(WebchatSession, { where: { id: In(ids) }, select: { id: true, lastSeq: true } });
    return new Map(rows.map((r) => [r.id, r.lastSeq]));
  }

  /**
   * Marks what the service sent, up to a watermark a page has acknowledged, as received; returns
   * the outbox ids of the activities this call marked (the first page to have them), for their
   * delivery status.
   */
  async markDeliveredUpTo(sessionId: string, watermark: number): Promise<{ outboxItemId: string; seq: number }[]> {
    const fresh = await this.db.manager.find(WebchatActivity, { where: { sessionId, seq: LessThanOrEqual(watermark), direction: 'out', deliveredAt: IsNull() }, select: { seq: true, dedupeKey: true } });
    if (!fresh.length) return [];
    await this.db.manager.update(WebchatActivity, { sessionId, seq: In(fresh.map((f) => f.seq)), deliveredAt: IsNull() }, { deliveredAt: this.now() });
    return fresh.filter((f) => f.dedupeKey.startsWith('o:')).map((f) => ({ outboxItemId: f.dedupeKey.slice(2), seq: f.seq }));
  }

  private opened(row: WebchatActivity): ChatActivity {
    return {
      sessionId: row.sessionId,
      seq: row.seq,
      direction: row.direction,
      authorKind: row.authorKind,
      text: this.keyring.open({ cipher: row.bodyCipher, keyId: row.keyId }, aad(row.sessionId, row.seq)),
      notRead: Boolean(row.notRead),
      clientActivityId: row.direction === 'in' && row.dedupeKey.startsWith('c:') ? row.dedupeKey.slice(2) : undefined,
      createdAt: row.createdAt,
      storedAt: row.storedAt,
      deliveredAt: row.deliveredAt,
    };
  }
}
