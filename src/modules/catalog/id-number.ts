import { isProvincePrefix } from '../regions/regions.js';

// Resident identity numbers, GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence
// (odd for men), and an ISO 7064 MOD 11-2 check character (0-9 or X).

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let index = 0; index < 17; index++) sum += Number(first17[index]) * (WEIGHTS[index] ?? 0);
  return CHECK_CHARS[sum % 11] as string;
}

export function isValidCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Returns what is wrong with an ID number, in Chinese, or undefined when it is valid. */
export function checkIdNumber(value: string, today: Date = new Date()): string | undefined {
  if (!/^\d{17}[\dX]$/.test(value)) return '应为18位：前17位数字，末位为数字或大写X';
  if (!isProvincePrefix(value.slice(0, 6))) return `前6位地区码“${value.slice(0, 6)}”不是有效的行政区划代码`;
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  if (!isValidCalendarDate(year, month, day)) return `出生日期“${value.slice(6, 14)}”不是有效日期`;
  const birth = Date.UTC(year, month - 1, day);
  if (year < 1890 || birth > today.getTime()) return `出生日期“${value.slice(6, 14)}”超出合理范围`;
  const expected = idCheckChar(value.slice(0, 17));
  if (value[17] !== expected) return '校验码错误（末位与前17位不符）';
  return undefined;
}

/**
 * Hides the birth date so a log or list never shows a whole ID number: the first 6 and last 4
 * characters stay (320115********123X); anything too short to keep both is hidden whole.
 */
export function maskIdNumber(value: string | null | undefined): string | null {
  if (!value) return null;
  if (value.length <= 10) return '*'.repeat(value.length);
  return `${value.slice(0, 6)}${'*'.repeat(value.length - 10)}${value.slice(-4)}`;
}
