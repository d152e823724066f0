import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import type { ItemInput } from '../src/modules/catalog/item.schema.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import { importReport } from '../src/modules/import/import.report.js';
import { importTable } from '../src/modules/import/import.service.js';
import { useFieldKey } from '../src/shared/field-cipher.js';
import { SYSTEM } from '../test/helpers/fixture-access.js';

// Batch import of an XLSX ledger on PGlite (on disk): reading, checking every row, filing in batches
// of 1,000 with the record of each batch's lines, against filing the very same items through the
// service in batches of 1,000 in the same run. Aim: at least 2,000 rows/s at 100,000 rows.

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);
const BATCH = 1000;
const FIELDS = [
  'fonds',
  'category',
  'year',
  'org',
  'title',
  'responsible',
  'date',
  'securityLevel',
  'insuredNumber',
  'idNumber',
  'name',
  'businessType',
  'handledAt',
  'handler',
  'agency',
  'poolingRegion',
  'amount',
  'carrier',
  'sensitivity',
  'docNumber',
] as const;

/** Generated items as a ledger would hold them: no paper location (not a column), so carried electronically. */
function ledgerItems(seed: string, start: number, count: number): ItemInput[] {
  return generateItemBatch(seed, 'B001', '320115', start, count).map(({ paperLocation: _, ...item }) => ({
    ...item,
    carrier: 'electronic',
  }));
}

async function writeLedger(items: readonly ItemInput[]): Promise<Buffer> {
  const extraKeys = [...new Set(items.flatMap((item) => Object.keys(item.extra ?? {})))];
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('台账');
  sheet.addRow([...FIELDS, ...extraKeys.map((key) => `extra.${key}`)]);
  for (const item of items) {
    const record = item as unknown as Record<string, unknown>;
    sheet.addRow([
      ...FIELDS.map((field) => (record[field] === undefined ? null : String(record[field]))),
      ...extraKeys.map((key) => (item.extra?.[key] === undefined ? null : String(item.extra[key]))),
    ]);
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-import-bench-'));
useFieldKey(crypto.randomBytes(32));
const database = await openDatabase(loadConfig({ YIDANG_HOME: home }));
try {
  const db = database.db;
  await createFonds(db, { code: 'B001', name: '导入基准测试局', regionCode: '320115' }, 'bench');
  await fileItems(db, ledgerItems('warm', 0, BATCH), 'bench', { access: SYSTEM });

  const items = ledgerItems('import', 0, ROWS);
  let started = performance.now();
  const ledger = await writeLedger(items);
  const writeSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const result = await importTable(db, { name: 'ledger.xlsx', content: ledger }, 'bench', {
    access: SYSTEM,
    batchSize: BATCH,
  });
  const importSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await importReport(result);
  const reportSeconds = (performance.now() - started) / 1000;

  // The same items again, straight through the filing service (new 档号 in the same sequences).
  const again = ledgerItems('import', 0, ROWS);
  started = performance.now();
  for (let start = 0; start < again.length; start += BATCH)
    await fileItems(db, again.slice(start, start + BATCH), 'bench', { access: SYSTEM });
  const filingSeconds = (performance.now() - started) / 1000;

  const importRate = ROWS / importSeconds;
  const filingRate = ROWS / filingSeconds;
  console.log(
    `  ${ROWS} rows (${(ledger.length / 1024 ** 2).toFixed(1)} MB XLSX, written in ${writeSeconds.toFixed(1)} s): ` +
      `filed ${result.filed}, rejected ${result.rejected}`,
  );
  console.log(
    `  import ${importRate.toFixed(0)} rows/s (${importSeconds.toFixed(1)} s; report ${reportSeconds.toFixed(1)} s) | ` +
      `filing the same items through the service ${filingRate.toFixed(0)} items/s | ratio ${(importRate / filingRate).toFixed(2)} (aim ≥ 2,000 rows/s)`,
  );
} finally {
  await database.close();
  fs.rmSync(home, { recursive: true, force: true });
}
