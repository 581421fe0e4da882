import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import type { EscalationInfo as EscalationItem } from '../../teams-app/src/types';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession } from '../support/browser';
import { IN_HOURS } from '../support/harness';
import { OutboxItem } from '../../db/entities';

const LEAD = 'alex.morgan@lamplight.example';
const ADMIN = 'admin@lamplight.example';
const CLINICIAN = 'sam.patel@lamplight.example';
const OUTCOME = 'Rang the school; safeguarding lead informed';

/** The duty leads' escalations screen in a real browser, against the embedded default and its demo ladder. */
describe('escalations screen (headless Chromium)', function () {
  // Sign-in, the ladder's first alert, and axe in three themes and two widths: well past mocha's 20 s on a loaded runner.
  this.timeout(60_000);
  let app: Lamplight;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  // The app's clock, as the browser session sets it (a known Tuesday in hours, moving), plus however
  // far a test has moved it on: the ladder climbs because its time really passed.
  const anchor = Date.parse(IN_HOURS);
  const started = Date.now();
  let skew = 0;
  const appNow = () => anchor + (Date.now() - started) + skew;

  before(async function () {
    ({ app, browser, close } = await startBrowserSession(this, undefined, { now: () => new Date(appNow()) }));
  });
  after(async () => close?.());

  async function signIn(page: Page, email = LEAD, query = '') {
    await page.goto(`${app.url}/app/${query}`);
    await page.getByLabel('Demo staff member').selectOption(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await page.getByText('● Live').waitFor({ timeout: 10_000 });
  }

  async function openEscalations(page: Page) {
    await page.getByRole('tab', { name: 'Escalations' }).click();
    await page.getByRole('region', { name: 'Escalation list' }).or(page.getByText(/^No (open |acknowledged )?escalations in your services\.$/)).first().waitFor();
  }

  /** The open list read again: the other filter and back (the same request the screen makes every 30 s). */
  async function rereadList(page: Page) {
    await page.getByRole('tab', { name: 'All', exact: true }).click();
    await page.getByRole('tab', { name: 'Open', exact: true }).click();
    await page.getByRole('region', { name: 'Escalation list' }).waitFor();
  }

  // One token each: the dev sign-in shares the unauthenticated routes' limit (120 a minute from an address) with the simulator's phones.
  const tokens = new Map<string, Promise<string>>();
  function token(email: string): Promise<string> {
    if (!tokens.has(email)) {
      tokens.set(email, fetch(`${app.url}/dev/idp/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) }).then(async (r) => {
        if (!r.ok) throw new Error(`no token for ${email}: ${r.status}`);
        return (await r.json()).access_token as string;
      }));
    }
    return tokens.get(email)!;
  }

  async function apiGet<T>(path: string, email = LEAD): Promise<{ status: number; body: T }> {
    const r = await fetch(`${app.url}/api/v1${path}`, { headers: { authorization: `Bearer ${await token(email)}` } });
    return { status: r.status, body: (await r.json()) as T };
  }

  async function textFromPhone(number: string, text: string) {
    const response = await fetch(`${app.url}/simulator/api/phones/${encodeURIComponent(number)}/sms`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'school-nursing', text }),
    });
    expect(await response.json()).to.deep.equal({ webhookStatus: 200 });
  }

  /** The escalation for this number as the API has it, once the ladder has sent `alerts` alerts for it. */
  async function escalationFor(number: string, alerts = 1): Promise<EscalationItem> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { body } = await apiGet<{ escalations: EscalationItem[] }>('/escalations?status=all');
      const found = body.escalations.find((e) => e.contactLabel === `•••• ${number.slice(-4)}`);
      if (found && found.alerts?.length >= alerts) return found;
      if (Date.now() > deadline) throw new Error(`no escalation for ${number} with ${alerts} alert(s): ${JSON.stringify(found)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** A high-risk text from this phone, and its escalation once the duty leads are alerted. */
  async function raise(number: string): Promise<EscalationItem> {
    await textFromPhone(number, 'i want to kill myself tonight');
    return escalationFor(number);
  }

  /** Nobody acknowledges within the service's limit: the app's clock moves past the next step, and the ladder climbs. */
  async function climb(number: string, escalation: EscalationItem): Promise<EscalationItem> {
    expect(escalation.nextStep, 'a step to come').to.not.equal(null);
    skew += Math.max(0, Date.parse(escalation.nextStep!.at) - appNow()) + 1000;
    await app.escalations.runDue();
    return escalationFor(number, escalation.alerts.length + 1);
  }

  /** A page whose clock reads the app's time now (a known Tuesday, not today), so "in 8 min" and "overdue by" mean what they say. */
  async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    await context.clock.setFixedTime(appNow());
    return context.newPage();
  }

  /** The browser's clock where the app's is: the app's clock starts on a known Tuesday, not today. */
  async function atAppTime(context: BrowserContext, iso: string, plusMinutes: number) {
    await context.clock.setFixedTime(Date.parse(iso) + plusMinutes * 60_000);
  }

  it('a duty lead sees who holds a new escalation, whom it alerted and what comes next; when nobody acknowledges, the ladder climbs to the admins', async () => {
    const raised = await raise('+447700900501');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await atAppTime(context, raised.alerts[0].at, 3);
    const page = await context.newPage();
    await signIn(page);
    await openEscalations(page);

    const card = page.locator(`[data-escalation="${raised.id}"]`);
    await card.waitFor();
    const text = await card.innerText();
    expect(text).to.contain('School Nursing: •••• 0501').and.contain('High risk').and.contain('suicide').and.not.to.contain('+447700900501');
    // Raised in the app's clock: Tuesday 24 November 2026, in hours, UK time and order.
    expect(text).to.match(/Raised\s+24 Nov 2026, 1\d:\d\d/);
    expect(await card.getByRole('heading', { level: 3 }).textContent()).to.equal('School Nursing: •••• 0501');
    expect(await card.locator('[data-holder]').textContent()).to.equal('Level 1: duty leads (Alex Morgan)');
    expect(text).to.contain('Round 1 of 2');
    const alerts = card.locator('[data-alerts] > li');
    expect(await alerts.count()).to.equal(1);
    expect(await alerts.first().textContent()).to.match(/^24 Nov 2026, 1\d:\d\d: Level 1, round 1 to Alex Morgan · in the Lamplight tab/);
    // And by text to the demo duty lead's work mobile.
    expect(await alerts.first().locator('[data-delivery]').textContent()).to.match(/^Text to Alex Morgan: (queued|sending|sent|delivered)$/);
    const next = await card.locator('[data-next-step]').textContent();
    expect(next).to.contain('(in 7 min)').and.contain('Level 2: duty leads, admins alerted if not acknowledged');

    const climbed = await climb('+447700900501', raised);
    await atAppTime(context, climbed.alerts[1].at, 2);
    await rereadList(page);
    await card.locator('[data-holder]', { hasText: 'Level 2' }).waitFor();
    // Levels accumulate: level 2 tells the duty leads again as well as the admins.
    expect(await card.locator('[data-holder]').textContent()).to.equal('Level 2: duty leads, admins (Alex Morgan, Dev Admin)');
    expect(await alerts.count()).to.equal(2);
    expect(await alerts.nth(1).textContent()).to.match(/^24 Nov 2026, 1\d:\d\d: Level 2, round 1 to Alex Morgan, Dev Admin · in the Lamplight tab/);
    expect(await card.locator('[data-next-step]').textContent()).to.contain('(in 8 min)').and.match(/Level 1: duty leads alerted \(round 2\)/);
    expect(await card.getByRole('button', { name: /^Acknowledge/ }).count()).to.equal(1);
    await page.waitForTimeout(300); // the filter tabs' underline slides
    await page.screenshot({ path: join(SCREENSHOTS, 'escalations-open.png'), fullPage: true });
    await context.close();
  });

  it('acknowledging asks what was done; the item then shows who acknowledged and what they did, the thread has the note, and Open conversation opens it', async () => {
    const raised = await raise('+447700900502');
    const page = await newPage();
    await signIn(page);
    await openEscalations(page);
    const card = page.locator(`[data-escalation="${raised.id}"]`);
    await card.getByRole('button', { name: 'Acknowledge the escalation for •••• 0502' }).click();

    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Acknowledge', exact: true });
    const outcome = dialog.getByRole('textbox', { name: /What was done\?/ });
    expect(await confirm.isDisabled(), 'nothing typed').to.equal(true);
    await outcome.fill('   \n  ');
    expect(await confirm.isDisabled(), 'only spaces').to.equal(true);
    await outcome.fill(OUTCOME);
    expect(await confirm.isEnabled()).to.equal(true);
    expect(await dialog.innerText()).to.contain(`${OUTCOME.length} of 500 characters`);
    expect(await outcome.getAttribute('maxlength')).to.equal('500');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, 'escalations-acknowledge.png') });
    await confirm.click();

    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Acknowledged the escalation for •••• 0502 (School Nursing).').waitFor();
    await card.waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Acknowledged', exact: true }).click();
    await card.waitFor();
    expect(await card.getAttribute('data-status')).to.equal('acknowledged');
    const text = await card.innerText();
    expect(text).to.contain('Acknowledged').and.match(/By Alex Morgan, 24 Nov 2026, 1\d:\d\d\./).and.contain(`What was done: ${OUTCOME}`);
    expect(await card.getByRole('button', { name: /^Acknowledge/ }).count()).to.equal(0);
    expect(await card.locator('[data-next-step]').count()).to.equal(0);

    const detail = await apiGet<{ notes: { kind: string; text: string }[] }>(`/conversations/${raised.conversationId}`);
    expect(detail.status).to.equal(200);
    const notes = detail.body.notes.filter((n) => n.kind === 'acknowledged');
    expect(notes).to.have.length(1);
    expect(notes[0].text).to.contain(OUTCOME);

    await card.getByRole('button', { name: 'Open conversation with •••• 0502' }).click();
    const conversation = page.getByRole('main', { name: 'Selected conversation' });
    await conversation.getByRole('heading', { name: '+447700900502' }).waitFor();
    await conversation.getByText(OUTCOME).first().waitFor();
    await page.context().close();
  });

  it('when someone else acknowledges first, the dialog says who, and the list shows it acknowledged', async () => {
    const raised = await raise('+447700900505');
    const page = await newPage();
    await signIn(page);
    await openEscalations(page);
    const card = page.locator(`[data-escalation="${raised.id}"]`);
    await card.getByRole('button', { name: /^Acknowledge/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /What was done\?/ }).fill('Called the young person back');
    // Meanwhile the admin acknowledges it from their own screen.
    const r = await fetch(`${app.url}/api/v1/escalations/${raised.id}/acknowledge`, {
      method: 'POST', headers: { authorization: `Bearer ${await token(ADMIN)}`, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'Spoke to the school nurse on site' }),
    });
    expect(r.status).to.equal(200);
    await dialog.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).to.contain('already acknowledged by Dev Admin');
    expect(await dialog.getByRole('button', { name: 'Acknowledge', exact: true }).count()).to.equal(0);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    await card.waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Acknowledged', exact: true }).click();
    expect(await card.innerText()).to.match(/By Dev Admin, /).and.contain('What was done: Spoke to the school nurse on site');
    await page.context().close();
  });

  it('live: a high-risk message from another phone appears on an open Escalations screen without a reload', async () => {
    const page = await newPage();
    await signIn(page);
    await openEscalations(page);
    let loads = 0;
    page.on('load', () => loads++);
    await textFromPhone('+447700900503', 'i have taken all my mums tablets');
    const card = page.locator('[data-escalation]', { hasText: '•••• 0503' });
    // Well inside the 30 s refresh: only the live event can bring it this soon.
    await card.waitFor({ timeout: 10_000 });
    await card.locator('[data-holder]', { hasText: 'Level 1: duty leads (Alex Morgan)' }).waitFor({ timeout: 10_000 });
    expect(await card.innerText()).to.contain('overdose');
    expect(loads).to.equal(0);
    await page.context().close();
  });

  for (const [theme, query] of [['default', ''], ['dark', '?theme=dark'], ['contrast', '?theme=contrast']] as const) {
    it(`is accessible in the ${theme} theme, with items and with the acknowledge dialog open`, async () => {
      await raise(`+44770090051${theme.length}`);
      const page = await newPage({ colorScheme: theme === 'dark' ? 'dark' : 'light' });
      await signIn(page, LEAD, query);
      await openEscalations(page);
      await page.locator('[data-escalation]').first().waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, `escalations-${theme}.png`), fullPage: true });
      expect(await seriousAxeViolations(page), `list, ${theme}`).to.deep.equal([]);
      await page.locator('[data-escalation]').first().getByRole('button', { name: /^Acknowledge/ }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('textbox', { name: /What was done\?/ }).fill(OUTCOME);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(SCREENSHOTS, `escalations-acknowledge-${theme}.png`) });
      expect(await seriousAxeViolations(page), `dialog, ${theme}`).to.deep.equal([]);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.context().close();
    });
  }

  it('an alert that did not reach its person is flagged on the card, in words, in every theme', async () => {
    // The demo duty lead's work mobile gets a text at each step (the simulator's phone +447700900900).
    const raised = await raise('+447700900530');
    const alertRow = async () => (await app.db.manager.findBy(OutboxItem, { conversationId: raised.conversationId, channel: 'alert-sms' }))[0];
    const deadline = Date.now() + 10_000;
    // The simulator reports it delivered, as Twilio would; only then does the test say otherwise.
    while ((await alertRow())?.status !== 'delivered') {
      if (Date.now() > deadline) throw new Error('the text alert to the duty lead was not sent');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Twilio then says the phone could not be reached (the path from its callback is tested in integration).
    await app.db.manager.update(OutboxItem, { id: (await alertRow()).id }, { status: 'failed', lastError: 'provider reported undelivered (code 30003)' });
    for (const [theme, query] of [['default', ''], ['contrast', '?theme=contrast']] as const) {
      const page = await newPage();
      await signIn(page, LEAD, query);
      await openEscalations(page);
      const card = page.locator(`[data-escalation="${raised.id}"]`);
      await card.locator('[data-undelivered]').waitFor();
      expect(await card.locator('[data-undelivered]').innerText()).to.contain('An alert did not reach its person');
      expect(await card.locator('[data-delivery="failed"]').innerText()).to.equal('Text to Alex Morgan: NOT DELIVERED (provider reported undelivered (code 30003))');
      const violations = await seriousAxeViolations(page);
      await card.screenshot({ path: join(SCREENSHOTS, `escalations-undelivered-${theme}.png`) });
      expect(violations, theme).to.deep.equal([]);
      await page.context().close();
    }
  });

  it('at 390 px it fits without sideways scroll and stays accessible, the dialog too', async () => {
    // The others are dealt with, so the screen shows this one: climbed to the admins.
    const admin = await token(ADMIN);
    for (const other of (await apiGet<{ escalations: EscalationItem[] }>('/escalations')).body.escalations) {
      const r = await fetch(`${app.url}/api/v1/escalations/${other.id}/acknowledge`, {
        method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'Called back; safe at home with a parent' }),
      });
      expect(r.status).to.equal(200);
    }
    const raised = await raise('+447700900520');
    await climb('+447700900520', raised);
    const page = await newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page);
    await openEscalations(page);
    await page.locator(`[data-escalation="${raised.id}"] [data-holder]`, { hasText: 'Level 2' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'escalations-390.png'), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
    expect(await seriousAxeViolations(page), 'list at 390 px').to.deep.equal([]);
    await page.locator(`[data-escalation="${raised.id}"]`).getByRole('button', { name: /^Acknowledge/ }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: /What was done\?/ }).fill(OUTCOME);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, 'escalations-acknowledge-390.png') });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
    expect(await seriousAxeViolations(page), 'dialog at 390 px').to.deep.equal([]);
    await page.context().close();
  });

  it('a clinician has no Escalations screen, and the API lists none for them', async () => {
    const page = await newPage();
    await signIn(page, CLINICIAN);
    expect(await page.getByRole('tab', { name: 'Escalations' }).count()).to.equal(0);
    await page.context().close();
    const { status, body } = await apiGet<{ escalations: EscalationItem[] }>('/escalations?status=all', CLINICIAN);
    expect(status).to.equal(200);
    expect(body.escalations).to.deep.equal([]);
  });
});
