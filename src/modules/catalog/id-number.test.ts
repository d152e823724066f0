import { describe, expect, it } from 'vitest';
import { checkIdNumber, idCheckChar, isValidCalendarDate, maskIdNumber } from './id-number.js';

const today = new Date('2026-11-22T00:00:00Z');
const withCheck = (first17: string) => `${first17}${idCheckChar(first17)}`;

// A tiny deterministic PRNG so the property tests are reproducible.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('idCheckChar (ISO 7064 MOD 11-2)', () => {
  it('gives X for the GB 11643 sample 11010519491231002X, computed by hand', () => {
    // weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2:
    // 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167, 167 mod 11 = 2 -> 'X'
    expect(idCheckChar('11010519491231002')).toBe('X');
    expect(checkIdNumber('11010519491231002X', today)).toBeUndefined();
  });

  it('gives a digit for the other GB 11643 sample 440524188001010014, computed by hand', () => {
    // 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195, 195 mod 11 = 8 -> '4'
    expect(idCheckChar('44052418800101001')).toBe('4');
  });

  it('satisfies the MOD 11-2 identity (weighted sum + check value ≡ 1 mod 11) for random inputs', () => {
    const next = random(11643);
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const seen = new Set<string>();
    for (let round = 0; round < 2000; round++) {
      const digits = Array.from({ length: 17 }, () => Math.floor(next() * 10));
      const check = idCheckChar(digits.join(''));
      seen.add(check);
      const sum = digits.reduce((total, digit, index) => total + digit * (weights[index] ?? 0), 0);
      expect((sum + (check === 'X' ? 10 : Number(check))) % 11).toBe(1);
    }
    expect([...seen].sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']);
  });
});

describe('checkIdNumber', () => {
  it('accepts valid numbers ending in X and in digits', () => {
    expect(checkIdNumber('11010519491231002X', today)).toBeUndefined();
    expect(checkIdNumber(withCheck('32011519850312123'), today)).toBeUndefined();
    expect(checkIdNumber(withCheck('44030520000229004'), today)).toBeUndefined(); // 2000 is a leap year
  });

  it('rejects every wrong check character', () => {
    const first17 = '11010519491231002';
    for (const wrong of '0123456789') {
      expect(checkIdNumber(`${first17}${wrong}`, today)).toBe('校验码错误（末位与前17位不符）');
    }
    const digitCase = withCheck('32011519850312123');
    const flipped = `${digitCase.slice(0, 17)}${digitCase[17] === 'X' ? '0' : 'X'}`;
    expect(checkIdNumber(flipped, today)).toContain('校验码错误');
  });

  it('rejects a lowercase x (normalisation happens in readIdNumber)', () => {
    expect(checkIdNumber('11010519491231002x', today)).toBe('应为18位：前17位数字，末位为数字或大写X');
  });

  it('rejects wrong lengths and non-digits', () => {
    for (const value of [
      '',
      '1101051949123100',
      '11010519491231002',
      '11010519491231002X0',
      '110105491231002', // the old 15-digit form
      '1101051949123100X2',
      '11010519491231 02X',
      '１１010519491231002X',
    ]) {
      expect(checkIdNumber(value, today), value).toBe('应为18位：前17位数字，末位为数字或大写X');
    }
  });

  it('rejects an unknown province prefix but keeps old county codes within a known province', () => {
    expect(checkIdNumber(withCheck('99010519491231002'), today)).toBe(
      '前6位地区码“990105”不是有效的行政区划代码',
    );
    expect(checkIdNumber(withCheck('00010519491231002'), today)).toContain('不是有效的行政区划代码');
    expect(checkIdNumber(withCheck('32019919850312123'), today)).toBeUndefined();
  });

  it('rejects impossible birth dates', () => {
    expect(checkIdNumber(withCheck('11010519490230002'), today)).toBe('出生日期“19490230”不是有效日期');
    expect(checkIdNumber(withCheck('11010519000229002'), today)).toContain('不是有效日期'); // 1900 not leap
    expect(checkIdNumber(withCheck('11010519491301002'), today)).toContain('不是有效日期');
    expect(checkIdNumber(withCheck('11010519490000002'), today)).toContain('不是有效日期');
  });

  it('rejects birth dates in the future or before 1890', () => {
    expect(checkIdNumber(withCheck('11010520261123002'), today)).toBe('出生日期“20261123”超出合理范围');
    expect(checkIdNumber(withCheck('11010520261122002'), today)).toBeUndefined();
    expect(checkIdNumber(withCheck('11010518891231002'), today)).toBe('出生日期“18891231”超出合理范围');
    expect(checkIdNumber(withCheck('11010518900101002'), today)).toBeUndefined();
    expect(checkIdNumber('440524188001010014', today)).toContain('超出合理范围');
  });

  it('judges "future" against the given today', () => {
    const id = withCheck('11010520300101002');
    expect(checkIdNumber(id, today)).toContain('超出合理范围');
    expect(checkIdNumber(id, new Date('2031-01-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('isValidCalendarDate', () => {
  it('knows month lengths and leap years', () => {
    expect(isValidCalendarDate(2024, 2, 29)).toBe(true);
    expect(isValidCalendarDate(2023, 2, 29)).toBe(false);
    expect(isValidCalendarDate(2100, 2, 29)).toBe(false);
    expect(isValidCalendarDate(2024, 4, 31)).toBe(false);
    expect(isValidCalendarDate(2024, 12, 31)).toBe(true);
    expect(isValidCalendarDate(2024, 0, 1)).toBe(false);
    expect(isValidCalendarDate(2024, 13, 1)).toBe(false);
  });
});

describe('maskIdNumber', () => {
  it('hides the birth date and keeps region and sequence', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
    const id = withCheck('32011519850312123');
    const masked = maskIdNumber(id) ?? '';
    expect(masked).toHaveLength(18);
    expect(masked).not.toContain('19850312');
    expect(masked.slice(6, 14)).toBe('********');
    expect(masked.startsWith('320115')).toBe(true);
    expect(masked.endsWith(id.slice(14))).toBe(true);
  });

  it('never shows the birth date for any valid number', () => {
    const next = random(42);
    for (let round = 0; round < 200; round++) {
      const year = 1950 + Math.floor(next() * 70);
      const birth = `${year}${String(1 + Math.floor(next() * 12)).padStart(2, '0')}${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`;
      const id = withCheck(`320115${birth}${String(Math.floor(next() * 1000)).padStart(3, '0')}`);
      expect(checkIdNumber(id, today)).toBeUndefined();
      expect(maskIdNumber(id)).not.toContain(birth);
    }
  });

  it('returns null for nothing', () => {
    expect(maskIdNumber(null)).toBeNull();
    expect(maskIdNumber(undefined)).toBeNull();
    expect(maskIdNumber('')).toBeNull();
  });
});
