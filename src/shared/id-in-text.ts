import { invalid } from './errors.js';

// Resident ID numbers (GB 11643-1999) inside free text: titles, reasons, purposes, file names, event
// payloads. An ID number has its own sealed field; one typed anywhere else would be stored and shown
// in the clear, so every door refuses or masks it and every output masks it. It lives in the kernel
// so the event log itself can refuse to keep one.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
/** First two digits of the province-level divisions of GB/T 2260 (ID numbers keep old county codes). */
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65, 71, 81, 82,
]);

export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let index = 0; index < 17; index++) sum += Number(first17[index]) * (WEIGHTS[index] ?? 0);
  return CHECK_CHARS[sum % 11] as string;
}

export function isValidCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
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

/** Any 17 digits and a digit or X, check character or not: a mistyped ID number is still somebody's. */
const ID_LIKE_RUN = /\d{17}[\dXx]/g;

/**
 * Text leaving the server (an error, a logged URL, an event shown to people) with every ID-like run
 * masked; full-width digits are folded first. The same text when it holds none.
 */
export function maskIdLikeRuns(text: string): string {
  // Folding keeps every ASCII digit, so nothing to mask in the folded text means none in it.
  const folded = text.normalize('NFKC');
  const masked = folded.replace(ID_LIKE_RUN, (id) => maskIdNumber(id) ?? '');
  return masked === folded ? text : masked;
}

/** Whether 18 ASCII characters are a whole valid ID number: province, birth date, check character. */
function isIdNumber(candidate: string, today: Date): boolean {
  if (!PROVINCES.has(Number(candidate.slice(0, 2)))) return false;
  const year = Number(candidate.slice(6, 10));
  const month = Number(candidate.slice(10, 12));
  const day = Number(candidate.slice(12, 14));
  if (year < 1890 || !isValidCalendarDate(year, month, day)) return false;
  if (Date.UTC(year, month - 1, day) > today.getTime()) return false;
  return candidate[17] === idCheckChar(candidate);
}

export interface IdInText {
  /** The number as ASCII (check character X upper case). */
  idNumber: string;
  /** Where it stands in the text as given (UTF-16 offsets, end exclusive). */
  start: number;
  end: number;
}

// Quick refusal on the folded text: 18 digits (the last may be X), a space or hyphen allowed between
// any two. Nearly every text stops here, without the per-character walk below.
const CANDIDATE = /\d(?:[ -]?\d){16}[ -]?[\dXx]/;
const SEPARATOR = /^[ -]$/;

/** A character's ASCII digit (or X) once NFKC-folded — full-width １, Ｘ, ① … — or undefined. */
function foldedDigit(char: string): string | undefined {
  const code = char.charCodeAt(0);
  if (code >= 48 && code <= 57) return char;
  if (char === 'X' || char === 'x') return 'X';
  if (code < 128) return undefined;
  const folded = char.normalize('NFKC');
  return folded.length === 1 && folded.charCodeAt(0) < 128 ? foldedDigit(folded) : undefined;
}

// A digest or key in hex (32 characters and more) is a token of its own: the one in 10^5 or so that
// holds a valid-looking number must not be masked, or the digest it was would be lost.
const HEX = /[0-9A-Fa-f]/;
function insideHexToken(text: string, start: number, end: number): boolean {
  let from = start;
  let to = end;
  while (from > 0 && HEX.test(text.charAt(from - 1))) from--;
  while (to < text.length && HEX.test(text.charAt(to))) to++;
  return to - from >= 32 && /^[0-9A-Fa-f]+$/.test(text.slice(start, end));
}

/**
 * Every valid ID number in a text, as typed or after NFKC folding (full-width digits), with at most
 * one space or hyphen between two of its characters. A longer run of digits is searched through, so
 * a number cannot hide by having digits added on either side.
 */
