import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { invalid } from '../../shared/errors.js';

// Passwords (口令) hashed with scrypt, which Node ships: no native add-on to build on a county
// server. The stored form names its parameters, so they can be raised later without a migration.

const scrypt = promisify(crypto.scrypt) as (
  password: string | Buffer,
  salt: Buffer,
  length: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** N = 2^15, r = 8, p = 1: about 32 MiB and 50–100 ms per check on our machines. */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const MAX_MEMORY = 128 * 1024 * 1024;

export const PASSWORD_MIN_LENGTH = 12;
const PASSWORD_MAX_LENGTH = 256;

/** A few passwords every list of leaked ones starts with, and their local favourites. */
const COMMON = [
  'password',
  'passw0rd',
  '123456',
  '12345678',
  '123456789',
  'qwerty',
  'admin',
  'yidang',
  'yibao',
  'abc123',
  'iloveyou',
  'woaini',
  '888888',
  '666666',
  '000000',
  '111111',
];

/** The password policy (口令策略): long enough, three kinds of character, not the user's name. */
export function checkPasswordPolicy(password: string, username: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) throw invalid('PASSWORD_WEAK', `口令至少 ${PASSWORD_MIN_LENGTH} 个字符`);
  if (length > PASSWORD_MAX_LENGTH) throw invalid('PASSWORD_WEAK', `口令最多 ${PASSWORD_MAX_LENGTH} 个字符`);
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((kind) => kind.test(password)).length;
  if (kinds < 3) throw invalid('PASSWORD_WEAK', '口令须包含大写字母、小写字母、数字、符号中的至少三类');
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase()))
    throw invalid('PASSWORD_WEAK', '口令不能包含用户名');
  // A common word dressed up with digits and symbols (Password2026!, Yibao@123456) is still common.
  const letters = lower.replace(/[^a-z]/g, '');
  if (
    COMMON.some(
      (common) => letters === common || (lower.includes(common) && common.length >= lower.length - 4),
    )
  )
    throw invalid('PASSWORD_WEAK', '口令过于常见，请换一个');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...PARAMS, maxmem: MAX_MEMORY });
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when the password matches; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const powerOfTwo = Number.isSafeInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > 2 ** 20 || !Number.isSafeInteger(r) || r < 1 || r > 32) return false;
  if (!Number.isSafeInteger(p) || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4] as string, 'base64');
  const expected = Buffer.from(parts[5] as string, 'base64');
  if (expected.length !== KEY_LENGTH) return false;
  try {
    const actual = await scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: MAX_MEMORY });
    return crypto.timingSafeEqual(actual, expected);
  } catch {
    // Parameters scrypt itself refuses (memory beyond the limit): a damaged hash matches nothing.
    return false;
  }
}

/** Work done for an unknown user too, so timing does not tell which usernames exist. */
let decoy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  decoy ??= hashPassword('decoy-password-never-matches');
  await verifyPassword(password, await decoy);
}
