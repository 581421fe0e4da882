import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ConfigError, DEFAULT_CONFIDENTIALITY, DEMO_CONFIG_PATH, loadConfig, parseConfig } from '../../bot/config/services';
import { chatPageView, clockTime } from '../../bot/config/webchat-page';
import { WebchatTokens } from '../../adapters/webchat/tokens';
import { addressKey } from '../../adapters/webchat/directline';

const demoText = readFileSync(DEMO_CONFIG_PATH, 'utf8');
const broken = (from: string, to: string) => {
  if (!demoText.includes(from)) throw new Error(`test setup: "${from}" is not in the demo config`);
  return () => parseConfig(demoText.replace(from, to), 'test.yaml');
};

describe('web chat settings and the page\'s view', () => {
  it('when an embedding origin has a path, a trailing slash or plain http to another host, then the config is refused naming it', () => {
    for (const origin of ['https://www.example.nhs.uk/', 'https://www.example.nhs.uk/chat', 'http://www.example.nhs.uk', '*']) {
      expect(broken('embedOrigins: ["http://localhost:8081"]', `embedOrigins: ["${origin}"]`), origin).to.throw(ConfigError, /webchat\.embedOrigins\[0\]: must be an origin/);
    }
    expect(broken('embedOrigins: ["http://localhost:8081"]', 'embedOrigins: ["https://www.school-nursing.example.nhs.uk", "http://127.0.0.1:9000"]')).not.to.throw();
  });

  it('when Quick exit would go to a plain-http site, or web chat settings have no chat address, then the config is refused', () => {
    expect(broken('exitUrl: https://www.bbc.co.uk/weather', 'exitUrl: http://www.bbc.co.uk/weather')).to.throw(ConfigError, /webchat\.exitUrl: must be an https address/);
    expect(broken('      webchat: school-nursing\n', '')).to.throw(ConfigError, /services\[0\]\.webchat: web chat settings need channels\.webchat/);
  });

  it('shows times as people say them, and the week in order with closed days named', () => {
    expect(['09:00', '16:30', '12:00', '00:00', '24:00', '13:05'].map(clockTime)).to.deep.equal(['9am', '4:30pm', 'midday', 'midnight', 'midnight', '1:05pm']);
    const [school] = loadConfig().services;
    const view = chatPageView(school, new Date('2026-11-24T10:00:00Z'), 'https://lamplight.example.nhs.uk/', false);
    expect(view.hours).to.deep.equal([
      { day: 'Monday', times: '9am to 5pm' }, { day: 'Tuesday', times: '9am to 5pm' }, { day: 'Wednesday', times: '9am to 5pm' },
      { day: 'Thursday', times: '9am to 5pm' }, { day: 'Friday', times: '9am to 4:30pm' }, { day: 'Saturday', times: 'Closed' }, { day: 'Sunday', times: 'Closed' },
    ]);
    expect(view).to.include({
      slug: 'school-nursing', serviceName: 'School Nursing', answeredBy: 'a school nurse', replyPromise: 'within one working day', openNow: true,
      statusLine: 'Open now, until 5pm today.', exitUrl: 'https://www.bbc.co.uk/weather', confidentiality: DEFAULT_CONFIDENTIALITY,
      directLineDomain: 'https://lamplight.example.nhs.uk/v3/directline', tokenUrl: '/api/webchat/school-nursing/token',
    });
    // A reply shows only while the page is open: the page offers the service's SMS number instead.
    expect(view.textNumber).to.deep.equal({ e164: '+447700900101', display: '07700 900101' });
  });

  it('says when a closed service opens again, in UK time (a Friday evening in summer time)', () => {
    const [school] = loadConfig().services;
    const view = chatPageView(school, new Date('2026-06-19T17:00:00Z'), 'http://localhost:3978', true);
    expect(view).to.include({ openNow: false, statusLine: 'Closed now. We open again at 9am on Monday 22 June.', embedded: true });
  });

  it('a token opens its own chat only until it expires, and any change to it is refused', () => {
    let now = Date.parse('2026-11-24T10:00:00Z');
    const tokens = new WebchatTokens([Buffer.alloc(32, 7)], () => now);
    const { token, expires_in } = tokens.issue({ conversationId: 'abc', userId: 'dl_user', endpoint: 'school-nursing' });
    expect(expires_in).to.equal(1800);
    expect(tokens.verify(token)).to.deep.equal({ claims: { conversationId: 'abc', userId: 'dl_user', endpoint: 'school-nursing', exp: now / 1000 + 1800, scope: 'chat' } });
    // A stream token opens the socket only, for a minute; a chat token does not open the socket.
    const stream = tokens.issue({ conversationId: 'abc', userId: 'dl_user', endpoint: 'school-nursing' }, 'stream');
    expect(stream.expires_in).to.equal(60);
    expect(tokens.verify(stream.token)).to.deep.equal({ problem: 'invalid' });
    expect(tokens.verify(token, 'stream')).to.deep.equal({ problem: 'invalid' });
    expect(tokens.verify(stream.token, 'stream')).to.have.property('claims');
    // After a data key rotation, a token signed with the previous key is expired, not a forgery.
    expect(new WebchatTokens([Buffer.alloc(32, 9), Buffer.alloc(32, 7)], () => now).verify(token)).to.deep.equal({ problem: 'expired' });
    const [h, p, sig] = token.split('.');
    const changed = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), conv: 'other' })).toString('base64url');
    expect(tokens.verify(`${h}.${changed}.${sig}`)).to.deep.equal({ problem: 'invalid' });
    expect(new WebchatTokens([Buffer.alloc(32, 8)], () => now).verify(token)).to.deep.equal({ problem: 'invalid' });
    expect(tokens.verify(undefined)).to.deep.equal({ problem: 'missing' });
    now += 1800 * 1000;
    expect(tokens.verify(token)).to.deep.equal({ problem: 'expired' });
  });

  it('limits token requests by IPv4 address, and by the /64 for IPv6 (one phone or household holds a whole /64)', () => {
    expect(addressKey('203.0.113.9')).to.equal('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).to.equal('203.0.113.9');
    expect(addressKey('2001:db8:85a3:0:1:2:3:4')).to.equal('2001:db8:85a3:0::/64');
    expect(addressKey('2001:db8:85a3::9')).to.equal(addressKey('2001:0db8:85a3:0000:ffff:1:2:3'));
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
  });
});
