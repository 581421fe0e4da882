import { expect } from 'chai';
import { join } from 'node:path';
import { Like } from 'typeorm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { Message, WebchatActivity } from '../../db/entities';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession } from '../support/browser';
import { eventually, IN_HOURS } from '../support/harness';

const EXIT_URL = 'https://www.bbc.co.uk/weather';
const STORAGE_KEY = 'lamplight.webchat.school-nursing';
const WELCOME = "Hi, you've reached the School Nursing team";

interface StoredSession { conversationId: string; token: string; resume: string; userId: string; watermark: string }

/**
 * The service user's chat page, /chat/school-nursing, against the real server (Direct Line, the
 * gateway, triage, the outbox), as a young person uses it on a phone and on a computer.
 */
describe('web chat page for the service user (headless Chromium)', function () {
  this.timeout(90_000);
  let app: Lamplight;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;
  const contexts: BrowserContext[] = [];
  /** Added to the server's clock: a phone can sleep past its token's life at the flick of a number. */
  let skewMs = 0;

  before(async function () {
    const anchor = Date.parse(IN_HOURS);
    const started = Date.now();
    ({ app, browser, close } = await startBrowserSession(this, undefined, { now: () => new Date(anchor + (Date.now() - started) + skewMs) }));
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  after(async () => close?.());

  /** A phone-sized tab (360 × 740) on the chat page; every request it makes and every announcement it speaks are recorded. */
  async function openChat(options: { width?: number; height?: number } = {}) {
    const context = await browser.newContext({ viewport: { width: options.width ?? 360, height: options.height ?? 740 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const outside: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== new URL(app.publicUrl).origin && !request.url().startsWith(EXIT_URL)) outside.push(request.url());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    // There is no outside network here: the neutral site is answered locally.
    await context.route(`${EXIT_URL}**`, (route) => route.fulfill({ body: '<!doctype html><html lang="en"><title>Weather</title><h1>Weather forecast</h1></html>', contentType: 'text/html' }));
    // Everything the polite live region says, in order (the page's own announcer).
    await context.addInitScript(() => {
      const said: string[] = [];
      (window as unknown as { announced: string[] }).announced = said;
      document.addEventListener('DOMContentLoaded', () => {
        const announcer = document.getElementById('lp-announcer');
        if (announcer) new MutationObserver(() => { if (announcer.textContent) said.push(announcer.textContent); }).observe(announcer, { childList: true, subtree: true, characterData: true });
      });
    });
    await page.goto(`${app.publicUrl}/chat/school-nursing`);
    return { context, page, outside, problems };
  }

  const announced = (page: Page) => page.evaluate(() => (window as unknown as { announced: string[] }).announced);
  const stored = async (page: Page) => JSON.parse((await page.evaluate((key) => sessionStorage.getItem(key), STORAGE_KEY)) ?? 'null') as StoredSession | null;

  async function send(page: Page, text: string) {
    await page.getByLabel('Your message', { exact: true }).fill(text);
    await page.getByLabel('Your message', { exact: true }).press('Enter');
  }

  /** The Lamplight conversation behind a page's chat (its messages' ids start with the Direct Line conversation id). */
  async function conversationOf(page: Page): Promise<string> {
    const session = (await stored(page))!;
    const message = await eventually(() => app.db.manager.findOneBy(Message, { externalId: Like(`${session.conversationId}|%`) }), 'the stored message');
    return message.conversationId;
  }

  async function nurseReplies(page: Page, text: string) {
    const token = await app.devIdentity!.issue({ email: 'sam.patel@lamplight.example', name: 'Sam Patel' });
    const response = await fetch(`${app.url}/api/v1/conversations/${await conversationOf(page)}/messages`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ text }),
    });
    expect(response.status).to.equal(201);
  }

  const ownMessages = (page: Page) => page.locator('.lp-message--own');
  /** The whole page from the top (where the fixed Quick exit shows), and the screen as the visitor sees it now. */
  async function screenshots(page: Page, name: string) {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-screen.png`) });
    const scrolled = await page.evaluate(() => window.scrollY);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    await page.evaluate((y) => window.scrollTo(0, y), scrolled);
  }
  const noSeriousViolations = async (page: Page, state: string) => expect(await seriousAxeViolations(page), state).to.deep.equal([]);

  it('when a young person sends a message, then it shows Sent, the welcome and a nurse\'s reply follow, each announced once, and every state is accessible at 360 and 1280 px and in forced colours', async () => {
    const { page, outside, problems } = await openChat();
    await screenshots(page, 'webchat-empty-360');
    await noSeriousViolations(page, 'empty, 360 px');

    await send(page, 'Hi, can I talk to someone about stuff at home?');
    await ownMessages(page).first().locator('.lp-message__meta', { hasText: 'Sent' }).waitFor();
    expect(await page.getByLabel('Your message', { exact: true }).inputValue(), 'the box is cleared once sent').to.equal('');
    const welcome = page.locator('.lp-message--auto');
    await welcome.waitFor();
    expect(await welcome.textContent()).to.contain('Automatic message:').and.contain(WELCOME);

    // The service writing: "typing" shows, then goes when the reply comes.
    const session = (await stored(page))!;
    await app.channels.webchat.typing('school-nursing', session.userId);
    await page.getByText('A school nurse is typing…').waitFor();
    await screenshots(page, 'webchat-typing-360');
    await noSeriousViolations(page, 'typing, 360 px');

    await nurseReplies(page, "Hi, I'm one of the school nurses. Thanks for getting in touch. What's been happening at home?");
    const reply = page.locator('.lp-message--incoming');
    await reply.waitFor();
    expect(await reply.textContent()).to.contain('School nurse:').and.contain("What's been happening at home?");
    await page.getByText('A school nurse is typing…').waitFor({ state: 'detached' }).catch(() => undefined);
    expect(await page.locator('#lp-typing').textContent()).to.equal('');

    const said = await announced(page);
    expect(said.filter((s) => s.startsWith(`Automatic message: ${WELCOME}`))).to.have.length(1);
    expect(said.filter((s) => s.startsWith("School nurse: Hi, I'm one of the school nurses"))).to.have.length(1);
    expect(said.some((s) => s.includes('stuff at home')), 'your own message is not read back to you').to.equal(false);

    await screenshots(page, 'webchat-conversation-360');
    await noSeriousViolations(page, 'conversation, 360 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshots(page, 'webchat-conversation-1280');
    await noSeriousViolations(page, 'conversation, 1280 px');
    await page.emulateMedia({ forcedColors: 'active' });
    await screenshots(page, 'webchat-forced-colours-1280');
    await noSeriousViolations(page, 'forced colours, 1280 px');
    await page.setViewportSize({ width: 360, height: 740 });
    await screenshots(page, 'webchat-forced-colours-360');
    await noSeriousViolations(page, 'forced colours, 360 px');
    await page.emulateMedia({ forcedColors: 'none' });

    // Reflow: 320 CSS px wide (and 1280 × 720 at 400 % zoom) needs no sideways scrolling; every target is at least 24 × 24 px.
    for (const viewport of [{ width: 320, height: 640 }, { width: 320, height: 180 }]) {
      await page.setViewportSize(viewport);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${viewport.width} × ${viewport.height}`).to.be.at.most(viewport.width);
    }
    await screenshots(page, 'webchat-conversation-320');
    const smallTargets = await page.evaluate(() => [...document.querySelectorAll('a, button, textarea')]
      .map((el) => ({ name: (el.textContent ?? '').trim() || el.id, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width < 24 || box.height < 24).map(({ name }) => name));
    expect(smallTargets).to.deep.equal([]);
    await page.setViewportSize({ width: 360, height: 740 });

    // Only ids, the token, the resume secret and the watermark are kept: never a word of the chat.
    expect(Object.keys(session).sort()).to.deep.equal(['conversationId', 'resume', 'token', 'userId', 'watermark']);
    const storage = await page.evaluate(() => ({ session: JSON.stringify({ ...sessionStorage }), local: localStorage.length, cookie: document.cookie }));
    expect(storage.session).to.not.contain('stuff at home').and.not.contain('school nurses');
    expect(storage.local).to.equal(0);
    expect(storage.cookie).to.equal('');
    expect(outside, 'requests to anywhere but Lamplight').to.deep.equal([]);
    expect(problems).to.deep.equal([]);
  });

  it('when the page is reloaded, then the server replays the chat: every message once, none announced again, and new ones still arrive', async () => {
    const { page } = await openChat();
    await send(page, 'is it ok to ask about periods here');
    await page.locator('.lp-message--auto').waitFor();
    await page.reload();
    await page.locator('.lp-message--auto').waitFor();
    await ownMessages(page).first().waitFor();
    await page.waitForTimeout(500);
    expect(await page.locator('.lp-message').count()).to.equal(2);
    expect(await ownMessages(page).first().textContent()).to.contain('is it ok to ask about periods here').and.contain('Sent');
    expect(await announced(page)).to.deep.equal([]);

    await nurseReplies(page, 'Yes of course, ask away.');
    await page.locator('.lp-message--incoming', { hasText: 'Yes of course, ask away.' }).waitFor();
    expect(await announced(page)).to.deep.equal(['School nurse: Yes of course, ask away.']);
    expect(await page.locator('.lp-message').count()).to.equal(3);
  });

  it('with the keyboard alone, Tab reaches Quick exit first, then the help links, the offer to text instead, the message box and Send', async () => {
    const { page } = await openChat({ width: 1280, height: 900 });
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        return el.id === 'lp-text' ? 'message box' : (el.textContent ?? '').trim();
      }));
    }
    expect(order).to.deep.equal(['Quick exit', 'Call 999', 'Call NHS 111', 'Text SHOUT to 85258', 'Call Childline on 0800 1111', '07700 900101', 'message box', 'Send']);
    await page.getByLabel('Your message', { exact: true }).fill('typed with the keyboard');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await ownMessages(page).first().locator('.lp-message__meta', { hasText: 'Sent' }).waitFor();
  });

  it('Shift+Enter starts a new line and Enter sends; near 4000 characters a count shows, and a longer message is refused with a reason and kept', async () => {
    const { page } = await openChat();
    const box = page.getByLabel('Your message', { exact: true });
    await box.fill('line one');
    await box.press('Shift+Enter');
    await box.pressSequentially('line two');
    expect(await box.inputValue()).to.equal('line one\nline two');
    expect(await page.locator('#lp-count').isVisible()).to.equal(false);

    await box.fill('a'.repeat(3990));
    await box.press('End');
    await page.getByText('You have 10 characters left').waitFor();
    await box.pressSequentially('bbbbbbbbbbbbbbb');
    await page.getByText('You have 5 characters too many').waitFor();
    await box.press('Enter');
    await page.getByText('Your message is too long. Make it shorter, or send it in parts.').waitFor();
    expect(await box.inputValue()).to.have.length(4005);
    expect(await ownMessages(page).count()).to.equal(0);
    await noSeriousViolations(page, 'too long, 360 px');

    await box.fill('line one\nline two');
    await box.press('Enter');
    await ownMessages(page).first().locator('.lp-message__meta', { hasText: 'Sent' }).waitFor();
    expect(await ownMessages(page).first().locator('.lp-message__text').textContent()).to.equal('line one\nline two');
  });

  it('when Quick exit is pressed, then the neutral site replaces the page without a new history entry, the chat is gone from the screen and nothing of it is stored; Escape twice does the same', async () => {
    const { page, context } = await openChat();
    await send(page, 'please dont tell my mum');
    await page.locator('.lp-message--auto').waitFor();
    const before = await page.evaluate(() => history.length);
    await page.getByRole('button', { name: 'Quick exit' }).click();
    await page.waitForURL(`${EXIT_URL}**`);
    expect(await page.title()).to.equal('Weather');
    expect(await page.evaluate(() => history.length), 'history did not grow').to.equal(before);
    expect(await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length }))).to.deep.equal({ session: 0, local: 0 });

    // Back on the chat page in the same tab: a new, empty chat (nothing came back from storage).
    const again = await context.newPage();
    await again.goto(`${app.publicUrl}/chat/school-nursing`);
    await again.waitForFunction(() => sessionStorage.length === 1);
    expect(await again.locator('.lp-message').count()).to.equal(0);
    const beforeEscape = await again.evaluate(() => history.length);
    await again.getByLabel('Your message', { exact: true }).fill('half-written message');
    await again.keyboard.press('Escape');
    await again.keyboard.press('Escape');
    await again.waitForURL(`${EXIT_URL}**`);
    expect(await again.evaluate(() => history.length)).to.equal(beforeEscape);
    expect(await again.evaluate(() => sessionStorage.length + localStorage.length)).to.equal(0);
  });

  it('when the connection drops, then the message stays in the box marked Not sent; back online, Send delivers it once and the server holds one copy', async () => {
    const { page, context } = await openChat();
    await send(page, 'first message');
    await page.locator('.lp-message--auto').waitFor();

    await context.setOffline(true);
    await send(page, 'sent while the signal dropped');
    await page.locator('.lp-message--failed').waitFor();
    expect(await page.getByLabel('Your message', { exact: true }).inputValue()).to.equal('sent while the signal dropped');
    expect(await page.locator('.lp-message--failed .lp-message__meta').textContent()).to.equal('Not sent – try again');
    await page.getByText('Not sent. Check your connection and press Send again.').waitFor();
    await page.getByText('Reconnecting… your message is kept in the box.').waitFor();
    await screenshots(page, 'webchat-not-sent-360');
    await noSeriousViolations(page, 'not sent, 360 px');

    await context.setOffline(false);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForFunction(() => (document.getElementById('lp-text') as HTMLTextAreaElement).value === '');
    await page.locator('.lp-message--own', { hasText: 'sent while the signal dropped' }).locator('.lp-message__meta', { hasText: 'Sent' }).waitFor();
    await page.getByText('Reconnecting…').waitFor({ state: 'hidden' });
    // Back online the page reconnected and the server replayed the chat: still each message once.
    expect(await ownMessages(page).count()).to.equal(2);
    expect(await page.locator('.lp-message--auto').count()).to.equal(1);
    expect(await page.locator('.lp-message--failed').count()).to.equal(0);
    const session = (await stored(page))!;
    expect(await app.db.manager.countBy(WebchatActivity, { sessionId: session.conversationId, direction: 'in' })).to.equal(2);
    expect(await app.db.manager.countBy(Message, { externalId: Like(`${session.conversationId}|%`) })).to.equal(2);
  });

  it('when the answer to a send is lost although the server kept it, then the page shows it Sent once and the server holds one copy', async () => {
    const { page } = await openChat();
    await send(page, 'hello');
    await page.locator('.lp-message--auto').waitFor();
    // The post reaches the server; its answer never reaches the page.
    await page.route('**/v3/directline/conversations/*/activities', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await route.fetch();
      await route.abort('connectionreset');
    }, { times: 1 });
    await send(page, 'did you get this?');
    const mine = page.locator('.lp-message--own', { hasText: 'did you get this?' });
    await mine.locator('.lp-message__meta', { hasText: 'Sent' }).waitFor();
    await page.waitForFunction(() => (document.getElementById('lp-text') as HTMLTextAreaElement).value === '');
    expect(await mine.count()).to.equal(1);
    const session = (await stored(page))!;
    expect(await app.db.manager.countBy(WebchatActivity, { sessionId: session.conversationId, direction: 'in' })).to.equal(2);
  });

  it('while a message is on its way, it shows Sending… and the box keeps the text, read-only', async () => {
    const { page } = await openChat();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/v3/directline/conversations/*/activities', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await held;
      await route.continue();
    }, { times: 1 });
    await send(page, 'one moment');
    await page.locator('.lp-message--own .lp-message__meta', { hasText: 'Sending…' }).waitFor();
    expect(await page.getByLabel('Your message', { exact: true }).inputValue()).to.equal('one moment');
    expect(await page.getByLabel('Your message', { exact: true }).getAttribute('readonly')).to.not.equal(null);
    await screenshots(page, 'webchat-sending-360');
    await noSeriousViolations(page, 'sending, 360 px');
    release();
    await page.locator('.lp-message--own .lp-message__meta', { hasText: 'Sent' }).waitFor();
    expect(await page.getByLabel('Your message', { exact: true }).getAttribute('readonly')).to.equal(null);
  });

  it('when a message says someone is at risk now, then the safety reply with 999, NHS 111, Shout and Childline shows on the page within seconds', async () => {
    const { page } = await openChat();
    const sentAt = Date.now();
    await send(page, 'i have taken all my pills and want to die');
    const safety = page.locator('.lp-message--auto', { hasText: "We're worried about what you've said" });
    await safety.waitFor({ timeout: 5000 });
    const elapsed = Date.now() - sentAt;
    expect(elapsed, `safety reply after ${elapsed} ms`).to.be.below(5000);
    expect(await safety.textContent()).to.contain('call 999').and.contain('NHS 111').and.contain('85258').and.contain('0800 1111');
    expect(await announced(page)).to.satisfy((said: string[]) => said.some((s) => s.startsWith("Automatic message: We're worried about what you've said")));
  });

  it('when the nurse\'s reply or the young person\'s message holds markup, then it shows as the same inert text', async () => {
    const { page } = await openChat();
    let dialog = false;
    page.on('dialog', async (d) => {
      dialog = true;
      await d.dismiss();
    });
    const hostile = '<img src=x onerror=alert(1)> <script>alert(2)</script> \u202Egnp.exe';
    await send(page, hostile);
    await page.locator('.lp-message--auto').waitFor();
    await nurseReplies(page, `Reply with ${hostile}`);
    await page.locator('.lp-message--incoming').waitFor();
    expect(await page.locator('#lp-messages img, #lp-messages script').count()).to.equal(0);
    expect(await ownMessages(page).first().locator('.lp-message__text').textContent()).to.equal(hostile);
    // The nurse's reply arrives as inert text too, without the right-to-left override: the server
    // takes bidi controls out of every reply before it is stored or sent.
    expect(await page.locator('.lp-message--incoming .lp-message__text').textContent()).to.equal(`Reply with ${hostile.replace('\u202E', '')}`);
    expect(dialog).to.equal(false);
  });

  it('when the page slept past its token\'s life, then the next message renews the token with the resume secret and goes at the first press, in the same chat', async () => {
    const { page } = await openChat();
    await send(page, 'before my phone slept');
    await page.locator('.lp-message--auto').waitFor();
    const before = (await stored(page))!;
    skewMs += 31 * 60_000;
    await send(page, 'after my phone slept');
    await page.locator('.lp-message--own', { hasText: 'after my phone slept' }).locator('.lp-message__meta', { hasText: 'Sent' }).waitFor();
    const after = (await stored(page))!;
    expect(after.conversationId).to.equal(before.conversationId);
    expect(after.token).to.not.equal(before.token);
    expect(await page.locator('.lp-message--failed').count()).to.equal(0);
    expect(await app.db.manager.countBy(WebchatActivity, { sessionId: before.conversationId, direction: 'in' })).to.equal(2);
    await nurseReplies(page, 'Still here when you are.');
    await page.locator('.lp-message--incoming', { hasText: 'Still here when you are.' }).waitFor();
  });

  it('the simulator page links to each service\'s web chat, and the link opens the chat', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${app.publicUrl}/simulator`);
    for (const name of ['School Nursing', 'Health Visiting', 'Sexual Health']) await page.getByRole('link', { name: `${name} web chat` }).waitFor();
    await page.getByRole('link', { name: 'Health Visiting web chat' }).click();
    await page.waitForURL(`${app.publicUrl}/chat/health-visiting`);
    await page.getByRole('heading', { name: 'Chat with the Health Visiting team' }).waitFor();
  });
});
