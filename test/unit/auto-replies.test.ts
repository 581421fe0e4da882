import { expect } from 'chai';
import { AutoReplyInput, consentKeyword, decideAutoReplies } from '../../bot/gateway/auto-replies';
import { DEMO_CONFIG_PATH, loadConfig, parseConfig } from '../../bot/config/services';
import { readFileSync } from 'node:fs';

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

  it('when a first message is high risk, then the safety text is the only automatic reply, and it says who will answer and when', () => {
    const inHours = decide({ risk: 'high', conversationRisk: 'high', conversationIsNew: true, awaitingHumanReply: true });
    expect(inHours.map((r) => r.kind)).to.deep.equal(['safety']);
    expect(inHours[0].text).to.contain('999').and.contain('NHS 111').and.contain('85258').and.contain('0800 1111');
    expect(inHours[0].text).to.contain('will reply within 15 minutes').and.contain('private unless');
    expect(inHours[0].text).not.to.contain('{');

    // Out of hours: the closed-hours safety text, which promises no reply tonight, alone.
    const sunday11pm = new Date('2026-11-29T23:00:00Z');
    const closed = decide({ risk: 'high', conversationRisk: 'high', conversationIsNew: true, awaitingHumanReply: true, now: sunday11pm });
    expect(closed.map((r) => r.kind)).to.deep.equal(['safety']);
    expect(closed[0].text).to.contain("don't wait for us").and.contain('when we open').and.not.contain('within 15 minutes');
    // A photo as the first, high-risk message (its caption read as high): still the safety text alone.
    expect(decide({ risk: 'high', conversationRisk: 'high', conversationIsNew: true, awaitingHumanReply: true, notText: true }).map((r) => r.kind)).to.deep.equal(['safety']);
  });

  it('the safety text goes at most once an hour; a medium message gets the routine welcome', () => {
    expect(decide({ risk: 'high', conversationRisk: 'high', lastSent: { safety: TUESDAY_10AM.getTime() - 61 * 60_000 } }).map((r) => r.kind)).to.deep.equal(['safety']);
    expect(decide({ risk: 'medium', conversationRisk: 'medium', conversationIsNew: true, awaitingHumanReply: true }).map((r) => r.kind)).to.deep.equal(['welcome']);
  });

  it('while a high-risk conversation has no reply from a person, a further message gets the short holding reply, at most every 30 minutes counted from the safety text too', () => {
    const waiting = { conversationRisk: 'high' as const, awaitingHumanReply: true };
    const at = TUESDAY_10AM.getTime();
    // 10 minutes after the safety text: nothing more (they have just been given the numbers).
    expect(decide({ ...waiting, lastSent: { safety: at - 10 * 60_000 } })).to.deep.equal([]);
    // 31 minutes after it: the holding reply, and never the welcome or the closed notice.
    const holding = decide({ ...waiting, lastSent: { safety: at - 31 * 60_000 } });
    expect(holding.map((r) => r.kind)).to.deep.equal(['holding']);
    expect(holding[0].text).to.contain('We have your message').and.contain('999');
    expect(decide({ ...waiting, now: new Date('2026-11-29T23:00:00Z'), lastSent: { safety: Date.parse('2026-11-29T22:00:00Z') } }).map((r) => r.kind)).to.deep.equal(['holding']);
    expect(decide({ ...waiting, lastSent: { safety: at - 90 * 60_000, holding: at - 20 * 60_000 } })).to.deep.equal([]);
    // Once a person has replied, the conversation is answered: no holding reply.
    expect(decide({ conversationRisk: 'high', awaitingHumanReply: false, lastSent: { safety: at - 120 * 60_000 } })).to.deep.equal([]);
    // A medium conversation waiting: no holding reply (it is for high risk).
    expect(decide({ conversationRisk: 'medium', awaitingHumanReply: true })).to.deep.equal([]);
  });

  it('refuses a config whose text uses {urgentReplyPromise} without the service setting one', () => {
    const text = readFileSync(DEMO_CONFIG_PATH, 'utf8').replace(/    urgentReplyPromise:\n      minutes: 15\n      wording: within 15 minutes\n/, '');
    expect(() => parseConfig(text, 'test.yaml')).to.throw(/uses \{urgentReplyPromise\}, but the service sets no urgentReplyPromise/);
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
