import { maskIdNumber, maskName, maskPhone } from '../catalog/item.mask.js';
import type { LedgerCellValue, LedgerDocument } from './ledger.document.js';

// Masking (脱敏) of a generated document — a ledger or a reconciliation workbook — for a caller who
// did not ask, or may not ask, to see personal data in full: the same rules as items (ID numbers keep
// 6 + 4, names their first and last character, phones 3 + 4), and addresses keep their township.

/** An address down to its township or street (镇/乡/街道); the house and village are starred. */
export function maskAddress(value: string | null): string | null {
  if (!value) return value;
  const match = /^.*?(?:街道|镇|乡)/.exec(value);
  const kept = match ? match[0] : [...value].slice(0, 6).join('');
  return kept.length >= value.length ? value : `${kept}****`;
}

/** Names quoted in a note (名册为“张三丰”) and any ID number in it are masked like the columns. */
const maskNote = (text: string) =>
  text
    .replace(/“([^”]{1,30})”/g, (_whole, name: string) => `“${maskName(name) ?? ''}”`)
    .replace(/\d{17}[\dXx]/g, (id) => maskIdNumber(id) ?? '');

const MASKS: Record<string, (value: string) => string | null> = {
  name: maskName,
  rosterName: maskName,
  idNumber: (value) => maskIdNumber(value) ?? null,
  proposedId: (value) => maskIdNumber(value) ?? null,
  address: maskAddress,
  phone: maskPhone,
  note: maskNote,
};

function maskCell(key: string, value: LedgerCellValue): LedgerCellValue {
  const mask = MASKS[key];
  return mask && typeof value === 'string' ? mask(value) : value;
}

/** The document with every personal column masked; covers and totals hold counts only and stay. */
export function maskDocument(document: LedgerDocument): LedgerDocument {
  return {
    ...document,
    sections: document.sections.map((section) => ({
      ...section,
      rows: section.rows.map((row) =>
        Object.fromEntries(Object.entries(row).map(([key, value]) => [key, maskCell(key, value)])),
      ),
    })),
  };
}
