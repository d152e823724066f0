import { maskIdNumber } from '../modules/catalog/id-number.js';

// ID numbers in text that leaves the server (a logged URL, an error message) are masked as everywhere
// else: the first 6 and last 4 kept. Any run of 17 digits and a digit or X counts, check digit or not:
// a mistyped ID number is still somebody's. Full-width digits are the same number, so text is folded first.

const ID_NUMBER_IN_TEXT = /\d{17}[\dXx]/g;
const maskIds = (text: string) => text.replace(ID_NUMBER_IN_TEXT, (id) => maskIdNumber(id) ?? '');

/** Plain text (an error message): masked after folding, returned as it was when it holds none. */
export function maskIdsInPlainText(text: string): string {
  // Folding keeps every ASCII digit, so nothing to mask in the folded text means none in it.
  const folded = text.normalize('NFKC');
  const masked = maskIds(folded);
  return masked === folded ? text : masked;
}

/** A URL (?idNumber=…, ?q=…): percent-encoded digits are the same number, so it is decoded first. */
export function maskIdsInText(text: string): string {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: mask what can be read as it stands.
  }
  const masked = maskIdsInPlainText(decoded);
  return masked === decoded ? text : masked;
}
