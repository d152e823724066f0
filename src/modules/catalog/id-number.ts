import { idCheckChar, isValidCalendarDate } from '../../shared/id-in-text.js';
import { isProvincePrefix } from '../regions/regions.js';

// Resident identity numbers, GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence
// (odd for men), and an ISO 7064 MOD 11-2 check character (0-9 or X). The check character, the
// masking and the search for numbers inside free text live in the kernel (src/shared/id-in-text.ts)
// so the event log can use them too; they are re-exported here for the domain.

export {
  findIdNumbers,
  holdsIdNumber,
  idCheckChar,
  idNumberInTextProblem,
  isValidCalendarDate,
  maskIdNumber,
  maskIdNumbersInText,
  maskIdsDeep,
  refuseIdNumberInText,
} from '../../shared/id-in-text.js';

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
