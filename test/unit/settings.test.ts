import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readSettings } from '../../bot/settings';

describe('settings from the environment: browser sign-in', () => {
  const base = {
    DATA_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: 'postgres://127.0.0.1/none',
    AUTH_ISSUER: 'https://login.microsoftonline.com/tenant-id/v2.0',
    AUTH_AUDIENCE: 'api://lamplight.example.nhs.uk/11111111-2222-3333-4444-555555555555',
    AUTH_JWKS_URL: 'https://login.microsoftonline.com/tenant-id/discovery/v2.0/keys',
  };

  it('when AUTH_CLIENT_ID is set, then the authority defaults to the issuer and the scope to the API access_as_user scope', () => {
    expect(readSettings({ ...base, AUTH_CLIENT_ID: 'spa-id' }).webSignIn).to.deep.equal({
      authority: 'https://login.microsoftonline.com/tenant-id/v2.0',
      clientId: 'spa-id',
      scope: 'openid profile offline_access api://lamplight.example.nhs.uk/11111111-2222-3333-4444-555555555555/access_as_user',
    });
  });

  it('when AUTH_AUTHORITY and AUTH_SCOPE are set, then they are used as given (trailing slash dropped)', () => {
    expect(readSettings({ ...base, AUTH_CLIENT_ID: 'spa-id', AUTH_AUTHORITY: 'https://idp.example/realm/', AUTH_SCOPE: 'openid lamplight' }).webSignIn)
      .to.deep.equal({ authority: 'https://idp.example/realm', clientId: 'spa-id', scope: 'openid lamplight' });
  });

  it('when AUTH_CLIENT_ID is not set, then there is no browser sign-in', () => {
    expect(readSettings(base).webSignIn).to.equal(undefined);
  });

  it('when AUTH_CLIENT_ID comes without the token settings, or the authority is not a URL, then the start stops and says why', () => {
    expect(() => readSettings({ DATA_KEY: base.DATA_KEY, DATABASE_URL: base.DATABASE_URL, AUTH_CLIENT_ID: 'spa-id' })).to.throw(/AUTH_CLIENT_ID needs AUTH_ISSUER/);
    expect(() => readSettings({ ...base, AUTH_CLIENT_ID: 'spa-id', AUTH_AUTHORITY: 'login.example' })).to.throw(/AUTH_AUTHORITY must be an http\(s\) URL/);
    expect(() => readSettings({ ...base, NODE_ENV: 'production', PUBLIC_URL: 'https://lamplight.example', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', AUTH_CLIENT_ID: 'spa-id', AUTH_AUTHORITY: 'http://idp.example' }))
      .to.throw(/must be https:\/\/ in production/);
  });
});
