import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { readSpreadsheet } from '../../shared/spreadsheet/spreadsheet.js';
import { maskIdNumbersInText } from '../catalog/id-number.js';
import { recordEvent } from '../integrity/event-log.js';
import { listFundItems } from './fund-item.repo.js';
import { authorizeFund } from './settlement.access.js';
import {
  type Field,
  fieldOfHeader,
  FIELD_HEADERS,
  type RawRow,
  type RowRefusal,
} from './settlement.fields.js';
import { finishImport, MAX_STORED_REFUSALS, openFileImport } from './settlement.import.repo.js';
import { storedSettlements } from './settlement.repo.js';
import { type FundRegions, fundRegions, regionReached } from './settlement.scope.js';
import { checkSettlementRows, type PreparedSettlement } from './settlement.validate.js';
import { insertSettlements, upsertPersons } from './settlement.write.js';

// Importing a settlement extract (CSV in GBK or UTF-8, or XLSX): one row per detail line with the
// header repeated, grouped by 结算流水号. Everything is checked before anything is written; the good
// settlements are then written a batch per transaction, each with the import's id, so after a crash
// (kill -9 included) the same file continues where it stopped: settlements already written by this
// import are skipped, none is written twice, none is lost. A settlement is whole or refused.

/** The largest extract taken; a larger one is refused before it is read. */
export const MAX_EXTRACT_BYTES = 64 * 1024 * 1024;
export const MAX_EXTRACT_ROWS = 300_000;
const DEFAULT_BATCH = 2000;

const REQUIRED_COLUMNS: Field[] = [
  'serial',
  'idNumber',
  'region',
  'institutionCode',
  'institutionName',
  'institutionLevel',
  'visitType',
  'admitDate',
  'primaryDx',
  'totalCost',
  'fundPaid',
  'selfPaid',
  'settledOn',
  'itemCode',
  'quantity',
  'unitPrice',
  'amount',
  'lineDate',
];

export interface ImportReport {
  importId: number;
  fileName: string;
  format: 'csv' | 'xlsx' | 'json';
  /** The CSV's encoding or the sheet's name. */
  source: string;
  /** An earlier run of the same file was continued. */
  resumed: boolean;
  rows: number;
  settlements: number;
  imported: number;
  /** Already stored: written by an earlier run of this import, or (push) the same content again. */
  skipped: number;
  refused: number;
  refusedRows: RowRefusal[];
  /** More refused rows than kept in the report. */
  truncated: boolean;
}

export interface ImportOptions {
  encoding?: 'gbk' | 'utf8';
  batchSize?: number;
  /** Called after each batch is committed (tests stop an import here, as a crash would). */
  onBatch?: (done: number, total: number) => void;
}

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

/** The file's text re-encoded as UTF-8 when the caller names its encoding (XLSX is left alone). */
function decoded(content: Buffer, encoding: ImportOptions['encoding']): Buffer {
  if (!encoding || (content[0] === 0x50 && content[1] === 0x4b)) return content;
  try {
    const text = new TextDecoder(encoding === 'gbk' ? 'gb18030' : 'utf-8', { fatal: true }).decode(content);
    return Buffer.from(`\ufeff${text.replace(/^\ufeff/, '')}`, 'utf8');
  } catch {
    throw invalid('FUND_IMPORT_INVALID', `文件不是有效的 ${encoding === 'gbk' ? 'GBK' : 'UTF-8'} 编码文本`);
  }
}

export const tooLargeMessage = (bytes: number) =>
  `文件 ${Math.round((bytes / 1024 / 1024) * 10) / 10} MB，超过结算数据导入上限 ${MAX_EXTRACT_BYTES / 1024 / 1024} MB，请按月份或机构拆分后导入`;

