import { expect } from 'chai';
import { Harness, startHarness } from '../support/harness';

/** GET /app/sign-in.json: how the tab signs in when it is opened in a browser rather than Teams. */
describe('the tab sign-in configuration', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('when an identity provider is configured, then the tab gets its PKCE endpoints, and the page may call only its token endpoint', async () => {
    h = await startHarness({ webSignIn: true });
    const { status, body } = await h.api('GET', '/app/sign-in.json');
    expect(status).to.equal(200);
    const origin = new URL(h.idp.issuer).origin;
    expect(body).to.deep.equal({
      mode: 'oidc',
      clientId: h.idp.clientId,
      scope: `openid ${h.idp.audience}/access_as_user`,
      authorizationEndpoint: `${origin}/tenant-0000/oauth2/v2.0/authorize`,
      tokenEndpoint: `${origin}/tenant-0000/oauth2/v2.0/token`,
    });
    // Discovery ran once, at start-up or on the first request, and is not repeated.
    await h.api('GET', '/app/sign-in.json');
    expect(h.idp.requests.filter((r) => r.path.endsWith('openid-configuration'))).to.have.length(1);
    const page = await fetch(`${h.app.url}/app/`);
    expect(page.headers.get('content-security-policy')).to.contain(`connect-src 'self' ${origin};`);
  });

  it('when no browser sign-in is configured, then outside Teams the tab is told to open from Teams, and may call only its own origin', async () => {
    h = await startHarness();
    expect((await h.api('GET', '/app/sign-in.json')).body).to.deep.equal({ mode: 'teams-only' });
    const page = await fetch(`${h.app.url}/app/`);
    expect(page.headers.get('content-security-policy')).to.contain("connect-src 'self';");
  });

  it('when the identity provider cannot be reached, then 503 with a reason, and a later request tries again', async () => {
    h = await startHarness({ webSignIn: true, identityProviderDown: true });
    const down = await h.api('GET', '/app/sign-in.json');
    expect(down.status).to.equal(503);
    expect(down.body).to.deep.equal({ error: 'sign_in_unavailable', message: 'the identity provider cannot be reached; try again in a minute' });
    h.idp.down = false;
    const up = await h.api('GET', '/app/sign-in.json');
    expect(up.status).to.equal(200);
    expect(up.body.mode).to.equal('oidc');
  });
});
