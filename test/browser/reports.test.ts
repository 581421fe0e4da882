import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession } from '../support/browser';
import { IN_HOURS } from '../support/harness';

/** The Reports screen (issue 15 item 1) in a real browser, against the embedded default. */
describe('reports screen (headless Chromium)', function () {
  this.timeout(90_000);
  let app: Lamplight;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;
  const anchor = Date.parse(IN_HOURS);
  const started = Date.now();

  before(async function () {
    ({ app, browser, close } = await startBrowserSession(this));
    // Two young people text school nursing, one of them at risk.
    for (const [number, text] of [['+447700900601', 'hi can i talk to the school nurse'], ['+447700900602', 'i took 20 paracetamol'], ['+447700900601', 'it is about my periods']]) {
      const r = await fetch(`${app.url}/simulator/api/phones/${encodeURIComponent(number)}/sms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'school-nursing', text }) });
      expect(await r.json()).to.deep.equal({ webhookStatus: 200 });
    }
  });
  after(async () => close?.());

  /** A page whose clock reads the app's (a known Tuesday), so the default period covers what was sent. */
  async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    await context.clock.setFixedTime(anchor + (Date.now() - started));
    return context.newPage();
  }

  async function openReports(page: Page, query = '') {
    await page.goto(`${app.url}/app/${query}`);
    await page.getByLabel('Demo staff member').selectOption('alex.morgan@lamplight.example');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await page.getByRole('tab', { name: 'Reports' }).click();
    await page.locator('[data-figure="Conversations started"]').waitFor();
  }

  it('a duty lead sees the last four weeks of their services in figures, a chart and a table beneath it', async () => {
    const page = await newPage();
    await openReports(page);
    expect(await page.locator('[data-figure="Conversations started"]').innerText()).to.match(/Conversations started\s+2\s/);
    expect(await page.locator('[data-figure="Messages in / out"]').innerText()).to.match(/3 \/ \d+/);
    expect(await page.locator('[data-figure="High-risk messages"]').innerText()).to.match(/High-risk messages\s+1\s/);
    expect(await page.locator('[data-figure="Escalations"]').innerText()).to.match(/Escalations\s+1\s/);
    // The table beneath the chart: 28 UK days, the app's Tuesday with both conversations.
    const rows = page.locator('[data-report-series] tbody tr');
    expect(await rows.count()).to.equal(28);
    expect(await rows.filter({ hasText: '2026-11-24' }).locator('td').first().innerText()).to.equal('2');
    // By week instead.
    await page.getByLabel('By', { exact: true }).selectOption('week');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('[data-report-series] tbody tr', { hasText: '2026-W48' }).waitFor();
    await page.getByLabel('By', { exact: true }).selectOption('day');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('[data-report-series] tbody tr', { hasText: '2026-11-24' }).waitFor();
    await page.context().close();
  });

  for (const [name, query, options] of [
    ['default', '', {}],
    ['dark', '?theme=dark', { colorScheme: 'dark' }],
    ['contrast', '?theme=contrast', {}],
    ['390', '', { viewport: { width: 390, height: 844 } }],
  ] as const) {
    it(`is accessible: ${name}`, async () => {
      const page = await newPage(options);
      await openReports(page, query);
      await page.locator('[data-report-hours]').waitFor();
      const violations = await seriousAxeViolations(page);
      await page.screenshot({ path: join(SCREENSHOTS, `reports-${name}.png`), fullPage: true });
      expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no sideways scroll').to.be.at.most(page.viewportSize()!.width);
      expect(violations.map((v) => `${v.id}: ${v.help} ${v.nodes.slice(0, 3).map((n) => n.html.slice(0, 160)).join(' | ')}`), name).to.deep.equal([]);
      await page.context().close();
    });
  }
});
