import crypto from 'node:crypto';
import { YidangError } from '../../shared/errors.js';

// Passphrase-sealed data (key backups), version 1:
//
//   'YDPS' | version u8 = 1 | kdf u8 (1 = scrypt) | log2 N u8 | r u8 | p u8 | salt (16) | check (16)
//   | nonce (12) | AES-256-GCM ciphertext | tag (16) | SHA-256 of everything before it (32)
//
// scrypt yields 48 bytes: the first 32 are the AES key, the last 16 the stored check value, which tells a
// wrong passphrase apart from damaged data without weakening anything (guessing still costs one scrypt
// per try). The trailing SHA-256 catches accidental damage (a cut or flipped byte) before the KDF runs.
// Everything before the ciphertext is also GCM additional data, so deliberate edits fail the tag.

const MAGIC = Buffer.from('YDPS', 'ascii');
const VERSION = 1;
const KDF_SCRYPT = 1;
const LOG2_N = 15;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const CHECK_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DIGEST_BYTES = 32;
const HEADER_BYTES = MAGIC.length + 5 + SALT_BYTES + CHECK_BYTES + NONCE_BYTES;
// Bounds on parameters read from a file, so a crafted one cannot make opening take minutes or GBs.
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const MAX_P = 4;

const corrupt = (reason: string) =>
  new YidangError('BACKUP_CORRUPT', 'invalid', `备份数据已损坏或不完整：${reason}`);

function deriveKeys(passphrase: string, salt: Buffer, log2N: number, r: number, p: number) {
  // Normalised so the same passphrase typed through different input methods derives the same key.
  const secret = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  const N = 2 ** log2N;
  const maxmem = 128 * N * r + 128 * r * p + 2 ** 20;
  const derived = crypto.scryptSync(secret, salt, 32 + CHECK_BYTES, { N, r, p, maxmem });
  return { key: derived.subarray(0, 32), check: derived.subarray(32) };
}

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest();

export function sealWithPassphrase(plain: Buffer, passphrase: string): Buffer {
  const salt = crypto.randomBytes(SALT_BYTES);
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const { key, check } = deriveKeys(passphrase, salt, LOG2_N, R, P);
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION, KDF_SCRYPT, LOG2_N, R, P]), salt, check, nonce]);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([header, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([body, sha256(body)]);
}

export function openWithPassphrase(sealed: Buffer, passphrase: string): Buffer {
  if (sealed.length < HEADER_BYTES + TAG_BYTES + DIGEST_BYTES) throw corrupt('长度不足');
  if (!sealed.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('不是医档口令加密格式');
  const body = sealed.subarray(0, sealed.length - DIGEST_BYTES);
  if (!sha256(body).equals(sealed.subarray(body.length))) throw corrupt('校验和不符');
  const [version, kdf, log2N = 0, r = 0, p = 0] = body.subarray(MAGIC.length, MAGIC.length + 5);
  if (version !== VERSION || kdf !== KDF_SCRYPT) throw corrupt('格式版本不受支持');
  if (log2N < 10 || r < 1 || p < 1 || p > MAX_P || 128 * 2 ** log2N * r > MAX_SCRYPT_MEMORY) {
    throw corrupt('密钥派生参数超出范围');
  }
  const saltAt = MAGIC.length + 5;
  const salt = body.subarray(saltAt, saltAt + SALT_BYTES);
  const storedCheck = body.subarray(saltAt + SALT_BYTES, saltAt + SALT_BYTES + CHECK_BYTES);
  const nonce = body.subarray(HEADER_BYTES - NONCE_BYTES, HEADER_BYTES);
  const header = body.subarray(0, HEADER_BYTES);
  const ciphertext = body.subarray(HEADER_BYTES, body.length - TAG_BYTES);
  const tag = body.subarray(body.length - TAG_BYTES);

  const { key, check } = deriveKeys(passphrase, salt, log2N, r, p);
  if (!crypto.timingSafeEqual(check, storedCheck)) {
    throw new YidangError(
      'BACKUP_PASSPHRASE_WRONG',
      'invalid',
      '备份口令不正确，请检查后重试（注意大小写和全角、半角字符）',
    );
  }
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(header);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw corrupt('内容校验失败');
  }
}

/** At least 12 characters drawn from at least two of: lower case, upper case, digits, other. */
export function checkPassphraseStrength(passphrase: string): void {
  const characters = [...passphrase.normalize('NFC')];
  const classes = new Set(
    characters.map((c) =>
      /[a-z]/.test(c) ? 'lower' : /[A-Z]/.test(c) ? 'upper' : /[0-9]/.test(c) ? 'digit' : 'other',
    ),
  );
  if (characters.length < 12 || classes.size < 2) {
    throw new YidangError(
      'BACKUP_PASSPHRASE_WEAK',
      'invalid',
      '备份口令太弱：至少 12 个字符，并且至少包含小写字母、大写字母、数字、其他字符（如符号或汉字）中的两类。',
    );
  }
}
