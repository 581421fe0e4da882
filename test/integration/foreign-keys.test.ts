import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, ObjectLiteral } from 'typeorm';
import { verifyAuditChain } from '../../db/audit-chain';
import { Database, describeDatabaseUrl } from '../../db/database';
import {
  AuditEvent, Contact, Conversation, Escalation, EscalationNotice, Message, Note, OutboxItem, ServiceMembership, StaffMember,
} from '../../db/entities';
import { migrations } from '../../db/migrations';
import { ForeignKeys1764600000000 } from '../../db/migrations/1764600000000-ForeignKeys';
import { scratchDatabase, ScratchDatabase, TEST_DIALECT } from '../support/database';

/** Rows as stored, every column given: for the entities and for raw inserts into an older schema alike. */
const at = 1_760_000_000_000;
const rows = {
  staff: (id = randomUUID()): StaffMember => ({ id, email: `${id}@example.nhs.uk`, name: 'A Nurse', oid: null, createdAt: at, muteNonUrgent: false, workMobileCipher: null, workMobileKeyId: null }),
  membership: (staffId: string): ServiceMembership => ({ id: randomUUID(), staffId, serviceSlug: 'school-nursing', role: 'clinician', createdAt: at }),
  contact: (id = randomUUID()): Contact => ({ id, channel: 'sms', addressHash: id.replace(/-/g, ''), addressCipher: 'sealed', keyId: 'k1', consent: 'active', consentChangedAt: null, createdAt: at, blockedAt: null }),
  conversation: (contactId: string, assignedStaffId: string | null = null, id = randomUUID()): Conversation => ({
    id, serviceSlug: 'school-nursing', contactId, channel: 'sms', endpointAddress: '+447700900101', status: 'open', openKey: `open:${id}`,
    riskLevel: 'none', assignedStaffId, createdAt: at, lastMessageAt: at, lastInboundAt: null, awaitingReplySince: null, closedAt: null,
    outcome: null, recordedAt: null, lastReadAt: null, firstReplyAt: null, outOfHoursAt: null, repeatContact: false,
  }),
  message: (conversationId: string, authorStaffId: string | null = null, id = randomUUID()): Message => ({
    id, conversationId, channel: 'sms', externalId: `out:${id}`, direction: 'out', authorKind: authorStaffId ? 'clinician' : 'contact', authorStaffId,
    autoReplyKind: null, bodyCipher: 'sealed', keyId: 'k1', createdAt: at, riskLevel: null, triageCipher: null,
  }),
  note: (conversationId: string, authorStaffId: string | null = null): Note => ({ id: randomUUID(), conversationId, authorStaffId, kind: 'note', bodyCipher: 'sealed', keyId: 'k1', createdAt: at }),
  outbox: (conversationId: string, messageId: string, channel: OutboxItem['channel'] = 'sms'): Omit<OutboxItem, 'templateName' | 'holdsLater' | 'retryFrom' | 'priority'> => ({
    id: randomUUID(), messageId, conversationId, channel, status: 'pending', consentNotice: false, attempts: 0, nextAttemptAt: at,
    lockedUntil: null, lastError: null, providerMessageId: null, providerStatus: null, createdAt: at, updatedAt: at,
  }),
  escalation: (conversationId: string, messageId: string, acknowledgedBy: string | null = null, id = randomUUID()): Escalation => ({
    id, conversationId, serviceSlug: 'school-nursing', messageId, status: acknowledgedBy ? 'acknowledged' : 'open', step: 1, nextDueAt: null,
    categories: 'suicide', messageCount: 1, createdAt: at, acknowledgedAt: acknowledgedBy ? at : null, acknowledgedBy,
  }),
  notice: (escalationId: string, id = randomUUID()): EscalationNotice => ({ id, escalationId, step: 0, level: 1, round: 1, final: false, recipients: '', createdAt: at }),
};

function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY'; // PostgreSQL foreign_key_violation; SQLite
}

async function refused(work: Promise<unknown>): Promise<void> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error, 'the database accepted a row whose parent does not exist').to.not.equal(undefined);
  expect(isForeignKeyViolation(error), String(error)).to.equal(true);
}

