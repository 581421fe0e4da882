import { randomBytes, randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { ClinicianConversations, OPEN_LIMIT } from '../../bot/inbox/conversations';
import { loadConfig, ServiceDirectory } from '../../bot/config/services';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Contact, Conversation, Escalation, StaffMember } from '../../db/entities';
import { contactLookupHash, sealContactAddress } from '../../db/sealed-fields';
import type { StaffIdentity } from '../../bot/http/auth/clinician-auth';

/**
 * The inbox's open queue with every queue's counts, over a large number of open conversations:
 * Lamplight's list (counts by the database, at most OPEN_LIMIT rows loaded, most urgent first) next to the
 * way it used to be done, as the baseline in the same run (load every open conversation, count and
 * sort in JavaScript). Both read the same database; only the list and counts are timed.
 */
const OPEN = Number(process.env.BENCH_INBOX_OPEN ?? 5000);
const ROUNDS = Number(process.env.BENCH_INBOX_ROUNDS ?? 20);

async function seed(db: Database, keyring: Keyring): Promise<void> {
  const now = Date.now();
  const levels = ['none', 'none', 'none', 'none', 'none', 'none', 'medium', 'medium', 'high', 'none'] as const;
  // Assigned conversations name real staff: conversation.assignedStaffId is a foreign key.
  const staff: StaffMember[] = [1, 2, 3, 4].map((n) => ({ id: randomUUID(), email: `bench${n}@example.nhs.uk`, name: `Bench ${n}`, oid: null, createdAt: now, muteNonUrgent: false, workMobileCipher: null, workMobileKeyId: null }));
  await db.transaction((tx) => tx.insert(StaffMember, staff));
  for (let start = 0; start < OPEN; start += 250) {
    const contacts: Contact[] = [];
    const conversations: Conversation[] = [];
    const escalations: Escalation[] = [];
    for (let i = start; i < Math.min(OPEN, start + 250); i++) {
      const id = randomUUID();
      const address = `+4477009${String(10000 + i).padStart(5, '0')}`;
      contacts.push({ id, channel: 'sms', addressHash: contactLookupHash(keyring, 'sms', address), ...sealContactAddress(keyring, id, address), consent: 'active', consentChangedAt: null, createdAt: now, blockedAt: null });
      const conversationId = randomUUID();
      const riskLevel = levels[i % levels.length];
      conversations.push({
        id: conversationId, serviceSlug: 'school-nursing', contactId: id, channel: 'sms', endpointAddress: '+447700900101', status: 'open',
        openKey: `open:${id}:school-nursing:sms`, riskLevel, assignedStaffId: i % 3 === 0 ? null : staff[i % staff.length].id, createdAt: now - i * 1000,
        lastMessageAt: now - i * 1000, lastInboundAt: now - i * 1000, awaitingReplySince: i % 4 === 0 ? null : now - i * 1000,
        closedAt: null, outcome: null, recordedAt: null, lastReadAt: i % 2 ? now : null, firstReplyAt: null, outOfHoursAt: null, repeatContact: false,
      });
      if (riskLevel === 'high') {
        escalations.push({ id: randomUUID(), conversationId, serviceSlug: 'school-nursing', messageId: randomUUID(), status: 'open', step: 1, nextDueAt: now + 600_000, categories: 'suicide', messageCount: 1, createdAt: now, acknowledgedAt: null, acknowledgedBy: null });
      }
    }
    await db.transaction(async (tx) => {
      await tx.insert(Contact, contacts);
      await tx.insert(Conversation, conversations);
      if (escalations.length) await tx.insert(Escalation, escalations);
    });
  }
  // A database in service has planner statistics (autovacuum); one filled a moment ago has none,
  // and PostgreSQL then plans the escalated count as if each table held one row.
  if (db.dialect === 'postgres') await db.manager.query('ANALYZE');
}

/** The former list: every open conversation into memory, then filter, count and sort. */
async function baselineList(db: Database, staffId: string): Promise<number> {
  const open = await db.manager.find(Conversation, { where: { serviceSlug: In(['school-nursing']), status: 'open' } });
  const escalated = new Set((await db.manager.find(Escalation, { select: { conversationId: true }, where: { serviceSlug: 'school-nursing', status: In(['open', 'exhausted']) } })).map((e) => e.conversationId));
  const counts = {
    escalated: open.filter((c) => escalated.has(c.id)).length,
    unassigned: open.filter((c) => c.assignedStaffId === null).length,
    mine: open.filter((c) => c.assignedStaffId === staffId).length,
    unread: open.filter((c) => c.lastInboundAt !== null && (c.lastReadAt === null || c.lastInboundAt > c.lastReadAt)).length,
    notRecorded: open.filter((c) => c.recordedAt === null).length,
  };
  const rank = (l: string) => (l === 'high' ? 2 : l === 'medium' ? 1 : 0);
  const sorted = [...open].sort((a, b) => rank(b.riskLevel) - rank(a.riskLevel) || (a.awaitingReplySince ?? Infinity) - (b.awaitingReplySince ?? Infinity) || b.lastMessageAt - a.lastMessageAt);
  const chosen = sorted.slice(0, OPEN_LIMIT);
  await db.manager.findBy(Contact, { id: In(chosen.map((c) => c.contactId)) });
  return counts.escalated + chosen.length;
}

async function time(rounds: number, work: () => Promise<unknown>): Promise<number> {
  await work();
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await work();
  return (performance.now() - started) / rounds;
}

export async function inboxBench(databases: { name: string; url: string; drop: () => Promise<void> }[]): Promise<string> {
  const lines = [
    `Inbox open queue with counts: ${OPEN} open conversations in one service, ${ROUNDS} lists each (one warm-up)`,
    '',
    '| database | Lamplight ms/list | baseline ms/list (load all, count in JS) | speed vs baseline |',
    '|---|---:|---:|---:|',
  ];
  for (const target of databases) {
    const db = await Database.open(target.url);
    try {
      await db.migrate();
      const keyring = new Keyring(randomBytes(32));
      await seed(db, keyring);
      const directory = new ServiceDirectory(loadConfig());
      const conversations = new ClinicianConversations({ db, keyring, directory, now: Date.now });
      const staff: StaffIdentity = { id: randomUUID(), email: 'bench@example.nhs.uk', name: 'Bench', memberships: [{ serviceSlug: 'school-nursing', role: 'clinician' }] };
      const listed = await conversations.list(staff, { queue: 'open' });
      if (listed.counts.open !== OPEN || listed.conversations[0]?.riskLevel !== 'high') throw new Error('the inbox bench did not list what it seeded');
      const ours = await time(ROUNDS, () => conversations.list(staff, { queue: 'open' }));
      const baseline = await time(ROUNDS, () => baselineList(db, staff.id));
      lines.push(`| ${target.name} | ${ours.toFixed(1)} | ${baseline.toFixed(1)} | ${(baseline / ours).toFixed(2)}x |`);
    } finally {
      await db.close();
      await target.drop();
    }
  }
  return lines.join('\n');
}
