import { cpuTask, runCpuTask } from '../../shared/cpu-pool/cpu-pool.js';
import type { LedgerDocument } from './ledger.document.js';
import type { RenderInput } from './ledger.files.task.js';

// A ledger's XLSX and PDF are rendered on a CPU pool thread (exceljs and pdfkit work in JavaScript):
// measured, a 3,000-row ledger held the server thread 0.9–1.9 s for its PDF and 1.2–1.7 s for its
// XLSX. The renderers are the same functions; only the thread differs.

const renderTask = cpuTask<RenderInput, { xlsx: Uint8Array; pdf: Uint8Array }>(
  import.meta.url,
  './ledger.files.task',
  'renderOnThread',
  // The largest ledgers (tens of thousands of rows) take tens of seconds.
  { label: '生成台账文件', timeLimitMs: 600_000 },
);

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The ledger's files in the formats asked for (an empty buffer for one not asked for). */
export async function renderLedgerFiles(
  document: LedgerDocument,
  formats: ReadonlyArray<'xlsx' | 'pdf'>,
): Promise<{ xlsx: Buffer; pdf: Buffer }> {
  const { xlsx, pdf } = await runCpuTask(renderTask, { document, formats });
  return { xlsx: asBuffer(xlsx), pdf: asBuffer(pdf) };
}
