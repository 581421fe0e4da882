import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Lamplight } from '../../bot/app';
import { SCREENSHOTS, seriousAxeViolations, startBrowserSession } from '../support/browser';
import { eventually } from '../support/harness';
import { TestIdentityProvider } from '../support/identity-provider';

/**
 * The tab opened in a browser outside Teams, in a deployment with an identity provider: the
 * authorization code flow with PKCE against a local OpenID Connect provider on loopback.
 */
describe('signing in outside Teams with the organisation identity provider (headless Chromium)', function () {
  let app: Lamplight;
  let browser: Browser;
  let idp: TestIdentityProvider;
  let close: (() => Promise<void>) | undefined;

  before(async function () {
    idp = await new TestIdentityProvider({ oidc: true }).start();
    ({ app, browser, close } = await startBrowserSession(this, {
      auth: { issuer: idp.issuer, audience: idp.audience, jwksUrl: idp.jwksUrl },
      webSignIn: { authority: idp.issuer, clientId: idp.clientId, scope: `openid profile offline_access ${idp.audience}/access_as_user` },
    }));
    idp.redirectUris.add(`${app.url}/app/`);
  });
  after(async () => {
    await close?.();
    await idp?.close();
  });
  beforeEach(() => {
    idp.requests.length = 0;
    idp.accessTokenSeconds = 3600;
  });

  const atProvider = (page: Page) => page.waitForURL((url) => url.toString().startsWith(new URL(idp.issuer).origin));

  async function signInAtProvider(page: Page, email: string) {
    await atProvider(page);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('when a clinician opens the tab, then they go to the provider, come back signed in with PKCE, and the code leaves the address bar', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/app/`);
    await signInAtProvider(page, 'sam.patel@lamplight.example');
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await page.getByText('Sam Patel').first().waitFor();
    expect(page.url()).to.equal(`${app.url}/app/`);
    expect(idp.requests.filter((r) => r.path === '/token')).to.deep.equal([{ path: '/token', grantType: 'authorization_code', hadVerifier: true }]);

    // A reload keeps the session (sessionStorage) without another trip to the provider.
    const before = idp.requests.length;
    await page.reload();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    expect(idp.requests.slice(before).some((r) => r.path.endsWith('/authorize'))).to.equal(false);

    // Signing out stays signed out (no silent bounce back in) until the clinician asks.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await page.reload();
    await page.getByText('You have signed out.').waitFor();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await signInAtProvider(page, 'sam.patel@lamplight.example');
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await page.close();
  });

  it('when the access token is about to expire, then the tab refreshes it and carries on', async () => {
    idp.accessTokenSeconds = 61; // inside the tab's one-minute margin: the next call refreshes
    const page = await browser.newPage();
    await page.goto(`${app.url}/app/`);
    await signInAtProvider(page, 'sam.patel@lamplight.example');
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await page.waitForTimeout(1200);
    idp.accessTokenSeconds = 3600;
    await page.getByRole('tab', { name: /Mine/ }).click();
    await eventually(() => idp.requests.some((r) => r.grantType === 'refresh_token'), 'a refresh token grant');
    expect(await page.getByRole('alert').count()).to.equal(0);
    await page.close();
  });

  it('when the access token runs out with the inbox open, then the live stream ends, the tab reconnects with a fresh token from where it was, and a text sent meanwhile shows without a reload', async () => {
    idp.accessTokenSeconds = 3;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Whether the tab ever told the clinician it had lost the connection: an expiry is routine, not an outage.
    await context.addInitScript(() => {
      new MutationObserver(() => {
        if (document.body?.textContent?.includes('Reconnecting')) (window as unknown as { sawReconnecting: boolean }).sawReconnecting = true;
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const page = await context.newPage();
    const streams: { authorization?: string; lastEventId?: string }[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/v1/events') streams.push({ authorization: request.headers().authorization, lastEventId: request.headers()['last-event-id'] });
    });
    await page.goto(`${app.url}/app/`);
    await signInAtProvider(page, 'sam.patel@lamplight.example');
    await page.getByText('● Live').waitFor();
    let loads = 0;
    page.on('load', () => loads++);
    await eventually(() => streams.length >= 2, 'a second stream once the first token ran out', 15_000);
    const response = await fetch(`${app.url}/simulator/api/phones/${encodeURIComponent('+447700900449')}/sms`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'school-nursing', text: 'hello, sent after the first token ran out' }),
    });
    expect(response.status).to.equal(200);
    await page.locator('[data-conversation]', { hasText: '0449' }).waitFor({ timeout: 10_000 });
    expect(streams[0].lastEventId).to.equal(undefined);
    expect(streams[1].lastEventId).to.match(/^\d+$/);
    expect(streams[1].authorization).to.not.equal(streams[0].authorization);
    expect(loads).to.equal(0);
    expect(await page.evaluate(() => (window as unknown as { sawReconnecting?: boolean }).sawReconnecting ?? false)).to.equal(false);
    await context.close();
  });

  it('when the provider refuses, then the reason shows as text with a way to try again', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
    await page.goto(`${app.url}/app/`);
    await atProvider(page);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText('The identity provider refused the sign-in: AADSTS65004: User declined to consent to access the app.').waitFor();
    expect(page.url()).to.equal(`${app.url}/app/`);
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in-refused.png') });
    expect(await seriousAxeViolations(page), 'sign-in page').to.deep.equal([]);
    await page.close();
  });

  it('when a code arrives with a state this tab did not send, then it is not exchanged', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/app/?code=stolen-code&state=forged`);
    await page.getByText(/The sign-in could not be checked/).waitFor();
    expect(idp.requests.some((r) => r.path === '/token')).to.equal(false);
    expect(page.url()).to.equal(`${app.url}/app/`);
    await page.close();
  });

  it('when the person signed in is not Lamplight staff, then the tab says so', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/app/`);
    await signInAtProvider(page, 'visitor@elsewhere.example');
    await page.getByText('this account is not registered as Lamplight staff').waitFor();
    await page.close();
  });
});
