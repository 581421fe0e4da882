import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { FakeTwilio } from '../../adapters/sms/fake';
import { Database, isUniqueViolation } from '../../db/database';
import { Message, TeamsChannel } from '../../db/entities';
import { scratchDatabase, ScratchDatabase, TEST_DIALECT } from '../support/database';
import { SCHOOL_NURSING_SMS } from '../support/harness';
import { startProcess } from '../support/process';

// A second, plain connection to the file, read synchronously: what another process would see.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as new (file: string, options: { readonly: boolean }) => {
  prepare(sql: string): { get(...values: unknown[]): unknown; all(...values: unknown[]): unknown[] };
  close(): void;
};

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = '0123456789abcdef0123456789abcdef';
const PUBLIC_URL = 'https://lamplight.example.nhs.uk';

/** SQLite only: PostgreSQL commits each unit on the pool, and the server groups WAL flushes itself. */
describe('SQLite commits: on disk before anyone is told, in groups', function () {
  let scratch: ScratchDatabase;
  before(function () {
    if (TEST_DIALECT !== 'sqlite') this.skip();
  });
  beforeEach(async () => {
    scratch = await scratchDatabase();
  });
  afterEach(async () => scratch?.drop());

  it('the connection commits with synchronous=FULL in WAL mode (better-sqlite3 builds with NORMAL, which a power cut can undo)', async () => {
    const db = await Database.open(scratch.url);
    try {
      expect(await db.dataSource.query('PRAGMA synchronous')).to.deep.equal([{ synchronous: 2 }]);
      expect(await db.dataSource.query('PRAGMA journal_mode')).to.deep.equal([{ journal_mode: 'wal' }]);
    } finally {
      await db.close();
    }
  });

  it('units that arrive together share one commit; each settles only once another connection can read it; a failing unit fails alone', async () => {
    const db = await Database.open(scratch.url);
    await db.migrate();
    const reader = new BetterSqlite3(scratch.file!, { readonly: true });
    try {
      const before = { ...db.commits };
      const seenOnSettle: boolean[] = [];
      const visible = (id: string) => reader.prepare('SELECT COUNT(*) AS n FROM teams_channel WHERE channelId = ?').get(id) as { n: number };
      const units = Array.from({ length: 30 }, (_, i) => db.transaction(async (tx) => {
        // Unit 7 collides with unit 3's key; unit 12 fails after writing. Both must leave nothing.
        await tx.insert(TeamsChannel, { channelId: `19:unit-${i === 7 ? 3 : i}@thread.tacv2`, reference: '{}', updatedAt: i });
        if (i === 12) throw new Error('unit 12 changed its mind');
        return i;
      }).then((value) => {
        seenOnSettle[i] = visible(`19:unit-${i}@thread.tacv2`).n === 1;
        return value;
      }));
      const settled = await Promise.allSettled(units);
      expect(settled.map((s) => s.status)).to.deep.equal(settled.map((_, i) => (i === 7 || i === 12 ? 'rejected' : 'fulfilled')));
      expect(isUniqueViolation((settled[7] as PromiseRejectedResult).reason)).to.equal(true);
      expect((settled[12] as PromiseRejectedResult).reason.message).to.equal('unit 12 changed its mind');
      // Every unit was told only after its commit was readable from outside.
      expect(seenOnSettle.filter((seen, i) => i !== 7 && i !== 12 && seen)).to.have.length(28);
      expect((reader.prepare('SELECT channelId FROM teams_channel ORDER BY updatedAt').all() as { channelId: string }[]).map((r) => r.channelId))
        .to.deep.equal(Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 7 && i !== 12).map((i) => `19:unit-${i}@thread.tacv2`));
      // All thirty arrived before the event loop turned: they share one commit (one fsync).
      expect(db.commits.commits - before.commits).to.equal(1);
      expect(db.commits.units - before.units).to.equal(28);
    } finally {
      reader.close();
      await db.close();
    }
  });

  it('when the process is killed (kill -9) straight after acknowledging webhooks, every acknowledged message is in the database when it opens again', async function () {
    this.timeout(60_000);
    const twilio = new FakeTwilio({ accountSid: SID, authToken: TOKEN });
    const twilioUrl = await twilio.listen();
    const { child, baseUrl } = await startProcess({
      DATABASE_URL: scratch.url, DATA_KEY: randomBytes(32).toString('base64'), PUBLIC_URL,
      TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_API_BASE_URL: twilioUrl,
      AUTH_ISSUER: 'https://login.test.example/tenant/v2.0', AUTH_AUDIENCE: 'api://lamplight-test', AUTH_JWKS_URL: 'http://127.0.0.1:9/keys',
    });
    const acknowledged: string[] = [];
    try {
      // 60 texts at once from 20 phones; the process dies as soon as 30 have been acknowledged.
      let killed = false;
      const sends = Array.from({ length: 60 }, async (_, i) => {
        const messageSid = `SM${i.toString(16).padStart(32, '0')}`;
        const fields = twilio.inboundFields({ from: `+4477009${String(10_000 + (i % 20)).padStart(5, '0')}`, to: SCHOOL_NURSING_SMS, body: `message ${i}`, messageSid });
        const response = await twilio.postSigned(`${baseUrl}/api/sms/twilio`, fields, `${PUBLIC_URL}/api/sms/twilio`).catch(() => undefined);
        if (response?.status === 200 && !killed) {
          acknowledged.push(messageSid);
          if (acknowledged.length >= 30) {
            killed = true;
            child.kill('SIGKILL');
          }
        }
      });
      await Promise.all(sends);
      if (!killed) child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    } finally {
      await twilio.close();
    }
    expect(acknowledged.length).to.be.at.least(30);
    const db = await Database.open(scratch.url);
    try {
      const stored = new Set((await db.manager.find(Message, { where: { direction: 'in' }, select: { externalId: true } })).map((m) => m.externalId));
      expect(acknowledged.filter((sid) => !stored.has(sid))).to.deep.equal([]);
    } finally {
      await db.close();
    }
  });
});

describe('SQLite statements: numbers are bound, not written into the SQL', function () {
  before(function () {
    if (TEST_DIALECT !== 'sqlite') this.skip();
  });

  it('a timestamp goes as a parameter (so one prepared statement serves every insert and update), and reads back as the same number', async () => {
    const scratch = await scratchDatabase();
    const db = await Database.open(scratch.url);
    try {
      await db.migrate();
      // Every SQL text better-sqlite3 is asked to prepare.
      const queries: string[] = [];
      const connection = (db.dataSource.driver as unknown as { databaseConnection: { prepare(sql: string): unknown } }).databaseConnection;
      const prepare = connection.prepare.bind(connection);
      connection.prepare = (sql: string) => {
        queries.push(sql);
        return prepare(sql);
      };
      for (const at of [1764000000123, 1764000000456]) {
        await db.manager.insert(TeamsChannel, { channelId: `19:${at}@thread.tacv2`, reference: '{}', updatedAt: at });
        await db.manager.update(TeamsChannel, { channelId: `19:${at}@thread.tacv2` }, { updatedAt: at + 1 });
      }
      const found = await db.manager.findOneByOrFail(TeamsChannel, { updatedAt: 1764000000457 });
      expect(found.updatedAt).to.equal(1764000000457);
      expect(queries.filter((q) => /17640000/.test(q))).to.deep.equal([]);
      // Two inserts, two updates: one SQL text each.
      expect(new Set(queries.filter((q) => q.startsWith('INSERT'))).size).to.equal(1);
      expect(new Set(queries.filter((q) => q.startsWith('UPDATE'))).size).to.equal(1);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });
});
