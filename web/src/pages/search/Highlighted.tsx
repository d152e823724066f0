import type { ReactNode } from 'react';

// Matched words marked as React elements from the API's [start, end) ranges: the server's text is
// only ever a text node, never markup, so no stored text can inject HTML.

export function markedParts(text: string, marks: ReadonlyArray<readonly [number, number]>): ReactNode[] {
  const ranges = marks
    .map(([start, end]) => [Math.max(0, start), Math.min(text.length, end)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    // Overlapping ranges (a word inside a phrase) merge into the mark already open.
    const from = Math.max(start, at);
    if (end <= from) continue;
    if (from > at) parts.push(text.slice(at, from));
    parts.push(<mark key={`${from}-${end}`}>{text.slice(from, end)}</mark>);
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

export function Highlighted({
  text,
  marks,
}: {
  text: string;
  marks: ReadonlyArray<readonly [number, number]>;
}) {
  return <>{markedParts(text, marks)}</>;
}
