import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Keyring } from '../../db/crypto';
import { contactLookupHash, normaliseAddress, openMessageBody, sealMessageBody } from '../../db/sealed-fields';

describe('field encryption', () => {
  const keyring = new Keyring(randomBytes(32));

  it('when a body is sealed and opened for the same row, then it round-trips, including emoji', () => {
    const sealed = sealMessageBody(keyring, 'm1', 'I took 💊 tonight');
    expect(sealed.bodyCipher).not.to.contain('took');
    expect(openMessageBody(keyring, { id: 'm1', ...sealed })).to.equal('I took 💊 tonight');
  });

  it('when the same text is sealed twice, then the ciphertexts differ (random nonce)', () => {
    expect(sealMessageBody(keyring, 'm1', 'same').bodyCipher).not.to.equal(sealMessageBody(keyring, 'm1', 'same').bodyCipher);
  });

  it('when a ciphertext is moved to another row, then it does not open', () => {
    const sealed = sealMessageBody(keyring, 'm1', 'secret');
    expect(() => openMessageBody(keyring, { id: 'm2', ...sealed })).to.throw();
  });

  it('when a ciphertext is altered, then it does not open', () => {
    const sealed = sealMessageBody(keyring, 'm1', 'secret');
    const raw = Buffer.from(sealed.bodyCipher, 'base64');
    raw[14] ^= 1;
    expect(() => openMessageBody(keyring, { id: 'm1', keyId: sealed.keyId, bodyCipher: raw.toString('base64') })).to.throw();
  });

  it('when the key is rotated, then old rows still open with the previous key and new rows use the new one', () => {
    const oldKey = randomBytes(32);
    const before = sealMessageBody(new Keyring(oldKey), 'm1', 'before rotation');
    const rotated = new Keyring(randomBytes(32), [oldKey]);
    expect(openMessageBody(rotated, { id: 'm1', ...before })).to.equal('before rotation');
    expect(sealMessageBody(rotated, 'm2', 'x').keyId).to.equal(rotated.currentKeyId).and.not.equal(before.keyId);
    expect(() => openMessageBody(new Keyring(randomBytes(32)), { id: 'm1', ...before })).to.throw(/no data key with id/);
  });

  it('when the same number is written differently, then the lookup hash is the same', () => {
    expect(normaliseAddress('sms', '07700 900555')).to.equal('+447700900555');
    expect(normaliseAddress('sms', '0044 7700 900555')).to.equal('+447700900555');
    expect(contactLookupHash(keyring, 'sms', '07700900555')).to.equal(contactLookupHash(keyring, 'sms', '+447700900555'));
    expect(contactLookupHash(keyring, 'sms', '+447700900555')).not.to.equal(contactLookupHash(keyring, 'whatsapp', '+447700900555'));
  });
});
