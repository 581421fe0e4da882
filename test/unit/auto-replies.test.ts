import { expect } from 'chai';
import { AutoReplyInput, consentKeyword, decideAutoReplies } from '../../bot/gateway/auto-replies';
import { loadConfig } from '../../bot/config/services';

const service = loadConfig().services.find((s) => s.slug === 'school-nursing')!;
const TUESDAY_10AM = new Date('2026-11-24T10:00:00Z');
const SATURDAY = new Date('2026-11-28T11:00:00Z');
const decide = (overrides: Partial<AutoReplyInput>) =>
  decideAutoReplies({ service, now: TUESDAY_10AM, risk: 'none', conversationIsNew: false, keyword: undefined, consentBefore: 'active', lastSent: {}, ...overrides });

describe('auto-reply decisions', () => {
  it('when a new conversation starts in hours, then only the welcome is sent, naming service and organisation', () => {
    const replies = decide({ conversationIsNew: true });
    expect(replies.map((r) => r.kind)).to.deep.equal(['welcome']);
    expect(replies[0].text).to.contain('School Nursing').and.contain('Lamplight Demo Community NHS Trust').and.contain('within one working day');
  });

  it('when a new conversation starts at the weekend, then welcome and out-of-hours go, the latter naming the next opening', () => {
    const replies = decide({ conversationIsNew: true, now: SATURDAY });
    expect(replies.map((r) => r.kind)).to.deep.equal(['welcome', 'out_of_hours']);
    expect(replies[1].text).to.contain('9am on Monday 30 November');
  });

  it('when an out-of-hours reply went within the interval, then no second one is sent', () => {
    const replies = decide({ now: SATURDAY, lastSent: { out_of_hours: SATURDAY.getTime() - 60 * 60_000 } });
    expect(replies).to.deep.equal([]);
  });

  it('when the interval has passed, then the out-of-hours reply is sent again', () => {
    const replies = decide({ now: SATURDAY, lastSent: { out_of_hours: SATURDAY.getTime() - 721 * 60_000 } });
    expect(replies.map((r) => r.kind)).to.deep.equal(['out_of_hours']);
  });

  it('when STOP arrives, then only the opt-out confirmation is sent, marked as a consent notice', () => {
    const replies = decide({ keyword: 'stop', conversationIsNew: true, now: SATURDAY });
    expect(replies.map((r) => [r.kind, r.consentNotice])).to.deep.equal([['opt_out', true]]);
  });

  it('when an opted-out contact writes anything but START, then nothing is sent', () => {
    expect(decide({ consentBefore: 'opted_out', conversationIsNew: true, now: SATURDAY })).to.deep.equal([]);
    expect(decide({ consentBefore: 'opted_out', keyword: 'stop' })).to.deep.equal([]);
  });

  it('when START arrives after STOP, then the opt-in confirmation is sent; when already active, nothing', () => {
    expect(decide({ consentBefore: 'opted_out', keyword: 'start' }).map((r) => r.kind)).to.deep.equal(['opt_in']);
    expect(decide({ consentBefore: 'active', keyword: 'start' })).to.deep.equal([]);
  });

  it('when a message is high risk, then the safety signposting goes first, at any hour, at most once an hour', () => {
    const sunday11pm = new Date('2026-11-29T23:00:00Z');
    const replies = decide({ risk: 'high', conversationIsNew: true, now: sunday11pm });
    expect(replies.map((r) => r.kind)).to.deep.equal(['safety', 'welcome', 'out_of_hours']);
    expect(replies[0].text).to.contain('999').and.contain('NHS 111').and.contain('85258').and.contain('0800 1111').and.contain('116 123');
    expect(decide({ risk: 'high', now: sunday11pm, lastSent: { safety: sunday11pm.getTime() - 30 * 60_000, out_of_hours: sunday11pm.getTime() - 60_000 } })).to.deep.equal([]);
    expect(decide({ risk: 'high', lastSent: { safety: TUESDAY_10AM.getTime() - 61 * 60_000 } }).map((r) => r.kind)).to.deep.equal(['safety']);
    expect(decide({ risk: 'medium', conversationIsNew: true }).map((r) => r.kind)).to.deep.equal(['welcome']);
  });

  it('recognises Twilio\'s SMS keywords as whole messages only', () => {
    expect(consentKeyword('sms', ' Stop ')).to.equal('stop');
    expect(consentKeyword('sms', 'UNSUBSCRIBE')).to.equal('stop');
    expect(consentKeyword('sms', 'stop.')).to.equal('stop');
    expect(consentKeyword('sms', 'start')).to.equal('start');
    expect(consentKeyword('sms', 'please stop my mum finding out')).to.equal(undefined);
    expect(consentKeyword('sms', 'I want it to end')).to.equal(undefined);
    expect(consentKeyword('webchat', 'quit')).to.equal(undefined);
  });

  it('when a photo or voice note arrives, then the "text only" reply goes after the welcome, once per interval, and never to someone who opted out', () => {
    expect(decide({ conversationIsNew: true, notText: true }).map((r) => r.kind)).to.deep.equal(['welcome', 'text_only']);
    expect(decide({ notText: true })[0].text).to.contain('The School Nursing team can only read typed words');
    expect(decide({ notText: true, lastSent: { text_only: TUESDAY_10AM.getTime() - 60_000 } })).to.deep.equal([]);
    expect(decide({ notText: true, consentBefore: 'opted_out' })).to.deep.equal([]);
    expect(decide({ notText: false }).map((r) => r.kind)).to.deep.equal([]);
  });
});
