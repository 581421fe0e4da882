import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidWhatsAppSignature, whatsappSignature } from '../../adapters/whatsapp/signature';
import { answerSubscriptionCheck } from '../../adapters/whatsapp/verification';

const APP_SECRET = 'test-app-secret-0123456789abcdef';
// Read from the source tree, not the compiled copy: the signature covers the file's exact bytes.
const RAW = readFileSync(join(__dirname, '../../../adapters/whatsapp/fixtures/inbound__text.json'));

describe('WhatsApp webhook signatures (X-Hub-Signature-256)', () => {
  const independentlyComputed = `sha256=${createHmac('sha256', APP_SECRET).update(RAW).digest('hex')}`;

  it('when Meta signs the exact raw bytes, then the signature is accepted', () => {
    expect(whatsappSignature(APP_SECRET, RAW)).to.equal(independentlyComputed);
    expect(isValidWhatsAppSignature(APP_SECRET, RAW, independentlyComputed)).to.equal(true);
  });

  it('when the hex digest is in upper case, then it is still accepted (hex is case-free)', () => {
    expect(isValidWhatsAppSignature(APP_SECRET, RAW, `sha256=${independentlyComputed.slice(7).toUpperCase()}`)).to.equal(true);
  });

  it('when the body was parsed and re-serialised with other spacing, then the same signature is refused', () => {
    const reserialised = JSON.stringify(JSON.parse(RAW.toString()));
    expect(reserialised).to.not.equal(RAW.toString());
    expect(isValidWhatsAppSignature(APP_SECRET, reserialised, independentlyComputed)).to.equal(false);
  });

  it('when the secret differs, then it is refused', () => {
    expect(isValidWhatsAppSignature(`${APP_SECRET}x`, RAW, independentlyComputed)).to.equal(false);
    expect(isValidWhatsAppSignature('', RAW, `sha256=${createHmac('sha256', '').update(RAW).digest('hex')}`)).to.equal(false);
  });

  it('when the header is missing, empty, has no sha256= prefix, is SHA-1 or is truncated, then it is refused', () => {
    const hex = independentlyComputed.slice('sha256='.length);
    for (const header of [undefined, '', hex, `sha1=${hex.slice(0, 40)}`, independentlyComputed.slice(0, -2), `${independentlyComputed}00`, 'sha256=zz']) {
      expect(isValidWhatsAppSignature(APP_SECRET, RAW, header), String(header)).to.equal(false);
    }
  });

  it('when one character of the digest changes, then it is refused', () => {
    const last = independentlyComputed.at(-1) === '0' ? '1' : '0';
    expect(isValidWhatsAppSignature(APP_SECRET, RAW, independentlyComputed.slice(0, -1) + last)).to.equal(false);
  });
});

describe('WhatsApp subscription check (GET hub.challenge)', () => {
  const TOKEN = 'verify-token-for-tests';
  const query = (fields: Record<string, string>) => new URLSearchParams(fields);

  it('when mode is subscribe and the token matches, then the challenge comes back as plain text with 200', () => {
    const response = answerSubscriptionCheck(query({ 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '1158201444' }), TOKEN);
    expect(response).to.deep.equal({ status: 200, contentType: 'text/plain; charset=utf-8', body: '1158201444' });
  });

  it('when the token differs, then 403 and the challenge is not echoed', () => {
    const response = answerSubscriptionCheck(query({ 'hub.mode': 'subscribe', 'hub.verify_token': `${TOKEN}!`, 'hub.challenge': '1158201444' }), TOKEN);
    expect(response.status).to.equal(403);
    expect(response.body).to.not.contain('1158201444');
  });

  it('when the mode is not subscribe, or the token or challenge is missing, then 403', () => {
    expect(answerSubscriptionCheck(query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '1' }), TOKEN).status).to.equal(403);
    expect(answerSubscriptionCheck(query({ 'hub.mode': 'subscribe', 'hub.challenge': '1' }), TOKEN).status).to.equal(403);
    expect(answerSubscriptionCheck(query({ 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN }), TOKEN).status).to.equal(403);
  });

  it('when no verify token is configured, then even an empty token is refused', () => {
    expect(answerSubscriptionCheck(query({ 'hub.mode': 'subscribe', 'hub.verify_token': '', 'hub.challenge': '1' }), '').status).to.equal(403);
  });
});
