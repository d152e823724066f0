import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { YidangError } from '../../shared/errors.js';
import { checkPasswordPolicy, hashPassword, PASSWORD_MIN_LENGTH, verifyPassword } from './password.js';

// The password policy (口令策略) and scrypt hashing: what is refused, the stored form, and that a
// stored hash only ever matches its own password.

function refusal(password: string, username = 'wangli'): YidangError {
  try {
    checkPasswordPolicy(password, username);
  } catch (error) {
    expect(error).toBeInstanceOf(YidangError);
    return error as YidangError;
  }
  throw new Error(`password “${password}” was accepted`);
}

const accepts = (password: string, username = 'wangli') =>
  expect(() => checkPasswordPolicy(password, username)).not.toThrow();

describe('checkPasswordPolicy', () => {
  it('refuses fewer than 12 characters and accepts exactly 12', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    const short = refusal('Ab1!Ab1!Ab1');
    expect(short.code).toBe('PASSWORD_WEAK');
    expect(short.kind).toBe('invalid');
    expect(short.message).toContain('至少 12');
    accepts('Ab1!Ab1!Ab1!');
  });

  it('counts characters (code points), not UTF-16 units', () => {
    // 3 + 8 emoji = 11 characters although the string has 19 UTF-16 units.
    const eleven = `Ab1${'😀'.repeat(8)}`;
    expect(eleven.length).toBe(19);
    expect(refusal(eleven).message).toContain('至少 12');
    accepts(`Ab1${'😀'.repeat(9)}`);
  });

  it('refuses more than 256 characters', () => {
    const base = 'Ab1!';
    accepts(base.repeat(64));
    expect(refusal(`${base.repeat(64)}x`).message).toContain('最多 256');
  });

  it('needs at least three of: lower case, upper case, digits, symbols', () => {
    for (const weak of ['abcdefghijkl', 'abcdefABCDEF', 'abcdef123456', 'ABCDEF!@#$%^', '1234567890!@#']) {
      const error = refusal(weak);
      expect(error.code, weak).toBe('PASSWORD_WEAK');
      expect(error.message, weak).toContain('至少三类');
    }
    accepts('abcdefABC123');
    accepts('abcdef12345!');
    accepts('ABCDEF12345!');
    accepts('abcdefABCDE!');
    // Chinese characters count as symbols.
    accepts('档案管理abcd1234');
  });

  it('refuses a password containing the username, in any case', () => {
    expect(refusal('Wangli-2024!x', 'wangli').message).toContain('用户名');
    expect(refusal('xx-WANGLI-2024!', 'wangli').message).toContain('用户名');
    expect(refusal('xx-wangli-2024!', 'WangLi').message).toContain('用户名');
    accepts('Zhangsan-2024!', 'wangli');
    // Usernames shorter than 3 characters are too likely to appear by chance and are not checked.
    accepts('ab-Xyz-12345!', 'ab');
  });

  it('refuses common passwords with a little decoration', () => {
    for (const common of ['Password123!', 'Passw0rd!234', '123456789Ab!', 'Iloveyou!234', '12345678Abc!']) {
      const error = refusal(common, 'someone');
      expect(error.code, common).toBe('PASSWORD_WEAK');
      expect(error.message, common).toContain('过于常见');
    }
  });
});

describe('hashPassword', () => {
  it('stores scrypt with its parameters, a 16-byte salt and a 32-byte key', async () => {
    const stored = await hashPassword('Correct-Horse-7');
    const parts = stored.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(parts).toHaveLength(6);
    expect(Buffer.from(parts[4] as string, 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5] as string, 'base64')).toHaveLength(32);
    expect(stored).not.toContain('Correct-Horse-7');
  });

  it('salts every hash differently', async () => {
    const [first, second] = await Promise.all([
      hashPassword('Same-Password-1'),
      hashPassword('Same-Password-1'),
    ]);
    expect(first).not.toBe(second);
    expect(first?.split('$')[4]).not.toBe(second?.split('$')[4]);
  });
});

describe('verifyPassword', () => {
  const password = 'Archive-Passw0rd-验证';
  let stored: string;

  it('accepts the right password and refuses a wrong one', async () => {
    stored = await hashPassword(password);
    expect(await verifyPassword(password, stored)).toBe(true);
    expect(await verifyPassword(`${password}x`, stored)).toBe(false);
    expect(await verifyPassword('archive-passw0rd-验证', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('refuses a stored hash whose key was altered', async () => {
    const parts = stored.split('$');
    const key = Buffer.from(parts[5] as string, 'base64');
    key[0] = (key[0] as number) ^ 1;
    parts[5] = key.toString('base64');
    expect(await verifyPassword(password, parts.join('$'))).toBe(false);
  });

  it('checks with the parameters the stored hash names (so they can be raised later)', async () => {
    const salt = crypto.randomBytes(16);
    const key = crypto.scryptSync(password, salt, 32, { N: 2 ** 14, r: 8, p: 2 });
    const older = `scrypt$16384$8$2$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword(password, older)).toBe(true);
    // The same key under other parameters does not match.
    expect(await verifyPassword(password, older.replace('$16384$8$2$', '$16384$8$1$'))).toBe(false);
  });

  it('never matches a malformed stored hash', async () => {
    const [, , , , salt, key] = stored.split('$') as string[];
    const malformed = [
      '',
      'plain-text-password',
      password,
      `bcrypt$32768$8$1$${salt}$${key}`,
      `scrypt$32768$8$1$${salt}`,
      `scrypt$32768$8$1$${salt}$${key}$extra`,
      `scrypt$abc$8$1$${salt}$${key}`,
      `scrypt$32768$8.5$1$${salt}$${key}`,
      `scrypt$${2 ** 21}$8$1$${salt}$${key}`,
      `scrypt$32768$33$1$${salt}$${key}`,
      `scrypt$32768$8$17$${salt}$${key}`,
      `scrypt$32768$8$1$${salt}$${Buffer.from(key as string, 'base64')
        .subarray(0, 31)
        .toString('base64')}`,
      `scrypt$32768$8$1$${salt}$`,
    ];
    for (const candidate of malformed)
      expect(await verifyPassword(password, candidate), candidate).toBe(false);
  });

  // Parameters scrypt itself refuses (N not a power of two, negative N, N·r beyond the memory limit).
  it('never throws on scrypt parameters scrypt refuses', async () => {
    const [, , , , salt, key] = stored.split('$') as string[];
    for (const params of ['3$8$1', '-2$8$1', `${2 ** 20}$32$1`]) {
      const candidate = `scrypt$${params}$${salt}$${key}`;
      await expect(verifyPassword(password, candidate), candidate).resolves.toBe(false);
    }
  });

  it('normalises to NFC, so composed and decomposed input match', async () => {
    const composed = 'Caf\u00e9-Secret-2024';
    const decomposed = 'Cafe\u0301-Secret-2024';
    expect(composed).not.toBe(decomposed);
    const fromComposed = await hashPassword(composed);
    const fromDecomposed = await hashPassword(decomposed);
    expect(await verifyPassword(decomposed, fromComposed)).toBe(true);
    expect(await verifyPassword(composed, fromDecomposed)).toBe(true);
    expect(await verifyPassword('Cafe-Secret-2024', fromComposed)).toBe(false);
  });
});
