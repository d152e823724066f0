import crypto from 'node:crypto';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { checkIdNumber } from '../catalog/id-number.js';

// How text becomes search terms. Chinese has no spaces, so every run of Han characters is indexed as
// its overlapping two-character pairs (as Lucene's CJK analyzer does) plus its last character: 医保
// and 门诊 match as words, and a one-character query still finds every occurrence. Latin letters and digits
// form words. Both sides of a search go through the same normalization (NFKC folds full-width forms,
// then lower case), so ＡＢ１２ finds ab12.

/** Longest word kept; longer runs of letters and digits are cut (a tsvector lexeme is at most 2 KB). */
export const MAX_WORD = 64;

const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/gu;
const RUN = /(\p{Script=Han}+)|((?:(?!\p{Script=Han})[\p{L}\p{N}])+)/gu;

export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(CONTROL, ' ');
}

export interface TextRun {
  kind: 'han' | 'word';
  value: string;
}

/** The runs of an already normalized text, in order. */
export function textRuns(normalized: string): TextRun[] {
  const runs: TextRun[] = [];
  for (const match of normalized.matchAll(RUN)) {
    if (match[1] !== undefined) runs.push({ kind: 'han', value: match[1] });
    else runs.push({ kind: 'word', value: [...(match[2] as string)].slice(0, MAX_WORD).join('') });
  }
  return runs;
}

/**
 * The overlapping pairs of one Han run and its last character alone: every character then begins
 * exactly one term, so a one-character query is a prefix match ('药':*) and the run costs n terms
 * rather than the 2n − 1 of all single characters and pairs.
 */
export function hanTerms(run: string): string[] {
  const chars = [...run];
  const terms: string[] = [];
  for (let index = 0; index + 1 < chars.length; index++) terms.push(`${chars[index]}${chars[index + 1]}`);
  if (chars.length > 0) terms.push(chars.at(-1) as string);
  return terms;
}

/** The pairs a run must all contain to hold the run itself; a single character is matched as a prefix. */
export function hanQueryTerms(run: string): string[] {
  const chars = [...run];
  if (chars.length === 1) return chars;
  const pairs: string[] = [];
  for (let index = 0; index + 1 < chars.length; index++) pairs.push(`${chars[index]}${chars[index + 1]}`);
  return [...new Set(pairs)];
}

/** Every term of a text (normalized here). */
export function textTerms(text: string): string[] {
  const terms: string[] = [];
  for (const run of textRuns(normalizeText(text)))
    if (run.kind === 'han') terms.push(...hanTerms(run.value));
    else terms.push(run.value);
  return terms;
}

/** Longest lexeme kept as it is, in UTF-8 bytes (PostgreSQL refuses lexemes over 2,046). */
const MAX_LEXEME_BYTES = 240;

/**
 * A lexeme as tsvector and tsquery input read it: quoted, quote and backslash escaped. A long one (a
 * long agency name, or text NFKC made long) becomes its prefix and a hash, the same on both sides.
 */
export function quoteLexeme(lexeme: string): string {
  let bounded = lexeme;
  // A UTF-16 unit is at most 3 UTF-8 bytes: short lexemes (nearly all) skip the count.
  if (lexeme.length * 3 > MAX_LEXEME_BYTES && Buffer.byteLength(lexeme) > MAX_LEXEME_BYTES) {
    const prefix = /^[a-z]{1,3}:/.exec(lexeme)?.[0] ?? '';
    bounded = `${prefix}#${crypto.createHash('sha256').update(lexeme).digest('hex').slice(0, 32)}`;
  }
  return /['\\]/.test(bounded) ? `'${bounded.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` : `'${bounded}'`;
}

/** A 档号 is looked up whole (J013-JSLX·2024-D30-JSK-0001), as one term. */
export const ARCHIVE_CODE_SHAPE = /^[A-Za-z0-9]{4}-\S+-\d+$/;
export const archiveCodeTerm = (archiveCode: string): string => `dh:${normalizeText(archiveCode)}`;

/**
 * Where in the original text each normalized character came from, so a match found in normalized text
 * is marked at the right place in what the user sees (NFKC can change the length of a character).
 */
export function normalizeWithMap(text: string): { normalized: string; origin: number[] } {
  let normalized = '';
  const origin: number[] = [];
  let offset = 0;
  for (const char of text) {
    const folded = normalizeText(char);
    for (let index = 0; index < folded.length; index++) origin.push(offset);
    normalized += folded;
    offset += char.length;
  }
  origin.push(offset);
  return { normalized, origin };
}

/** An 18-character word shaped like a resident ID number (the check character x in either case). */
export const ID_WORD = /^\d{17}[\dXx]$/;

/** The blind-index key of a word that is a valid ID number, or null: the form both sides search by. */
export function idWordIndex(word: string): string | null {
  if (!ID_WORD.test(word)) return null;
  const idNumber = word.toUpperCase();
  return checkIdNumber(idNumber) ? null : idNumberIndex(idNumber);
}
