import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readSettings } from '../../bot/config/settings';

describe('settings from the environment: browser sign-in', () => {
  const base = {
    DATA_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: 'postgres://127.0.0.1/none',
    AUTH_ISSUER: 'https://login.microsoftonline.com/tenant-id/v2.0',
    AUTH_AUDIENCE: 'api://lamplight.example.nhs.uk/11111111-2222-3333-4444-555555555555',
    AUTH_JWKS_URL: 'https://login.microsoftonline.com/tenant-id/discovery/v2.0/keys',
    PUBLIC_URL: 'https://lamplight.example.nhs.uk',
    TWILIO_ACCOUNT_SID: 'AC1',
    TWILIO_AUTH_TOKEN: 'twilio-token',
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

describe('settings from the environment: the mail relay for escalation alerts', () => {
  const base = {
    DATA_KEY: randomBytes(32).toString('base64'), DATABASE_URL: 'postgres://127.0.0.1/none', PUBLIC_URL: 'https://lamplight.example.nhs.uk',
    TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'twilio-token',
    AUTH_ISSUER: 'https://idp.example/v2.0', AUTH_AUDIENCE: 'api://lamplight', AUTH_JWKS_URL: 'https://idp.example/keys',
  };

  it('when SMTP_URL and ALERT_EMAIL_FROM are set, then alerts go by email through that relay; unset, none do', () => {
    expect(readSettings({ ...base, SMTP_URL: 'smtps://user:pass@smtp.example.nhs.uk:465', ALERT_EMAIL_FROM: 'Lamplight alerts <alerts@trust.nhs.uk>' }).smtp)
      .to.deep.equal({ url: 'smtps://user:pass@smtp.example.nhs.uk:465', from: 'Lamplight alerts <alerts@trust.nhs.uk>' });
    expect(readSettings({ ...base, SMTP_URL: 'smtp://relay.internal:25', ALERT_EMAIL_FROM: 'alerts@trust.nhs.uk' }).smtp?.from).to.equal('alerts@trust.nhs.uk');
    expect(readSettings(base).smtp).to.equal(undefined);
  });

  it('when the relay or the sender is not usable, then the start stops and says why; and the demo never runs beside a relay', () => {
    expect(() => readSettings({ ...base, SMTP_URL: 'smtp://relay.internal:25' })).to.throw(/ALERT_EMAIL_FROM/);
    expect(() => readSettings({ ...base, SMTP_URL: 'https://relay.internal', ALERT_EMAIL_FROM: 'alerts@trust.nhs.uk' })).to.throw(/SMTP_URL must start with smtp:\/\/ or smtps:\/\//);
    expect(() => readSettings({ ...base, SMTP_URL: 'smtp://relay.internal:25', ALERT_EMAIL_FROM: 'Lamplight' })).to.throw(/ALERT_EMAIL_FROM must be an email address/);
    expect(() => readSettings({ LAMPLIGHT_MODE: 'demo', SMTP_URL: 'smtp://relay.internal:25', ALERT_EMAIL_FROM: 'alerts@trust.nhs.uk' })).to.throw(/cannot run with real credentials \(SMTP_URL set\)/);
  });
});

describe('settings from the environment: demo mode fails closed', () => {
  const key = randomBytes(32).toString('base64');
  const complete = {
    DATA_KEY: key, DATABASE_URL: 'postgres://127.0.0.1/none', PUBLIC_URL: 'https://lamplight.example.nhs.uk',
    TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'twilio-token',
    AUTH_ISSUER: 'https://idp.example/v2.0', AUTH_AUDIENCE: 'api://lamplight', AUTH_JWKS_URL: 'https://idp.example/keys',
  };

  it('when nothing real is configured and NODE_ENV is unset, development or test, then it is the demo, listening on this machine only', () => {
    for (const NODE_ENV of [undefined, 'development', 'test']) {
      const settings = readSettings({ DATA_KEY: key, DATABASE_URL: 'postgres://127.0.0.1/none', ...(NODE_ENV ? { NODE_ENV } : {}) });
      expect(settings.demo, String(NODE_ENV)).to.equal(true);
      expect(settings.host).to.equal('127.0.0.1');
      expect(settings.seedDemoData).to.equal(true);
    }
    expect(readSettings({ DATA_KEY: key, DATABASE_URL: 'postgres://127.0.0.1/none', HOST: '0.0.0.0' }).host).to.equal('0.0.0.0');
  });

  it('when any one real credential is set, then demo mode is off and the rest of the real settings are required', () => {
    const oneEach = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL', 'AUTH_CLIENT_ID', 'MICROSOFT_APP_ID',
      'MICROSOFT_APP_PASSWORD', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_ACCESS_TOKEN'];
    for (const name of oneEach) {
      expect(() => readSettings({ DATA_KEY: key, DATABASE_URL: 'postgres://127.0.0.1/none', [name]: 'x' }), name).to.throw(/not in demo mode|must be set too|needs AUTH_ISSUER/);
    }
    const live = readSettings({ ...complete, MICROSOFT_APP_ID: 'bot-id', MICROSOFT_APP_PASSWORD: 'secret' });
    expect(live).to.include({ demo: false, host: '0.0.0.0', seedDemoData: false });
  });

  it('when NODE_ENV is anything but development or test (Production, staging), then demo mode is off and the start stops naming what is missing', () => {
    for (const NODE_ENV of ['production', 'Production', 'staging']) {
      expect(() => readSettings({ DATA_KEY: key, NODE_ENV }), NODE_ENV).to.throw(new RegExp(`not in demo mode \\(NODE_ENV=${NODE_ENV}\\).*PUBLIC_URL.*TWILIO_ACCOUNT_SID.*AUTH_ISSUER`));
      expect(readSettings({ ...complete, NODE_ENV }).demo).to.equal(false);
    }
  });

  it('when LAMPLIGHT_MODE=demo is asked for beside a real credential or outside development, then the start stops and says why', () => {
    expect(() => readSettings({ ...complete, LAMPLIGHT_MODE: 'demo' })).to.throw(/LAMPLIGHT_MODE=demo cannot run with real credentials \(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, AUTH_ISSUER/);
    expect(() => readSettings({ DATA_KEY: key, LAMPLIGHT_MODE: 'demo', NODE_ENV: 'production' })).to.throw(/only with NODE_ENV unset, development or test/);
    expect(() => readSettings({ DATA_KEY: key, LAMPLIGHT_MODE: 'dev' })).to.throw(/LAMPLIGHT_MODE must be demo or live/);
    expect(() => readSettings({ DATA_KEY: key, LAMPLIGHT_MODE: 'live' })).to.throw(/not in demo mode \(LAMPLIGHT_MODE=live\)/);
  });

  it('when outside demo mode without DATA_KEY, then no key file is made up: the start stops', () => {
    const { DATA_KEY: _omitted, ...withoutKey } = complete;
    expect(() => readSettings(withoutKey)).to.throw(/DATA_KEY/);
  });
});
