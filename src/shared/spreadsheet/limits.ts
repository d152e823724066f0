import { invalid, type YidangError } from '../errors.js';

// What one uploaded spreadsheet may cost, counted while it is read (never from what the file says of
// itself): a file past any bound is refused as soon as the bound is passed, with the bound named.

export interface SpreadsheetLimits {
  /** Bytes of the file as uploaded. */
  maxFileBytes: number;
  /** Data rows (not counting the header row and blank rows). */
  maxRows: number;
  /** Bytes actually inflated from an XLSX's zip, all entries together. */
  maxInflatedBytes: number;
  /** Bytes actually inflated from any one zip entry. */
  maxEntryBytes: number;
  /** Entries in an XLSX's zip. */
  maxEntries: number;
  /** Past 1 MiB inflated, an entry inflating more than this many times its compressed size is a bomb. */
  maxInflateRatio: number;
  /** The highest column a row may fill. */
  maxColumns: number;
  /** Cells kept over the whole sheet (rows × their widths, merged copies included). */
  maxCells: number;
  /** Characters in one cell; a longer cell is reported on its row, not read. */
  maxCellChars: number;
}

export const DEFAULT_LIMITS: Readonly<SpreadsheetLimits> = Object.freeze({
  maxFileBytes: 200 * 1024 * 1024,
  maxRows: 200_000,
  maxInflatedBytes: 512 * 1024 * 1024,
  maxEntryBytes: 512 * 1024 * 1024,
  maxEntries: 10_000,
  maxInflateRatio: 200,
  maxColumns: 1024,
  maxCells: 10_000_000,
  maxCellChars: 10_000,
});

export const limitsWith = (overrides: Partial<SpreadsheetLimits> = {}): SpreadsheetLimits => ({
  ...DEFAULT_LIMITS,
  ...overrides,
});

/** What reading cost so far: tests read it to prove a refusal came early. */
export interface ReadStats {
  /** Bytes inflated from the zip (XLSX) or decoded from the file (CSV). */
  bytesRead: number;
  /** Non-blank rows read from the sheet, header included. */
  rowsRead: number;
}

export const newStats = (): ReadStats => ({ bytesRead: 0, rowsRead: 0 });

export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
  return `${bytes} 字节`;
}

export const tooLarge = (message: string): YidangError => invalid('IMPORT_TOO_LARGE', message);
export const unsafe = (message: string): YidangError => invalid('IMPORT_UNSAFE', message);
export const unreadable = (message: string): YidangError => invalid('IMPORT_UNREADABLE', message);
