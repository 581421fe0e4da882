import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Field encryption for data at rest (DESIGN.md, Data): AES-256-GCM with a random 96-bit nonce,
 * the key id stored beside each ciphertext, and the row identity bound as associated data so a
 * ciphertext copied into another row or column fails to decrypt.
 *
 * Two keys are derived from one master key with HKDF, so the lookup HMAC can never be used to
 * decrypt and the encryption key never appears in an index.
 */
export interface Sealed {
  keyId: string;
  cipher: string;
}

interface DerivedKey {
  id: string;
  encryptionKey: Buffer;
  lookupKey: Buffer;
  /** Signs the web chat's short-lived Direct Line tokens (HMAC): never used to encrypt. */
  tokenKey: Buffer;
}

function derive(master: Buffer): DerivedKey {
  if (master.length !== 32) throw new Error('DATA_KEY must be 32 bytes, base64-encoded');
  const expand = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  const id = createHash('sha256').update(expand('lamplight/key-id/v1')).digest('hex').slice(0, 12);
  return { id, encryptionKey: expand('lamplight/encryption/v1'), lookupKey: expand('lamplight/lookup/v1'), tokenKey: expand('lamplight/webchat-token/v1') };
}

export class Keyring {
  private readonly current: DerivedKey;
  private readonly byId = new Map<string, DerivedKey>();

  /** `previous` keys stay readable after a rotation; new rows always use `current`. */
  constructor(current: Buffer, previous: Buffer[] = []) {
    this.current = derive(current);
    for (const key of [this.current, ...previous.map(derive)]) this.byId.set(key.id, key);
  }

  static fromBase64(current: string, previous: string[] = []): Keyring {
    return new Keyring(Buffer.from(current, 'base64'), previous.map((p) => Buffer.from(p, 'base64')));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plain: string, associatedData: string): Sealed {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.encryptionKey, nonce);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return { keyId: this.current.id, cipher: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64') };
  }

  open(sealed: Sealed, associatedData: string): string {
    const key = this.byId.get(sealed.keyId);
    if (!key) throw new Error(`no data key with id ${sealed.keyId} is loaded`);
    const raw = Buffer.from(sealed.cipher, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key.encryptionKey, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
  }

  /**
   * The keys that sign web chat tokens: the current data key's first (it signs), then the previous
   * keys' (a token they signed is recognised as expired, not as a forgery, after a rotation).
   */
  get tokenSigningKeys(): Buffer[] {
    return [this.current.tokenKey, ...[...this.byId.values()].filter((k) => k !== this.current).map((k) => k.tokenKey)];
  }

  /** Deterministic lookup value for an address; always computed with the current key. */
  lookupHash(value: string): string {
    return createHmac('sha256', this.current.lookupKey).update(value, 'utf8').digest('hex');
  }
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare digests so the lengths match and the comparison time does not reveal the length.
  const l = createHash('sha256').update(left).digest();
  const r = createHash('sha256').update(right).digest();
  return timingSafeEqual(l, r) && left.length === right.length;
}