export async function importSettlementFile(
  db: Db,
  access: AccessContext,
  file: { name: string; content: Buffer },
  options: ImportOptions = {},
): Promise<ImportReport> {
  authorizeFund(access, 'fund.import');
  if (file.content.length > MAX_EXTRACT_BYTES)
    throw invalid('IMPORT_TOO_LARGE', tooLargeMessage(file.content.length));
  const sheet = await readSpreadsheet(decoded(file.content, options.encoding), {
    limits: { maxFileBytes: MAX_EXTRACT_BYTES * 2, maxRows: MAX_EXTRACT_ROWS },
  });
  const [header, ...body] = sheet.rows;
  if (!header) throw invalid('FUND_IMPORT_INVALID', '文件中没有数据');
  const columns = header.cells.map((cell) => fieldOfHeader(cell.text));
  const missing = REQUIRED_COLUMNS.filter((field) => !columns.includes(field));
  if (missing.length > 0)
    throw invalid(
      'FUND_IMPORT_INVALID',
      `缺少列：${missing.map((field) => FIELD_HEADERS[field][0]).join('、')}（第一行应为列名，见 README 结算数据）`,
    );
  const cellRefusals: RowRefusal[] = [];
  const rows: RawRow[] = [];
  for (const row of body) {
    const fields: RawRow['fields'] = {};
    let problem: string | undefined;
    columns.forEach((field, index) => {
      const cell = row.cells[index];
      if (!field || !cell) return;
      if (cell.problem) problem ??= `${FIELD_HEADERS[field][0]}：${cell.problem}`;
      fields[field] = cell.text;
    });
    if (problem)
      cellRefusals.push({
        row: row.line,
        serial: (fields.serial ?? '').trim(),
        field: '',
        code: 'value',
        message: problem,
      });
    else rows.push({ row: row.line, fields });
  }
  const items = new Map((await listFundItems(db)).map((item) => [item.code, item]));
  const checked = checkSettlementRows(rows, items);
  // A settlement with a cell that cannot be read is refused whole, like any other bad row.
  const unreadable = new Set(cellRefusals.map((refusal) => refusal.serial).filter(Boolean));
  const good = checked.good.filter((settlement) => !unreadable.has(settlement.serial));
  const refusals = [...cellRefusals, ...checked.refusals];
  for (const settlement of checked.good)
    if (unreadable.has(settlement.serial))
      for (const row of settlement.rows)
        refusals.push({
          row,
          serial: settlement.serial,
          field: '',
          code: 'sibling',
          message: '同一结算的其他行有误，整单未导入',
        });
  const actor = actorIn(access);
  const fileDigest = `sha256:${sha256(file.content)}`;
  const opened = await openFileImport(
    db,
    {
      digest: fileDigest,
      name: maskIdNumbersInText(file.name).slice(0, 300),
      encoding: sheet.format === 'csv' ? sheet.source : 'xlsx',
      rows: body.length,
      settlements: checked.settlements,
    },
    actor,
  );
  const stored = await storePrepared(db, access, good, { importId: opened.id, mode: 'file', ...options });
  refusals.push(...stored.refusals);
  const report = finalReport(refusals);
  await inTransaction(db, async (trx) => {
    await finishImport(
      trx,
      opened.id,
      { imported: stored.imported.length + stored.skipped.length, refused: report.refused },
      report.rows,
    );
    recordEvent(trx, {
      actor,
      action: 'fund.settlements_imported',
      subject: `fund-import:${opened.id}`,
      payload: {
        via: 'file',
        fileDigest,
        rows: body.length,
        settlements: checked.settlements,
        imported: stored.imported.length,
        refused: report.refused,
        skipped: stored.skipped.length,
        serialsDigest: `sha256:${sha256(stored.imported.join('\n'))}`,
      },
    });
  });
  return {
    importId: opened.id,
    fileName: maskIdNumbersInText(file.name),
    format: sheet.format,
    source: sheet.source,
    resumed: opened.resumed,
    rows: body.length,
    settlements: checked.settlements,
    imported: stored.imported.length,
    skipped: stored.skipped.length,
    refused: report.refused,
    refusedRows: report.rows,
    truncated: report.truncated,
  };
}

