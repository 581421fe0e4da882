import { expect } from 'chai';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { conversationLinks } from '../../bot/teams/links';
import { Message } from '../../db/entities';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession } from '../support/browser';
import { TestIdentityProvider } from '../support/identity-provider';

const TEAMS_ORIGIN = 'https://teams.microsoft.com';
const CLINICIAN = 'sam.patel@lamplight.example'; // a demo clinician of school-nursing

/**
 * A stub of the Teams web client, just enough of it to host the tab: the page a Teams deep link
 * (`/l/entity/<appId>/inbox?context={"subEntityId":"…"}`) opens, which frames the tab's content
 * URL and answers the teams-js postMessage protocol (@microsoft/teams-js 2.x, src/internal/communication.ts).
 *
 * The tab posts `{ id, uuidAsString, func, args, timestamp, apiVersionTag, … }` to its parent
 * (`initialize` to '*', everything after to the origin that answered it). The host answers
 * `{ id, uuidAsString, args }` back to the frame; teams-js matches it by uuidAsString (else by id)
 * and resolves the call with `args`. It accepts answers only from an https origin on its
 * allow-list (teams.microsoft.com is on it), and the tab's Content-Security-Policy lets only Teams
 * (and itself) frame it: so the stub is served on loopback by this test, but Chromium reaches it
 * as https://teams.microsoft.com (the browser context routes that origin to the loopback server).
 *
 * Answered:
 * - `initialize` → [frameContext 'content', hostClientType 'web', runtimeConfig JSON, host SDK version]
 * - `getContext` → [the legacy (v1) context]: teams-js maps subEntityId → page.subPageId,
 *   theme → app.theme, userPrincipalName → user.userPrincipalName, hostClientType → app.host.clientType
 * - `authentication.getAuthToken` → [true, token] (success, the SSO token)
 * Anything else (e.g. `registerHandler` for themeChange) is logged in `window.hostLog` and not answered.
 */
function stubTeamsHostPage(tabUrl: string, token: string, upn: string): string {
  // JSON inside a <script>: keep "</script>" and friends from ending it.
  const js = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stub Teams host</title>
<style>html, body { margin: 0; height: 100%; } iframe { border: 0; width: 100%; height: 100%; display: block; }</style>
</head><body>
<iframe title="Lamplight" src="${tabUrl.replace(/"/g, '&quot;')}"></iframe>
<script>
  // The deep link's context, as Teams reads it from the link's query string.
  const linkContext = JSON.parse(new URLSearchParams(location.search).get('context') || '{}');
  const entityId = location.pathname.split('/')[4] || 'inbox';
  const legacyContext = {
    entityId, subEntityId: linkContext.subEntityId, frameContext: 'content',
    theme: 'default', locale: 'en-GB', hostClientType: 'web', hostName: 'Teams',
    userPrincipalName: ${js(upn)}, loginHint: ${js(upn)}, userObjectId: 'oid-' + ${js(upn)},
    tid: '00000000-0000-0000-0000-0000000000aa', appSessionId: 'stub-session',
  };
  // A current host's runtime: apiVersion 4 (teams-js's latest) and what it supports.
  const runtimeConfig = {
    apiVersion: 4, hostVersionsInfo: { adaptiveCardSchemaVersion: { majorVersion: 1, minorVersion: 5 } },
    supports: { appEntity: {}, pages: { appButton: {}, tabs: {}, config: {}, backStack: {} }, teamsCore: {} },
  };
  const tab = document.querySelector('iframe');
  window.hostLog = [];
  window.addEventListener('message', (evt) => {
    if (evt.source !== tab.contentWindow || !evt.data || typeof evt.data.func !== 'string') return;
    const { id, uuidAsString, func } = evt.data;
    window.hostLog.push(func);
    const answer = (args) => tab.contentWindow.postMessage({ id, uuidAsString, args }, evt.origin);
    if (func === 'initialize') answer(['content', 'web', JSON.stringify(runtimeConfig), '2.58.0']);
    else if (func === 'getContext') answer([legacyContext]);
    else if (func === 'authentication.getAuthToken') answer([true, ${js(token)}]);
  });
