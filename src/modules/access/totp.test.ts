import { describe, expect, it } from 'vitest';
import { newTotpSecret, totpCode, totpStep, totpUri } from './totp.js';

// RFC 6238 TOTP with SHA-1, 6 digits, 30-second steps. The RFC's appendix B vectors are 8 digits;
// HOTP truncates modulo 10^digits, so our 6-digit codes are their last 6 digits.

/** The RFC 6238 SHA-1 seed, ASCII "12345678901234567890", in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const RFC_VECTORS: [seconds: number, eightDigits: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

const stepOf = (ms: number) => Math.floor(ms / 30_000);

describe('totpCode', () => {
  it('the RFC secret is the ASCII seed', () => {
    // Decoding by hand keeps the vectors independent of the library under test.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const bits = [...RFC_SECRET].map((char) => alphabet.indexOf(char).toString(2).padStart(5, '0')).join('');
    const bytes = Buffer.from(bits.match(/.{8}/g)?.map((byte) => Number.parseInt(byte, 2)) ?? []);
    expect(bytes.toString('ascii')).toBe('12345678901234567890');
  });

  it.each(RFC_VECTORS)('matches RFC 6238 at T=%i s', (seconds, eightDigits) => {
    expect(totpCode(RFC_SECRET, seconds * 1000)).toBe(eightDigits.slice(-6));
  });

  it('keeps leading zeros', () => {
    expect(totpCode(RFC_SECRET, 1234567890_000)).toBe('005924');
  });

  it('stays the same within a 30-second step and changes at its edge', () => {
    expect(totpCode(RFC_SECRET, 30_000)).toBe(totpCode(RFC_SECRET, 59_999));
    expect(totpCode(RFC_SECRET, 60_000)).not.toBe(totpCode(RFC_SECRET, 59_999));
  });
});

describe('totpStep', () => {
  it.each(RFC_VECTORS)('accepts the RFC code at T=%i s as that step', (seconds, eightDigits) => {
    expect(totpStep(RFC_SECRET, eightDigits.slice(-6), seconds * 1000)).toBe(stepOf(seconds * 1000));
  });

  it('accepts a code one step early or late and returns the code’s own step', () => {
    // 1111111109 and 1111111111 lie in adjacent steps.
    expect(stepOf(1111111109_000) + 1).toBe(stepOf(1111111111_000));
    expect(totpStep(RFC_SECRET, '050471', 1111111109_000)).toBe(stepOf(1111111111_000));
    expect(totpStep(RFC_SECRET, '081804', 1111111111_000)).toBe(stepOf(1111111109_000));
  });

  it('refuses a code two steps off either way', () => {
    const now = 1_800_000_000_000;
    const step = stepOf(now);
    for (const offset of [-2, -1, 0, 1, 2]) {
      const code = totpCode(RFC_SECRET, now + offset * 30_000);
      const expected = Math.abs(offset) <= 1 ? step + offset : undefined;
      expect(totpStep(RFC_SECRET, code, now), `offset ${offset}`).toBe(expected);
    }
  });

  it('refuses a wrong code', () => {
    const now = 59_000;
    const wrong = ((Number(totpCode(RFC_SECRET, now)) + 1) % 1_000_000).toString().padStart(6, '0');
    // Make sure the wrong code is not valid for a neighbouring step either.
    const neighbours = [now - 30_000, now, now + 30_000].map((time) => totpCode(RFC_SECRET, time));
    expect(neighbours).not.toContain(wrong);
    expect(totpStep(RFC_SECRET, wrong, now)).toBeUndefined();
  });

  it('refuses anything but exactly six ASCII digits', () => {
    const now = 59_000;
    expect(totpStep(RFC_SECRET, '287082', now)).toBe(1);
    for (const bad of [
      '',
      '28708',
      '2870820',
      '28708a',
      '287 082',
      ' 287082',
      '287082 ',
      '２８７０８２',
      '+87082',
    ]) {
      expect(totpStep(RFC_SECRET, bad, now), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('uses the current time by default', () => {
    const secret = newTotpSecret();
    expect(totpStep(secret, totpCode(secret))).toBe(stepOf(Date.now()));
  });
});

describe('newTotpSecret', () => {
  it('makes a fresh 160-bit base32 secret each time', () => {
    const first = newTotpSecret();
    const second = newTotpSecret();
    expect(first).toMatch(/^[A-Z2-7]{32}$/);
    expect(second).toMatch(/^[A-Z2-7]{32}$/);
    expect(first).not.toBe(second);
    expect(totpCode(first, 59_000)).toMatch(/^\d{6}$/);
  });
});

describe('totpUri', () => {
  it('names the issuer 医档 (URL-encoded), the user and the parameters', () => {
    const uri = totpUri(RFC_SECRET, 'wang.li');
    const issuer = encodeURIComponent('医档');
    expect(issuer).toBe('%E5%8C%BB%E6%A1%A3');
    expect(uri.startsWith(`otpauth://totp/${issuer}:wang.li?`)).toBe(true);
    expect(uri).toContain(`issuer=${issuer}`);
    expect(uri).not.toContain('医档');
    const params = new URL(uri).searchParams;
    expect(params.get('issuer')).toBe('医档');
    expect(params.get('secret')).toBe(RFC_SECRET);
    expect(params.get('algorithm')).toBe('SHA1');
    expect(params.get('digits')).toBe('6');
    expect(params.get('period')).toBe('30');
  });
});
