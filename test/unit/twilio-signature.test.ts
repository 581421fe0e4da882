import { expect } from 'chai';
import twilio from 'twilio';
import { isValidTwilioSignature, twilioSignature } from '../../adapters/sms/signature';
import inbound from '../../adapters/sms/fixtures/inbound__text.json';

const TOKEN = '12345678901234567890123456789012';
const URL = 'https://lamplight.example.nhs.uk/api/sms/twilio';

describe('Twilio request signatures', () => {
  const fields = new URLSearchParams(inbound);

  it('when Twilio\'s own library signs a webhook, then our check accepts it', () => {
    const signature = twilio.getExpectedTwilioSignature(TOKEN, URL, Object.fromEntries(fields));
    expect(isValidTwilioSignature(TOKEN, URL, fields, signature)).to.equal(true);
  });

  it('when we sign a webhook, then Twilio\'s own validator accepts it', () => {
    expect(twilio.validateRequest(TOKEN, twilioSignature(TOKEN, URL, fields), URL, Object.fromEntries(fields))).to.equal(true);
  });

  it('when one byte of a field changes, then the signature no longer matches', () => {
    const signature = twilio.getExpectedTwilioSignature(TOKEN, URL, Object.fromEntries(fields));
    const tampered = new URLSearchParams(fields);
    tampered.set('Body', fields.get('Body')!.replace('periods', 'periodz'));
    expect(isValidTwilioSignature(TOKEN, URL, tampered, signature)).to.equal(false);
  });

  it('when one character of the signature changes, or it is missing, then it is refused', () => {
    const signature = twilio.getExpectedTwilioSignature(TOKEN, URL, Object.fromEntries(fields));
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(isValidTwilioSignature(TOKEN, URL, fields, flipped)).to.equal(false);
    expect(isValidTwilioSignature(TOKEN, URL, fields, undefined)).to.equal(false);
    expect(isValidTwilioSignature(TOKEN, URL, fields, '')).to.equal(false);
  });

  it('when the URL or the auth token differs, then it is refused', () => {
    const signature = twilioSignature(TOKEN, URL, fields);
    expect(isValidTwilioSignature(TOKEN, URL.replace('https', 'http'), fields, signature)).to.equal(false);
    expect(isValidTwilioSignature(TOKEN.replace('1', '9'), URL, fields, signature)).to.equal(false);
  });
});
