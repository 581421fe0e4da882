import { expect } from 'chai';
import { loadConfig } from '../../bot/config/services';
import { renderReplyTemplate, replyTemplateFor, replyWindowOf, sendRefusal, templatePreview, templateReplyLimit } from '../../bot/outbox/send-guards';

const service = loadConfig().services[0];
const template = service.whatsapp!.replyTemplate!;
const HOUR = 3_600_000;
const active = { consent: 'active' as const, blockedAt: null };

describe('send guards and the reply window', () => {
  it('when a WhatsApp contact last wrote under 24 hours ago the window is open; at 24 hours it has closed; SMS has none', () => {
    expect(replyWindowOf({ channel: 'whatsapp', lastInboundAt: 0 }, 24 * HOUR - 1)).to.deep.equal({ open: true, closesAt: 24 * HOUR });
    expect(replyWindowOf({ channel: 'whatsapp', lastInboundAt: 0 }, 24 * HOUR)).to.deep.equal({ open: false, closesAt: 24 * HOUR });
    expect(replyWindowOf({ channel: 'whatsapp', lastInboundAt: null }, 0)).to.deep.equal({ open: false, closesAt: null });
    expect(replyWindowOf({ channel: 'sms', lastInboundAt: 0 }, 100 * HOUR)).to.equal(undefined);
  });

  it('when the window has closed, then a send is refused unless it may go as a template; only a clinician\'s WhatsApp reply may', () => {
    const window = { conversation: { channel: 'whatsapp' as const, lastInboundAt: 0 }, now: 25 * HOUR };
    expect(sendRefusal({ contact: active, window })?.code).to.equal('reply_window_closed');
    expect(sendRefusal({ contact: active, window: { ...window, template } })).to.equal(undefined);
    expect(replyTemplateFor(service, { channel: 'whatsapp' }, 'clinician')).to.equal(template);
    expect(replyTemplateFor(service, { channel: 'whatsapp' }, 'auto')).to.equal(undefined);
    expect(replyTemplateFor(service, { channel: 'sms' }, 'clinician')).to.equal(undefined);
    // Opt-out and blocking still win over a template.
    expect(sendRefusal({ contact: { consent: 'opted_out', blockedAt: null }, window: { ...window, template } })?.code).to.equal('contact_opted_out');
  });

  it('when a reply goes inside the template, then it is one line Meta accepts, and one too long for a template is refused with the reason', () => {
    const rendered = renderReplyTemplate(template, service, 'whatsapp', '  Hi Sam,\r\n\r\nAre you OK?\tCall\u0020\u0020\u0020\u0020\u0020\u0020us.  ');
    expect(rendered).to.deep.equal({ name: 'lamplight_reply', language: 'en_GB', parameters: ['School Nursing', 'Hi Sam, Are you OK? Call    us.'] });
    // The approved body (73 characters of its own plus the service's name) leaves 928 of Meta's 1,024.
    expect(templateReplyLimit(template, service, 'whatsapp')).to.equal(928);
    expect(templatePreview(template, service, '[your reply]')).to.equal('The School Nursing team has replied to your message: [your reply] (Reply here to carry on the conversation.)');
    const tooLong = renderReplyTemplate(template, service, 'whatsapp', 'x'.repeat(929));
    expect(tooLong).to.include({ code: 'reply_too_long_for_template' });
    expect(renderReplyTemplate(template, service, 'whatsapp', 'x'.repeat(928))).to.not.have.property('code');
    // Without the body in the config, the cautious allowance.
    expect(templateReplyLimit({ ...template, body: undefined }, service, 'whatsapp')).to.equal(900);
  });
});
