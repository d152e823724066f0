import { execFileSync } from 'node:child_process';
import yauzl from 'yauzl';

// What the scope-and-masking test looks for in every answer and generated file: an ID number in
// the clear, or a marker of data outside the caller's scope. Files are decoded first (XLSX and
// other ZIPs entry by entry, PDF through poppler's pdftotext, base64 file contents inside JSON).
// The ID detector is written here on its own, not borrowed from the code under test.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const checkChar = (first17: string) =>
  '10X98765432'[
    [...first17].reduce((sum, digit, index) => sum + Number(digit) * (WEIGHTS[index] ?? 0), 0) % 11
  ];
function realDate(yyyymmdd: string): boolean {
  const [year, month, day] = [yyyymmdd.slice(0, 4), yyyymmdd.slice(4, 6), yyyymmdd.slice(6, 8)].map(Number);
  const date = new Date(Date.UTC(year as number, (month as number) - 1, day));
  return (year as number) >= 1890 && date.toISOString().slice(0, 10).replaceAll('-', '') === yyyymmdd;
}

/** Every 18-character window of a digit run that is a valid resident ID number (GB 11643 check, real date). */
export function clearIdNumbers(text: string): string[] {
  const found = new Set<string>();
  for (const run of text.normalize('NFKC').matchAll(/\d{17,}[\dXx]?/g)) {
    const digits = run[0].toUpperCase();
    for (let start = 0; start + 18 <= digits.length; start++) {
      const candidate = digits.slice(start, start + 18);
      if (!/^\d{17}[\dX]$/.test(candidate)) continue;
      if (realDate(candidate.slice(6, 14)) && checkChar(candidate.slice(0, 17)) === candidate[17])
        found.add(candidate);
    }
  }
  return [...found];
}

const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

function unzip(content: Buffer): Promise<Array<{ name: string; content: Buffer }>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(content, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const entries: Array<{ name: string; content: Buffer }> = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            entries.push({ name: entry.fileName, content: Buffer.concat(chunks) });
            zip.readEntry();
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return XML_ENTITIES[entity] ?? whole;
  });

/** One readable text per part of the content: itself, each ZIP entry, a PDF's text, base64 files in JSON. */
export async function decodeParts(
  content: Buffer,
  label: string,
): Promise<Array<{ label: string; text: string }>> {
  if (content.subarray(0, 4).equals(ZIP)) {
    const parts: Array<{ label: string; text: string }> = [];
    for (const entry of await unzip(content))
      parts.push(...(await decodeParts(entry.content, `${label}!${entry.name}`)));
    return parts;
  }
  if (content.subarray(0, 5).toString('latin1') === '%PDF-') {
    const text = execFileSync('pdftotext', ['-q', '-enc', 'UTF-8', '-', '-'], { input: content }).toString(
      'utf8',
    );
    return [{ label: `${label} (pdf)`, text }];
  }
  const text = content.toString('utf8');
  const parts = [{ label, text: label.endsWith('.xml') ? `${text}\n${unescapeXml(text)}` : text }];
  if (/^\s*[[{]/.test(text)) {
    try {
      const embedded: Array<{ key: string; value: string }> = [];
      const rest = JSON.parse(text, (key, value) => {
        if (typeof value !== 'string' || !/base64/i.test(key)) return value;
        embedded.push({ key, value });
        return `(base64, read decoded as part ${embedded.length - 1})`;
      });
      // The encoded letters are not text: a marker such as "J014" turns up in random base64 now and
      // then (it failed a CI run); the decoded file is what is read.
      if (embedded.length > 0) parts[0] = { label, text: JSON.stringify(rest, null, 1) };
      for (const [index, one] of embedded.entries())
        parts.push(...(await decodeParts(Buffer.from(one.value, 'base64'), `${label}#${one.key}[${index}]`)));
    } catch {
      // Not JSON after all (NDJSON, CSV that starts with a bracket): read as text only.
    }
  }
  return parts;
}

export interface Leak {
  where: string;
  kind: 'id-number' | 'outside-scope';
  what: string;
  /** The text around it, with any ID number masked so the failure report itself leaks nothing. */
  context: string;
}

/** The text with every ID number in it masked, for failure messages. */
export const maskAll = (text: string) =>
  clearIdNumbers(text).reduce(
    (out, id) => out.split(id).join(`${id.slice(0, 6)}********${id.slice(14)}`),
    text,
  );

/** The leaks in one text. */
export function leaksIn(text: string, where: string, outsideMarkers: readonly string[]): Leak[] {
  const folded = text.normalize('NFKC');
  const leaks: Leak[] = [];
  const around = (at: number) => maskAll(folded.slice(Math.max(0, at - 60), at + 80)).replace(/\s+/g, ' ');
  for (const id of clearIdNumbers(folded))
    leaks.push({
      where,
      kind: 'id-number',
      what: `${id.slice(0, 6)}…${id.slice(14)}`,
      context: around(folded.indexOf(id)),
    });
  for (const marker of outsideMarkers) {
    const at = folded.indexOf(marker);
    if (at >= 0) leaks.push({ where, kind: 'outside-scope', what: marker, context: around(at) });
  }
  return leaks;
}

/** The leaks in an answer: its headers (file names) and its body, decoded. */
export async function leaksInAnswer(
  answer: { headers: Record<string, unknown>; rawPayload: Buffer },
  where: string,
  outsideMarkers: readonly string[],
): Promise<Leak[]> {
  const headerText = ['content-disposition', 'x-archive-code', 'location']
    .map((name) => answer.headers[name])
    .filter((value): value is string => typeof value === 'string')
    .map((value) => {
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    })
    .join('\n');
  const leaks = leaksIn(headerText, `${where} [headers]`, outsideMarkers);
  for (const part of await decodeParts(answer.rawPayload, where))
    leaks.push(...leaksIn(part.text, part.label, outsideMarkers));
  return leaks;
}
