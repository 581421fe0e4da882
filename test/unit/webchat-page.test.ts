import { expect } from 'chai';
import { chatAssets, selfContainedNhsukCss } from '../../adapters/webchat/page/assets';
import { renderChatPage } from '../../adapters/webchat/page/render';
import type { ChatPageView } from '../../adapters/webchat/page/view';

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> " \' & </script><!--';

const view = (overrides: Partial<ChatPageView> = {}): ChatPageView => ({
  slug: 'school-nursing',
  serviceName: 'School Nursing',
  organisation: 'Lamplight Demo Community NHS Trust',
  answeredBy: 'a school nurse',
  replyPromise: 'within one working day',
  hours: [{ day: 'Monday', times: '9am to 5pm' }, { day: 'Saturday', times: 'Closed' }],
  openNow: true,
  statusLine: 'Open now until 5pm',
  confidentiality: 'What you tell us is confidential unless we are worried you or someone else is at risk of harm.',
  exitUrl: 'https://www.bbc.co.uk/weather',
  embedded: false,
  directLineDomain: 'https://lamplight.example/v3/directline',
  tokenUrl: '/api/webchat/school-nursing/token',
  assetBase: '/chat/assets',
  ...overrides,
});

/** The settings the page hands its script, read back as the script reads them. */
function pageConfig(html: string): Record<string, unknown> {
  const block = /<script type="application\/json" id="lp-config">([\s\S]*?)<\/script>/.exec(html);
  expect(block, 'the config block').to.not.equal(null);
  return JSON.parse(block![1]);
}

