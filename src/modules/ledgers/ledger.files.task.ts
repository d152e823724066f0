import type { LedgerDocument } from './ledger.document.js';
import { renderLedgerPdf } from './ledger.pdf.js';
import { renderLedgerXlsx } from './ledger.xlsx.js';

// The pool thread's side of rendering a ledger's files (ledger.files.ts is the server thread's).

export interface RenderInput {
  document: LedgerDocument;
  formats: ReadonlyArray<'xlsx' | 'pdf'>;
}

const EMPTY = new Uint8Array(0);

export async function renderOnThread(input: RenderInput): Promise<{ xlsx: Uint8Array; pdf: Uint8Array }> {
  const { document, formats } = input;
  // One after the other: the thread has one core to give.
  const xlsx = formats.includes('xlsx') ? await renderLedgerXlsx(document) : EMPTY;
  const pdf = formats.includes('pdf') ? await renderLedgerPdf(document) : EMPTY;
  return { xlsx: owned(xlsx), pdf: owned(pdf) };
}

/** A buffer of its own, so it is handed back rather than copied. */
const owned = (bytes: Uint8Array): Uint8Array =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
