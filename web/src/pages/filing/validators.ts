import type { Rule } from 'antd/es/form';

// Client-side checks that mirror the server's (src/modules/catalog/item.validate.ts, id-number.ts),
// with the same Chinese messages, so a clerk sees a mistake before submitting. The server still
// checks everything and its issues are shown beside the same fields.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
/** GB/T 2260 province-level codes: an ID number's first two digits. */
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65, 71, 81, 82,
]);

export const AMOUNT_RE = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;
export const ORG_RE = /^[A-Z0-9]{1,16}$/;
export const REGION_RE = /^\d{6}$/;
export const INSURED_RE = /^[A-Za-z0-9]+$/;

function validCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** What is wrong with an ID number (GB 11643), in the server's words, or undefined. */
export function idNumberProblem(raw: string, today = new Date()): string | undefined {
  const value = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(value)) return '应为18位：前17位数字，末位为数字或大写X';
  if (!PROVINCES.has(Number(value.slice(0, 2))))
    return `前6位地区码“${value.slice(0, 6)}”不是有效的行政区划代码`;
  const [year, month, day] = [value.slice(6, 10), value.slice(10, 12), value.slice(12, 14)].map(Number) as [
    number,
    number,
    number,
  ];
  if (!validCalendarDate(year, month, day)) return `出生日期“${value.slice(6, 14)}”不是有效日期`;
  if (year < 1890 || Date.UTC(year, month - 1, day) > today.getTime())
    return `出生日期“${value.slice(6, 14)}”超出合理范围`;
  let sum = 0;
  for (let index = 0; index < 17; index++) sum += Number(value[index]) * (WEIGHTS[index] ?? 0);
  if (value[17] !== CHECK_CHARS[sum % 11]) return '校验码错误（末位与前17位不符）';
  return undefined;
}

/** What is wrong with an amount in yuan, or undefined. */
export function amountProblem(raw: string): string | undefined {
  const text = raw.trim();
  if (text.startsWith('-')) return `不能为负数（${text}）`;
  if (AMOUNT_RE.test(text)) return undefined;
  return /^\d+\.\d{3,}$/.test(text) ? `最多两位小数（${text}）` : '应为非负金额，最多两位小数、12位整数';
}

const empty = (value: unknown) => value === undefined || value === null || value === '';

/** A form rule from a check returning a problem; `label` prefixes the message as the server does. */
export const checkRule = (label: string, problem: (value: string) => string | undefined): Rule => ({
  validator: async (_rule, value: unknown) => {
    if (empty(value)) return;
    const found = problem(String(value));
    if (found) throw new Error(`${label}${found}`);
  },
});

export const idNumberRule = checkRule('身份证号', (value) => idNumberProblem(value));
export const amountRule = (label = '金额') => checkRule(label, amountProblem);

/** Required, for any control (a date picker's dayjs, a select's code, a number). */
export const required = (label: string, why = ''): Rule => ({
  required: true,
  message: `${label}为必填项${why}`,
});

/** Required text: blanks count as empty, as the server trims. */
export const requiredText = (label: string, why = ''): Rule => ({
  required: true,
  whitespace: true,
  message: `${label}为必填项${why}`,
});

export const maxChars = (label: string, max: number): Rule => ({
  validator: async (_rule, value: unknown) => {
    if (typeof value === 'string' && [...value.trim()].length > max)
      throw new Error(`${label}过长：最多 ${max} 个字符`);
  },
});
