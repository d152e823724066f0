import crypto from 'node:crypto';
import { YidangError } from './errors.js';

// Field-level encryption of ID numbers (身份证号) at rest. A stored value is "v1:" + base64url of
// nonce | AES-256-GCM ciphertext | tag, so a database dump or backup shows no ID number; beside it a
// blind index — a keyed hash (HMAC-SHA-256, truncated to 128 bits) of the normalised number — lets
// exact look-up by ID work in SQL without decrypting anything.

const PREFIX = 'v1:';

interface FieldKeys {
  secret: Buffer;
  encryption: Buffer;
  index: Buffer;
  /** Keys for other keyed hashes, derived on first use by purpose. */
  derived: Map<string, Buffer>;
}

let active: FieldKeys | undefined;

function derive(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), `yidang field ${purpose}`, 32));
}

/** Sets the field key for this process (opened from YIDANG_HOME/keys with the system). */
export function useFieldKey(secret: Buffer): void {
  active = {
    secret,
    encryption: derive(secret, 'id-number encryption'),
    index: derive(secret, 'id-number index'),
    derived: new Map(),
  };
}

function keys(): FieldKeys {
  if (!active)
    throw new Error('the field key is not loaded: open the system (openSystem) before reading archives');
  return active;
}

const normalise = (idNumber: string) => idNumber.trim().toUpperCase();

export function sealIdNumber(idNumber: string | null | undefined): string | null {
  if (idNumber === null || idNumber === undefined || idNumber === '') return null;
  return sealText(idNumber);
}

/** Seals any text under the field key, as ID numbers are (for records that hold many of them). */
export function sealText(text: string): string {
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keys().encryption, nonce);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
}

/** The stored value in the clear; a value from before encryption (no prefix) is returned as it is. */
export function openIdNumber(stored: string | null | undefined): string | null {
  if (stored === null || stored === undefined) return null;
  if (!stored.startsWith(PREFIX)) return stored;
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', keys().encryption, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    // Never echo the stored value: it is all an attacker would need to try keys offline.
    throw new YidangError(
      'FIELD_KEY_MISMATCH',
      'invalid',
      '身份证号密文无法解密：字段密钥与数据库不符（YIDANG_HOME/keys/field.key 是否来自另一套系统？）',
    );
  }
}

export const isSealed = (stored: string | null | undefined) => stored?.startsWith(PREFIX) ?? false;

/** The blind index of an ID number (32 hex characters); null for none. */
export function idNumberIndex(idNumber: string | null | undefined): string | null {
  if (idNumber === null || idNumber === undefined || idNumber.trim() === '') return null;
  return crypto
    .createHmac('sha256', keys().index)
    .update(normalise(idNumber))
    .digest()
    .subarray(0, 16)
    .toString('hex');
}

/**
 * A keyed hash for `purpose` (its own key, derived from the field key): equal inputs give equal
 * values, and nobody without the key can test a guess against a stored one.
 */
export function keyedHash(purpose: string, text: string): Buffer {
  const fieldKeys = keys();
  let key = fieldKeys.derived.get(purpose);
  if (!key) {
    key = derive(fieldKeys.secret, purpose);
    fieldKeys.derived.set(purpose, key);
  }
  return crypto.createHmac('sha256', key).update(text, 'utf8').digest();
}

/** Opens text sealed with sealText. */
export const openText = (stored: string): string => openIdNumber(stored) ?? '';