export function findIdNumbers(text: string, today: Date = new Date()): IdInText[] {
  if (text.length < 18 || !CANDIDATE.test(text.normalize('NFKC'))) return [];
  const found: IdInText[] = [];
  let run: Array<{ digit: string; start: number; end: number }> = [];
  let gap = false;
  const flush = () => {
    for (let index = 0; index + 18 <= run.length; index++) {
      const window = run.slice(index, index + 18);
      const candidate = window.map((entry) => entry.digit).join('');
      if (candidate.slice(0, 17).includes('X') || !isIdNumber(candidate, today)) continue;
      const start = (window[0] as { start: number }).start;
      const end = (window[17] as { end: number }).end;
      if (insideHexToken(text, start, end)) continue;
      found.push({ idNumber: candidate, start, end });
      index += 17;
    }
    run = [];
    gap = false;
  };
  let offset = 0;
  for (const char of text) {
    const digit = foldedDigit(char);
    if (digit !== undefined) {
      run.push({ digit, start: offset, end: offset + char.length });
      gap = false;
    } else if (run.length > 0 && !gap && SEPARATOR.test(char.normalize('NFKC'))) gap = true;
    else flush();
    offset += char.length;
  }
  flush();
  return found;
}

/** The text with every ID number in it masked (320106********1233); the same text when none. */
export function maskIdNumbersInText(text: string, today: Date = new Date()): string {
  const found = findIdNumbers(text, today);
  if (found.length === 0) return text;
  let masked = '';
  let from = 0;
  for (const { idNumber, start, end } of found) {
    masked += `${text.slice(from, start)}${maskIdNumber(idNumber)}`;
    from = end;
  }
  return masked + text.slice(from);
}

/**
 * A value with every string (and key, and number written out) in it masked, for payloads and other
 * structured outputs. Returns the value itself when nothing in it holds an ID number.
 */
export function maskIdsDeep<T>(value: T, today: Date = new Date()): T {
  if (typeof value === 'string') return maskIdNumbersInText(value, today) as T;
  if (typeof value === 'number' || typeof value === 'bigint') {
    const text = String(value);
    return (findIdNumbers(text, today).length > 0 ? maskIdNumbersInText(text, today) : value) as T;
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => maskIdsDeep(item, today));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const next = [maskIdNumbersInText(key, today), maskIdsDeep(item, today)] as const;
      if (next[0] !== key || next[1] !== item) changed = true;
      return next;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}

/** Whether a value (any string, key or number inside it) holds an ID number. */
export const holdsIdNumber = (value: unknown, today: Date = new Date()): boolean =>
  maskIdsDeep(value, today) !== value;

const STANDARD_ADVICE = '请将身份证号填入“身份证号”字段，不要写在题名、备注或理由中';

/**
 * What to tell someone who typed an ID number into a free-text field (named in Chinese), or
 * undefined. The number is quoted masked: the message goes back through logs and the event log.
 */
export function idNumberInTextProblem(
  label: string,
  value: unknown,
  advice = STANDARD_ADVICE,
  today: Date = new Date(),
): string | undefined {
  const texts: string[] = [];
  const collect = (item: unknown) => {
    if (typeof item === 'string') texts.push(item);
    else if (typeof item === 'number') texts.push(String(item));
    else if (Array.isArray(item)) item.forEach(collect);
    else if (item !== null && typeof item === 'object')
      for (const [key, inner] of Object.entries(item)) {
        texts.push(key);
        collect(inner);
      }
  };
  collect(value);
  for (const text of texts) {
    const [first] = findIdNumbers(text, today);
    if (first) return `${label}中含有身份证号（${maskIdNumber(first.idNumber)}），${advice}`;
  }
  return undefined;
}

/** Refuses (400, ID_NUMBER_IN_TEXT) a free-text value that holds an ID number. */
export function refuseIdNumberInText(label: string, value: unknown, advice = STANDARD_ADVICE): void {
  const problem = idNumberInTextProblem(label, value, advice);
  if (problem) throw invalid('ID_NUMBER_IN_TEXT', problem);
}
