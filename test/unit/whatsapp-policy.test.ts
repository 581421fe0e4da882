import { expect } from 'chai';
import { classifyGraphError, CUSTOMER_SERVICE_WINDOW_MS, splitText, WHATSAPP_TEXT_LIMIT } from '../../adapters/whatsapp/policy';
import { replyWindowOf } from '../../bot/outbox/send-guards';

/** The window as the send guards apply it to a WhatsApp conversation. */
const windowState = (lastInboundAt: number | null, now: number) => replyWindowOf({ channel: 'whatsapp', lastInboundAt }, now)!;

const MINUTE = 60_000;

describe('WhatsApp policy: Graph error classes', () => {
  const table: [string, { httpStatus?: number; code?: number }, string, boolean][] = [
    ['throughput rate limit', { httpStatus: 429, code: 130429 }, 'rate_limited', true],
    ['pair rate limit', { httpStatus: 400, code: 131056 }, 'rate_limited', true],
    ['WABA rate limit', { httpStatus: 400, code: 80007 }, 'rate_limited', true],
    ['app call limit', { httpStatus: 400, code: 4 }, 'rate_limited', true],
    ['API unknown', { httpStatus: 500, code: 1 }, 'transient', true],
    ['API service', { httpStatus: 503, code: 2 }, 'transient', true],
    ['something went wrong', { httpStatus: 500, code: 131000 }, 'transient', true],
    ['an unlisted code with a 5xx', { httpStatus: 502, code: 999_999 }, 'transient', true],
    ['a 5xx without a body', { httpStatus: 503 }, 'transient', true],
    ['a 429 without a code', { httpStatus: 429 }, 'rate_limited', true],
    ['re-engagement (window closed)', { httpStatus: 400, code: 131047 }, 'window_closed', false],
    ['expired or wrong token', { httpStatus: 401, code: 190 }, 'auth', false],
    ['message undeliverable', { httpStatus: 400, code: 131026 }, 'permanent', false],
    ['unsupported message type', { httpStatus: 400, code: 131051 }, 'permanent', false],
    ['media download error', { httpStatus: 400, code: 131052 }, 'permanent', false],
    ['business number not registered', { httpStatus: 400, code: 133010 }, 'permanent', false],
    ['template parameter count', { httpStatus: 400, code: 132000 }, 'permanent', false],
    ['template does not exist', { httpStatus: 404, code: 132001 }, 'permanent', false],
    ['invalid parameter', { httpStatus: 400, code: 100 }, 'permanent', false],
    ['an unlisted code with a 4xx', { httpStatus: 400, code: 999_999 }, 'permanent', false],
  ];
  for (const [name, failure, reason, retryable] of table) {
    it(`when Graph answers ${name} (${failure.code ?? '-'} / HTTP ${failure.httpStatus}), then it is ${reason}${retryable ? ', retried' : ', not retried'}`, () => {
      expect(classifyGraphError(failure)).to.deep.equal({ reason, retryable });
    });
  }
});

describe('WhatsApp policy: the 24-hour customer-service window', () => {
  const lastInboundAt = Date.UTC(2026, 0, 1, 9, 0, 0);

  it('when the contact wrote 23 h 59 min ago, then the window is open and says when it closes', () => {
    expect(windowState(lastInboundAt, lastInboundAt + 24 * 60 * MINUTE - MINUTE)).to.deep.equal({ open: true, closesAt: lastInboundAt + CUSTOMER_SERVICE_WINDOW_MS });
  });

  it('when the contact wrote 24 h 01 min ago, then the window is closed', () => {
    expect(windowState(lastInboundAt, lastInboundAt + 24 * 60 * MINUTE + MINUTE)).to.deep.equal({ open: false, closesAt: lastInboundAt + CUSTOMER_SERVICE_WINDOW_MS });
  });

  it('when exactly 24 h have passed, then the window is closed (Meta: within 24 hours)', () => {
    expect(windowState(lastInboundAt, lastInboundAt + CUSTOMER_SERVICE_WINDOW_MS).open).to.equal(false);
  });

  it('when the contact never wrote, then the window is closed', () => {
    expect(windowState(null, lastInboundAt)).to.deep.equal({ open: false, closesAt: null });
  });
});

describe('WhatsApp policy: splitting long texts', () => {
  it('when a text fits, then it goes as one message, unchanged', () => {
    const text = 'a'.repeat(WHATSAPP_TEXT_LIMIT);
    expect(splitText(text)).to.deep.equal([text]);
  });

  it('when a text is longer than 4096, then every chunk fits, cuts fall on spaces, and no word is lost', () => {
    const words = Array.from({ length: 1500 }, (_, i) => `word${i}`);
    const chunks = splitText(words.join(' '));
    expect(chunks.length).to.be.greaterThan(1);
    for (const chunk of chunks) expect(chunk.length).to.be.at.most(WHATSAPP_TEXT_LIMIT);
    expect(chunks.join(' ').split(' ')).to.deep.equal(words);
  });

  it('when a cut would fall inside an emoji, then the emoji moves whole to the next chunk', () => {
    const text = `${'x'.repeat(9)}😀${'y'.repeat(5)}`;
    const chunks = splitText(text, 10);
    expect(chunks).to.deep.equal(['x'.repeat(9), `😀${'y'.repeat(5)}`]);
    for (const chunk of chunks) expect(chunk).to.equal(Buffer.from(chunk, 'utf8').toString('utf8'));
  });

  it('when a run of emoji has no spaces, then no chunk starts or ends with half a surrogate pair', () => {
    const chunks = splitText('💊'.repeat(3000));
    expect(chunks.join('')).to.equal('💊'.repeat(3000));
    for (const chunk of chunks) {
      expect(chunk.length).to.be.at.most(WHATSAPP_TEXT_LIMIT);
      expect(chunk).to.not.match(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
  });
});
