import { checkIdNumber, idCheckChar } from '../catalog/id-number.js';
import type { Cell } from '../import/import.table.js';

// A person's name and ID number as lists and roster extracts write them: full-width digits, spaces and
// middle dots, IDs that Excel turned into numbers, old 15-digit numbers. Each is cleaned, and what
// cannot be trusted is said in Chinese, with how many leading digits can still be used.

export const SPACES = /[\s\u200B-\u200D\u2060]/g;
const DOTS = /[\u00B7\u0387\u2022\u2027\u2219\u22C5\u2E31\u30FB\uFF65\uFF0E.\u3002\uFF61\u318D]+/g;
const DASHES = /[-\u2010-\u2015\u2212\uFE58\uFE63]/g;
const SCIENTIFIC = /^(\d)(?:\.(\d+))?E\+?(\d+)$/i;
/** Text that cellOf (import.table.ts) gives a cell whose number had more than 15 digits. */
const STORED_AS_NUMBER = '数字超过';
const STORED_AS_NUMBER_MESSAGE = '身份证号被 Excel 存为数字，第15位之后已失真，请将该列设为文本后重新录入';
const CHECK_CHAR_MESSAGE = '校验码错误（末位与前17位不符）';

// Most names and IDs are already clean; these skip the normalising for them (100,000-row lists).
export const PLAIN_NAME = /^[\u4E00-\u9FFF]+$/;
const PLAIN_ID = /^\d{17}[\dX]$/;

export function normaliseName(raw: string): string {
  if (PLAIN_NAME.test(raw)) return raw;
  return raw
    .normalize('NFKC')
    .replace(SPACES, '')
    .replace(DOTS, '·')
    .replace(/^·+|·+$/g, '');
}

const upgrade15 = (id15: string) => {
  const first17 = `${id15.slice(0, 6)}19${id15.slice(6)}`;
  return `${first17}${idCheckChar(first17)}`;
};

export function normaliseIdNumber(raw: string): { idNumber: string; converted15?: boolean } {
  if (PLAIN_ID.test(raw)) return { idNumber: raw };
  let text = raw.normalize('NFKC').trim();
  // ="320..." and a leading apostrophe are how exports force Excel to keep the number as text.
  const quoted = /^="(.*)"$/.exec(text);
  if (quoted) text = quoted[1] ?? '';
  const idNumber = text.replace(/^['`]/, '').replace(SPACES, '').replace(DASHES, '').replace(/[x×]/g, 'X');
  if (/^\d{15}$/.test(idNumber)) {
    const upgraded = upgrade15(idNumber);
    if (checkIdNumber(upgraded) === undefined) return { idNumber: upgraded, converted15: true };
  }
  return { idNumber };
}

export function nameProblems(name: string): string[] {
  if (!name) return ['缺少姓名'];
  if (PLAIN_NAME.test(name)) return [];
  const problems: string[] = [];
  if (/\d/.test(name)) problems.push('姓名含数字');
  // An all-Latin name is taken as a transliteration; Latin letters among Han characters are a typo.
  if (/[A-Za-z]/.test(name) && /\p{Script=Han}/u.test(name)) problems.push('姓名中夹有英文字母');
  const odd = name.replace(/[\p{Script=Han}A-Za-z0-9·]/gu, '');
  if (odd) problems.push(`姓名含异常字符“${[...new Set(odd)].join('')}”`);
  return problems;
}

export interface IdReading {
  idNumber: string;
  idProblem?: string;
  idTrustedDigits: number;
}

export function readId(cell: Cell, today: Date): IdReading {
  const raw = cell.text.trim();
  if (cell.problem?.includes(STORED_AS_NUMBER)) {
    const { idNumber } = normaliseIdNumber(raw);
    return { idNumber, idProblem: STORED_AS_NUMBER_MESSAGE, idTrustedDigits: Math.min(15, idNumber.length) };
  }
  if (cell.problem) return { idNumber: '', idProblem: `身份证号${cell.problem}`, idTrustedDigits: 0 };
  if (!raw) return { idNumber: '', idProblem: '身份证号为空', idTrustedDigits: 0 };
  if (PLAIN_ID.test(raw)) {
    const problem = checkIdNumber(raw, today);
    if (!problem) return { idNumber: raw, idTrustedDigits: 18 };
  }
  const scientific = SCIENTIFIC.exec(raw.normalize('NFKC').replace(SPACES, ''));
  if (scientific) {
    const digits = `${scientific[1]}${scientific[2] ?? ''}`;
    return {
      idNumber: digits,
      idProblem: `身份证号被存成了科学计数法“${raw}”，只剩前${digits.length}位，请将该列设为文本后重新录入`,
      idTrustedDigits: digits.length,
    };
  }
  const { idNumber } = normaliseIdNumber(raw);
  if (!idNumber) return { idNumber: '', idProblem: '身份证号为空', idTrustedDigits: 0 };
  const trusted = Math.min(18, idNumber.length);
  if (/^\d{15}$/.test(idNumber))
    return {
      idNumber,
      idProblem: `15位旧身份证号无法转换为18位：${checkIdNumber(upgrade15(idNumber), today)}`,
      idTrustedDigits: trusted,
    };
  const problem = checkIdNumber(idNumber, today);
  if (!problem) return { idNumber, idTrustedDigits: 18 };
  // Excel shows a number with 15 significant digits: an ID saved that way to CSV ends in 000.
  if (problem === CHECK_CHAR_MESSAGE && idNumber.endsWith('000'))
    return {
      idNumber,
      idProblem: `${problem}；末3位为000，疑似曾被 Excel 存为数字（第15位之后已失真），请将该列设为文本后重新录入`,
      idTrustedDigits: 15,
    };
  const length = idNumber.length === 18 ? '' : `（现为${idNumber.length}位）`;
  // A typed ID a digit short or long is still all typed: every digit counts when tracing the person.
  return { idNumber, idProblem: `${problem}${length}`, idTrustedDigits: Math.max(trusted, 18) };
}