describe('web chat page: the HTML', () => {
  it('when every text in the view is hostile markup, then none of it becomes markup, and the script still gets the exact strings', () => {
    const hostileView = view({
      serviceName: HOSTILE, organisation: HOSTILE, answeredBy: HOSTILE, replyPromise: HOSTILE, statusLine: HOSTILE, confidentiality: HOSTILE,
      hours: [{ day: HOSTILE, times: HOSTILE }], exitUrl: `https://x.example/"><script>alert(3)</script>`, slug: HOSTILE,
    });
    const html = renderChatPage(hostileView);
    expect(html).to.not.contain('<script>alert');
    expect(html).to.not.contain('<img');
    expect(html).to.not.contain('<!--');
    expect(html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &quot; &#39; &amp;');
    // Exactly the page's own script elements: the JSON block and two with src.
    expect(html.match(/<script/g)).to.have.length(3);
    const config = pageConfig(html);
    expect(config).to.include({ serviceName: HOSTILE, answeredBy: HOSTILE, slug: HOSTILE, exitUrl: hostileView.exitUrl });
  });

  it('has no inline script, inline style or outside address that the CSP (self only) would refuse', () => {
    const html = renderChatPage(view());
    expect(html).to.not.match(/\sstyle=/);
    expect(html).to.not.match(/\son[a-z]+=/i);
    expect(html).to.not.match(/<style/);
    for (const [, attributes] of html.matchAll(/<script([^>]*)>/g)) expect(attributes).to.match(/type="application\/json"|src="\/chat\/assets\//);
    const addresses = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(addresses.filter((a) => /^(https?:)?\/\//.test(a))).to.deep.equal(['https://www.bbc.co.uk/weather']);
  });

  it('names the page\'s parts for assistive technology: banner, main, the log, the help, the labelled message box and Send', () => {
    const html = renderChatPage(view());
    expect(html).to.match(/<html lang="en-GB"/);
    expect(html).to.contain('<title>School Nursing chat</title>');
    expect(html).to.match(/<header [^>]*role="banner"/);
    expect(html).to.contain('<main');
    expect(html).to.match(/role="log"[^>]*aria-live="off"/);
    expect(html).to.match(/id="lp-announcer" aria-live="polite"/);
    expect(html).to.match(/<label [^>]*for="lp-text">Your message<\/label>/);
    expect(html).to.match(/<textarea [^>]*id="lp-text"/);
    expect(html).to.match(/<button [^>]*type="submit">Send<\/button>/);
    expect(html).to.match(/<h2 [^>]*>Need help now\?<\/h2>/);
    for (const link of ['tel:999', 'tel:111', 'sms:85258?&amp;body=SHOUT', 'tel:08001111']) expect(html).to.contain(`href="${link}"`);
  });

  it('puts Quick exit first in the document, before any other link or control, pointing at the neutral site', () => {
    const html = renderChatPage(view());
    const firstFocusable = /<(a|button|textarea|input|select)\b[^>]*>/.exec(html.slice(html.indexOf('<body')))!;
    expect(firstFocusable[0]).to.contain('id="lp-quick-exit"').and.contain('href="https://www.bbc.co.uk/weather"').and.contain('rel="noreferrer"');
  });

  it('when the exit address is not a web address, then Quick exit goes to a blank page instead', () => {
    const html = renderChatPage(view({ exitUrl: 'javascript:alert(1)' }));
    expect(html).to.not.contain('javascript:');
    expect(pageConfig(html)).to.include({ exitUrl: 'about:blank' });
  });

  it('shows the service, organisation, status, hours, who answers, the reply promise and the confidentiality notice', () => {
    const html = renderChatPage(view({ openNow: false, statusLine: 'Closed now. Opens at 9am on Monday 7 December.' }));
    expect(html).to.contain('Chat with the School Nursing team');
    expect(html).to.contain('Lamplight Demo Community NHS Trust');
    expect(html).to.contain('Closed now. Opens at 9am on Monday 7 December.');
    expect(html).to.contain('lp-status--closed');
    expect(html).to.contain('A school nurse will reply within one working day.');
    expect(html).to.match(/<dt>Saturday<\/dt><dd>Closed<\/dd>/);
    expect(html).to.contain('What you tell us is confidential');
  });

  it('when embedded in the widget, then the NHS.UK header is left to the host page and the script is told', () => {
    const html = renderChatPage(view({ embedded: true }));
    expect(html).to.not.contain('<header');
    expect(html).to.contain('class="lp-embedded"');
    expect(pageConfig(html)).to.include({ embedded: true });
  });
});

describe('web chat page: the assets', () => {
  const assets = chatAssets();

  it('serves the page\'s client, styles, widget, NHS.UK CSS and the official Direct Line client, each with its type', () => {
    expect([...assets.keys()]).to.include.members(['chat.js', 'chat.css', 'widget.js', 'nhsuk.css', 'directline.js', 'favicon.svg']);
    expect(assets.get('chat.js')!.contentType).to.equal('text/javascript; charset=utf-8');
    expect(assets.get('nhsuk.css')!.contentType).to.equal('text/css; charset=utf-8');
    expect(assets.get('directline.js')!.body.toString()).to.contain('DirectLine');
  });

  it('the NHS.UK CSS asks nothing of another site: no Frutiger from assets.nhs.uk, icons beside it', () => {
    const css = assets.get('nhsuk.css')!.body.toString();
    expect(css).to.not.contain('@font-face');
    expect(css).to.not.contain('assets.nhs.uk');
    expect(css).to.not.match(/url\(\s*['"]?(https?:)?\/\//);
    for (const [, icon] of css.matchAll(/url\(\s*['"]?([^)'"]+)/g)) if (!icon.startsWith('data:')) expect(assets.has(icon), icon).to.equal(true);
  });

  it('refuses NHS.UK CSS that would still load something from outside', () => {
    expect(() => selfContainedNhsukCss('a{background:url(https://tracker.example/x.png)}')).to.throw(/outside Lamplight/);
  });

  it('the browser scripts are plain ES2019: they parse as scripts, with no optional chaining or nullish coalescing', () => {
    for (const name of ['chat.js', 'widget.js']) {
      const source = assets.get(name)!.body.toString();
      expect(() => new Function(source), name).to.not.throw();
      expect(source.replace(/\/\/.*$/gm, ''), name).to.not.match(/\?\.[a-zA-Z_$[(]|\?\?/);
    }
  });

  it('the page script never puts text on the page as markup', () => {
    for (const name of ['chat.js', 'widget.js']) expect(assets.get(name)!.body.toString(), name).to.not.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});
