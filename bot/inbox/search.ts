import { DateTime } from 'luxon';
import { Brackets, In, type EntityManager } from 'typeorm';
import type { Keyring } from '../../db/crypto';
import { Contact, Conversation, Message } from '../../db/entities';
import { contactLookupHash, openContactAddress, openMessageBody } from '../../db/sealed-fields';
import { SERVICE_ZONE } from '../gateway/hours';
import { invalid } from '../problems';

/**
 * Finding a conversation when message bodies and contacts' addresses are sealed.
 *
 * The database can filter only what it can read: service, status, risk, dates, and a whole
 * number through the contact's keyed lookup hash (the same hash that finds a returning contact).
 * Last four digits and words from messages are matched by opening (decrypting) the candidates the
 * other filters leave, newest first, up to a bound, and the answer says whether that bound was
 * reached, so nobody reads "no results" where the truth is "not searched".
 *
 * Why not a keyed blind index of words: it would tell anyone holding a copy of the database which
 * messages share words, and how often each word occurs (enough to guess "overdose" from its
 * pattern); it would add a write per word to every inbound message, be rebuilt at every key
 * rotation, and still miss a part-word or a misspelling. A nurse's search is rare, bounded by the
 * other filters, and worth a few hundred milliseconds; the ingest path is not.
 */
export const SEARCH_BOUNDS = {
  /** Conversations the other filters may leave for opening. */
  conversations: 2_000,
  /** Messages opened for a text search. */
  messages: 20_000,
  /** Conversations answered. */
  results: 100,
};

export type RiskFilter = 'high' | 'medium' | 'none' | 'flagged';
export interface SearchQuery {
  text?: string;
  /** A whole number (7+ digits, any spelling) or its last four digits. */
  number?: { whole: string } | { lastFour: string };
  from?: number;
  to?: number;
  risk?: RiskFilter;
  status?: 'open' | 'closed';
  service?: string;
}

const RISKS: readonly string[] = ['high', 'medium', 'none', 'flagged'];

/** The query string as a nurse typed it, checked; a clear 400 for what cannot be searched. */
export function searchQueryFrom(raw: Record<string, unknown>): SearchQuery {
  const one = (name: string): string | undefined => {
    const value = raw[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw invalid(`${name} must be given once`);
    return value;
  };
  const query: SearchQuery = {};
  const text = one('q')?.trim();
  if (text !== undefined && text !== '') {
    if ([...text].length < 2 || [...text].length > 100) throw invalid('search text must be 2 to 100 characters');
    query.text = text;
  }
  const number = one('number')?.trim();
  if (number !== undefined && number !== '') {
    const digits = number.replace(/[\s().+-]/g, '');
    if (!/^\d+$/.test(digits)) throw invalid('number must be digits: a whole number, or its last four');
    if (digits.length === 4) query.number = { lastFour: digits };
    else if (digits.length >= 7 && digits.length <= 15) query.number = { whole: number };
    else throw invalid('number must be a whole number or its last four digits');
  }
  const day = (name: 'from' | 'to') => {
    const value = one(name);
    if (value === undefined) return undefined;
    const date = DateTime.fromISO(value, { zone: SERVICE_ZONE });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !date.isValid) throw invalid(`${name} must be a date, YYYY-MM-DD`);
    // A UK day, from its first moment to its last (the services' zone, whatever the server's).
    return (name === 'from' ? date.startOf('day') : date.endOf('day')).toMillis();
  };
  query.from = day('from');
  query.to = day('to');
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) throw invalid('from must not be after to');
  const risk = one('risk');
  if (risk !== undefined) {
    if (!RISKS.includes(risk)) throw invalid(`risk must be one of ${RISKS.join(', ')}`);
    query.risk = risk as RiskFilter;
  }
  const status = one('status');
  if (status !== undefined && status !== 'any') {
    if (status !== 'open' && status !== 'closed') throw invalid('status must be open, closed or any');
    query.status = status;
  }
  query.service = one('service');
  if (!query.text && !query.number && query.from === undefined && query.to === undefined && !query.risk && !query.status && !query.service) {
    throw invalid('say what to search for: words, a number, dates, a risk level, a status or a service');
  }
  return query;
}

/** Which filters a search used, for the audit trail: never the words or the number themselves. */
export function filtersUsed(query: SearchQuery): string[] {
  return [
    query.text ? 'text' : '', query.number ? ('whole' in query.number ? 'number' : 'last-four') : '',
    query.from !== undefined ? 'from' : '', query.to !== undefined ? 'to' : '', query.risk ? `risk:${query.risk}` : '',
    query.status ? `status:${query.status}` : '', query.service ? 'service' : '',
  ].filter(Boolean);
}

/** Case, accents, look-alike widths and runs of spaces do not matter to a search. */
export function searchable(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase('en-GB').replace(/\s+/g, ' ');
}

export interface SearchHit {
  conversation: Conversation;
  /** The message whose words matched, and the words around the match. */
  match?: { messageId: string; snippet: string };
}

export interface SearchAnswer {
  hits: SearchHit[];
  /** False when a bound was reached before every candidate was opened: narrow and search again. */
  complete: boolean;
  scanned: { conversations: number; messages: number };
}

