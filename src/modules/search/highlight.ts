import { maskAccount } from '../catalog/item.mask.js';
import { maskIdNumber } from '../catalog/id-number.js';
import { FIELD_LABELS, type Item } from '../catalog/item.schema.js';
import { normalizeWithMap } from './text.js';

// Snippets with the matched words marked. Marks are character ranges into the text shown, never
// markup, so no stored text can inject HTML into the console. Snippets are cut from what the user
// may see: the item as disclosed to them (masked unless unmasked), and page text with ID numbers
// and the person's name masked the same way.

export interface Highlight {
  field: string;
  label: string;
  text: string;
  /** [start, end) ranges of text, in UTF-16 code units as JavaScript strings count. */
  marks: Array<[number, number]>;
}

const CONTEXT = 40;
const ID_IN_TEXT = /\d{6}(?:19|20)\d{9}[\dXx]/g;
/** Other long numbers in page text: phones, bank accounts, insured numbers. */
const LONG_NUMBER = /\d{11,}/g;

/** Page text as a snippet may show it: folded (full-width digits too) and long numbers masked. */
function maskedPageText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(ID_IN_TEXT, (id) => maskIdNumber(id) ?? '')
    .replace(LONG_NUMBER, (digits) => maskAccount(digits) ?? '');
}

export function markTerms(text: string, terms: readonly string[]): Array<[number, number]> {
  if (terms.length === 0 || text === '') return [];
  const { normalized, origin } = normalizeWithMap(text);
  const ranges: Array<[number, number]> = [];
  for (const term of terms) {
    if (term === '') continue;
    for (let at = normalized.indexOf(term); at !== -1; at = normalized.indexOf(term, at + term.length))
      ranges.push([origin[at] as number, origin[at + term.length] as number]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

/** A window of the text around its first mark, with marks shifted into it. */
function excerpt(
  text: string,
  marks: Array<[number, number]>,
): { text: string; marks: Array<[number, number]> } {
  const first = marks[0];
  if (!first || text.length <= CONTEXT * 3) return { text, marks };
  const start = Math.max(0, first[0] - CONTEXT);
  const end = Math.min(text.length, first[1] + CONTEXT * 2);
  const prefix = start > 0 ? '…' : '';
  const suffix = end < text.length ? '…' : '';
  const shift = prefix.length - start;
  return {
    text: `${prefix}${text.slice(start, end)}${suffix}`,
    marks: marks
      .filter(([from, to]) => from >= start && to <= end)
      .map(([from, to]) => [from + shift, to + shift] as [number, number]),
  };
}

const FIELDS: ReadonlyArray<keyof Item & keyof typeof FIELD_LABELS> = [
  'title',
  'name',
  'businessType',
  'docNumber',
  'responsible',
  'handler',
  'agency',
  'insuredNumber',
];

/** Highlights of one item: its fields and the pages where a term occurs. */
export function highlightItem(
  shown: Item,
  rawName: string | null,
  pages: ReadonlyArray<{ page: number; text: string }>,
  terms: readonly string[],
): Highlight[] {
  const highlights: Highlight[] = [];
  const add = (field: string, label: string, text: string | null | undefined, cut = false) => {
    if (!text) return;
    const marks = markTerms(text, terms);
    if (marks.length === 0) return;
    highlights.push({ field, label, ...(cut ? excerpt(text, marks) : { text, marks }) });
  };
  for (const field of FIELDS) add(field, FIELD_LABELS[field], shown[field] as string | null);
  for (const [key, value] of Object.entries(shown.extra ?? {}))
    if (typeof value === 'string') add(`extra.${key}`, key, value, true);
  const name = rawName?.trim();
  for (const page of pages) {
    let text = maskedPageText(page.text);
    if (name && shown.name && shown.name !== name) text = text.split(name).join(shown.name);
    add(`page.${page.page}`, `第${page.page}页`, text, true);
  }
  return highlights;
}
