import { invalid } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { hasBadText } from '../../shared/well-formed.js';

// Reading what people type into a case: trimmed text of a bounded length without control characters
// or an ID number (notes and reasons are free text; a person is named by the archives, never typed
// in), and amounts in yuan with at most two decimals, compared in whole 分 so no float rounds them.

export const CASE_CODE = /^HC\d{8,}$/;

/** Trimmed text of at most `max` characters; null when empty and not required. */
export function caseText(value: unknown, label: string, max: number, required: true): string;
export function caseText(value: unknown, label: string, max: number, required: boolean): string | null;
export function caseText(value: unknown, label: string, max: number, required: boolean): string | null {
  if (value === undefined || value === null || value === '') {
    if (required) throw invalid('CASE_INPUT_INVALID', `须填写${label}`);
    return null;
  }
  if (typeof value !== 'string') throw invalid('CASE_INPUT_INVALID', `${label}应为文字`);
  const trimmed = value.trim();
  if (hasBadText(trimmed))
    throw invalid('CASE_INPUT_INVALID', `${label}含有无法保存的字符（空字符或不成对的代理字符）`);
  // Line breaks belong in a note; other control characters do not.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/.test(trimmed))
    throw invalid('CASE_INPUT_INVALID', `${label}含有控制字符`);
  if ([...trimmed].length > max) throw invalid('CASE_INPUT_INVALID', `${label}最多${max}个字符`);
  if (trimmed === '') {
    if (required) throw invalid('CASE_INPUT_INVALID', `须填写${label}`);
    return null;
  }
  refuseIdNumberInText(label, trimmed);
  return trimmed;
}

/** A reason: required, at least four characters. */
export function reasonText(value: unknown, label: string): string {
  const text = caseText(value, label, 500, true);
  if ([...text].length < 4) throw invalid('CASE_INPUT_INVALID', `${label}至少4个字`);
  return text;
}

/** An amount in yuan as whole 分 (1 元 = 100 分); refused unless ≥ 0.01 with at most two decimals. */
export function amountCents(value: unknown, label = '追回金额'): number {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^\s*\d{1,12}(\.\d{1,2})?\s*$/.test(text))
    throw invalid(
      'CASE_AMOUNT_INVALID',
      `${label}应为金额（元），最多两位小数，如 1280.50；收到“${String(value).slice(0, 20)}”`,
    );
  const [whole, fraction = ''] = text.trim().split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  if (cents < 1) throw invalid('CASE_AMOUNT_INVALID', `${label}至少 0.01 元`);
  return cents;
}

export const yuan = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/**
 * A stored amount (numeric(14,2) as text) in 分. Not the input rule: a clue may be worth 0.00 元 (a bundle
 * billed at its price, a zero-priced line), and reading it must not refuse the case (review G18).
 */
export function centsOf(amount: string | null): number {
  if (amount === null) return 0;
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!match) throw new Error(`stored amount is not numeric(14,2): ${amount.slice(0, 20)}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] === '-' ? -cents : cents;
}

/** A case code as typed (case-insensitive), or null when it cannot be one. */
export function caseCodeOf(value: unknown): string | null {
  const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
  return CASE_CODE.test(code) ? code : null;
}

/** The 档号 listed, trimmed and without repeats; each non-empty and well formed. */
export function archiveCodes(value: unknown, max = 200): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid('CASE_INPUT_INVALID', '证据档案应为档号的列表');
  const codes = [...new Set(value.map((code) => (typeof code === 'string' ? code.trim() : '')))];
  if (codes.some((code) => code === '' || hasBadText(code) || [...code].length > 200))
    throw invalid('CASE_INPUT_INVALID', '档号不能为空，且不能含有空字符或不成对的代理字符');
  if (codes.length > max) throw invalid('CASE_INPUT_INVALID', `一次最多附入 ${max} 件证据档案`);
  return codes;
}

/** Clue ids as positive integers without repeats. */
export function clueIds(value: unknown, max = 200): number[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid('CASE_INPUT_INVALID', '线索应为线索编号的列表');
  const ids = value.map((id) => (typeof id === 'string' && /^\d{1,15}$/.test(id.trim()) ? Number(id) : id));
  if (ids.some((id) => typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1))
    throw invalid('CASE_INPUT_INVALID', '线索编号应为正整数');
  const unique = [...new Set(ids as number[])];
  if (unique.length > max) throw invalid('CASE_INPUT_INVALID', `一次最多并入 ${max} 条线索`);
  return unique;
}
