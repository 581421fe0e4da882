import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { Lamplight, startLamplight } from '../../bot/app';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import { Keyring } from '../../db/crypto';
import { chromiumAvailable, CHROMIUM, launchBrowser, SCREENSHOTS, seriousAxeViolations } from '../support/browser';
import { scratchDatabase, ScratchDatabase } from '../support/database';
import { IN_HOURS } from '../support/harness';

const EXIT_URL = 'https://www.bbc.co.uk/weather';
const LAUNCHER = 'Chat to the School Nursing team';

/**
 * A school's own site, on its own origin, with a strict CSP (no inline style, scripts and frames
 * only from itself and Lamplight), carrying the one-line snippet.
 */
function hostSite(lamplight: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const origin = lamplight();
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'self'; script-src 'self' ${origin}; frame-src ${origin}; style-src 'self'; img-src 'self'`,
    });
    res.end(`<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Anytown Academy: health and wellbeing</title></head>
<body>
  <header><p>Anytown Academy</p></header>
  <main>
    <h1>Health and wellbeing</h1>
    <p>Our school nursing team is here for every student. You can talk to them in confidence.</p>
  </main>
  <script src="${origin}/chat/assets/widget.js" data-service="school-nursing" async></script>
</body>
</html>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    resolve({ server, origin: `http://127.0.0.1:${address.port}` });
  }));
}

/**
 * The embeddable widget on a school's site: the launcher opens the chat in a frame from
 * Lamplight; a message goes and the welcome comes back; Quick exit in the frame replaces the
 * school's page. Only the sites the service lists (webchat.embedOrigins) may frame the chat.
 */