describe(`foreign keys (${TEST_DIALECT})`, () => {
  let scratch: ScratchDatabase;
  let db: Database;
  const ids = async (m: EntityManager, entity: Parameters<EntityManager['find']>[0]) => ((await m.find(entity)) as { id: string }[]).map((r) => r.id).sort();

  describe('after every migration', () => {
    beforeEach(async () => {
      scratch = await scratchDatabase();
      db = await Database.open(scratch.url);
      await db.migrate();
    });
    afterEach(async () => {
      await db.close();
      await scratch.drop();
    });

    it('when a row names a parent that does not exist, then the database refuses it', async () => {
      const m = db.manager;
      const staff = rows.staff();
      const contact = rows.contact();
      const conversation = rows.conversation(contact.id);
      const message = rows.message(conversation.id);
      const escalation = rows.escalation(conversation.id, message.id);
      await m.insert(StaffMember, staff);
      await m.insert(Contact, contact);
      await m.insert(Conversation, conversation);
      await m.insert(Message, message);
      await m.insert(Escalation, escalation);

      const nobody = randomUUID();
      await refused(m.insert(Message, rows.message(nobody)));
      await refused(m.insert(Message, rows.message(conversation.id, nobody)));
      await refused(m.insert(Conversation, rows.conversation(nobody)));
      await refused(m.insert(Conversation, rows.conversation(contact.id, nobody)));
      await refused(m.insert(Note, rows.note(nobody)));
      await refused(m.insert(Note, rows.note(conversation.id, nobody)));
      await refused(m.insert(OutboxItem, rows.outbox(nobody, message.id)));
      await refused(m.insert(Escalation, rows.escalation(nobody, message.id)));
      await refused(m.insert(EscalationNotice, rows.notice(nobody)));
      await refused(m.insert(ServiceMembership, rows.membership(nobody)));
      await refused(m.update(Escalation, { id: escalation.id }, { acknowledgedBy: nobody }));
      await refused(m.update(Conversation, { id: conversation.id }, { assignedStaffId: nobody }));

      // The same rows with real parents go in: the refusals were the foreign keys, not the rows.
      await m.insert(Message, rows.message(conversation.id, staff.id));
      await m.insert(Note, rows.note(conversation.id, staff.id));
      await m.update(Conversation, { id: conversation.id }, { assignedStaffId: staff.id });
      expect(await m.count(Message)).to.equal(2);
    });

    it('when a conversation is deleted, then its messages, notes, outbox items, escalations and their notices go with it, and nothing else does', async () => {
      const m = db.manager;
      const staff = rows.staff();
      const contact = rows.contact();
      const [gone, kept] = [rows.conversation(contact.id, staff.id), rows.conversation(contact.id, staff.id)];
      await m.insert(StaffMember, staff);
      await m.insert(Contact, contact);
      await m.insert(Conversation, [gone, kept]);
      for (const conversation of [gone, kept]) {
        const message = rows.message(conversation.id, staff.id);
        const escalation = rows.escalation(conversation.id, message.id);
        const notice = rows.notice(escalation.id);
        await m.insert(Message, [message, rows.message(conversation.id)]);
        await m.insert(Note, rows.note(conversation.id, staff.id));
        await m.insert(Escalation, escalation);
        await m.insert(EscalationNotice, notice);
        // A contact's reply and the duty lead's Teams card (its messageId is the notice).
        await m.insert(OutboxItem, [rows.outbox(conversation.id, message.id), rows.outbox(conversation.id, notice.id, 'teams')]);
      }

      await m.delete(Conversation, { id: gone.id });

      expect(await ids(m, Conversation)).to.deep.equal([kept.id]);
      for (const entity of [Message, Note, OutboxItem, Escalation]) {
        const left = (await m.find(entity)) as { conversationId: string }[];
        expect(left.map((r) => r.conversationId), entity.name).to.deep.equal(left.map(() => kept.id)).and.have.length.greaterThan(0);
      }
      const escalations = await m.find(Escalation);
      expect((await m.find(EscalationNotice)).map((n) => n.escalationId)).to.deep.equal(escalations.map((e) => e.id));
      expect(await m.count(Contact)).to.equal(1);
      expect(await m.count(StaffMember)).to.equal(1);
    });

    it('when a contact is erased, then their conversations and everything in them go too', async () => {
      const m = db.manager;
      const [erased, other] = [rows.contact(), rows.contact()];
      await m.insert(Contact, [erased, other]);
      for (const contact of [erased, other]) {
        const conversation = rows.conversation(contact.id);
        const message = rows.message(conversation.id);
        const escalation = rows.escalation(conversation.id, message.id);
        await m.insert(Conversation, conversation);
        await m.insert(Message, message);
        await m.insert(Note, rows.note(conversation.id));
        await m.insert(OutboxItem, rows.outbox(conversation.id, message.id));
        await m.insert(Escalation, escalation);
        await m.insert(EscalationNotice, rows.notice(escalation.id));
      }

      await m.delete(Contact, { id: erased.id });

      const conversations = await m.find(Conversation);
      expect(conversations.map((c) => c.contactId)).to.deep.equal([other.id]);
      for (const entity of [Message, Note, OutboxItem, Escalation, EscalationNotice]) expect(await m.count(entity), entity.name).to.equal(1);
    });

    it('when a staff member is deleted, then what they wrote, held or acknowledged stays, with their id cleared, and their memberships go', async () => {
      const m = db.manager;
      const [leaver, colleague] = [rows.staff(), rows.staff()];
      const contact = rows.contact();
      const conversation = rows.conversation(contact.id, leaver.id);
      const theirs = rows.message(conversation.id, leaver.id);
      const colleagues = rows.message(conversation.id, colleague.id);
      const escalation = rows.escalation(conversation.id, theirs.id, leaver.id);
      // One at a time: for an entity with a database default (muteNonUrgent), TypeORM reads the
      // new rows back after a many-row insert on SQLite in no fixed order and writes what it read
      // into the objects given, which can swap their ids (the leaver's object would name the colleague).
      await m.insert(StaffMember, leaver);
      await m.insert(StaffMember, colleague);
      await m.insert(ServiceMembership, [rows.membership(leaver.id), rows.membership(colleague.id)]);
      await m.insert(Contact, contact);
      await m.insert(Conversation, conversation);
      await m.insert(Message, [theirs, colleagues]);
      await m.insert(Note, rows.note(conversation.id, leaver.id));
      await m.insert(Escalation, escalation);

      await m.delete(StaffMember, { id: leaver.id });

      expect(await m.findOneByOrFail(Conversation, { id: conversation.id })).to.include({ assignedStaffId: null, status: 'open' });
      expect(await m.findOneByOrFail(Message, { id: theirs.id })).to.include({ authorStaffId: null, authorKind: 'clinician', bodyCipher: 'sealed' });
      expect(await m.findOneByOrFail(Message, { id: colleagues.id })).to.include({ authorStaffId: colleague.id });
      expect((await m.find(Note)).map((n) => n.authorStaffId)).to.deep.equal([null]);
      expect(await m.findOneByOrFail(Escalation, { id: escalation.id })).to.include({ acknowledgedBy: null, status: 'acknowledged' });
      expect((await m.find(ServiceMembership)).map((s) => s.staffId)).to.deep.equal([colleague.id]);
    });
  });

  it('when rows were stored before the keys whose parents are gone, then the migration removes or clears them as the keys would have, records only counts, and keeps the rest', async () => {
    scratch = await scratchDatabase();
    const before = new DataSource({ ...describeDatabaseUrl(scratch.url).options, migrations: migrations.slice(0, migrations.indexOf(ForeignKeys1764600000000)), logging: false });
    const gone = () => randomUUID();
    const staff = rows.staff();
    const contact = rows.contact();
    // Whole and intact, except for references to staff who are no longer there.
    const kept = rows.conversation(contact.id, gone());
    const keptMessage = rows.message(kept.id, gone());
    const keptColleague = rows.message(kept.id, staff.id);
    const keptNote = rows.note(kept.id, gone());
    const keptEscalation = rows.escalation(kept.id, keptMessage.id, gone());
    const keptNotice = rows.notice(keptEscalation.id);
    const keptOutbox = rows.outbox(kept.id, keptMessage.id);
    // A conversation whose contact is gone, and everything in it: all of it goes.
    const stray = rows.conversation(gone());
    const strayMessage = rows.message(stray.id);
    const strayEscalation = rows.escalation(stray.id, strayMessage.id);
    const strays: [string, ObjectLiteral][] = [
      ['conversation', stray], ['message', strayMessage], ['note', rows.note(stray.id)], ['outbox_item', rows.outbox(stray.id, strayMessage.id)],
      ['escalation', strayEscalation], ['escalation_notice', rows.notice(strayEscalation.id)],
      // Children whose own parent is gone.
      ['message', rows.message(gone())], ['note', rows.note(gone())], ['outbox_item', rows.outbox(gone(), gone(), 'teams')],
      ['escalation', rows.escalation(gone(), gone())], ['escalation_notice', rows.notice(gone())], ['service_membership', rows.membership(gone())],
    ];
    const stored: [string, ObjectLiteral][] = [
      // The staff row as that older schema had it: the columns added since are not there yet.
      ['staff_member', { id: staff.id, email: staff.email, name: staff.name, oid: staff.oid, createdAt: staff.createdAt }], ['service_membership', rows.membership(staff.id)], ['contact', contact], ['conversation', kept],
      ['message', keptMessage], ['message', keptColleague], ['note', keptNote], ['escalation', keptEscalation], ['escalation_notice', keptNotice],
      ['outbox_item', keptOutbox], ...strays,
    ];
    await before.initialize();
    try {
      await before.runMigrations({ transaction: 'each' });
      // Children first, the way nothing stopped before: no table here has a key yet.
      // Conversations as that older schema had them too: without the report columns added since.
      const later = new Set(['firstReplyAt', 'outOfHoursAt', 'repeatContact']);
      const asStored = (table: string, row: ObjectLiteral) => Object.fromEntries(Object.entries(row)
        .filter(([k]) => table !== 'conversation' || !later.has(k))
        .map(([k, v]) => [k, typeof v === 'boolean' && TEST_DIALECT === 'sqlite' ? Number(v) : v]));
      for (const [table, row] of [...stored].reverse()) await before.createQueryBuilder().insert().into(table).values(asStored(table, row)).execute();
    } finally {
      await before.destroy();
    }

    db = await Database.open(scratch.url);
    try {
      expect(await db.migrate()).to.deep.equal(migrations.slice(migrations.indexOf(ForeignKeys1764600000000)).map((m) => m.name));
      const m = db.manager;
      expect(await ids(m, Conversation)).to.deep.equal([kept.id]);
      expect(await m.findOneByOrFail(Conversation, { id: kept.id })).to.include({ assignedStaffId: null, contactId: contact.id });
      expect(await ids(m, Message)).to.deep.equal([keptMessage.id, keptColleague.id].sort());
      expect(await m.findOneByOrFail(Message, { id: keptMessage.id })).to.include({ authorStaffId: null });
      expect(await m.findOneByOrFail(Message, { id: keptColleague.id })).to.include({ authorStaffId: staff.id });
      expect((await m.find(Note)).map((n) => [n.id, n.authorStaffId])).to.deep.equal([[keptNote.id, null]]);
      expect(await ids(m, OutboxItem)).to.deep.equal([keptOutbox.id]);
      expect((await m.find(Escalation)).map((e) => [e.id, e.acknowledgedBy])).to.deep.equal([[keptEscalation.id, null]]);
      expect(await ids(m, EscalationNotice)).to.deep.equal([keptNotice.id]);
      expect((await m.find(ServiceMembership)).map((s) => s.staffId)).to.deep.equal([staff.id]);
      expect(await m.count(Contact)).to.equal(1);
      expect(await m.count(StaffMember)).to.equal(1);

      // One audit event with the counts, in an intact chain; no id of any row it touched.
      const events = await m.find(AuditEvent, { where: { action: 'schema.orphans_resolved' } });
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ actorType: 'system', actorId: null, subjectType: 'database', subjectId: null, outcome: 'ok' });
      expect(JSON.parse(events[0].detail!)).to.deep.equal({
        'service_membership.staffId deleted': 1,
        'conversation.contactId deleted': 1,
        'conversation.assignedStaffId set null': 1,
        'message.conversationId deleted': 2,
        'message.authorStaffId set null': 1,
        'note.conversationId deleted': 2,
        'note.authorStaffId set null': 1,
        'outbox_item.conversationId deleted': 2,
        'escalation.conversationId deleted': 2,
        'escalation.acknowledgedBy set null': 1,
        'escalation_notice.escalationId deleted': 2,
      });
      for (const [, row] of strays) expect(events[0].detail).to.not.contain(row.id);
      expect(await verifyAuditChain(m)).to.deep.include({ intact: true, count: 1 });

      // And the keys hold from here on.
      await refused(m.insert(Message, rows.message(stray.id)));
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it('when the database has no orphans, then the migration records nothing', async () => {
    scratch = await scratchDatabase();
    db = await Database.open(scratch.url);
    try {
      await db.migrate();
      expect(await db.manager.count(AuditEvent)).to.equal(0);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });
});
