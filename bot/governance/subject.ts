import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { EntityManager } from 'typeorm';
import { Keyring } from '../../db/crypto';
import { Database } from '../../db/database';
import { Channel, Contact, Conversation, LegalHold } from '../../db/entities';
import { change } from '../../db/rows';
import { contactLookupHash, normaliseAddress, openContactAddress } from '../../db/sealed-fields';
import { recordAudit } from '../audit/record';
import type { ServiceDirectory } from '../config/services';
import { SERVICE_ZONE } from '../gateway/hours';
import type { ClinicianConversations } from '../inbox/conversations';
import { invalid } from '../problems';
import { countContactsLeftEmpty, countMessages, deleteContactsLeftEmpty, deleteConversations, heldConversations, lockContact } from './records';
import type { Retention } from './retention';

/**
 * Subject access and erasure (issue 15 item 3), run by an operator for the service's information
 * governance lead: everything Lamplight holds about one person, found by their number (SMS and
 * WhatsApp), WhatsApp id or web chat id, across every service.
 */

export interface SubjectQuery { phone?: string; whatsapp?: string; webchat?: string }

/** The channels and addresses a person may be known by. A phone number is both their SMS and their WhatsApp address. */
export function subjectAddresses(query: SubjectQuery): { channel: Channel; address: string }[] {
  const addresses: { channel: Channel; address: string }[] = [];
  const phone = query.phone?.trim();
  if (phone) {
    const number = normaliseAddress('sms', phone);
    if (!/^\+[1-9]\d{6,14}$/.test(number)) throw invalid('--phone must be a phone number, like +447700900123 or 07700 900123');
    addresses.push({ channel: 'sms', address: number }, { channel: 'whatsapp', address: number });
  }
  const whatsapp = query.whatsapp?.trim();
  if (whatsapp) {
    if (!/^\+?\d{6,20}$/.test(whatsapp)) throw invalid('--whatsapp must be a WhatsApp id (digits)');
    addresses.push({ channel: 'whatsapp', address: normaliseAddress('whatsapp', whatsapp) });
  }
  const webchat = query.webchat?.trim();
  if (webchat) {
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(webchat)) throw invalid('--webchat must be a web chat id (as the chat page shows it)');
    addresses.push({ channel: 'webchat', address: webchat });
  }
  if (!addresses.length) throw invalid('say whose records: --phone, --whatsapp or --webchat');
  return addresses;
}

export interface ExportOutcome { folder: string; contacts: number; conversations: number; messages: number; files: string[] }
export interface EraseOutcome {
  dryRun: boolean;
  contacts: number;
  conversations: number;
  messages: number;
  /** Conversations kept, and why: a legal hold on the person's record with the service, the retention rules, or still open. */
  kept: { held: number; withinRetention: number; open: number };
  webchatSessions: number;
}

const stamp = (ms: number) => DateTime.fromMillis(ms, { zone: SERVICE_ZONE }).toFormat("yyyy-MM-dd'T'HHmmss");

export class SubjectAccess {
  constructor(private readonly deps: { db: Database; keyring: Keyring; directory: ServiceDirectory; conversations: ClinicianConversations; retention: Retention; now: () => number }) {}

  private async contactsOf(manager: EntityManager, query: SubjectQuery): Promise<Contact[]> {
    const found: Contact[] = [];
    for (const { channel, address } of subjectAddresses(query)) {
      const contact = await manager.findOneBy(Contact, { channel, addressHash: contactLookupHash(this.deps.keyring, channel, address) });
      if (contact) found.push(contact);
    }
    return found;
  }