/** Refused rows sorted, serials masked should an ID number have been typed there, and counted by settlement. */
export function finalReport(refusals: RowRefusal[]): {
  rows: RowRefusal[];
  refused: number;
  truncated: boolean;
} {
  const rows = refusals
    .map((refusal) => ({
      ...refusal,
      serial: maskIdNumbersInText(refusal.serial),
      message: maskIdNumbersInText(refusal.message),
    }))
    .sort((a, b) => a.row - b.row);
  const refused = new Set(rows.map((row) => row.serial || `row:${row.row}`)).size;
  return { rows: rows.slice(0, MAX_STORED_REFUSALS), refused, truncated: rows.length > MAX_STORED_REFUSALS };
}

export interface Stored {
  imported: string[];
  skipped: string[];
  refusals: RowRefusal[];
}

/**
 * Writes checked settlements: those this import already wrote are skipped; one stored by another
 * import is refused (a file) or, pushed again with the same content, skipped (a push is idempotent
 * by serial); a settlement of a region outside the caller's is refused.
 */
export async function storePrepared(
  db: Db,
  access: AccessContext,
  prepared: readonly PreparedSettlement[],
  options: {
    importId: number;
    mode: 'file' | 'push';
    batchSize?: number;
    onBatch?: (done: number, total: number) => void;
  },
): Promise<Stored> {
  const regions: FundRegions = await fundRegions(db, access);
  const out: Stored = { imported: [], skipped: [], refusals: [] };
  const refuse = (settlement: PreparedSettlement, code: RowRefusal['code'], message: string) => {
    for (const row of settlement.rows)
      out.refusals.push({ row, serial: settlement.serial, field: 'serial', code, message });
  };
  const pending: PreparedSettlement[] = [];
  const batch = Math.max(1, Math.min(options.batchSize ?? DEFAULT_BATCH, 10_000));
  for (let start = 0; start < prepared.length; start += 5000) {
    const slice = prepared.slice(start, start + 5000);
    const stored = await storedSettlements(
      db,
      slice.map((row) => row.serial),
    );
    for (const settlement of slice) {
      const existing = stored.get(settlement.serial);
      if (!regionReached(regions, settlement.settlement.region))
        refuse(settlement, 'scope', `统筹区 ${settlement.settlement.region} 不在您的数据范围内`);
      else if (!existing) pending.push(settlement);
      else if (existing.importId === options.importId) out.skipped.push(settlement.serial);
      else if (options.mode === 'push' && existing.content === settlement.content)
        out.skipped.push(settlement.serial);
      else if (options.mode === 'push')
        refuse(settlement, 'conflict', `结算流水号 ${settlement.serial} 已存在且内容不同，未覆盖`);
      else
        refuse(
          settlement,
          'already_imported',
          `结算流水号 ${settlement.serial} 已导入（导入批次 ${existing.importId ?? '推送/生成'}）`,
        );
    }
  }
  for (let start = 0; start < pending.length; start += batch) {
    const part = pending.slice(start, start + batch);
    const ids = await inTransaction(db, async (trx) => {
      await upsertPersons(trx, dedupePersons(part));
      return insertSettlements(
        trx,
        part.map((row) => row.settlement),
        options.importId,
      );
    });
    for (const settlement of part) {
      if (ids.has(settlement.serial)) out.imported.push(settlement.serial);
      else refuse(settlement, 'already_imported', `结算流水号 ${settlement.serial} 刚被另一次导入写入`);
    }
    options.onBatch?.(Math.min(start + batch, pending.length), pending.length);
  }
  return out;
}

function dedupePersons(part: readonly PreparedSettlement[]) {
  const byKey = new Map<string, PreparedSettlement['person']>();
  for (const row of part) if (!byKey.has(row.person.personKey)) byKey.set(row.person.personKey, row.person);
  return [...byKey.values()].map((person) => ({ ...person, deathDate: null }));
}