describe('web chat widget on a service\'s own site (headless Chromium)', function () {
  this.timeout(90_000);
  let app: Lamplight;
  let browser: Browser;
  let database: ScratchDatabase;
  let listed: { server: Server; origin: string };
  let unlisted: { server: Server; origin: string };
  let configDir: string;

  before(async function () {
    if (!chromiumAvailable()) {
      if (process.env.LAMPLIGHT_REQUIRE_BROWSER === '1') throw new Error(`Chromium is required (LAMPLIGHT_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing`);
      this.skip();
    }
    listed = await hostSite(() => app.publicUrl);
    unlisted = await hostSite(() => app.publicUrl);
    // The demo services, with the school's site as the one place School Nursing's chat may be embedded.
    const config = parse(readFileSync(DEMO_CONFIG_PATH, 'utf8'));
    const schoolNursing = config.services.find((s: { slug: string }) => s.slug === 'school-nursing');
    schoolNursing.webchat = { ...schoolNursing.webchat, embedOrigins: [listed.origin] };
    configDir = mkdtempSync(join(tmpdir(), 'lamplight-widget-'));
    const configPath = join(configDir, 'services.yaml');
    writeFileSync(configPath, stringify(config));

    database = await scratchDatabase();
    const anchor = Date.parse(IN_HOURS);
    const started = Date.now();
    app = await startLamplight({
      port: 0, host: '127.0.0.1', publicUrl: undefined, databaseUrl: database.url, configPath,
      keyring: new Keyring(randomBytes(32)), twilio: undefined, auth: undefined, appInsightsConnectionString: undefined,
      demo: true, production: false, trustProxyHops: 0, logLevel: 'silent', seedDemoData: true,
    }, { logger: pino({ level: 'silent' }), now: () => new Date(anchor + (Date.now() - started)) });
    browser = await launchBrowser();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
    listed?.server.close();
    unlisted?.server.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  async function openHost(site: { origin: string }, viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const refusals: string[] = [];
    page.on('console', (message) => { if (/frame-ancestors|Refused to frame/.test(message.text())) refusals.push(message.text()); });
    await context.route(`${EXIT_URL}**`, (route) => route.fulfill({ body: '<!doctype html><html lang="en"><title>Weather</title><h1>Weather forecast</h1></html>', contentType: 'text/html' }));
    await page.goto(`${site.origin}/`);
    return { context, page, refusals };
  }

  const chatFrame = (page: Page) => page.frameLocator('iframe[title="Chat with the School Nursing team"]');

  for (const viewport of [{ width: 1280, height: 800, name: 'desktop' }, { width: 390, height: 844, name: 'phone' }]) {
    it(`on a ${viewport.name} (${viewport.width} px): the launcher opens the chat, a message goes and the welcome comes back, and Quick exit in the chat replaces the school's page`, async () => {
      const { context, page } = await openHost(listed, viewport);
      const launcher = page.getByRole('button', { name: LAUNCHER });
      await launcher.waitFor();
      expect(await launcher.getAttribute('aria-expanded')).to.equal('false');
      // One namespaced global, nothing else; no <style> added (the school's CSP would refuse it).
      const added = await page.evaluate(() => {
        const blank = document.createElement('iframe');
        document.body.append(blank);
        const own = new Set(Object.keys(blank.contentWindow!));
        blank.remove();
        return Object.keys(window).filter((k) => !own.has(k));
      });
      expect(added).to.deep.equal(['LamplightChat']);
      expect(await page.locator('style').count()).to.equal(0);
      const box = (await launcher.boundingBox())!;
      expect(box.height).to.be.at.least(44);
      expect(box.x + box.width).to.be.closeTo(viewport.width - 16, 2);
      await page.screenshot({ path: join(SCREENSHOTS, `webchat-widget-closed-${viewport.width}.png`) });
      expect(await seriousAxeViolations(page), 'closed').to.deep.equal([]);

      await launcher.click();
      const frame = chatFrame(page);
      await frame.getByLabel('Your message', { exact: true }).fill('Hi, is this private?');
      await frame.getByLabel('Your message', { exact: true }).press('Enter');
      await frame.locator('.lp-message--auto', { hasText: "Hi, you've reached the School Nursing team" }).waitFor();
      await frame.locator('.lp-message--own .lp-message__meta', { hasText: 'Sent' }).waitFor();
      const panel = (await page.locator('iframe[title="Chat with the School Nursing team"]').boundingBox())!;
      if (viewport.width <= 480) expect(panel.width, 'full width on a phone').to.equal(viewport.width);
      else expect(panel.width).to.be.closeTo(378, 4);
      await page.screenshot({ path: join(SCREENSHOTS, `webchat-widget-open-${viewport.width}.png`) });
      expect(await seriousAxeViolations(page), 'open').to.deep.equal([]);

      // The school's page learns nothing of the chat: no message text in its DOM.
      expect(await page.locator('body').innerText()).to.not.contain('is this private');

      const before = await page.evaluate(() => history.length);
      await frame.getByRole('button', { name: 'Quick exit' }).click();
      await page.waitForURL(`${EXIT_URL}**`);
      expect(await page.title()).to.equal('Weather');
      expect(await page.evaluate(() => history.length), 'history did not grow').to.equal(before);
      await context.close();
    });
  }

  it('from the keyboard: the launcher opens the chat with focus in it, Close returns focus to the launcher, and Escape twice in the chat replaces the school\'s page', async () => {
    const { context, page } = await openHost(listed, { width: 1280, height: 800 });
    await page.getByRole('button', { name: LAUNCHER }).focus();
    await page.screenshot({ path: join(SCREENSHOTS, 'webchat-widget-focus-1280.png') });
    await page.keyboard.press('Enter');
    await chatFrame(page).getByLabel('Your message', { exact: true }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.tagName)).to.equal('IFRAME');
    await page.getByRole('button', { name: 'Close chat' }).click();
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.contain(LAUNCHER);
    expect(await page.getByRole('button', { name: LAUNCHER }).getAttribute('aria-expanded')).to.equal('false');

    await page.keyboard.press('Enter');
    const box = chatFrame(page).getByLabel('Your message', { exact: true });
    await box.fill('nearly wrote this');
    const before = await page.evaluate(() => history.length);
    await box.press('Escape');
    await box.press('Escape');
    await page.waitForURL(`${EXIT_URL}**`);
    expect(await page.evaluate(() => history.length)).to.equal(before);
    await context.close();
  });

  it('the school\'s page follows a Quick exit message only from Lamplight\'s frame, even where the frame may not navigate the page itself', async () => {
    const { context, page } = await openHost(listed, { width: 1280, height: 800 });
    await page.getByRole('button', { name: LAUNCHER }).click();
    await chatFrame(page).getByLabel('Your message', { exact: true }).waitFor();
    // Another script on the page (or another frame) cannot send the school's visitors elsewhere.
    await page.evaluate(() => window.postMessage({ type: 'lamplight:quick-exit', url: 'https://elsewhere.example/' }, '*'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(new URL(page.url()).origin).to.equal(listed.origin);
    // From Lamplight's frame, with no click behind it (so no navigation of the page by the frame): the widget does it.
    const lamplightFrame = page.frames().find((f) => f.url().includes('/chat/school-nursing?embed=1'))!;
    const before = await page.evaluate(() => history.length);
    await lamplightFrame.evaluate((url) => window.parent.postMessage({ type: 'lamplight:quick-exit', url }, '*'), EXIT_URL);
    await page.waitForURL(`${EXIT_URL}**`);
    expect(await page.evaluate(() => history.length)).to.equal(before);
    await context.close();
  });

  it('on a site the service does not list, the chat is refused inside the frame (frame-ancestors)', async () => {
    const { context, page, refusals } = await openHost(unlisted, { width: 1280, height: 800 });
    await page.getByRole('button', { name: LAUNCHER }).click();
    const frameElement = page.locator('iframe[title="Chat with the School Nursing team"]');
    await frameElement.waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await chatFrame(page).locator('#lp-text').count(), 'no chat in the frame').to.equal(0);
    expect(refusals.join('\n')).to.match(/frame-ancestors/);
    await context.close();
  });
});