  /**
   * Writes one folder in `outDir`: subject.json (the person's contact records and every
   * conversation with its messages, delivery states, notes and escalations, as the tab shows them),
   * a PDF transcript of each conversation, and README.txt. Audited per conversation and per contact.
   */
  async export(query: SubjectQuery, outDir: string, by: string): Promise<ExportOutcome> {
    if (!by.trim()) throw invalid('say who is running the export (--by)');
    const { db } = this.deps;
    const contacts = await this.contactsOf(db.manager, query);
    const at = this.deps.now();
    const folder = join(outDir, `subject-access-${stamp(at)}`);
    mkdirSync(join(folder, 'transcripts'), { recursive: true });
    const files: string[] = [];
    const conversations: (Awaited<ReturnType<ClinicianConversations['forSubjectAccess']>> & { legalHolds: { placedAt: string; reason: string }[] })[] = [];
    let messages = 0;
    for (const contact of contacts) {
      const rows = await db.manager.find(Conversation, { where: { contactId: contact.id }, order: { createdAt: 'ASC' } });
      for (const row of rows) {
        const view = await this.deps.conversations.forSubjectAccess(row.id);
        const holds = await db.manager.findBy(LegalHold, [{ subjectType: 'conversation', subjectId: row.id }, { subjectType: 'contact', subjectId: contact.id }]);
        conversations.push({ ...view, legalHolds: holds.filter((h) => h.releasedAt === null).map((h) => ({ placedAt: new Date(h.placedAt).toISOString(), reason: h.reason })) });
        messages += view.messages.length;
        const name = `transcripts/${String(conversations.length).padStart(3, '0')}-${row.serviceSlug}-${DateTime.fromMillis(row.createdAt, { zone: SERVICE_ZONE }).toISODate()}.pdf`;
        writeFileSync(join(folder, name), await this.deps.conversations.transcriptPdf(view, `${by} (subject access request)`, new Date(at)));
        files.push(name);
      }
    }
    const subject = {
      exportedAt: new Date(at).toISOString(),
      exportedBy: by,
      organisation: this.deps.directory.config.organisation,
      searchedFor: subjectAddresses(query),
      contacts: contacts.map((c) => ({ id: c.id, channel: c.channel, address: openContactAddress(this.deps.keyring, c), consent: c.consent, firstContactAt: new Date(c.createdAt).toISOString(), blocked: c.blockedAt !== null })),
      conversations,
    };
    writeFileSync(join(folder, 'subject.json'), JSON.stringify(subject, null, 2) + '\n');
    writeFileSync(join(folder, 'README.txt'), [
      `Subject access export from Lamplight (${this.deps.directory.config.organisation})`,
      `Made ${DateTime.fromMillis(at, { zone: SERVICE_ZONE }).setLocale('en-GB').toFormat("d LLLL yyyy 'at' HH:mm ZZZZ")} by ${by}.`,
      '',
      'CONFIDENTIAL: health information about the person named by the request. Before anything is',
      'released, the service\'s information governance lead reviews it: information about other people',
      '(third parties) and anything the exemptions for serious harm cover is withheld as the law allows.',
      '',
      `subject.json       ${contacts.length} contact record(s) and ${conversations.length} conversation(s), ${messages} message(s): every message`,
      '                   with who wrote it, when, its delivery state and any triage flag; notes; escalations.',
      'transcripts/*.pdf  each conversation as a readable transcript, in UK time.',
      '',
      contacts.length ? '' : 'Nothing was found for the number or id given.',
    ].join('\n'));
    files.push('subject.json', 'README.txt');
    await db.transaction(async (tx) => {
      for (const c of conversations) {
        await recordAudit(tx, at, { actorType: 'operator', action: 'subject.export', subjectType: 'conversation', subjectId: c.id, services: [c.service], detail: { by, messages: c.messages.length } });
      }
      for (const contact of contacts) {
        await recordAudit(tx, at, { actorType: 'operator', action: 'subject.export', subjectType: 'contact', subjectId: contact.id, services: [...new Set(conversations.map((c) => c.service))].sort(), detail: { by, conversations: conversations.length } });
      }
      if (!contacts.length) await recordAudit(tx, at, { actorType: 'operator', action: 'subject.export', subjectType: 'contact', subjectId: null, services: [], outcome: 'ok', detail: { by, found: 0 } });
    });
    return { folder, contacts: contacts.length, conversations: conversations.length, messages, files };
  }

