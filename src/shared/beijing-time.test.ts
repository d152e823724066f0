import { describe, expect, it } from 'vitest';
import {
  beijingDate,
  beijingDateTime,
  beijingIso,
  beijingJsonReplacer,
  beijingTime,
  isUtcIso,
  withBeijingTimes,
} from './beijing-time.js';

describe('Beijing time', () => {
  it('writes the table form and the ISO form with the +08:00 offset', () => {
    const at = new Date('2026-12-07T03:33:05.123Z');
    expect(beijingDateTime(at)).toBe('2026-12-07 11:33:05');
    expect(beijingIso(at)).toBe('2026-12-07T11:33:05+08:00');
    expect(beijingIso(at, { precise: true })).toBe('2026-12-07T11:33:05.123+08:00');
    expect(beijingIso(new Date('2026-12-07T03:33:05Z'), { precise: true })).toBe('2026-12-07T11:33:05+08:00');
    expect(beijingTime(at)).toBe('2026-12-07 11:33');
    expect(beijingDate(at)).toBe('2026-12-07');
  });

  it('turns the day at 16:00 UTC, not at UTC midnight', () => {
    expect(beijingDateTime('2026-12-07T15:59:59Z')).toBe('2026-12-07 23:59:59');
    expect(beijingDateTime('2026-12-07T16:00:00Z')).toBe('2026-12-08 00:00:00');
    expect(beijingDate('2026-12-07T16:00:00Z')).toBe('2026-12-08');
    // Just after UTC midnight it is already morning in Beijing, the same day.
    expect(beijingDateTime('2026-12-08T00:00:00Z')).toBe('2026-12-08 08:00:00');
    expect(beijingDate('2026-12-07T23:59:59.999Z')).toBe('2026-12-08');
  });

  it('crosses the year (and a leap day) in Beijing, not in UTC', () => {
    expect(beijingIso('2026-12-31T16:00:00Z')).toBe('2027-01-01T00:00:00+08:00');
    expect(beijingDate('2026-12-31T15:59:59Z')).toBe('2026-12-31');
    expect(beijingDateTime('2028-02-28T16:30:00Z')).toBe('2028-02-29 00:30:00');
  });

  it('reads Dates, ISO strings with any offset and epoch milliseconds alike', () => {
    const expected = '2026-12-07 11:33:05';
    expect(beijingDateTime(new Date(Date.UTC(2026, 11, 7, 3, 33, 5)))).toBe(expected);
    expect(beijingDateTime('2026-12-07T03:33:05Z')).toBe(expected);
    expect(beijingDateTime('2026-12-07T11:33:05+08:00')).toBe(expected);
    expect(beijingDateTime('2026-12-06T22:33:05-05:00')).toBe(expected);
    expect(beijingDateTime(Date.UTC(2026, 11, 7, 3, 33, 5))).toBe(expected);
    // The Beijing form reads back as the same instant.
    expect(Date.parse(beijingIso('2026-12-07T03:33:05Z'))).toBe(Date.parse('2026-12-07T03:33:05Z'));
  });

  it('keeps null and undefined as null and refuses what is not a time', () => {
    expect(beijingDateTime(null)).toBeNull();
    expect(beijingIso(undefined)).toBeNull();
    expect(beijingDate(null)).toBeNull();
    expect(() => beijingDateTime('not a time')).toThrow(RangeError);
    expect(() => beijingIso(new Date(Number.NaN))).toThrow('不是有效的时间');
    expect(() => beijingTime('')).toThrow(RangeError);
  });

  it('recognises only UTC ISO strings as times to convert', () => {
    expect(isUtcIso('2026-12-07T03:33:05.123Z')).toBe(true);
    expect(isUtcIso('2026-12-07T03:33:05Z')).toBe(true);
    expect(isUtcIso('2026-12-07T11:33:05+08:00')).toBe(false);
    expect(isUtcIso('2026-12-07')).toBe(false);
    expect(isUtcIso('记录于 2026-12-07T03:33:05Z')).toBe(false);
    expect(isUtcIso(20261207)).toBe(false);
  });

  it('rewrites every UTC time in a JSON value, nested, and nothing else', () => {
    const value = {
      recordedAt: new Date('2026-12-31T16:00:00.250Z'),
      rows: [{ expiresAt: '2026-12-07T03:33:05.000Z', note: 'time 2026-12-07T03:33:05Z', size: 3 }],
      revokedAt: null,
      day: '2026-12-07',
    };
    const people = {
      recordedAt: '2027-01-01T00:00:00+08:00',
      rows: [{ expiresAt: '2026-12-07T11:33:05+08:00', note: 'time 2026-12-07T03:33:05Z', size: 3 }],
      revokedAt: null,
      day: '2026-12-07',
    };
    expect(withBeijingTimes(value)).toEqual(people);
    expect(JSON.parse(JSON.stringify(value, beijingJsonReplacer()))).toEqual(people);
    expect(withBeijingTimes(value, { precise: true }).recordedAt).toBe('2027-01-01T00:00:00.250+08:00');
    // The input is left as it was.
    expect(value.rows[0]?.expiresAt).toBe('2026-12-07T03:33:05.000Z');
    const buffer = Buffer.from('x');
    expect(withBeijingTimes({ buffer }).buffer).toBe(buffer);
  });
});
