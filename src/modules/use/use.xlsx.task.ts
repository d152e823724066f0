import { renderUseXlsx, type UseWorkbook } from './use.xlsx.js';

// The pool thread's side of the 利用统计 workbook (use.export.ts is the server thread's).

export async function renderOnThread(book: UseWorkbook): Promise<Uint8Array> {
  const bytes = await renderUseXlsx(book);
  // A buffer of its own, so it is handed back rather than copied.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}
