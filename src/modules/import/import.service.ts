import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { type FieldIssue, invalid, isYidangError } from '../../shared/errors.js';
import { maskIdNumbersInText, refuseIdNumberInText } from '../catalog/id-number.js';
import { checkItems, type FiledItem, fileItems, MAX_BATCH } from '../catalog/item.service.js';
import { detectDuplicates } from '../duplicates/duplicates.service.js';
import { recordEvent } from '../integrity/event-log.js';
import { checkMapping, type ImportMapping, planColumns, rowToItem } from './import.mapping.js';
import { filedLines, findMapping, finishJob, openJob, recordLines, saveMapping } from './import.repo.js';
import { readTable } from './import.table.js';

// Batch import (批量导入) of a CSV or XLSX file: every row is checked before any is written, then the
// valid rows are filed one transaction per batch (or all in one, all-or-nothing). Each batch commits
// the lines it filed with it, so after a crash the same command files only what is missing.

const DEFAULT_BATCH = 1000;

export type LineStatus = 'filed' | 'rejected' | 'skipped' | 'withheld';

export interface ImportLine {
  /** Line of the file (CSV) or row of the sheet (XLSX). */
  line: number;
  /** filed; rejected (its issues); skipped (filed by an earlier run of the same import); withheld (all-or-nothing refused the file). */
  status: LineStatus;
  archiveCode?: string;
  issues: FieldIssue[];
}

export interface ImportResult {
  jobId: number;
  fileName: string;
  format: 'csv' | 'xlsx';
  /** The CSV's encoding or the sheet's name. */
  source: string;
  allOrNothing: boolean;
  /** An earlier run of the same file and mapping was continued. */
  resumed: boolean;
  total: number;
  filed: number;
  rejected: number;
  skipped: number;
  lines: ImportLine[];
}

export interface ImportOptions {
  mapping?: ImportMapping;
  allOrNothing?: boolean;
  batchSize?: number;
  /** Who imports: rows outside their scope are refused. */
  access: AccessContext;
  today?: Date;
  onProgress?: (done: number, total: number) => void;
}

const digest = (data: Buffer | string) => `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;

/** A mapping by the name it was saved under. */
export async function loadMapping(db: Db, name: string): Promise<ImportMapping> {
  const mapping = await findMapping(db, name);
  if (!mapping) throw invalid('MAPPING_NOT_FOUND', `没有名为“${maskIdNumbersInText(name)}”的列映射`);
  return mapping;
}

/** Saves a mapping for a source (扶贫办, 结算系统 …), replacing one of the same name; logged. */
export async function saveImportMapping(
  db: Db,
  name: string,
  raw: unknown,
  actor: string,
): Promise<ImportMapping> {
  const trimmed = name.trim();
  if (!/^[^\p{C}]{1,50}$/u.test(trimmed)) throw invalid('MAPPING_INVALID', '列映射名称应为1至50个字符');
  refuseIdNumberInText('列映射名称', { name: trimmed, raw });
  const mapping = checkMapping(raw);
  await inTransaction(db, async (trx) => {
    await saveMapping(trx, trimmed, mapping, actor);
    recordEvent(trx, {
      actor,
      action: 'import.mapping_saved',
      subject: `mapping:${trimmed}`,
      payload: { mapping },
    });
  });
  return mapping;
}

export async function importTable(
  db: Db,
  file: { name: string; content: Buffer },
  actor: string,
  options: ImportOptions,
): Promise<ImportResult> {
  const allOrNothing = options.allOrNothing ?? false;
  const batchSize = Math.min(Math.max(options.batchSize ?? DEFAULT_BATCH, 1), MAX_BATCH);
  const mapping = checkMapping(options.mapping ?? {});
  const table = await readTable(file.content);
  const plan = planColumns(table.headers, mapping);
  const rows = table.rows.map((row) => ({ line: row.line, ...rowToItem(row.cells, plan) }));
  const checked = await checkItems(
    db,
    rows.map((row) => row.item),
    actor,
    { access: options.access, today: options.today },
  );
  const job = await openJob(db, {
    fileDigest: digest(file.content),
    mappingDigest: digest(JSON.stringify({ mapping, allOrNothing })),
    fileName: maskIdNumbersInText(file.name),
    totalRows: rows.length,
    actor,
  });
  const earlier = await filedLines(db, job.id);
  const lines = new Map<number, ImportLine>();
  const pending: typeof rows = [];
  rows.forEach((row, index) => {
    const code = earlier.get(row.line);
    const issues = [...row.problems, ...(checked[index] ?? [])];
    if (code) lines.set(row.line, { line: row.line, status: 'skipped', archiveCode: code, issues: [] });
    else if (issues.length > 0) lines.set(row.line, { line: row.line, status: 'rejected', issues });
    else pending.push(row);
  });
  const rejected = [...lines.values()].some((line) => line.status === 'rejected');
  if (allOrNothing && rejected) {
    for (const row of pending) lines.set(row.line, { line: row.line, status: 'withheld', issues: [] });
  } else {
    const batches = allOrNothing ? [pending] : chunk(pending, batchSize);
    let done = 0;
    for (const batch of batches) {
      await fileBatch(db, job.id, batch, actor, options, lines);
      done += batch.length;
      options.onProgress?.(done, pending.length);
    }
  }
  await finishJob(db, job.id);
  const ordered = rows.map((row) => lines.get(row.line) as ImportLine);
  const count = (status: LineStatus) => ordered.filter((line) => line.status === status).length;
  return {
    jobId: job.id,
    fileName: maskIdNumbersInText(file.name),
    format: table.format,
    source: table.source,
    allOrNothing,
    resumed: job.resumed,
    total: ordered.length,
    filed: count('filed'),
    rejected: count('rejected'),
    skipped: count('skipped'),
    lines: ordered,
  };
}

const chunk = <T>(list: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, index) =>
    list.slice(index * size, (index + 1) * size),
  );

/**
 * Files one batch with the record of its lines, in one transaction (an all-or-nothing batch may pass
 * the 10,000 items filing takes at once: it is filed in parts, still in the one transaction). A
 * batch the catalog refuses now (changed since the check) is reported, not half-filed.
 */
async function fileBatch(
  db: Db,
  jobId: number,
  batch: ReadonlyArray<{ line: number; item: Record<string, unknown> }>,
  actor: string,
  options: ImportOptions,
  lines: Map<number, ImportLine>,
): Promise<void> {
  try {
    const filed = await inTransaction(db, async (trx) => {
      const all: FiledItem[] = [];
      for (const part of chunk(batch, MAX_BATCH))
        all.push(
          ...(await fileItems(
            trx,
            part.map((row) => row.item),
            actor,
            { access: options.access, today: options.today },
          )),
        );
      await recordLines(
        trx,
        jobId,
        batch.map((row, index) => ({
          line: row.line,
          itemId: (all[index] as FiledItem).id,
          archiveCode: (all[index] as FiledItem).archiveCode,
        })),
      );
      await detectDuplicates(
        trx,
        all.map((item) => item.id),
        actor,
      );
      return all;
    });
    for (const [index, row] of batch.entries())
      lines.set(row.line, {
        line: row.line,
        status: 'filed',
        archiveCode: filed[index]?.archiveCode,
        issues: [],
      });
  } catch (error) {
    if (!isYidangError(error)) throw error;
    const issue = { field: '', message: `本批未归档：${error.message}` };
    for (const row of batch) lines.set(row.line, { line: row.line, status: 'rejected', issues: [issue] });
  }
}
