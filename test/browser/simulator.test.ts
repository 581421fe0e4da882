import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { Conversation } from '../../db/entities';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession, textFromSimulatorPhone } from '../support/browser';

describe('channel simulator page (headless Chromium)', function () {
  let app: Lamplight;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  before(async function () {
    ({ app, browser, close } = await startBrowserSession(this));
  });
  after(async () => close?.());

  it('when a text is sent from the phone, then the service\'s welcome appears on it without reload, and the page has no serious accessibility violations', async () => {
    const page = await browser.newPage({ viewport: { width: 480, height: 900 } });
    await page.goto(`${app.url}/simulator`);
    await textFromSimulatorPhone(page, { service: 'school-nursing', number: '+447700900321', text: 'Hi, can I talk to someone about stuff at home?' });
    const welcome = page.locator('.bubble.received').first();
    await welcome.waitFor({ timeout: 5000 });
    expect(await welcome.textContent()).to.contain('School Nursing team at Lamplight Demo Community NHS Trust');
    expect(await page.locator('.bubble.sent').first().textContent()).to.contain('stuff at home');
    await page.screenshot({ path: join(SCREENSHOTS, 'simulator.png'), fullPage: true });
    expect(await seriousAxeViolations(page)).to.deep.equal([]);
    await page.close();
  });

  it('when the phone sends by WhatsApp, then it reaches Lamplight as Meta\'s signed webhook and the welcome comes back by WhatsApp', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${app.url}/simulator`);
    await textFromSimulatorPhone(page, { service: 'health-visiting', channel: 'whatsapp', number: '+447700900323', text: 'Hello, my baby has a rash, who do I ask?' });
    const welcome = page.locator('.bubble.received').first();
    await welcome.waitFor({ timeout: 5000 });
    expect(await welcome.textContent()).to.contain('Health Visiting').and.contain('WhatsApp from health-visiting');
    expect(await page.locator('.bubble.sent').first().textContent()).to.contain('WhatsApp to health-visiting');
    const [conversation] = (await app.db.manager.find(Conversation, { where: { channel: 'whatsapp' } }));
    expect(conversation).to.include({ serviceSlug: 'health-visiting', endpointAddress: '100000000000102' });
    await page.screenshot({ path: join(SCREENSHOTS, 'simulator-whatsapp-390.png'), fullPage: true });
    expect(await seriousAxeViolations(page)).to.deep.equal([]);
    await page.close();
  });

  it('when a text contains markup or a right-to-left override, then it shows as inert text', async () => {
    const page = await browser.newPage();
    let dialog = false;
    page.on('dialog', async (d) => {
      dialog = true;
      await d.dismiss();
    });
    await page.goto(`${app.url}/simulator`);
    const hostile = '<img src=x onerror=alert(1)> \u202Egnp.exe';
    await textFromSimulatorPhone(page, { number: '+447700900322', text: hostile });
    const sent = page.locator('.bubble.sent').first();
    await sent.waitFor({ timeout: 5000 });
    expect(await page.locator('#thread img').count()).to.equal(0);
    expect(await sent.evaluate((el) => el.firstChild?.textContent)).to.equal(hostile);
    expect(dialog).to.equal(false);
    await page.close();
  });
});
