import crypto from 'node:crypto';
import { YidangError } from '../../shared/errors.js';

// Field-level encryption of ID numbers (身份证号) at rest. A stored value is "v1:" + base64url of
// nonce | AES-256-GCM ciphertext | tag, so a database dump or backup shows no ID number; beside it a
// blind index — a keyed hash (HMAC-SHA-256, truncated to 128 bits) of the normalised number — lets
// exact look-up by ID work in SQL without decrypting anything.

const PREFIX = 'v1:';

interface FieldKeys {
  encryption: Buffer;
  index: Buffer;
}

let active: FieldKeys | undefined;

function derive(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), `yidang field ${purpose}`, 32));
}

/** Sets the field key for this process (opened from YIDANG_HOME/keys with the system). */
export function useFieldKey(secret: Buffer): void {
  active = { encryption: derive(secret, 'id-number encryption'), index: derive(secret, 'id-number index') };
}

function keys(): FieldKeys {
  if (!active)
    throw new Error('the field key is not loaded: open the system (openSystem) before reading archives');
  return active;
}

const normalise = (idNumber: string) => idNumber.trim().toUpperCase();

export function sealIdNumber(idNumber: string | null | undefined): string | null {
  if (idNumber === null || idNumber === undefined || idNumber === '') return null;
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keys().encryption, nonce);
  const body = Buffer.concat([cipher.update(idNumber, 'utf8'), cipher.final()]);
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
