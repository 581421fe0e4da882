import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { randomUUID } from 'node:crypto';
import { Keyring } from '../../db/crypto';
import { Escalation, Message } from '../../db/entities';
import { sealMessageBody } from '../../db/sealed-fields';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession, textFromSimulatorPhone } from '../support/browser';
import { FlakyNetwork } from '../support/network';

/** The clinician's path through the tab in a real browser, against the embedded default. */
describe('clinician inbox (headless Chromium)', function () {
  // A whole clinician's path with axe at each step: on a loaded 2-core runner it can pass 20 s.
  this.timeout(45_000);
  let app: Lamplight;
  let browser: Browser;
  let keyring: Keyring;
  let close: (() => Promise<void>) | undefined;

  before(async function () {
    // A short heartbeat on the event stream, so a dead connection is noticed within a second here.
    ({ app, browser, keyring, close } = await startBrowserSession(this, undefined, { liveHeartbeatMs: 300 }));
  });
  after(async () => close?.());

  async function signIn(page: Page, email: string, query = '', base = app.url) {
    await page.goto(`${base}/app/${query}`);
    await page.getByLabel('Demo staff member').selectOption(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await page.getByText('● Live').waitFor({ timeout: 5000 });
  }

  async function textFromPhone(number: string, text: string) {
    const response = await fetch(`${app.url}/simulator/api/phones/${encodeURIComponent(number)}/sms`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'school-nursing', text }),
    });
    expect(await response.json()).to.deep.equal({ webhookStatus: 200 });
  }

  it('when a text arrives, then it shows without reload; the clinician claims it, replies with a template, and the phone receives it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'sam.patel@lamplight.example');
    const phone = await browser.newPage({ viewport: { width: 480, height: 900 } });
    await phone.goto(`${app.url}/simulator`);
    await textFromSimulatorPhone(phone, { number: '+447700900444', text: 'Hi, is this the school nurse? I need to talk to someone about home' });

    const row = page.locator('[data-conversation]').first();
    await row.waitFor({ timeout: 5000 });
    expect(await row.textContent()).to.contain('•••• 0444');
    await page.screenshot({ path: join(SCREENSHOTS, 'inbox-default.png') });
    expect(await seriousAxeViolations(page), 'inbox').to.deep.equal([]);

    await row.click();
    await page.getByRole('button', { name: 'Claim' }).click();
    await page.getByText('With Sam Patel').first().waitFor();
    const reply = page.getByLabel(/Reply/);
    await reply.fill('/intro');
    await page.getByRole('listbox', { name: 'Templates' }).waitFor();
    await reply.press('Enter');
    expect(await reply.inputValue()).to.match(/^Hi, I'm one of the school nurses/);
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.locator('[data-author="clinician"]').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-default.png') });
    expect(await seriousAxeViolations(page), 'conversation').to.deep.equal([]);

    await phone.locator('.bubble.received', { hasText: "I'm one of the school nurses" }).waitFor({ timeout: 5000 });
    await phone.close();
    await page.close();
  });

  it('in the dark theme, the inbox and conversation render and stay accessible', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    await signIn(page, 'sam.patel@lamplight.example', '?theme=dark');
    await page.locator('[data-conversation]').first().click();
    await page.locator('[data-author="contact"]').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-dark.png') });
    expect(await seriousAxeViolations(page)).to.deep.equal([]);
    await page.close();
  });

  it('with alerts on, a high-risk message raises a browser notification (without its text) and a routine one does not', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // The operating system's notification surface cannot be seen from here: a stand-in records
    // what the page asks the browser to show, with permission already granted.
    await context.addInitScript(() => {
      const shown: { title: string; body?: string; requireInteraction?: boolean }[] = [];
      (window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
      class RecordingNotification {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title: string, options?: NotificationOptions) {
          shown.push({ title, body: options?.body, requireInteraction: options?.requireInteraction });
        }
      }
      (window as unknown as { Notification: unknown }).Notification = RecordingNotification;
    });
    const page = await context.newPage();
    await signIn(page, 'sam.patel@lamplight.example');
    const shown = () => page.evaluate(() => (window as unknown as { shownNotifications: { title: string; body?: string; requireInteraction?: boolean }[] }).shownNotifications);
    await textFromPhone('+447700900446', 'can i get a flu jab at school');
    await page.locator('[data-conversation]', { hasText: '0446' }).waitFor({ timeout: 5000 });
    expect(await shown()).to.deep.equal([]);
    await textFromPhone('+447700900447', 'i have taken all my mums tablets');
    await page.locator('[data-conversation]', { hasText: '0447' }).waitFor({ timeout: 5000 });
    const notifications = await shown();
    expect(notifications).to.have.length(1);
    expect(notifications[0]).to.deep.include({ title: 'Lamplight: high-risk message', requireInteraction: true });
    expect(JSON.stringify(notifications)).not.to.contain('tablets').and.not.to.contain('0447');
    await context.close();
  });

  it('risk first: a conversation opens at its highest-risk message when that is earlier than the first unread, with the reasons readable in the thread and every word that set the level marked', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'sam.patel@lamplight.example');
    await textFromPhone('+447700900450', 'im going to kill myself tonight, i have the pills here');
    const row = page.locator('[data-conversation]', { hasText: '0450' });
    await row.waitFor({ timeout: 5000 });
    await row.click();
    await page.locator('[data-author="contact"]').first().waitFor();
    // Read once; then many more messages come in, so the first one is far above the bottom.
    await page.getByRole('button', { name: 'Export text' }).waitFor();
    for (let i = 1; i <= 14; i++) await textFromPhone('+447700900450', `message ${i}: are you there`);
    await page.locator('[data-conversation]').filter({ hasText: 'School Nursing' }).first().waitFor();
    await page.reload();
    await page.getByText('● Live').waitFor({ timeout: 5000 });
    await page.locator('[data-conversation]', { hasText: '0450' }).click();
    await page.locator('[data-message]', { hasText: 'message 14' }).waitFor({ timeout: 5000 });

    const thread = page.getByRole('list', { name: 'Messages' });
    const risky = page.locator('[data-message]', { hasText: 'kill myself' });
    expect(await thread.getAttribute('data-opened-at')).to.equal(await risky.getAttribute('data-message'));
    const [box, item] = [await thread.boundingBox(), await risky.boundingBox()];
    expect(item!.y, 'the high-risk message is in view at the top of the thread').to.be.within(box!.y, box!.y + box!.height / 2);
    // Reasons in words, not only on hover; both the intent and what raised it are marked.
    const reasons = risky.getByRole('list', { name: 'Why this was flagged' });
    expect(await reasons.innerText()).to.contain('High risk, suicide: “kill myself”').and.contain('“tonight”').and.contain('have the pills');
    expect(await risky.locator('mark').allInnerTexts()).to.include.members(['kill myself', 'tonight', 'have the pills']);
    expect(await thread.getAttribute('tabindex')).to.equal('0');
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-risk-first.png') });
    expect(await seriousAxeViolations(page), 'conversation opened at the risk').to.deep.equal([]);
    await page.close();
  });

  it('the reply box counts characters as people see them and SMS parts, cuts nothing, says what it takes out, and a double click sends once', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'sam.patel@lamplight.example');
    await textFromPhone('+447700900452', 'can i get a note for pe');
    await page.locator('[data-conversation]', { hasText: '0452' }).click();
    const box = page.getByLabel(/Reply/);
    const size = page.locator('[data-reply-size]');
    await box.fill('Yes, come to the drop in');
    expect(await size.innerText()).to.equal('24 characters · 1 SMS');
    await box.fill('a'.repeat(161));
    expect(await size.innerText()).to.equal('161 characters · 2 SMS parts');
    await box.fill('See you soon 😀');
    expect(await size.innerText()).to.match(/^14 characters · 1 SMS \(UCS-2/);
    // A long paste is kept whole, refused with a reason, and Send stays off: nothing is cut silently.
    await box.fill('x'.repeat(10_000));
    expect((await box.inputValue()).length).to.equal(10_000);
    await page.getByText(/Too long to send: 1600 is the most one SMS message takes, and this is 10000/).waitFor();
    expect(await page.getByRole('button', { name: 'Send reply' }).isDisabled()).to.equal(true);
    await box.fill('😀'.repeat(900));
    expect(await size.innerText()).to.match(/^900 characters · 27 SMS parts/);
    await page.getByText(/this is 1800 \(emoji and some symbols count twice\)/).waitFor();
    await box.fill('Call 111 \u202Enow');
    await page.getByText('1 invisible control character (such as a right-to-left override) will be taken out before sending.').waitFor();
    expect(await page.getByRole('button', { name: 'Send reply' }).isDisabled(), 'a reply with a control in it can still go').to.equal(false);
    await page.waitForTimeout(300); // Fluent's colour transition on the button
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-reply-box.png') });
    expect(await seriousAxeViolations(page), 'reply box with notes').to.deep.equal([]);

    await box.fill('Yes: Tuesdays at 12 in the medical room');
    await page.getByRole('button', { name: 'Send reply' }).dblclick();
    await page.locator('[data-author="clinician"]').first().waitFor();
    await page.waitForTimeout(500);
    expect(await page.locator('[data-author="clinician"]').count(), 'one reply for a double click').to.equal(1);
    await page.close();
  });

  it('safe closing: clearing a flag and closing a flagged conversation ask for a reason and a note, which show in the thread with who did it; Reopen asks why', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'sam.patel@lamplight.example');
    await textFromPhone('+447700900453', 'i took 10 paracetamol earlier');
    await page.locator('[data-conversation]', { hasText: '0453' }).click();
    await page.locator('[data-author="contact"]').first().waitFor();

    // Closing while flagged: the note is required before Close can be pressed.
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Outcome').selectOption('referred');
    expect(await dialog.getByRole('button', { name: 'Close', exact: true }).isDisabled()).to.equal(true);
    await dialog.getByLabel(/Why it is safe to close \(needed: flagged high risk\)/).fill('Rang 999 with her; taken to A&E by ambulance.');
    await page.waitForTimeout(400); // the dialog's fade-in, so the screenshot shows it as it settles
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-close-flagged.png') });
    expect(await seriousAxeViolations(page), 'close dialog').to.deep.equal([]);
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    const closedEvent = page.locator('[data-note-kind="closed"]');
    await closedEvent.waitFor();
    expect(await closedEvent.innerText()).to.contain('Sam Patel').and.contain('Closed (referred) while flagged high risk: Rang 999 with her');

    // Reopen, with why.
    await page.getByRole('button', { name: 'Reopen' }).click();
    await page.getByRole('dialog').getByLabel('Why it is being reopened').fill('A&E asked us to follow up tomorrow');
    await page.getByRole('dialog').getByRole('button', { name: 'Reopen' }).click();
    await page.locator('[data-note-kind="reopened"]').waitFor();

    // Clearing the flag: a reason from the list and a note.
    await page.getByRole('button', { name: 'Clear risk flag' }).click();
    const clear = page.getByRole('dialog');
    await clear.getByLabel('Reason').selectOption('safety-plan-in-place');
    await clear.getByLabel('Note: what you did and found').fill('Discharged from A&E with a safety plan; mum aware.');
    await clear.getByRole('button', { name: 'Clear the flag' }).click();
    const cleared = page.locator('[data-note-kind="risk-cleared"]');
    await cleared.waitFor();
    expect(await cleared.innerText()).to.contain('Risk flag cleared (was high): a safety plan or safeguarding action is in place. Discharged from A&E');
    // The page behind the dialog is given back to assistive technology once it has closed.
    await page.waitForFunction(() => document.getElementById('root')?.getAttribute('aria-hidden') !== 'true' && !document.getElementById('root')?.inert, undefined, { timeout: 3000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-safe-closing.png') });
    expect(await seriousAxeViolations(page), 'thread with the actions').to.deep.equal([]);
    await page.close();
  });

  it('an escalated conversation says who holds it now as the ladder climbs, shows each alert in the thread, and acknowledging asks what was done, which the thread then shows', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'alex.morgan@lamplight.example');
    await textFromPhone('+447700900462', 'i am going to kill myself tonight');
    await page.locator('[data-conversation]', { hasText: '0462' }).click();
    const banner = page.locator('[data-escalation-banner]');
    await banner.waitFor();
    await page.locator('[data-escalation-alert]').first().waitFor();
    const first = await banner.innerText();
    expect(first, first).to.match(/Held by Level 1: duty leads \(Alex Morgan\); 1 alert sent; next: Level 2: duty leads, admins alerted at \d+ \w+ \d{4}, \d\d:\d\d if nobody acknowledges/);

    // Nobody acknowledges in time: the ladder climbs to the admins, and the banner says so (it used to read "duty lead" still).
    const conversationId = (await page.locator('[data-conversation]', { hasText: '0462' }).getAttribute('data-conversation'))!;
    await app.db.manager.update(Escalation, { conversationId }, { nextDueAt: 0 });
    expect(await app.escalations.runDue()).to.be.at.least(1);
    await page.locator('[data-escalation-alert]').nth(1).waitFor();
    const climbed = await banner.innerText();
    expect(climbed, climbed).to.contain('Held by Level 2: duty leads, admins (Alex Morgan, Dev Admin); 2 alerts sent');
    expect(await page.locator('[data-escalation-alert]').nth(1).innerText()).to.contain('Level 2 alert (round 1) to Alex Morgan, Dev Admin, in the Lamplight tab.');

    await banner.getByRole('button', { name: 'Acknowledge' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByRole('button', { name: 'Acknowledge' }).isDisabled()).to.equal(true);
    await dialog.getByLabel(/What was done\?/).fill('Rang her; mum with her now, GP tomorrow.');
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    const note = page.locator('[data-note-kind="acknowledged"]');
    await note.waitFor();
    expect(await note.innerText()).to.contain('Alex Morgan').and.contain('Escalation acknowledged: Rang her; mum with her now, GP tomorrow.');
    await banner.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.getElementById('root')?.getAttribute('aria-hidden') !== 'true' && !document.getElementById('root')?.inert, undefined, { timeout: 3000 });
    await note.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-acknowledged.png') });
    expect(await seriousAxeViolations(page), 'thread with alerts and the acknowledgement').to.deep.equal([]);
    await page.close();
  });

  it('a long conversation opens with its newest 500 messages, and "Show earlier messages" brings the rest above them', async () => {
    await textFromPhone('+447700900463', 'first of many');
    // The text just sent, and 520 older ones written straight to its conversation, sealed as the gateway seals them.
    const first = (await app.db.manager.find(Message, { where: { direction: 'in' }, order: { createdAt: 'DESC' }, take: 1 }))[0];
    const rows: Message[] = Array.from({ length: 520 }, (_, i) => {
      const id = randomUUID();
      return { id, conversationId: first.conversationId, channel: 'sms', externalId: `SMpage${i}`, direction: 'in', authorKind: 'contact', authorStaffId: null, autoReplyKind: null,
        ...sealMessageBody(keyring, id, `older message ${i}`), createdAt: first.createdAt - 1_000_000 + i, riskLevel: null, triageCipher: null };
    });
    for (let i = 0; i < rows.length; i += 100) await app.db.manager.insert(Message, rows.slice(i, i + 100));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'sam.patel@lamplight.example');
    await page.locator('[data-conversation]', { hasText: '0463' }).click();
    const messages = page.locator('[data-message]');
    await messages.first().waitFor();
    expect(await messages.count()).to.equal(500);
    expect(await page.getByText('older message 0', { exact: true }).count()).to.equal(0);
    await page.getByRole('button', { name: 'Show earlier messages' }).click();
    await page.getByText('older message 0', { exact: true }).waitFor();
    expect(await messages.count()).to.be.above(500);
    expect(await page.getByRole('button', { name: 'Show earlier messages' }).count()).to.equal(0);
    expect(await seriousAxeViolations(page), 'a long thread with its earlier messages').to.deep.equal([]);
    await page.close();
  });

  it('at 390 px (a phone, Teams\' side panel) the list and the open conversation take turns in one column, with no sideways scroll, and stay accessible', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page, 'sam.patel@lamplight.example');
    await textFromPhone('+447700900454', 'i have been cutting again and i want to stop');
    const row = page.locator('[data-conversation]', { hasText: '0454' });
    await row.waitFor({ timeout: 5000 });
    const noSideways = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(await noSideways(), 'the list fits').to.equal(true);
    expect(await seriousAxeViolations(page), 'list at 390 px').to.deep.equal([]);
    await row.click();
    await page.locator('[data-author="contact"]').first().waitFor();
    expect(await row.isVisible(), 'the list gives way to the conversation').to.equal(false);
    expect(await noSideways(), 'the conversation fits').to.equal(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-390.png'), fullPage: true });
    expect(await seriousAxeViolations(page), 'conversation at 390 px').to.deep.equal([]);
    await page.getByRole('button', { name: '← All conversations' }).click();
    await row.waitFor();
    await page.close();
  });

  it('a high-risk conversation counts down to its urgent reply promise (15 minutes), a routine one to the working day', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, 'sam.patel@lamplight.example');
    await textFromPhone('+447700900448', 'i have taken all my mums tablets');
    await textFromPhone('+447700900449', 'when is the next drop in');
    // The app's clock is not the browser's: read when each wait began, and stand the browser's
    // clock three minutes after the high-risk one.
    const { access_token: token } = await (await fetch(`${app.url}/dev/idp/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'sam.patel@lamplight.example' }) })).json();
    const { conversations } = await (await fetch(`${app.url}/api/v1/conversations`, { headers: { authorization: `Bearer ${token}` } })).json();
    const high = conversations.find((c: { contactLabel: string }) => c.contactLabel.includes('0448'));
    expect(Date.parse(high.replyDueBy) - Date.parse(high.awaitingReplySince)).to.equal(15 * 60_000);
    await context.clock.setFixedTime(Date.parse(high.awaitingReplySince) + 3 * 60_000);
    await page.reload();
    await page.getByText('● Live').waitFor({ timeout: 5000 });
    const highRow = page.locator('[data-conversation]', { hasText: '0448' });
    await highRow.waitFor({ timeout: 5000 });
    expect(await highRow.innerText()).to.contain('Waiting 3 min · reply due in 12 min');
    expect(await page.locator('[data-conversation]', { hasText: '0449' }).innerText()).to.match(/reply due in 23 h 5\d min/);
    await page.screenshot({ path: join(SCREENSHOTS, 'inbox-reply-countdown.png') });
    await context.clock.setFixedTime(Date.parse(high.awaitingReplySince) + 20 * 60_000);
    await page.reload();
    await page.getByText('● Live').waitFor({ timeout: 5000 });
    await highRow.waitFor({ timeout: 5000 });
    const late = await highRow.innerText();
    expect(late).to.contain('reply overdue by 5 min').and.contain('Past reply promise');
    await context.close();
  });

  it('when the network drops without a word and comes back, then the inbox says so, reconnects, and shows what arrived meanwhile without a reload', async () => {
    const network = await new FlakyNetwork({ host: '127.0.0.1', port: Number(new URL(app.url).port) }).start();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(page, 'sam.patel@lamplight.example', '', network.url);
      let loads = 0;
      page.on('load', () => loads++);
      network.drop();
      await page.getByText('Reconnecting…').waitFor({ timeout: 10_000 });
      await textFromPhone('+447700900448', 'hello, sent while the nurse was offline');
      network.restore();
      await page.getByText('● Live').waitFor({ timeout: 15_000 });
      await page.locator('[data-conversation]', { hasText: '0448' }).waitFor({ timeout: 5000 });
      expect(loads).to.equal(0);
    } finally {
      await page.close();
      await network.close();
    }
  });

  it("dates and times are British English in the service's time zone, whatever the browser's language and zone", async () => {
    const shown: Record<string, string> = {};
    await textFromPhone('+447700900451', 'what time is the drop in on friday');
    for (const [locale, timezoneId] of [['en-GB', 'Europe/London'], ['en-US', 'America/New_York']]) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale, timezoneId });
      await signIn(page, 'sam.patel@lamplight.example');
      await page.locator('[data-conversation]', { hasText: '0451' }).click();
      shown[locale] = (await page.locator('[data-author="contact"]').first().textContent()) ?? '';
      await page.close();
    }
    // The app's clock starts on Tuesday 24 November 2026, in hours (UK time).
    expect(shown['en-GB']).to.match(/24 Nov 2026, 1\d:\d\d/);
    expect(shown['en-US'], 'a US browser in New York still reads UK dates and UK time').to.equal(shown['en-GB']);
  });

  it('when a message holds markup and a right-to-left override, then both show as inert text', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    let dialog = false;
    page.on('dialog', async (d) => { dialog = true; await d.dismiss(); });
    await signIn(page, 'sam.patel@lamplight.example');
    await textFromPhone('+447700900445', '<img src=x onerror=alert(1)> hello \u202Egnp.exe');
    const row = page.locator('[data-conversation]', { hasText: '0445' });
    await row.waitFor({ timeout: 5000 });
    await row.click();
    const bubble = page.locator('[data-author="contact"]').first();
    await bubble.waitFor();
    expect(await page.locator('section[aria-label="Conversation"] img').count()).to.equal(0);
    const text = await bubble.textContent();
    expect(text).to.contain('<img src=x onerror=alert(1)> hello ').and.contain('[U+202E]gnp.exe');
    expect(dialog).to.equal(false);
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-hostile-text.png') });
    await page.close();
  });

  it('rows show the first line, the risk category and the time; search finds by words and by last four; a previous conversation is one click away', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'sam.patel@lamplight.example');
    await textFromPhone('+447700900471', 'i took 30 paracetamol an hour ago\nplease help');
    await textFromPhone('+447700900472', 'Can I book in about the marmalade-coloured rash?');
    const risky = page.locator('[data-conversation]', { hasText: '0471' });
    await risky.waitFor({ timeout: 5000 });
    expect(await risky.locator('[data-preview]').textContent()).to.equal('i took 30 paracetamol an hour ago');
    expect(await risky.textContent()).to.match(/High risk: overdose/);
    expect(await risky.textContent()).to.match(/Last message \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d/);

    await page.getByLabel('Search messages').fill('MARMALADE');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('status').filter({ hasText: '1 found' }).waitFor();
    const results = page.getByRole('list', { name: 'Search results' }).locator('[data-conversation]');
    expect(await results.count()).to.equal(1);
    expect(await results.first().textContent()).to.contain('marmalade-coloured rash');
    await page.screenshot({ path: join(SCREENSHOTS, 'inbox-search.png') });
    expect(await seriousAxeViolations(page), 'search results').to.deep.equal([]);

    await page.getByLabel('Search messages').fill('');
    await page.getByLabel('Number, or its last four').fill('0471');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('list', { name: 'Search results' }).locator('[data-conversation]', { hasText: '0471' }).waitFor();
    expect(await page.getByRole('list', { name: 'Search results' }).locator('[data-conversation]').count()).to.equal(1);

    // Closed, then back three minutes later: the new conversation starts flagged, with its clinician, and links to the last.
    await page.getByRole('list', { name: 'Search results' }).locator('[data-conversation]').first().click();
    await page.getByRole('button', { name: 'Claim' }).click();
    await page.getByText('With Sam Patel').first().waitFor();
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox').selectOption({ index: 1 });
    await dialog.getByRole('textbox').fill('Called 999 with her; ambulance attended');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Clear search' }).click();
    await textFromPhone('+447700900471', 'thank you for earlier');
    const back = page.getByRole('list', { name: 'Conversations' }).locator('[data-conversation]', { hasText: '0471' });
    await back.waitFor({ timeout: 5000 });
    expect(await back.textContent()).to.contain('High risk');
    expect(await back.textContent()).to.contain('With Sam Patel');
    await back.click();
    await page.locator('[data-note-kind="system"]', { hasText: 'Returning contact' }).waitFor();
    const history = page.getByRole('list', { name: 'Previous conversations' }).locator('[data-history]');
    expect(await history.count()).to.equal(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'conversation-returning.png') });
    expect(await seriousAxeViolations(page), 'returning contact').to.deep.equal([]);
    await history.first().click();
    await page.locator('[data-note-kind="closed"]').waitFor();
    await page.close();
  });

  it('a link to /app/#/conversations/<id> opens that conversation after sign-in, and the address follows the conversation chosen', async () => {
    await textFromPhone('+447700900492', 'this is the one the link is for');
    await textFromPhone('+447700900493', 'and this is another one');
    const linked = (await app.db.manager.find(Message, { where: { direction: 'in' }, order: { createdAt: 'DESC' }, skip: 1, take: 1 }))[0];
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'sam.patel@lamplight.example', `#/conversations/${linked.conversationId}`);
    await page.locator('section[aria-label="Conversation"]').getByText('this is the one the link is for').waitFor();
    expect(new URL(page.url()).hash).to.equal(`#/conversations/${linked.conversationId}`);
    await page.locator('[data-conversation]', { hasText: '0493' }).click();
    await page.locator('section[aria-label="Conversation"]').getByText('and this is another one').waitFor();
    const other = (await app.db.manager.find(Message, { where: { direction: 'in' }, order: { createdAt: 'DESC' }, take: 1 }))[0];
    expect(new URL(page.url()).hash).to.equal(`#/conversations/${other.conversationId}`);
    // A hash that is not one of our ids opens nothing and is left alone.
    const stray = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(stray, 'sam.patel@lamplight.example', '#/conversations/constructor');
    expect(await stray.locator('section[aria-label="Conversation"] [data-author]').count()).to.equal(0);
    await page.close();
    await stray.close();
  });

  it('unread is per person: what one nurse has opened stays new for a colleague', async () => {
    const nurse = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(nurse, 'sam.patel@lamplight.example');
    await textFromPhone('+447700900481', 'is anyone there');
    const row = nurse.locator('[data-conversation]', { hasText: '0481' });
    await row.click();
    await nurse.locator('[data-author="contact"]').first().waitFor();
    await row.getByText('New').waitFor({ state: 'detached' });
    const lead = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(lead, 'alex.morgan@lamplight.example');
    await lead.locator('[data-conversation]', { hasText: '0481' }).getByText('New').waitFor();
    await nurse.close();
    await lead.close();
  });

  for (const theme of ['default', 'dark', 'contrast'] as const) {
    it(`in the ${theme} theme, every inbox state is accessible: sign-in, the list, a selected row with its escalated conversation, a dialog, search, and 390 px`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ...(theme === 'dark' ? { colorScheme: 'dark' as const } : {}) });
      // The sign-in page first, in this theme.
      await page.goto(`${app.url}/app/?theme=${theme}`);
      await page.getByLabel('Demo staff member').waitFor();
      expect(await seriousAxeViolations(page), `${theme}: sign-in`).to.deep.equal([]);
      await signIn(page, 'sam.patel@lamplight.example', `?theme=${theme}`);
      await textFromPhone(`+4477009004${theme.length}9`, 'i want to kill myself tonight');
      const row = page.locator('[data-conversation]').first();
      await row.waitFor({ timeout: 5000 });
      expect(await seriousAxeViolations(page), `${theme}: list`).to.deep.equal([]);
      await row.click();
      await page.locator('[data-author="contact"]').first().waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, `inbox-selected-${theme}.png`) });
      expect(await seriousAxeViolations(page), `${theme}: selected row and conversation`).to.deep.equal([]);
      // A dialog in this theme: closing a flagged conversation asks for a note.
      await page.getByRole('button', { name: 'Close', exact: true }).click();
      await page.getByRole('dialog').getByLabel('Outcome').waitFor();
      await page.waitForTimeout(400); // the fade-in: axe reads colours as they settle
      await page.screenshot({ path: join(SCREENSHOTS, `dialog-close-${theme}.png`) });
      expect(await seriousAxeViolations(page), `${theme}: close dialog`).to.deep.equal([]);
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'More filters' }).click();
      await page.getByLabel('Search messages').fill('tonight');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('list', { name: 'Search results' }).locator('[data-conversation]').first().waitFor();
      expect(await seriousAxeViolations(page), `${theme}: search`).to.deep.equal([]);
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${theme}: 390 px fits`).to.equal(true);
      await page.screenshot({ path: join(SCREENSHOTS, `conversation-390-${theme}.png`) });
      expect(await seriousAxeViolations(page), `${theme}: 390 px`).to.deep.equal([]);
      await page.close();
    });
  }
});

/** A clinician with the tab open in too many places: the oldest pauses, says so, and resumes on request. */
describe('clinician inbox open in too many places (headless Chromium)', function () {
  let app: Lamplight;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  before(async function () {
    ({ app, browser, close } = await startBrowserSession(this));
  });
  after(async () => close?.());

  it('when a sixth tab opens, then the oldest says live updates are paused, stays accessible at 1280 and 390 px, and resumes here on request', async function () {
    this.timeout(60_000);
    const pages: Page[] = [];
    for (let i = 0; i < 6; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${app.url}/app/`);
      await page.getByLabel('Demo staff member').selectOption('sam.patel@lamplight.example');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('● Live').waitFor({ timeout: 5000 });
      pages.push(page);
    }
    const oldest = pages[0];
    await oldest.getByText('Live updates paused: Lamplight is open in too many places').waitFor({ timeout: 5000 });
    await oldest.screenshot({ path: join(SCREENSHOTS, 'inbox-paused.png') });
    expect(await seriousAxeViolations(oldest), 'paused, 1280 px').to.deep.equal([]);
    await oldest.setViewportSize({ width: 390, height: 844 });
    await oldest.screenshot({ path: join(SCREENSHOTS, 'inbox-paused-390.png') });
    expect(await seriousAxeViolations(oldest), 'paused, 390 px').to.deep.equal([]);
    await oldest.getByRole('button', { name: 'Resume live updates here' }).click();
    await oldest.getByText('● Live').waitFor({ timeout: 5000 });
    // Resuming here took a place from the next oldest, which now waits in turn.
    await pages[1].getByText('Live updates paused: Lamplight is open in too many places').waitFor({ timeout: 5000 });
    for (const page of pages) await page.close();
  });
});
