import { expect } from 'chai';
import { classifyTwilioError, SMS_TEXT_LIMIT } from '../../adapters/sms/policy';

describe('SMS policy (Twilio errors)', () => {
  it('when Twilio throttles or has trouble, then the send is retried; when this message or the credentials are wrong, then not', () => {
    expect(classifyTwilioError({ httpStatus: 429, code: 20429 })).to.deep.equal({ reason: 'rate_limited', retryable: true });
    expect(classifyTwilioError({ httpStatus: 503 })).to.deep.equal({ reason: 'transient', retryable: true });
    expect(classifyTwilioError({})).to.deep.equal({ reason: 'transient', retryable: true });
    expect(classifyTwilioError({ httpStatus: 401, code: 20003 })).to.deep.equal({ reason: 'auth', retryable: false });
    expect(classifyTwilioError({ httpStatus: 400, code: 21610 })).to.deep.equal({ reason: 'permanent', retryable: false });
    expect(classifyTwilioError({ httpStatus: 400, code: 99999 })).to.deep.equal({ reason: 'permanent', retryable: false });
    expect(SMS_TEXT_LIMIT).to.equal(1600);
  });
});