export async function searchConversations(manager: EntityManager, keyring: Keyring, services: string[], query: SearchQuery): Promise<SearchAnswer> {
  if (services.length === 0) return { hits: [], complete: true, scanned: { conversations: 0, messages: 0 } };
  const q = manager.createQueryBuilder(Conversation, 'c').where('c.serviceSlug IN (:...services)', { services });
  if (query.status) q.andWhere('c.status = :status', { status: query.status });
  if (query.risk === 'flagged') q.andWhere('c.riskLevel IN (:...flagged)', { flagged: ['high', 'medium'] });
  else if (query.risk) q.andWhere('c.riskLevel = :risk', { risk: query.risk });
  // A conversation is in a date range if it was going on during it.
  if (query.from !== undefined) q.andWhere('c.lastMessageAt >= :from', { from: query.from });
  if (query.to !== undefined) q.andWhere('c.createdAt <= :to', { to: query.to });
  if (query.number && 'whole' in query.number) {
    const whole = query.number.whole;
    const hashes = (['sms', 'whatsapp'] as const).map((channel) => ({ channel, hash: contactLookupHash(keyring, channel, whole) }));
    q.andWhere((b) => `c.contactId IN ${b.subQuery().select('ct.id').from(Contact, 'ct').where(new Brackets((or) => hashes.forEach(({ channel, hash }, i) => or.orWhere(
      `ct.channel = :ch${i} AND ct.addressHash = :h${i}`, { [`ch${i}`]: channel, [`h${i}`]: hash },
    )))).getQuery()}`);
  }
  const opening = !!query.text || (query.number !== undefined && 'lastFour' in query.number);
  const bound = opening ? SEARCH_BOUNDS.conversations : SEARCH_BOUNDS.results;
  let candidates = await q.orderBy('c.lastMessageAt', 'DESC').addOrderBy('c.id', 'ASC').take(bound + 1).getMany();
  let complete = candidates.length <= bound;
  candidates = candidates.slice(0, bound);
  const scanned = { conversations: candidates.length, messages: 0 };

  if (query.number && 'lastFour' in query.number) {
    const lastFour = query.number.lastFour;
    const contacts = await manager.findBy(Contact, { id: In([...new Set(candidates.map((c) => c.contactId))]) });
    const matching = new Set(contacts.filter((c) => c.channel !== 'webchat' && openContactAddress(keyring, c).replace(/\D/g, '').endsWith(lastFour)).map((c) => c.id));
    candidates = candidates.filter((c) => matching.has(c.contactId));
  }
  if (!query.text) {
    if (candidates.length > SEARCH_BOUNDS.results) complete = false;
    return { hits: candidates.slice(0, SEARCH_BOUNDS.results).map((conversation) => ({ conversation })), complete, scanned };
  }

  const wanted = searchable(query.text);
  const hits: SearchHit[] = [];
  // Newest conversations first, a batch at a time, until the answer is full or the bound is met.
  for (let i = 0; i < candidates.length && hits.length < SEARCH_BOUNDS.results; i += 200) {
    const batch = candidates.slice(i, i + 200);
    if (scanned.messages >= SEARCH_BOUNDS.messages) { complete = false; break; }
    const messages = await manager.find(Message, {
      select: { id: true, conversationId: true, bodyCipher: true, keyId: true, createdAt: true, authorKind: true },
      where: { conversationId: In(batch.map((c) => c.id)) },
      order: { createdAt: 'DESC' },
      take: SEARCH_BOUNDS.messages - scanned.messages + 1,
    });
    if (scanned.messages + messages.length > SEARCH_BOUNDS.messages) { complete = false; messages.length = SEARCH_BOUNDS.messages - scanned.messages; }
    scanned.messages += messages.length;
    const found = new Map<string, SearchHit['match']>();
    for (const m of messages) {
      if (found.has(m.conversationId)) continue;
      const body = openMessageBody(keyring, m);
      const at = searchable(body).indexOf(wanted);
      if (at >= 0) found.set(m.conversationId, { messageId: m.id, snippet: snippet(body, wanted) });
    }
    for (const c of batch) {
      const match = found.get(c.id);
      if (match) hits.push({ conversation: c, match });
    }
  }
  if (hits.length > SEARCH_BOUNDS.results) { hits.length = SEARCH_BOUNDS.results; complete = false; }
  return { hits, complete, scanned };
}

/** About 120 characters of the message around the first match, on one line. */
function snippet(body: string, wanted: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  // Folding may change lengths (ligatures, accents), so find the match again on the flat text, by characters.
  const chars = [...flat];
  let folded = '';
  const origin: number[] = [];
  chars.forEach((ch, i) => {
    const f = searchable(ch);
    folded += f;
    for (let k = 0; k < f.length; k++) origin.push(i);
  });
  const at = folded.indexOf(wanted);
  const start = at >= 0 ? origin[at] : 0;
  const from = Math.max(0, start - 40);
  const to = Math.min(chars.length, from + 120);
  return `${from > 0 ? '…' : ''}${chars.slice(from, to).join('')}${to < chars.length ? '…' : ''}`;
}
