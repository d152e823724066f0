import CFB from 'cfb';

// Word and Excel 97–2003 files are OLE compound files (复合文档), the same container as MSI installers
// and Outlook messages. Agencies hold years of .doc/.xls records, so the container alone decides
// nothing: its directory names the streams, and Word or Excel is accepted only by its main stream.

/** The compound file's first eight bytes (D0 CF 11 E0 A1 B1 1A E1). */
export const COMPOUND_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export const isCompoundFile = (head: Buffer) =>
  head.length >= 8 && head.subarray(0, 8).equals(COMPOUND_SIGNATURE);

export type CompoundKind =
  | { kind: 'office'; mediaType: 'application/msword' | 'application/vnd.ms-excel'; label: 'DOC' | 'XLS' }
  /** Word or Excel holding VBA macros: code that runs when the file is opened. */
  | { kind: 'macros'; label: 'DOC' | 'XLS' }
  /** A readable compound file that is neither (an MSI installer, an Outlook message, a Visio drawing…). */
  | { kind: 'other' }
  /** Not a compound file that can be read: truncated, a broken sector chain, a loop. */
  | { kind: 'unreadable'; reason: string };

const MACRO_STORAGES = new Set(['_vba_project_cur', 'macros', 'vba', '_vba_project']);

/** What a compound file holds, from its directory (the whole file is read; streams are not decoded). */
export function classifyCompoundFile(bytes: Buffer): CompoundKind {
  let names: string[];
  try {
    const container = CFB.read(bytes, { type: 'buffer' });
    names = container.FileIndex.map((entry) => entry.name.toLowerCase());
  } catch (error) {
    return { kind: 'unreadable', reason: (error as Error).message.slice(0, 120) };
  }
  const has = (name: string) => names.includes(name);
  const label = has('worddocument') ? 'DOC' : has('workbook') || has('book') ? 'XLS' : undefined;
  if (!label) return { kind: 'other' };
  if (names.some((name) => MACRO_STORAGES.has(name))) return { kind: 'macros', label };
  return {
    kind: 'office',
    label,
    mediaType: label === 'DOC' ? 'application/msword' : 'application/vnd.ms-excel',
  };
}
