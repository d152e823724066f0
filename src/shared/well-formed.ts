// Text PostgreSQL cannot hold: a NUL byte, or half of a surrogate pair (JavaScript strings may carry
// one, UTF-8 cannot encode it). The door refuses such text; what is shown or sent is made well formed.

// Without the u flag a regular expression sees UTF-16 code units, so unpaired halves can be found.
const BAD_TEXT = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const BAD_TEXT_ALL = new RegExp(BAD_TEXT.source, 'g');

export const hasBadText = (text: string) => BAD_TEXT.test(text);

/** The text with each NUL and unpaired surrogate replaced by U+FFFD: safe to show, store or send. */
export const wellFormed = (text: string) => text.replace(BAD_TEXT_ALL, '\ufffd');

/** A parsed JSON value with every string (keys too) made well formed; other values as they are. */
export function wellFormedDeep(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (Array.isArray(value)) return value.map(wellFormedDeep);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [wellFormed(key), wellFormedDeep(item)]),
  );
}
