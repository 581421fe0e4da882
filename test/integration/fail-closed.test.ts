import { expect } from 'chai';
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTwilio } from '../../adapters/sms/fake';
import { scratchDatabase, ScratchDatabase, TEST_DIALECT } from '../support/database';
import { SCHOOL_NURSING_SMS } from '../support/harness';
import { startProcess } from '../support/process';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = '0123456789abcdef0123456789abcdef';
const PUBLIC_URL = 'https://lamplight.example.nhs.uk';

/** A well-formed activity from "a duty lead", with no Bot Framework token: what a forger would send. */
const forgedActivity = {
  type: 'invoke', name: 'adaptiveCard/action', id: 'forged-1', channelId: 'msteams', serviceUrl: 'https://attacker.example/',
  from: { id: '29:duty', aadObjectId: '00000000-0000-4000-8000-0000000000dd' }, recipient: { id: '28:bot' },
  conversation: { id: '19:duty@thread.tacv2' }, value: { action: { verb: 'acknowledge', data: { escalationId: 'x' } } },
};

const exited = (child: ChildProcess, withinMs: number) => new Promise<number | null | 'still running'>((resolve) => {
  if (child.exitCode !== null) return resolve(child.exitCode);
  const timer = setTimeout(() => resolve('still running'), withinMs);
  child.once('exit', (code) => {
    clearTimeout(timer);
    resolve(code);
  });
});

describe('fail closed: outside demo mode nothing unauthenticated gets in', () => {
  let database: ScratchDatabase;
  let twilio: FakeTwilio;
  let twilioUrl: string;
  const live = () => ({
    DATABASE_URL: database.url, DATA_KEY: randomBytes(32).toString('base64'), PUBLIC_URL,
    TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_API_BASE_URL: twilioUrl,
    AUTH_ISSUER: 'https://login.test.example/tenant/v2.0', AUTH_AUDIENCE: 'api://lamplight-test', AUTH_JWKS_URL: 'http://127.0.0.1:9/keys',
  });
  beforeEach(async () => {
    database = await scratchDatabase();
    twilio = new FakeTwilio({ accountSid: SID, authToken: TOKEN });
    twilioUrl = await twilio.listen();
  });
  afterEach(async () => {
    await twilio.close();
    await database.drop();
  });

  const configurations: [string, Record<string, string>, number][] = [
    ['real sign-in and Twilio, NODE_ENV unset, no Teams bot identity', {}, 503],
    ['NODE_ENV=Production (not "production")', { NODE_ENV: 'Production' }, 503],
    ['NODE_ENV=staging', { NODE_ENV: 'staging' }, 503],
    ['LAMPLIGHT_MODE=live', { LAMPLIGHT_MODE: 'live' }, 503],
    ['the Teams bot configured (MICROSOFT_APP_ID)', { MICROSOFT_APP_ID: '11111111-2222-3333-4444-555555555555', MICROSOFT_APP_PASSWORD: 'not-a-real-secret' }, 401],
  ];
  for (const [name, extra, status] of configurations) {
    it(`when ${name}, then an unauthenticated Bot Framework activity is refused (${status}) and the demo's dev sign-in and simulator are not there`, async () => {
      const { child, baseUrl } = await startProcess({ ...live(), ...extra });
      try {
        const post = (headers: Record<string, string> = {}) => fetch(`${baseUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(forgedActivity) });
        expect((await post()).status).to.equal(status);
        expect((await post({ authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.' })).status).to.equal(status);
        expect((await fetch(`${baseUrl}/dev/idp/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"sam.patel@lamplight.example"}' })).status).to.equal(404);
        expect((await fetch(`${baseUrl}/dev/idp/staff`)).status).to.equal(404);
        expect((await fetch(`${baseUrl}/simulator`)).status).to.equal(404);
      } finally {
        child.kill('SIGTERM');
        await exited(child, 15_000);
      }
    });
  }

  it('when stdout is a pipe nobody reads (a stuck log shipper), then messages are still taken and SIGTERM still ends the process', async function () {
    this.timeout(90_000);
    const { child, baseUrl } = await startProcess({ ...live(), LOG_LEVEL: 'debug' });
    try {
      // Stop reading: the pipe fills (64 KB) and every later log write would block.
      child.stdout!.pause();
      child.stdout!.removeAllListeners('data');
      for (let i = 0; i < 400; i++) {
        const fields = twilio.inboundFields({ from: '+447700900555', to: SCHOOL_NURSING_SMS, body: `message ${i}`, messageSid: `SM${String(i).padStart(32, '0')}` });
        const response = await twilio.postSigned(`${baseUrl}/api/sms/twilio`, fields, `${PUBLIC_URL}/api/sms/twilio`);
        expect(response.status, `message ${i}`).to.equal(200);
      }
      expect((await fetch(`${baseUrl}/healthz`)).status).to.equal(200);
    } finally {
      child.kill('SIGTERM');
    }
    const outcome = await exited(child, 30_000);
    if (outcome === 'still running') child.kill('SIGKILL');
    expect(outcome).to.equal(0);
  });
});

describe('fail closed: the demo', () => {
  it('when the demo starts on a new SQLite file, then its folder is 700, the database and key 600, and a malformed activity gets 400', async function () {
    if (TEST_DIALECT !== 'sqlite') this.skip();
    const root = mkdtempSync(join(tmpdir(), 'lamplight-demo-'));
    const folder = join(root, 'data');
    const { child, baseUrl } = await startProcess({ DATABASE_URL: `sqlite:${join(folder, 'lamplight.sqlite')}` });
    try {
      expect(statSync(folder).mode & 0o777).to.equal(0o700);
      expect(statSync(join(folder, 'lamplight.sqlite')).mode & 0o777).to.equal(0o600);
      expect(statSync(join(folder, 'data.key')).mode & 0o777).to.equal(0o600);
      const empty = await fetch(`${baseUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(empty.status).to.equal(400);
      expect((await empty.json()).message).to.contain('"type"');
    } finally {
      child.kill('SIGTERM');
      await exited(child, 15_000);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
