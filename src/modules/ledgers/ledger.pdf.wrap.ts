// Where a ledger cell's text may break across lines. A reviewer reads dates, amounts, ID numbers and
// labels such as 脱贫人口（建档立卡）, so a line never breaks inside a run of digits and Latin letters
// (2025-06-29, 1,234.56, 320115********1234), never between a bracket or a stop and the text it belongs
// to, and a short bracketed qualifier moves to the next line whole. Between two Chinese characters, or
// at a space, is fine. What cannot fit even then is for the caller to shrink (see widestPiece).

/** Characters that may not begin a line: closing brackets and quotes, stops, the ellipsis. */
const NO_LINE_START = new Set([...'）)]】〕〗》〉」』”’｝}，。、；：！？,.;:!?%…·～']);
/** Characters that may not end a line: opening brackets and quotes. */
const NO_LINE_END = new Set([...'（([【〔〖《〈「『“‘｛{']);
const OPENING = NO_LINE_END;
const CLOSING = new Set([...'）)]】〕〗》〉」』”’｝}']);
/** Longest bracketed qualifier (brackets included) kept on one line when it can be. */
const GROUP_MAX = 12;

const ALNUM = '0-9A-Za-z\\uFF10-\\uFF19\\uFF21-\\uFF3A\\uFF41-\\uFF5A*＊';
/** A run never broken: digits and Latin letters, with the marks inside dates, amounts and codes. */
const WORD = new RegExp(`[${ALNUM}]+(?:[-.,:/+_~'@#&·][${ALNUM}]+)*%?`, 'y');
const SPACE = /^\s$/u;

/** A piece a line may end after; a group is a bracketed qualifier kept whole when it fits. */
interface Item {
  text: string;
  /** The pieces of a group, placed one by one when the whole does not fit on a line. */
  pieces?: string[];
}

/** The smallest pieces of a paragraph: words, single characters, spaces; stops and brackets glued. */
export function pieces(paragraph: string): string[] {
  const units: string[] = [];
  for (let at = 0; at < paragraph.length; ) {
    WORD.lastIndex = at;
    const word = WORD.exec(paragraph);
    const unit = word ? word[0] : String.fromCodePoint(paragraph.codePointAt(at) as number);
    units.push(unit);
    at += unit.length;
  }
  const glued: string[] = [];
  for (const unit of units) {
    const previous = glued.at(-1);
    const space = SPACE.test(unit);
    const joinsPrevious =
      previous !== undefined &&
      !space &&
      !SPACE.test(previous) &&
      (NO_LINE_START.has([...unit][0] as string) || NO_LINE_END.has([...previous].at(-1) as string));
    if (joinsPrevious) glued[glued.length - 1] = previous + unit;
    else glued.push(unit);
  }
  return glued;
}

/** Pieces gathered into items: a short bracketed qualifier becomes one group. */
function items(paragraph: string): Item[] {
  const all = pieces(paragraph);
  const found: Item[] = [];
  for (let index = 0; index < all.length; index++) {
    const piece = all[index] as string;
    if (OPENING.has([...piece][0] as string)) {
      let length = 0;
      let end = -1;
      for (let next = index; next < all.length && length <= GROUP_MAX; next++) {
        const text = all[next] as string;
        length += [...text].length;
        const closes = [...text].some((char, at) => CLOSING.has(char) && (next > index || at > 0));
        if (closes) {
          end = next;
          break;
        }
      }
      if (end > index && length <= GROUP_MAX) {
        const group = all.slice(index, end + 1);
        found.push({ text: group.join(''), pieces: group });
        index = end;
        continue;
      }
    }
    found.push({ text: piece });
  }
  return found;
}

/**
 * The widest piece that may not be broken, in the units `width` measures; with `groups`, the widest
 * bracketed qualifier too (kept whole when a little smaller type makes it fit).
 */
export function widestPiece(
  text: string,
  width: (text: string) => number,
  options: { groups?: boolean } = {},
): number {
  let widest = 0;
  for (const paragraph of text.split(/\r?\n/))
    for (const item of options.groups
      ? items(paragraph)
      : pieces(paragraph).map((piece) => ({ text: piece })))
      widest = Math.max(widest, width(item.text));
  return widest;
}

/**
 * Greedy line breaking at the allowed places. A piece wider than a whole line (a caller that could not
 * shrink enough) is the one thing broken by character, as the last resort.
 */
export function breakLines(text: string, maxWidth: number, width: (text: string) => number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    if (width(paragraph) <= maxWidth) {
      lines.push(paragraph);
      continue;
    }
    let line = '';
    let lineWidth = 0;
    const newLine = () => {
      lines.push(line.trimEnd());
      [line, lineWidth] = ['', 0];
    };
    const place = (text: string, textWidth: number) => {
      if (line && lineWidth + textWidth > maxWidth) newLine();
      if (!line && SPACE.test(text)) return;
      line += text;
      lineWidth += textWidth;
    };
    const placePiece = (piece: string) => {
      const pieceWidth = width(piece);
      if (pieceWidth <= maxWidth) return place(piece, pieceWidth);
      for (const char of piece) place(char, width(char));
    };
    for (const item of items(paragraph)) {
      const itemWidth = width(item.text);
      if (!item.pieces) placePiece(item.text);
      else if (lineWidth + itemWidth <= maxWidth || (itemWidth <= maxWidth && line === ''))
        place(item.text, itemWidth);
      else if (itemWidth <= maxWidth) {
        newLine();
        place(item.text, itemWidth);
      } else for (const piece of item.pieces) placePiece(piece);
    }
    lines.push(line);
  }
  return lines;
}
