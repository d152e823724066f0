import { pinyin } from 'pinyin-pro';
import { SURNAME_FREQUENCIES } from '../../shared/surnames.js';
import { normalizeText } from './text.js';

// Finding people whose name was typed wrong. A clerk types 张三丰 for a record filed as 张三峰 or
// 章三丰: the same sound written with other characters, or one character off. Each filed name is
// indexed as extra terms: the whole name (nf:), its sound (py:, toneless pinyin with the accent
// confusions an input method forgives: zh/z, ch/c, sh/s, -ng/-n), and for names of three or more
// characters each form with one character blanked (nm:) or dropped (nd:). A query name expands to
// the matching forms, so every name within one edit or of the same sound is found by the index.

const SURNAMES = new Set(SURNAME_FREQUENCIES.map(([surname]) => surname));
const NOT_NAME = /[^\p{L}\p{N}]/gu;
/** Longer names (rare: transliterated ones) get only the whole-name and sound terms. */
const MAX_EDITED_NAME = 8;
const HAN_ONLY = /^\p{Script=Han}+$/u;

/** A name as compared: normalized letters and digits only (no spaces, no middle dot of 阿依古丽·买买提). */
export function compactName(name: string): string {
  return normalizeText(name).replace(NOT_NAME, '');
}

const FUZZY_INITIALS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^zh/, 'z'],
  [/^ch/, 'c'],
  [/^sh/, 's'],
];

/** Names recur across a county's records; their sound is remembered, up to this many at a time. */
const SOUND_CACHE_SIZE = 50_000;
const soundCache = new Map<string, string>();

/** Toneless pinyin of a name with the common confusions folded (曾 read as a surname: zeng). */
export function soundKey(name: string): string {
  let key = soundCache.get(name);
  if (key === undefined) {
    if (soundCache.size >= SOUND_CACHE_SIZE) soundCache.clear();
    key = readSound(name);
    soundCache.set(name, key);
  }
  return key;
}

function readSound(name: string): string {
  const syllables = pinyin(name, { toneType: 'none', type: 'array', surname: 'head', v: true });
  return syllables
    .map((syllable) => {
      let folded = syllable.toLowerCase();
      for (const [pattern, replacement] of FUZZY_INITIALS) folded = folded.replace(pattern, replacement);
      return folded.replace(/([aei])ng$/, '$1n');
    })
    .join('-');
}

function blanked(chars: readonly string[]): string[] {
  return chars.map((_, index) => chars.map((char, at) => (at === index ? '?' : char)).join(''));
}

function dropped(chars: readonly string[]): string[] {
  return [...new Set(chars.map((_, index) => chars.filter((_, at) => at !== index).join('')))];
}

/** The extra terms a filed person name is indexed under. */
export function nameTerms(name: string | null | undefined): string[] {
  if (!name) return [];
  const compact = compactName(name);
  if (compact === '') return [];
  const terms = [`nf:${compact}`];
  if (!HAN_ONLY.test(compact)) return terms;
  const chars = [...compact];
  terms.push(`py:${soundKey(compact)}`);
  if (chars.length >= 3 && chars.length <= MAX_EDITED_NAME) {
    for (const form of blanked(chars)) terms.push(`nm:${form}`);
    for (const form of dropped(chars)) terms.push(`nd:${form}`);
  }
  return terms;
}

/** Whether a run of Han characters reads as a person's name: 2 to 4 characters after a known surname. */
export function looksLikeName(run: string): boolean {
  const chars = [...run];
  if (chars.length < 2 || chars.length > 4 || !HAN_ONLY.test(run)) return false;
  return SURNAMES.has(chars[0] as string) || SURNAMES.has(`${chars[0]}${chars[1]}`);
}

export interface NameQuery {
  /** The name exactly as filed. */
  exact: string;
  /** The same sound, or one character blanked, dropped or added. */
  similar: string[];
}

export function nameQuery(name: string): NameQuery {
  const compact = compactName(name);
  const chars = [...compact];
  const similar: string[] = [];
  if (HAN_ONLY.test(compact)) {
    similar.push(`py:${soundKey(compact)}`);
    if (chars.length >= 3 && chars.length <= MAX_EDITED_NAME) {
      // One character replaced: the filed name has the same blanked form.
      for (const form of blanked(chars)) similar.push(`nm:${form}`);
      // One character too many in the query: the filed name is a dropped form of it.
      for (const form of dropped(chars)) if ([...form].length >= 2) similar.push(`nf:${form}`);
      // One character missing in the query: the query is a dropped form of the filed name.
      similar.push(`nd:${compact}`);
    }
  }
  return { exact: `nf:${compact}`, similar: [...new Set(similar)] };
}
