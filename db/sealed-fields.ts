import { Keyring } from './crypto';
import type { Channel, Contact, Message } from './entities';

/**
 * The encrypted columns and the associated data that binds each ciphertext to its row and field:
 * a body moved to another message, or an address moved to another contact, will not decrypt.
 */
const messageBodyAad = (messageId: string) => `message:${messageId}:body`;
const contactAddressAad = (contactId: string) => `contact:${contactId}:address`;
const noteBodyAad = (noteId: string) => `note:${noteId}:body`;
const workMobileAad = (staffId: string) => `staff:${staffId}:work-mobile`;

export function sealNoteBody(keyring: Keyring, noteId: string, body: string): { bodyCipher: string; keyId: string } {
  const sealed = keyring.seal(body, noteBodyAad(noteId));
  return { bodyCipher: sealed.cipher, keyId: sealed.keyId };
}

export function openNoteBody(keyring: Keyring, note: { id: string; bodyCipher: string; keyId: string }): string {
  return keyring.open({ cipher: note.bodyCipher, keyId: note.keyId }, noteBodyAad(note.id));
}

const messageTriageAad = (messageId: string) => `message:${messageId}:triage`;

export function sealTriage(keyring: Keyring, messageId: string, reasons: unknown): string {
  // The key id is the body's: both are written in the same insert with the current key.
  return keyring.seal(JSON.stringify(reasons), messageTriageAad(messageId)).cipher;
}

export function openTriage<T>(keyring: Keyring, message: Pick<Message, 'id' | 'triageCipher' | 'keyId'>): T | null {
  if (!message.triageCipher) return null;
  return JSON.parse(keyring.open({ cipher: message.triageCipher, keyId: message.keyId }, messageTriageAad(message.id))) as T;
}

export function sealMessageBody(keyring: Keyring, messageId: string, body: string): Pick<Message, 'bodyCipher' | 'keyId'> {
  const sealed = keyring.seal(body, messageBodyAad(messageId));
  return { bodyCipher: sealed.cipher, keyId: sealed.keyId };
}

export function openMessageBody(keyring: Keyring, message: Pick<Message, 'id' | 'bodyCipher' | 'keyId'>): string {
  return keyring.open({ cipher: message.bodyCipher, keyId: message.keyId }, messageBodyAad(message.id));
}

export function sealContactAddress(keyring: Keyring, contactId: string, address: string): Pick<Contact, 'addressCipher' | 'keyId'> {
  const sealed = keyring.seal(address, contactAddressAad(contactId));
  return { addressCipher: sealed.cipher, keyId: sealed.keyId };
}

export function openContactAddress(keyring: Keyring, contact: Pick<Contact, 'id' | 'addressCipher' | 'keyId'>): string {
  return keyring.open({ cipher: contact.addressCipher, keyId: contact.keyId }, contactAddressAad(contact.id));
}

/**
 * One spelling per address so a returning contact is found: UK national SMS numbers become
 * E.164 (+44...), WhatsApp ids gain a +, spaces and punctuation go.
 */
export function normaliseAddress(channel: Channel, address: string): string {
  const trimmed = address.trim();
  if (channel === 'webchat') return trimmed;
  let digits = trimmed.replace(/[\s().-]/g, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  else if (/^0\d{10}$/.test(digits)) digits = `+44${digits.slice(1)}`;
  else if (/^\d+$/.test(digits)) digits = `+${digits}`;
  return digits;
}

export function contactLookupHash(keyring: Keyring, channel: Channel, address: string): string {
  return keyring.lookupHash(`${channel}:${normaliseAddress(channel, address)}`);
}

export function sealWorkMobile(keyring: Keyring, staffId: string, number: string): { workMobileCipher: string; workMobileKeyId: string } {
  const sealed = keyring.seal(number, workMobileAad(staffId));
  return { workMobileCipher: sealed.cipher, workMobileKeyId: sealed.keyId };
}

/** A member of staff's work mobile (E.164), or null when they gave none. */
export function openWorkMobile(keyring: Keyring, staff: { id: string; workMobileCipher: string | null; workMobileKeyId: string | null }): string | null {
  if (!staff.workMobileCipher || !staff.workMobileKeyId) return null;
  return keyring.open({ cipher: staff.workMobileCipher, keyId: staff.workMobileKeyId }, workMobileAad(staff.id));
}
