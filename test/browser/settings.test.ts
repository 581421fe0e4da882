import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { devObjectId } from '../../bot/http/auth/dev-identity';
import { AuditEvent, StaffMember } from '../../db/entities';
import { FakeBotConnector } from '../support/bot-connector';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession } from '../support/browser';

const CLINICIAN = 'sam.patel@lamplight.example';
const ADMIN = 'admin@lamplight.example';
const CHANNEL = '19:duty-school@thread.tacv2';
const TEAM = '19:team-school@thread.tacv2';

/**
 * The Settings screen (issue 14 items 3 and 4) in a real browser: whether Lamplight can message me
 * in Teams, muting the non-urgent notices, and which channel each service's escalation cards go to.
 * Teams is a fake Bot Connector on loopback; what Teams tells the bot goes to /api/messages as Teams sends it.
 */
describe('settings screen (headless Chromium)', function () {
  this.timeout(60_000);
  let app: Lamplight;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;
  let connector: FakeBotConnector;

  before(async function () {
    connector = await new FakeBotConnector().start();
    connector.channels = [{ id: CHANNEL, name: 'Duty leads' }];
    connector.teamName = 'School Nursing Team';
    ({ app, browser, close } = await startBrowserSession(this));
  });
  after(async () => {
    await close?.();
    await connector?.close();
  });

  async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    return context.newPage();
  }

  async function signIn(page: Page, email: string, query = '') {
    await page.goto(`${app.url}/app/${query}`);
    await page.getByLabel('Demo staff member').selectOption(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
  }

  async function openSettings(page: Page) {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Notices in Teams' }).waitFor();
  }

  const toBot = async (body: object) => {
    const r = await fetch(`${app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.status, 'the bot took the activity').to.be.within(200, 299);
  };
  const from = (email: string) => ({
    id: `in-${Math.random()}`, channelId: 'msteams', serviceUrl: connector.url, timestamp: new Date().toISOString(),
    from: { id: `29:${email}`, aadObjectId: devObjectId(email), name: email }, recipient: { id: '28:lamplight-bot', name: 'Lamplight' },
  });

  async function expectAccessible(page: Page, name: string) {
    // axe first: it waits for the switch's and the tab's transitions to settle, so the picture shows where they end.
    const violations = await seriousAxeViolations(page);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name}: no sideways scroll`).to.be.at.most(page.viewportSize()!.width);
    expect(violations, name).to.deep.equal([]);
  }

  it('a clinician without the app in Teams is told notices are not set up and how to add it; once Teams installs it, notices are on and they can mute the non-urgent ones', async () => {
    const page = await newPage();
    await signIn(page, CLINICIAN);
    await openSettings(page);
    const notSetUp = page.locator('[data-notices="not-set-up"]');
    await notSetUp.waitFor();
    expect(await notSetUp.innerText()).to.contain('Not set up').and.contain('Lamplight cannot message you in Teams yet');
    // The sign-in bound the account's object id, as Entra's would be, so Teams can name them to the bot.
    expect((await app.db.manager.findOneByOrFail(StaffMember, { email: CLINICIAN })).oid).to.equal(devObjectId(CLINICIAN));
    // The school nursing card: no channel linked, and the command that would link one.
    expect(await page.locator('[data-service-channel="school-nursing"]').innerText()).to.contain('Not linked').and.contain('@Lamplight link school-nursing');
    // A clinician is on no escalation ladder: nothing about alerts by text.
    expect(await page.locator('[data-settings="alerts"]').count()).to.equal(0);
    await expectAccessible(page, 'settings-not-set-up');

    // Teams tells the bot the app was added for them: their personal chat.
    await toBot({ ...from(CLINICIAN), type: 'installationUpdate', action: 'add', conversation: { id: `a:chat-${CLINICIAN}`, conversationType: 'personal', tenantId: 'tenant-1' }, channelData: { tenant: { id: 'tenant-1' } } });
    await page.reload();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await openSettings(page);
    await page.getByText(/^On: Lamplight messages you in Teams/).waitFor();
    expect(await notSetUp.count()).to.equal(0);

    const mute = page.getByRole('switch', { name: 'Mute notices of assignments and transfers' });
    expect(await mute.isChecked()).to.equal(false);
    await mute.click();
    await page.getByRole('status').filter({ hasText: 'Saved: notices of assignments and transfers are muted.' }).waitFor();
    expect(await mute.isChecked()).to.equal(true);
    await expectAccessible(page, 'settings-muted');
    expect((await app.db.manager.findOneByOrFail(StaffMember, { email: CLINICIAN })).muteNonUrgent).to.equal(true);
    expect(await app.db.manager.countBy(AuditEvent, { action: 'staff.notices_mute' })).to.equal(1);

    // It stays muted on the next visit, and unmutes.
    await page.reload();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await openSettings(page);
    expect(await mute.isChecked()).to.equal(true);
    await mute.click();
    await page.getByRole('status').filter({ hasText: 'Saved: you get notices of assignments and transfers.' }).waitFor();
    expect((await app.db.manager.findOneByOrFail(StaffMember, { email: CLINICIAN })).muteNonUrgent).to.equal(false);
    await page.context().close();
  });

  it('a duty lead sees the work mobile their alerts by text go to, is told plainly when a number will not do, and changes it', async () => {
    const page = await newPage();
    await signIn(page, 'alex.morgan@lamplight.example');
    await openSettings(page);
    const alerts = page.locator('[data-settings="alerts"]');
    // The demo duty lead's work mobile, masked.
    expect(await alerts.locator('[data-work-mobile]').innerText()).to.equal('Your work mobile: •••• 0900');
    expect(await alerts.innerText()).to.contain('When an escalation alerts you, Lamplight also texts your work mobile.').and.not.contain('+447700900900');
    const field = alerts.getByRole('textbox', { name: 'New work mobile' });
    await field.fill('ring the office');
    await alerts.getByRole('button', { name: 'Save' }).click();
    await alerts.getByText('that is not a mobile number: write it as 07700 900123, or in international form like +447700900123').waitFor();
    await expectAccessible(page, 'settings-alerts-refused');
    await field.fill('07700 900901');
    await alerts.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: alerts by text go to •••• 0901.' }).waitFor();
    expect(await alerts.locator('[data-work-mobile]').innerText()).to.equal('Your work mobile: •••• 0901');
    await expectAccessible(page, 'settings-alerts-saved');
    expect(await app.db.manager.countBy(AuditEvent, { action: 'staff.work_mobile_set' })).to.equal(1);
    // Put back as the demo has it, for the screens that follow.
    await alerts.getByRole('textbox', { name: 'New work mobile' }).fill('+447700900900');
    await alerts.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: alerts by text go to •••• 0900.' }).waitFor();
    await page.context().close();
  });

  it('an admin who links a channel from Teams sees it named with who linked it and when', async () => {
    // The admin signs in once (binding their object id), then types the command in the channel.
    const first = await newPage();
    await signIn(first, ADMIN);
    await first.context().close();
    await toBot({
      ...from(ADMIN), type: 'message', text: '<at>Lamplight</at> link school-nursing',
      entities: [{ type: 'mention', text: '<at>Lamplight</at>', mentioned: { id: '28:lamplight-bot', name: 'Lamplight' } }],
      conversation: { id: `${CHANNEL};messageid=root-1`, conversationType: 'channel', isGroup: true },
      channelData: { channel: { id: CHANNEL }, team: { id: TEAM }, tenant: { id: 'tenant-1' } },
    });
    const deadline = Date.now() + 10_000;
    while (!connector.calls.some((c) => c.method === 'POST' && typeof c.body.text === 'string' && c.body.text.startsWith('Linked:'))) {
      if (Date.now() > deadline) throw new Error(`the bot did not confirm the link: ${JSON.stringify(connector.calls.map((c) => c.body.text))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    for (const [theme, query, options] of [
      ['default', '', {}],
      ['dark', '?theme=dark', { colorScheme: 'dark' }],
      ['contrast', '?theme=contrast', {}],
      ['390', '', { viewport: { width: 390, height: 844 } }],
    ] as const) {
      const page = await newPage(options);
      await signIn(page, ADMIN, query);
      await openSettings(page);
      const card = page.locator('[data-service-channel="school-nursing"]');
      await card.getByText(/^Duty leads in School Nursing Team: linked by Dev Admin on \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d\.$/).waitFor();
      // An admin is on the ladder: the alerts section shows, with no work mobile yet (the demo has no mail relay).
      const alerts = page.locator('[data-settings="alerts"]');
      await alerts.locator('[data-work-mobile="none"]').waitFor();
      expect(await alerts.innerText()).to.contain('No work mobile: alerts by text cannot reach you').and.contain('Alerts by email are not set up here');
      expect(await page.locator('[data-service-channel="health-visiting"]').innerText()).to.contain('Not linked');
      await expectAccessible(page, `settings-channels-${theme}`);
      await page.context().close();
    }
  });
});
