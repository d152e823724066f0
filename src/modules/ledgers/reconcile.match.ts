import { namePinyin } from './roster.keys.js';

// How a list row's name and ID number relate to a roster person's: the rules the correction list
// (返回更正清单) is made of. Pure functions, so the rules are tested without a database.

export type NameRelation = 'same' | 'homophone' | 'typo' | 'different';
export type IdRelation = 'same' | 'substitution' | 'transposition' | 'one_edit' | 'prefix' | 'far';

/** The name without its dots and spaces: 阿依古丽·买买提 and 阿依古丽 买买提 are one name written two ways. */
export const bareName = (name: string) => name.replace(/[·\s]/g, '');

/** One substitution, insertion or deletion apart at most (string characters or code points). */
function withinOneEdit<T>(x: ArrayLike<T>, y: ArrayLike<T>): boolean {
  if (Math.abs(x.length - y.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (x.length > y.length) i++;
    else if (y.length > x.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (x.length - i) + (y.length - j) <= 1;
}

export function nameRelation(listName: string, rosterName: string): NameRelation {
  const a = bareName(listName);
  const b = bareName(rosterName);
  if (a === b) return 'same';
  if (a === '' || b === '') return 'different';
  if (namePinyin(a) === namePinyin(b)) return 'homophone';
  // One wrong, missing or extra character in a name of two or more: a typo, not another person.
  const [x, y] = [[...a], [...b]];
  return Math.min(x.length, y.length) >= 2 && withinOneEdit(x, y) ? 'typo' : 'different';
}

/**
 * How the ID in a list relates to a roster person's. `trustedDigits` below 18 means the list's number
 * lost its tail (Excel stored it as a number): then only the trusted head is compared.
 */
export function idRelation(listId: string, rosterId: string, trustedDigits = 18): IdRelation {
  if (trustedDigits < 18) {
    // The last trusted digit may have been rounded, so one fewer is compared (at least the region).
    const head = Math.max(6, Math.min(trustedDigits - 1, 14));
    return listId.length >= head && rosterId.startsWith(listId.slice(0, head)) ? 'prefix' : 'far';
  }
  if (listId === rosterId) return 'same';
  if (listId.length === rosterId.length) {
    const differing: number[] = [];
    for (let index = 0; index < listId.length && differing.length <= 2; index++)
      if (listId[index] !== rosterId[index]) differing.push(index);
    if (differing.length === 1) return 'substitution';
    const [first, second] = differing;
    if (
      differing.length === 2 &&
      first !== undefined &&
      second === first + 1 &&
      listId[first] === rosterId[second] &&
      listId[second] === rosterId[first]
    )
      return 'transposition';
    return 'far';
  }
  return withinOneEdit(listId, rosterId) ? 'one_edit' : 'far';
}

/** Name relations in order of trust; a proposal takes the best tier only when one person is in it. */
export const NAME_TIERS: readonly NameRelation[] = ['same', 'homophone', 'typo'];
