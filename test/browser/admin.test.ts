import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { Message, OutboxItem, ServiceMembership, StaffMember } from '../../db/entities';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession } from '../support/browser';

const ADMIN = 'admin@lamplight.example';
const SCREENS = [
  { tab: 'Audit trail', ready: (p: Page) => p.getByRole('region', { name: 'Audit events' }).waitFor(), name: 'audit' },
  { tab: 'Failed and delayed sends', ready: (p: Page) => p.getByRole('region', { name: 'Failed sends' }).or(p.getByText('Nothing failed in your services.')).first().waitFor(), name: 'outbox' },
  { tab: 'Staff', ready: (p: Page) => p.getByRole('region', { name: 'Staff list' }).waitFor(), name: 'staff' },
  { tab: 'Services', ready: (p: Page) => p.locator('[data-service-settings]').first().waitFor(), name: 'services' },
] as const;

/** The admin screens in a real browser, against the embedded default, signed in as the demo admin (admin of all three services). */
describe('admin screens (headless Chromium)', function () {
  let app: Lamplight;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  before(async function () {
    ({ app, browser, close } = await startBrowserSession(this));
  });
  after(async () => close?.());

  async function signIn(page: Page, email = ADMIN, query = '') {
    await page.goto(`${app.url}/app/${query}`);
    await page.getByLabel('Demo staff member').selectOption(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
  }

  async function openAdmin(page: Page, screen: (typeof SCREENS)[number]['tab'] = 'Audit trail') {
    await page.getByRole('tab', { name: 'Admin' }).click();
    await page.getByRole('tab', { name: screen }).click();
    await SCREENS.find((s) => s.tab === screen)!.ready(page);
  }

  async function token(email: string): Promise<string> {
    const r = await fetch(`${app.url}/dev/idp/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
    return (await r.json()).access_token;
  }

  async function textFromPhone(number: string, text: string) {
    const response = await fetch(`${app.url}/simulator/api/phones/${encodeURIComponent(number)}/sms`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'school-nursing', text }),
    });
    expect(await response.json()).to.deep.equal({ webhookStatus: 200 });
  }

  /** A welcome to this number that the provider refused: the row as the outbox worker leaves a permanent failure. */
  async function failedWelcome(number: string): Promise<OutboxItem> {
    await textFromPhone(number, 'hello, is anyone there');
    const deadline = Date.now() + 5000;
    for (;;) {
      const messages = await app.db.manager.find(Message, { where: { direction: 'out', autoReplyKind: 'welcome' }, order: { createdAt: 'DESC' } });
      const items = messages.length ? await app.db.manager.findBy(OutboxItem, { messageId: messages[0].id }) : [];
      // Once the simulator's delivery report is in, so nothing moves the row on after it is made failed.
      if (items[0]?.status === 'delivered') {
        await app.db.manager.update(OutboxItem, { id: items[0].id }, { status: 'failed', attempts: 1, lastError: 'Twilio answered 400 (code 21211, permanent)' });
        return app.db.manager.findOneByOrFail(OutboxItem, { id: items[0].id });
      }
      if (Date.now() > deadline) throw new Error('the welcome was never delivered');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('the audit viewer shows names and UK times, filters, pages forwards and back, and downloads the filtered CSV', async () => {
    // Thirty reads by Sam: more than a page of them.
    const sam = await token('sam.patel@lamplight.example');
    for (let i = 0; i < 30; i++) expect((await fetch(`${app.url}/api/v1/conversations`, { headers: { authorization: `Bearer ${sam}` } })).status).to.equal(200);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await signIn(page);
    await openAdmin(page, 'Audit trail');
    const rows = page.locator('[data-audit-event]');
    await rows.first().waitFor();
    expect(await page.getByRole('region', { name: 'Audit events' }).textContent()).to.contain('Dev Admin').and.not.to.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);

    await page.getByLabel('Who').selectOption({ label: 'Sam Patel' });
    await page.getByLabel('Action').fill('conversation.list');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Page 1: 25 events').waitFor();
    const first = await rows.allTextContents();
    expect(first).to.have.length(25);
    for (const row of first) expect(row).to.contain('Sam Patel').and.contain('conversation.list');
    // Tuesday 24 November 2026, in hours: UK time, British order.
    expect(first[0]).to.match(/24 Nov 2026, 1\d:\d\d/);
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-audit.png'), fullPage: true });

    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText(/^Page 2: \d+ events?$/).waitFor();
    const second = await rows.allTextContents();
    expect(second.length).to.be.within(5, 25);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).to.equal(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1: 25 events').waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).to.equal('lamplight-audit.csv');
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0]).to.equal('seq,id,at,actorType,actorId,actorName,action,subjectType,subjectId,services,outcome,detail,hash');
    expect(csv.length - 1).to.equal(30);
    for (const line of csv.slice(1)) expect(line).to.contain(',Sam Patel,conversation.list,');
    await page.close();
  });

  it('failed sends: a failed welcome is listed with the last four of the number and its error; Retry queues it again; Open conversation opens it in the inbox', async () => {
    const failed = await failedWelcome('+447700900471');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page);
    await openAdmin(page, 'Failed and delayed sends');
    const row = page.locator(`[data-outbox="${failed.id}"]`);
    await row.waitFor();
    const text = await row.textContent();
    expect(text).to.contain('•••• 0471').and.contain('Automatic reply').and.contain('Twilio answered 400 (code 21211, permanent)').and.not.to.contain('+447700900471');
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-outbox.png'), fullPage: true });
    await row.getByRole('button', { name: /^Retry/ }).click();
    await page.getByText('is queued to send again').waitFor();
    await row.waitFor({ state: 'detached' });
    expect((await app.db.manager.findOneByOrFail(OutboxItem, { id: failed.id })).status).to.be.oneOf(['pending', 'sending', 'sent', 'delivered']);

    const other = await failedWelcome('+447700900472');
    await page.getByRole('tab', { name: 'Delayed', exact: true }).click();
    await page.getByRole('tab', { name: 'Failed', exact: true }).click();
    const otherRow = page.locator(`[data-outbox="${other.id}"]`);
    await otherRow.getByRole('button', { name: /^Open conversation with/ }).click();
    await page.getByRole('main', { name: 'Selected conversation' }).getByText('hello, is anyone there').waitFor();
    await page.close();
  });

  it('staff: an admin adds a person in a dialog, changes their role, and removes them after confirming; their own last-admin membership cannot go', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(8000); // a step that never comes fails naming itself, inside the test's time
    await signIn(page);
    await openAdmin(page, 'Staff');
    await page.getByRole('button', { name: 'Add a person or membership' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Email').fill('Robin.Shaw@Example.nhs.uk');
    await dialog.getByLabel('Name').fill('Robin Shaw');
    await dialog.getByLabel('Role').selectOption('clinician');
    await dialog.getByLabel('Service').selectOption({ label: 'Health Visiting' });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-staff-add.png') });
    expect(await seriousAxeViolations(page), 'add dialog').to.deep.equal([]);
    await dialog.getByRole('button', { name: 'Add' }).click();
    await page.getByText('Robin Shaw is added as clinician in Health Visiting.').waitFor();
    const robin = await app.db.manager.findOneByOrFail(StaffMember, { email: 'robin.shaw@example.nhs.uk' });
    const membership = await app.db.manager.findOneByOrFail(ServiceMembership, { staffId: robin.id });
    expect(membership).to.include({ serviceSlug: 'health-visiting', role: 'clinician' });

    await page.getByLabel('Role of Robin Shaw in Health Visiting').selectOption('duty-lead');
    await page.getByText('Robin Shaw is now duty lead in Health Visiting.').waitFor();
    expect((await app.db.manager.findOneByOrFail(ServiceMembership, { id: membership.id })).role).to.equal('duty-lead');
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-staff.png'), fullPage: true });

    // The demo admin is the only admin of School Nursing: demoting themselves is refused and the role stays.
    await page.getByLabel('Role of Dev Admin in School Nursing').selectOption('clinician');
    await page.getByText('you cannot change the role of the last admin of School Nursing').waitFor();
    await page.waitForFunction(() => (document.querySelector('select[aria-label="Role of Dev Admin in School Nursing"]') as HTMLSelectElement | null)?.value === 'admin');
    // The refusal stays once the list has reloaded behind it (the reload used to wipe it at once).
    await page.waitForTimeout(500);
    expect(await page.getByText('you cannot change the role of the last admin of School Nursing').isVisible()).to.equal(true);

    await page.getByRole('button', { name: 'Remove Robin Shaw from Health Visiting' }).click();
    await dialog.getByText('will no longer be duty lead in Health Visiting').waitFor();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('Robin Shaw is removed from Health Visiting.').waitFor();
    expect(await app.db.manager.existsBy(ServiceMembership, { id: membership.id })).to.equal(false);
    await page.close();
  });

  it("services' settings: each service as the config has it, read-only, saying where the settings live", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page);
    await openAdmin(page, 'Services');
    expect(await page.locator('[data-service-settings]').count()).to.equal(3);
    const body = await page.locator('section[aria-label="Services\' settings"]').textContent();
    expect(await page.locator('[data-config-loaded]').textContent()).to.equal('config/demo.services.yaml');
    expect(body).to.contain('LAMPLIGHT_CONFIG').and.contain('npm run cli -- config check').and.contain('09:00-17:00').and.contain('+447700900101');
    expect(await page.locator('[data-service-settings="school-nursing"] [data-retention]').textContent()).to.contain("Children's records").and.contain('14 years after');
    expect(await page.locator('section[aria-label="Services\' settings"] input, section[aria-label="Services\' settings"] textarea, section[aria-label="Services\' settings"] select').count()).to.equal(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-services.png'), fullPage: true });
    await page.close();
  });

  for (const [theme, query] of [['default', ''], ['dark', '?theme=dark'], ['contrast', '?theme=contrast']] as const) {
    it(`every admin screen is accessible in the ${theme} theme`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: theme === 'dark' ? 'dark' : 'light' });
      await signIn(page, ADMIN, query);
      await page.getByRole('tab', { name: 'Admin' }).click();
      for (const screen of SCREENS) {
        await page.getByRole('tab', { name: screen.tab }).click();
        await screen.ready(page);
        if (theme !== 'default') await page.screenshot({ path: join(SCREENSHOTS, `admin-${screen.name}-${theme}.png`), fullPage: true });
        expect(await seriousAxeViolations(page), `${screen.tab}, ${theme}`).to.deep.equal([]);
      }
      await page.close();
    });
  }

  it('at 390 px every admin screen fits without sideways scroll (wide tables scroll in their own region) and stays accessible', async () => {
    await failedWelcome('+447700900473');
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page);
    await page.getByRole('tab', { name: 'Admin' }).click();
    for (const screen of SCREENS) {
      await page.getByRole('tab', { name: screen.tab }).click();
      await screen.ready(page);
      await page.screenshot({ path: join(SCREENSHOTS, `admin-${screen.name}-390.png`), fullPage: true });
      expect(await page.evaluate(() => document.documentElement.scrollWidth), screen.tab).to.be.at.most(390);
      expect(await seriousAxeViolations(page), `${screen.tab} at 390 px`).to.deep.equal([]);
    }
    await page.close();
  });

  it('a clinician has no Admin screen', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'sam.patel@lamplight.example');
    expect(await page.getByRole('tab', { name: 'Admin' }).count()).to.equal(0);
    await page.close();
  });
});
