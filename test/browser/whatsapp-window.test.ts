import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession } from '../support/browser';
import { IN_HOURS } from '../support/harness';

/** What WhatsApp's 24-hour window means for a clinician, as the tab shows it, before and after it closes. */
describe('WhatsApp reply window in the inbox (headless Chromium)', function () {
  let app: Lamplight;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;
  /** Added to the app's clock: a day passes at the flick of a number. */
  let skewMs = 0;

  before(async function () {
    const anchor = Date.parse(IN_HOURS);
    const started = Date.now();
    ({ app, browser, close } = await startBrowserSession(this, undefined, { now: () => new Date(anchor + (Date.now() - started) + skewMs) }));
  });
  after(async () => close?.());

  async function openConversation(page: Page, last4: string, signIn = true) {
    await page.goto(`${app.url}/app/`);
    if (signIn) {
      await page.getByLabel('Demo staff member').selectOption('sam.patel@lamplight.example');
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    const row = page.locator('[data-conversation]', { hasText: last4 });
    await row.waitFor();
    await row.click();
    await page.locator('[data-author="contact"]').first().waitFor();
  }

  it('when the window is open the tab says until when; a day later it says the reply goes inside the template, sends it so, and stays accessible at 1280 and 390 px', async () => {
    const response = await fetch(`${app.url}/simulator/api/phones/${encodeURIComponent('+447700900461')}/whatsapp`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'school-nursing', text: 'hi, can i ask something about my periods' }),
    });
    expect(await response.json()).to.deep.equal({ webhookStatus: 200 });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(5000);
    await openConversation(page, '0461');
    await page.getByText(/WhatsApp reply window open until \d/).waitFor();
    // The box cuts nothing (no maxlength); the count names WhatsApp's limit.
    expect(await page.getByLabel(/Reply/).getAttribute('maxlength')).to.equal(null);
    expect(await page.locator('[data-reply-size]').innerText()).to.equal('0 characters (at most 4096)');
    await page.screenshot({ path: join(SCREENSHOTS, 'whatsapp-window-open.png') });
    expect(await seriousAxeViolations(page), 'window open').to.deep.equal([]);

    skewMs = 25 * 3600 * 1000;
    await openConversation(page, '0461', false);
    await page.getByText(/Your reply will go inside the service's template “lamplight_reply”, on one line, at most 928 characters\. They will read: “The School Nursing team has replied to your message: \[your reply\] \(Reply here to carry on the conversation\.\)”/).waitFor();
    expect(await page.locator('[data-reply-size]').innerText()).to.equal('0 characters (at most 928)');
    await page.getByLabel(/Reply/).fill('Sorry we missed you yesterday.\nAre you OK to talk now?');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText(/went inside the approved template “lamplight_reply” \(the 24-hour window had closed\)/).waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'whatsapp-window-closed-template.png') });
    expect(await seriousAxeViolations(page), 'window closed').to.deep.equal([]);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SCREENSHOTS, 'whatsapp-window-closed-390.png'), fullPage: true });
    expect(await seriousAxeViolations(page), 'window closed at 390 px').to.deep.equal([]);
    await page.close();
  });
});