</script>
</body></html>`;
}

/**
 * The tab hosted by (a stub of) Teams in headless Chromium, in a deployment whose API takes tokens
 * from the organisation's identity provider (so no dev sign-in): a Teams deep link to a conversation
 * opens the tab on that conversation.
 */
describe('the tab hosted by Teams, opened from a deep link (headless Chromium, stub Teams host)', function () {
  this.timeout(45_000);
  let app: Lamplight;
  let browser: Browser;
  let idp: TestIdentityProvider;
  let host: Server;
  let hostUrl = '';
  let close: (() => Promise<void>) | undefined;

  before(async function () {
    idp = await new TestIdentityProvider().start();
    ({ app, browser, close } = await startBrowserSession(this, { auth: { issuer: idp.issuer, audience: idp.audience, jwksUrl: idp.jwksUrl } }));
    // The stub host on loopback, another origin from Lamplight's; a fresh SSO token per page.
    host = createServer((req, res) => {
      void idp.token(CLINICIAN, { claims: { oid: `oid-${CLINICIAN}`, scp: 'access_as_user' } }).then((token) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(stubTeamsHostPage(`${app.url}/app/?inTeams=1`, token, CLINICIAN));
      }, () => { res.writeHead(500); res.end(); });
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  });
  after(async () => {
    await close?.();
    host?.closeAllConnections();
    await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()));
    await idp?.close();
  });

  /** A browser context in which https://teams.microsoft.com is the stub host on loopback. */
  async function teamsContext(): Promise<BrowserContext> {
    // Chromium treats https://teams.microsoft.com as a public site and refuses to let it frame a
    // loopback address (Local Network Access, net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS)
    // unless the person allows it; a deployed Lamplight is on a public address, so here we allow it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ['local-network-access'] });
    await context.route(`${TEAMS_ORIGIN}/**`, async (route) => {
      const url = new URL(route.request().url());
      await route.fulfill({ response: await route.fetch({ url: `${hostUrl}${url.pathname}${url.search}` }) });
    });
    return context;
  }

  const pageErrors: string[] = [];
  beforeEach(() => { pageErrors.length = 0; });

  /** Opens the deep link in the stub Teams; returns the tab's frame once it is up. */
  async function openDeepLink(context: BrowserContext, subEntityId: string): Promise<{ frame: Frame; hostLog: () => Promise<string[]> }> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const link = conversationLinks(app.url, undefined, subEntityId).teams;
    expect(link.startsWith(`${TEAMS_ORIGIN}/l/entity/`)).to.equal(true);
    await page.goto(link);
    const frame = await (await page.waitForSelector('iframe[title="Lamplight"]')).contentFrame();
    if (!frame) throw new Error('the tab did not load in the stub host');
    return { frame, hostLog: () => page.evaluate(() => (window as unknown as { hostLog: string[] }).hostLog) };
  }

  async function textFromPhone(number: string, text: string): Promise<string> {
    const response = await fetch(`${app.url}/simulator/api/phones/${encodeURIComponent(number)}/sms`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'school-nursing', text }),
    });
    expect(await response.json()).to.deep.equal({ webhookStatus: 200 });
    const [latest] = await app.db.manager.find(Message, { where: { direction: 'in' }, order: { createdAt: 'DESC' }, take: 1 });
    return latest.conversationId;
  }

  it('when a clinician follows a Teams deep link to a conversation, then the tab signs in with Teams SSO and opens that conversation', async () => {
    const linked = await textFromPhone('+447700900494', 'the deep link in Teams should open this one');
    const context = await teamsContext();
    const { frame, hostLog } = await openDeepLink(context, linked);
    const conversation = frame.locator('section[aria-label="Conversation"]');
    await conversation.getByText('the deep link in Teams should open this one').waitFor({ timeout: 10_000 });
    expect(await conversation.locator('[data-author="contact"]').first().textContent()).to.contain('the deep link in Teams should open this one');
    // Signed in as the person Teams says, with no sign-in page of its own.
    await frame.getByText('Sam Patel').first().waitFor();
    expect(await frame.getByText('Open Lamplight from its tab in Microsoft Teams').count()).to.equal(0);
    expect(await hostLog()).to.include.members(['initialize', 'getContext', 'authentication.getAuthToken']);
    await frame.getByText('● Live').waitFor({ timeout: 5000 });
    const page = frame.page();
    await page.screenshot({ path: join(SCREENSHOTS, 'teams-host-deep-link.png') });
    // axe runs in the tab's own frame (seriousAxeViolations only calls evaluate, which a Frame has too).
    expect(await seriousAxeViolations(frame as unknown as Page), 'the tab framed by Teams').to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
    await context.close();
  });

  it('when the deep link names something that is not a conversation id, then the tab opens on the inbox with no conversation', async () => {
    const context = await teamsContext();
    const { frame, hostLog } = await openDeepLink(context, 'constructor');
    await frame.getByRole('navigation', { name: 'Inbox' }).waitFor({ timeout: 10_000 });
    await frame.getByText('Choose a conversation.').waitFor({ timeout: 5000 });
    expect(await frame.locator('section[aria-label="Conversation"]').count()).to.equal(0);
    expect(await hostLog()).to.include('getContext');
    expect(pageErrors).to.deep.equal([]);
    await context.close();
  });
});
