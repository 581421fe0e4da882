import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { In } from 'typeorm';
import { AuditEvent, Contact, Conversation, LegalHold, Message, OutboxItem, ReportHour } from '../../db/entities';
import { openMessageBody } from '../../db/sealed-fields';
import { Keyring } from '../../db/crypto';
import { eventually, Harness, SCHOOL_NURSING_SMS, SEXUAL_HEALTH_SMS, startHarness } from '../support/harness';

const ROOT = resolve(__dirname, '..', '..', '..');

/**
 * Subject access and erasure (issue 15 item 3) through the operator's CLI, against the database a
 * running server is using: one young person who wrote to two services, and someone else.
 */
describe('subject access and erasure (CLI)', function () {
  // Each CLI run is a process of its own (a few seconds each on a busy machine).
  this.timeout(120_000);
  let h: Harness;
  let out: string;
  afterEach(async () => {
    await h?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  const PERSON = '+447700900687';
  const SOMEONE_ELSE = '+447700900688';

  function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'bot', 'cli.js'), ...args], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, DATABASE_URL: h.database.url, DATA_KEY: h.dataKey, LAMPLIGHT_MODE: '', NODE_ENV: 'test' },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function pdfText(path: string): string | undefined {
    try {
      return execFileSync('pdftotext', [path, '-'], { encoding: 'utf8' });
    } catch (error) {
      if (process.env.CI || process.env.LAMPLIGHT_REQUIRE_BROWSER === '1') throw error;
      return undefined;
    }
  }

  it('export writes every message of that person, across services, with delivery states and a PDF each, and nothing of anyone else; erase keeps what retention and a legal hold keep, and is audited', async () => {
    h = await startHarness();
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    await h.sendSms({ from: PERSON, to: SCHOOL_NURSING_SMS, body: 'can i talk to someone about my periods' });
    await h.sendSms({ from: SOMEONE_ELSE, to: SCHOOL_NURSING_SMS, body: 'my friend is not ok OTHERPERSONTEXT' });
    await h.sendSms({ from: PERSON, to: SEXUAL_HEALTH_SMS, body: 'where can i get the pill' });
    const mine = await h.app.db.manager.find(Conversation, { where: { channel: 'sms' }, order: { createdAt: 'ASC' } });
    const personContact = (await h.app.db.manager.find(Contact)).find((c) => mine.filter((m) => m.contactId === c.id).length === 2)!;
    const nursing = mine.find((c) => c.contactId === personContact.id && c.serviceSlug === 'school-nursing')!;
    expect((await h.api('POST', `/api/v1/conversations/${nursing.id}/messages`, { token: nurse, body: { text: 'Hi, I am a school nurse. Of course.' } })).status).to.equal(201);
    await eventually(async () => {
      await h.app.outbox.runOnce();
      return h.twilio.sent.some((m) => m.body === 'Hi, I am a school nurse. Of course.') || undefined;
    }, 'the reply sent');
    await eventually(async () => (await h.app.db.manager.count(OutboxItem, { where: { status: In(['pending', 'sending']) } })) === 0 || undefined, 'every send recorded');

    out = mkdtempSync(join(tmpdir(), 'lamplight-sar-'));
    const exported = cli(['subject', 'export', '--phone', '07700 900687', '--out', out, '--by', 'IG lead']);
    expect(exported.status, exported.stderr).to.equal(0);
    expect(exported.stdout).to.match(/wrote .*subject-access-.*: 1 contact record\(s\), 2 conversation\(s\)/);
    const [folder] = readdirSync(out);
    const subject = JSON.parse(readFileSync(join(out, folder, 'subject.json'), 'utf8'));
    // Every message of theirs, as stored: the test opens the sealed bodies itself.
    const theirs = await h.app.db.manager.find(Message, { where: mine.filter((c) => c.contactId === personContact.id).map((c) => ({ conversationId: c.id })) });
    const keyring = Keyring.fromBase64(h.dataKey);
    const texts = theirs.map((m) => openMessageBody(keyring, m));
    const exportedTexts = subject.conversations.flatMap((c: any) => c.messages.map((m: any) => m.text));
    expect([...exportedTexts].sort()).to.deep.equal([...texts].sort());
    expect(subject.contacts).to.have.length(1);
    expect(subject.contacts[0].address).to.equal(PERSON);
    const reply = subject.conversations.flatMap((c: any) => c.messages).find((m: any) => m.text === 'Hi, I am a school nurse. Of course.');
    expect(reply.delivery.status, 'the delivery state of a sent reply').to.be.oneOf(['sent', 'delivered']);
    const raw = readFileSync(join(out, folder, 'subject.json'), 'utf8');
    expect(raw).not.to.contain('OTHERPERSONTEXT');
    expect(raw).not.to.contain(SOMEONE_ELSE);
    const pdfs = readdirSync(join(out, folder, 'transcripts'));
    expect(pdfs).to.have.length(2);
    for (const pdf of pdfs) {
      const text = pdfText(join(out, folder, 'transcripts', pdf));
      if (text !== undefined) expect(text).not.to.contain('OTHERPERSONTEXT');
    }
    const nursingText = pdfText(join(out, folder, 'transcripts', pdfs.find((p) => p.includes('school-nursing'))!));
    if (nursingText !== undefined) expect(nursingText).to.contain('can i talk to someone about my periods');
    expect(existsSync(join(out, folder, 'README.txt'))).to.equal(true);
    const audits = await h.app.db.manager.find(AuditEvent, { where: { action: 'subject.export' } });
    expect(audits.map((a) => a.subjectId).sort()).to.deep.equal([nursing.id, mine.find((c) => c.serviceSlug === 'sexual-health')!.id, personContact.id].sort());

    // Erasure never takes an open conversation: a nurse may be answering it.
    const open = cli(['subject', 'erase', '--phone', PERSON, '--reason', 'Request of 5 Dec 2026', '--by', 'IG lead', '--within-retention', '--dry-run']);
    expect(open.status, open.stderr).to.equal(0);
    expect(open.stdout).to.contain('would erase 0 conversation(s)').and.contain('kept, still open: 2 conversation(s)');
    const sexualHealth = await h.staff('sh@example.nhs.uk', 'clinician', 'sexual-health');
    for (const [conversation, token] of [[nursing, nurse], [mine.find((c) => c.serviceSlug === 'sexual-health')!, sexualHealth]] as const) {
      expect((await h.api('POST', `/api/v1/conversations/${conversation.id}/close`, { token, body: { outcome: 'advice-given' } })).status).to.equal(200);
    }
    // Erasure: everything here is within its retention, so nothing goes without the governance lead's decision.
    const refused = cli(['subject', 'erase', '--phone', PERSON, '--reason', 'Request of 5 Dec 2026', '--by', 'IG lead']);
    expect(refused.status, refused.stderr).to.equal(0);
    expect(refused.stdout).to.contain('erased 0 conversation(s)').and.contain('kept by retention: 2 conversation(s)');
    // A legal hold on the school nursing conversation keeps it even then.
    const held = cli(['hold', 'place', '--conversation', nursing.id, '--reason', 'Safeguarding review', '--by', 'IG lead']);
    expect(held.status, held.stderr).to.equal(0);
    const erased = cli(['subject', 'erase', '--phone', PERSON, '--reason', 'Recorded in error: another person\'s number', '--by', 'IG lead', '--within-retention']);
    expect(erased.status, erased.stderr).to.equal(0);
    expect(erased.stdout).to.contain('erased 1 conversation(s)').and.contain('kept under a legal hold: 1 conversation(s)');
    const left = await h.app.db.manager.find(Conversation);
    expect(left.map((c) => c.id)).to.include(nursing.id);
    expect(left.filter((c) => c.serviceSlug === 'sexual-health')).to.have.length(0);
    expect(left.filter((c) => c.contactId !== personContact.id), 'someone else\'s conversation').to.have.length(1);
    expect(await h.app.db.manager.existsBy(Contact, { id: personContact.id }), 'the contact stays while a held conversation does').to.equal(true);
    const audits2 = await h.app.db.manager.find(AuditEvent, { where: { action: 'subject.erase', subjectId: personContact.id }, order: { seq: 'ASC' } });
    expect(audits2.map((a) => JSON.parse(a.detail!))).to.deep.equal([
      { by: 'IG lead', reason: 'Request of 5 Dec 2026', withinRetention: false, conversations: 0, messages: 0, keptHeld: 0, keptWithinRetention: 2, keptOpen: 0 },
      { by: 'IG lead', reason: 'Recorded in error: another person\'s number', withinRetention: true, conversations: 1, messages: 2, keptHeld: 1, keptWithinRetention: 0, keptOpen: 0 },
    ]);
    for (const a of audits2) expect(a.detail).not.to.contain(PERSON);
    const kept = (await h.app.db.manager.find(ReportHour)).reduce((n, r) => n + Number(r.messages), 0);
    expect(kept).to.equal(await h.app.db.manager.count(Message));
    expect(await h.app.db.manager.count(LegalHold)).to.equal(1);
    const verify = cli(['audit', 'verify']);
    expect(verify.status, verify.stderr).to.equal(0);
  });

  it('a bad request is refused with a clear message and a usage exit code', async () => {
    h = await startHarness();
    const none = cli(['subject', 'export', '--out', tmpdir(), '--by', 'IG lead']);
    expect(none.status).to.equal(1);
    expect(none.stderr).to.contain('--phone, --whatsapp or --webchat');
    const noBy = cli(['subject', 'erase', '--phone', PERSON, '--reason', 'x']);
    expect(noBy.status).to.equal(1);
    expect(noBy.stderr).to.contain('--by');
    const dry = cli(['retention', 'run', '--dry-run', '--by', 'IG lead']);
    expect(dry.status, dry.stderr).to.equal(0);
    expect(dry.stdout).to.contain('dry run: would delete 0 record(s)');
  });
});
