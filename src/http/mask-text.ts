import { maskIdLikeRuns } from '../shared/id-in-text.js';

// ID numbers in text that leaves the server (a logged URL, an error message) are masked as everywhere
// else: the first 6 and last 4 kept, check digit or not (see maskIdLikeRuns).

/** Plain text (an error message). */
export const maskIdsInPlainText = maskIdLikeRuns;

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
