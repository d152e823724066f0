import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isYidangError } from '../../shared/errors.js';
import { checkPassphraseStrength, openWithPassphrase, sealWithPassphrase } from './passphrase.js';

const PASSPHRASE = '档案备份-Spring2025';

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (isYidangError(error)) return error.code;
    throw error;
  }
  throw new Error('no error was thrown');
}

describe('sealing with a passphrase', () => {
  const plain = Buffer.from(
    JSON.stringify({ version: 1, secret: crypto.randomBytes(64).toString('base64') }),
  );
  const sealed = sealWithPassphrase(plain, PASSPHRASE);

  it('round trips, with fresh salt each time', () => {
    expect(openWithPassphrase(sealed, PASSPHRASE).equals(plain)).toBe(true);
    expect(sealed.includes(plain)).toBe(false);
    expect(sealWithPassphrase(plain, PASSPHRASE).equals(sealed)).toBe(false);
    const empty = sealWithPassphrase(Buffer.alloc(0), PASSPHRASE);
    expect(openWithPassphrase(empty, PASSPHRASE)).toHaveLength(0);
  });

  it('treats composed and decomposed characters alike', () => {
    const composed = 'Café-备份-2025x';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(openWithPassphrase(sealWithPassphrase(plain, composed), decomposed).equals(plain)).toBe(true);
  });

  it('tells a wrong passphrase apart', () => {
    expect(codeOf(() => openWithPassphrase(sealed, `${PASSPHRASE}!`))).toBe('BACKUP_PASSPHRASE_WRONG');
    expect(codeOf(() => openWithPassphrase(sealed, ''))).toBe('BACKUP_PASSPHRASE_WRONG');
    try {
      openWithPassphrase(sealed, 'wrong');
    } catch (error) {
      expect((error as Error).message).toMatch(/^备份口令不正确/);
      expect(isYidangError(error) && error.kind).toBe('invalid');
    }
  });

  it('reports truncated or damaged data as corrupt', () => {
    for (const length of [0, 4, 40, sealed.length - 33, sealed.length - 1]) {
      expect(codeOf(() => openWithPassphrase(sealed.subarray(0, length), PASSPHRASE))).toBe('BACKUP_CORRUPT');
    }
    for (const position of [0, 5, 8, 12, 30, 60, sealed.length - 40, sealed.length - 1]) {
      const damaged = Buffer.from(sealed);
      damaged[position] = (damaged[position] ?? 0) ^ 0x04;
      expect(codeOf(() => openWithPassphrase(damaged, PASSPHRASE))).toBe('BACKUP_CORRUPT');
    }
    expect(codeOf(() => openWithPassphrase(Buffer.concat([sealed, Buffer.from([1])]), PASSPHRASE))).toBe(
      'BACKUP_CORRUPT',
    );
  });

  it('detects deliberate edits that fix up the checksum', () => {
    const body = Buffer.from(sealed.subarray(0, sealed.length - 32));
    body[body.length - 20] = (body[body.length - 20] ?? 0) ^ 0x01;
    const forged = Buffer.concat([body, crypto.createHash('sha256').update(body).digest()]);
    expect(codeOf(() => openWithPassphrase(forged, PASSPHRASE))).toBe('BACKUP_CORRUPT');
  });

  it('refuses KDF parameters that would exhaust memory', () => {
    const body = Buffer.from(sealed.subarray(0, sealed.length - 32));
    body[6] = 30;
    const forged = Buffer.concat([body, crypto.createHash('sha256').update(body).digest()]);
    expect(codeOf(() => openWithPassphrase(forged, PASSPHRASE))).toBe('BACKUP_CORRUPT');
  });
});

describe('passphrase strength', () => {
  it.each([
    'short1A',
    'abcdefghijklmnop',
    '123456789012345',
    '档案馆的备份口令非常长的口令',
    'ABCDEFGHIJKLM',
  ])('rejects %s', (weak) => {
    expect(codeOf(() => checkPassphraseStrength(weak))).toBe('BACKUP_PASSPHRASE_WEAK');
  });

  it.each([PASSPHRASE, 'correct horse battery', 'abcdefghijk1', '医保档案备份口令2025'])(
    'accepts %s',
    (strong) => {
      expect(() => checkPassphraseStrength(strong)).not.toThrow();
    },
  );

  it('explains the rule in Chinese', () => {
    expect(() => checkPassphraseStrength('abc')).toThrow(/^备份口令太弱：至少 12 个字符/);
  });
});
