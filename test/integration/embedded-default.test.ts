import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { migrations } from '../../db/migrations';
import { scratchDatabase, ScratchDatabase } from '../support/database';
import { eventually } from '../support/harness';
import { runCli, startProcess } from '../support/process';

/**
 * The newcomer's path through the real process: start, text the school nursing number from the
 * simulator, read the conversation as a demo clinician, reply, see the reply on the phone, stop.
 */
describe('the embedded default, as a newcomer uses it', () => {
  let database: ScratchDatabase;
  const env = () => ({ DATABASE_URL: database.url, DATA_KEY: randomBytes(32).toString('base64') });
  beforeEach(async () => {
    database = await scratchDatabase();
  });
  afterEach(async () => database.drop());

  it('when started without provider credentials, then the simulator phone, dev sign-in and API carry a conversation both ways, and SIGTERM stops it cleanly', async () => {
    const { child, baseUrl, output } = await startProcess(env());
    try {
      expect(output.join('\n')).to.contain(`${baseUrl}/simulator`);
      const phone = encodeURIComponent('+447700900444');
      const json = async (path: string, init?: RequestInit) => (await fetch(`${baseUrl}${path}`, init)).json() as Promise<any>;
      const post = (path: string, body: unknown, token?: string) => json(path, {
        method: 'POST', body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });

      expect(await post(`/simulator/api/phones/${phone}/sms`, { service: 'school-nursing', text: 'hi, is this the school nurse?' })).to.deep.equal({ webhookStatus: 200 });
      const welcome = await eventually(async () => (await json(`/simulator/api/phones/${phone}/messages`)).messages.find((m: any) => m.direction === 'received'), 'the welcome on the phone');
      expect(welcome.text).to.contain('School Nursing team');

      const { access_token: token } = await post('/dev/idp/token', { email: 'sam.patel@lamplight.example' });
      const { conversations } = await json('/api/v1/conversations', { headers: { authorization: `Bearer ${token}` } });
      expect(conversations).to.have.length(1);
      const reply = await post(`/api/v1/conversations/${conversations[0].id}/messages`, { text: 'Hi, this is Sam, the school nurse.' }, token);
      expect(reply.authorName).to.equal('Sam Patel');
      await eventually(async () => (await json(`/simulator/api/phones/${phone}/messages`)).messages.some((m: any) => m.text === 'Hi, this is Sam, the school nurse.'), 'the reply on the phone');

      const delivered = await eventually(async () => {
        const { messages } = await json(`/api/v1/conversations/${conversations[0].id}`, { headers: { authorization: `Bearer ${token}` } });
        return messages.every((m: any) => m.direction === 'in' || m.delivery.status === 'delivered');
      }, 'delivery receipts from the simulated Twilio');
      expect(delivered).to.equal(true);

      // The third channel on the same process: the chat page's token, a post through Direct Line, the welcome back.
      expect(output.join('\n')).to.contain(`${baseUrl}/chat/school-nursing`);
      const chat = await post('/api/webchat/school-nursing/token', {});
      const headers = { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' };
      const posted = await json(`/v3/directline/conversations/${chat.conversationId}/activities`, { method: 'POST', headers, body: JSON.stringify({ type: 'message', from: { id: chat.userId }, text: 'hi from the web chat', channelData: { clientActivityID: 'embedded-1' } }) });
      expect(posted.id).to.be.a('string');
      const chatWelcome = await eventually(async () => (await json(`/v3/directline/conversations/${chat.conversationId}/activities?watermark=`, { headers })).activities.find((a: any) => a.from.role === 'bot'), 'the welcome in the web chat');
      expect(chatWelcome.text).to.contain('School Nursing team');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).to.equal(0);
  });

  it('when the services config is wrong, then the start stops with a message naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamplight-config-'));
    try {
      const bad = join(dir, 'services.yaml');
      writeFileSync(bad, readFileSync(DEMO_CONFIG_PATH, 'utf8').replace('sms: "+447700900102"', 'sms: "+447700900101"'));
      const error = await startProcess({ ...env(), LAMPLIGHT_CONFIG: bad }).then(() => undefined, (e: Error) => e);
      expect(error?.message).to.contain('exited with 1');
      expect(error?.message).to.contain('duplicate SMS number +447700900101');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when a service adds a malformed triage lexicon entry, then the start stops with a message naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamplight-config-'));
    try {
      const bad = join(dir, 'services.yaml');
      const addition = '    triageAdditions:\n      - id: vaping\n        category: substance\n        patterns: ["vape every day"]\n';
      writeFileSync(bad, readFileSync(DEMO_CONFIG_PATH, 'utf8').replace('    escalation:\n', `${addition}    escalation:\n`));
      const error = await startProcess({ ...env(), LAMPLIGHT_CONFIG: bad }).then(() => undefined, (e: Error) => e);
      expect(error?.message).to.contain('The triage lexicon additions of service school-nursing is not valid: 0.level');
      expect(error?.message).not.to.contain('    at ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when NODE_ENV=production lacks provider and identity settings, then it refuses to start and says what is missing', async () => {
    const error = await startProcess({ ...env(), NODE_ENV: 'production' }).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.contain('Lamplight is not in demo mode (NODE_ENV=production), so it needs');
    expect(error?.message).to.contain('AUTH_ISSUER');
  });
});

describe('operator CLI', () => {
  let database: ScratchDatabase;
  beforeEach(async () => {
    database = await scratchDatabase();
  });
  afterEach(async () => database.drop());

  it('when migrate runs twice, then the second run has nothing to do', () => {
    const env = { DATABASE_URL: database.url, DATA_KEY: randomBytes(32).toString('base64') };
    expect(runCli(['migrate'], env)).to.include({ status: 0, stdout: `applied: ${migrations.map((m) => m.name).join(', ')}\n` });
    expect(runCli(['migrate'], env)).to.include({ status: 0, stdout: 'the database is up to date\n' });
  });

  it('when staff are added, then they are listed with their role per service; bad input exits non-zero with the reason', () => {
    const env = { DATABASE_URL: database.url, DATA_KEY: randomBytes(32).toString('base64') };
    const add = runCli(['staff', 'add', '--email', 'Nurse@Trust.nhs.uk', '--name', 'A Nurse', '--role', 'clinician', '--service', 'school-nursing'], env);
    expect(add.status, add.stderr).to.equal(0);
    expect(add.stdout).to.match(/^added nurse@trust\.nhs\.uk as clinician in school-nursing/);
    runCli(['staff', 'add', '--email', 'nurse@trust.nhs.uk', '--name', 'A Nurse', '--role', 'duty-lead', '--service', 'health-visiting'], env);
    expect(runCli(['staff', 'list'], env).stdout).to.equal('nurse@trust.nhs.uk\tA Nurse\tschool-nursing:clinician health-visiting:duty-lead\n');

    const badRole = runCli(['staff', 'add', '--email', 'x@trust.nhs.uk', '--name', 'X', '--role', 'boss', '--service', 'school-nursing'], env);
    expect(badRole.status).to.equal(1);
    expect(badRole.stderr).to.contain('role must be one of clinician, duty-lead, admin');
    const badService = runCli(['staff', 'add', '--email', 'x@trust.nhs.uk', '--name', 'X', '--role', 'clinician', '--service', 'dentistry'], env);
    expect(badService.stderr).to.contain('no service "dentistry"');
    const missing = runCli(['staff', 'add', '--email', 'x@trust.nhs.uk'], env);
    expect(missing.stderr).to.contain('missing --name, --role, --service');
  });

  it('config check names the services of a good file and the problem in a bad one', () => {
    expect(runCli(['config', 'check'], {}).stdout).to.equal('ok: 3 services (school-nursing, health-visiting, sexual-health)\n');
    const bad = runCli(['config', 'check'], { LAMPLIGHT_CONFIG: '/nonexistent.yaml' });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('/nonexistent.yaml');
  });
});