  /**
   * Erases what may be erased of one person: never anything under a legal hold, and, unless the
   * governance lead has decided otherwise (`withinRetention`), nothing the retention rules still
   * keep (health records are exempt from erasure while the Code keeps them). Their contact record
   * goes once nothing of theirs is left; so do their web chat buffers. Audited with the reason.
   */
  async erase(query: SubjectQuery, options: { reason: string; by: string; withinRetention?: boolean; dryRun?: boolean }): Promise<EraseOutcome> {
    const reason = options.reason.trim();
    if (!reason || reason.length > 500) throw invalid('an erasure needs a reason (--reason, at most 500 characters)');
    if (!options.by.trim()) throw invalid('say who is running the erasure (--by)');
    const dryRun = options.dryRun ?? false;
    const at = this.deps.now();
    const outcome: EraseOutcome = { dryRun, contacts: 0, conversations: 0, messages: 0, kept: { held: 0, withinRetention: 0, open: 0 }, webchatSessions: 0 };
    const work = async (tx: EntityManager) => {
      const contacts = await this.contactsOf(tx, query);
      const erasing: string[] = [];
      for (const contact of contacts) {
        // Their contact row first, as retention does (records.ts lockContact): a message from them now waits, or is seen below.
        if (!dryRun) await lockContact(tx, contact.id);
        const rows = await tx.find(Conversation, { where: { contactId: contact.id } });
        const held = await heldConversations(tx, rows.map((r) => r.id));
        // A person's record with a service is kept or erased whole, as retention treats it.
        for (const slug of new Set(rows.map((r) => r.serviceSlug))) {
          const record = rows.filter((r) => r.serviceSlug === slug);
          if (record.some((r) => held.has(r.id))) outcome.kept.held += record.length;
          // A conversation still open may be one a nurse is answering now, or an escalation a duty lead is on: never erased. Close it first.
          else if (record.some((r) => r.status === 'open')) outcome.kept.open += record.length;
          else if (!options.withinRetention && !this.deps.retention.recordDue(slug, record, at)) outcome.kept.withinRetention += record.length;
          else erasing.push(...record.map((r) => r.id));
        }
      }
      if (dryRun) {
        outcome.conversations = erasing.length;
        outcome.messages = await countMessages(tx, erasing);
        outcome.contacts = await countContactsLeftEmpty(tx, contacts.map((c) => c.id), erasing);
      } else {
        const deleted = await deleteConversations(tx, erasing);
        outcome.conversations = deleted.conversations;
        outcome.messages = deleted.messages;
        outcome.contacts = await deleteContactsLeftEmpty(tx, contacts.map((c) => c.id));
        // Their web chat buffers, once their web chat contact is gone, and only chats with nothing on its way in (retention's rule).
        for (const contact of contacts.filter((c) => c.channel === 'webchat')) {
          if (await tx.existsBy(Contact, { id: contact.id })) continue;
          outcome.webchatSessions += await change(tx, `DELETE FROM webchat_session WHERE "userId" = ? AND NOT EXISTS (
            SELECT 1 FROM webchat_activity a WHERE a."sessionId" = webchat_session.id AND a.direction = 'in' AND a."storedAt" IS NULL)`, [openContactAddress(this.deps.keyring, contact)]);
        }
      }
      const services = [...new Set((await Promise.all(contacts.map((c) => tx.find(Conversation, { where: { contactId: c.id } })))).flat().map((c) => c.serviceSlug))];
      for (const contact of contacts.length ? contacts : [undefined]) {
        await recordAudit(tx, at, {
          actorType: 'operator', action: dryRun ? 'subject.erase-dry-run' : 'subject.erase', subjectType: 'contact', subjectId: contact?.id ?? null, services: services.sort(),
          detail: { by: options.by, reason, withinRetention: options.withinRetention ?? false, conversations: outcome.conversations, messages: outcome.messages, keptHeld: outcome.kept.held, keptWithinRetention: outcome.kept.withinRetention, keptOpen: outcome.kept.open },
        });
      }
    };
    await this.deps.db.transaction(work);
    return outcome;
  }
}
