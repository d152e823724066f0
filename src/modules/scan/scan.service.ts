import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { conflict, invalid, notFound, YidangError } from '../../shared/errors.js';
import { maskIdNumbersInText } from '../catalog/id-number.js';
import { findItemsByIds } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { getItem, itemForChange } from '../catalog/item.service.js';
import { itemSubject } from '../catalog/item.state.js';
import { recordEvent } from '../integrity/event-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { attachStaged, checkFileName, stageFile } from '../storage/file.service.js';
import { enqueueOcrPages } from './ocr.jobs.js';
import { analyseScan, resolutionShortfall, SCAN_EXTENSIONS, type ScannedPage } from './scan.analyse.js';
import {
  findBatch,
  findScanPolicy,
  flaggedScanPages,
  insertScanPages,
  lastScanPage,
  listScanPages,
  type NewScanPage,
  type ScanPageRow,
  type ScanPolicy,
  updateScanPolicy,
} from './scan.repo.js';
import type { PageFlag } from './scan.tables.js';

// Scanned paper (纸质档案数字化) entering the archive: the file is read whole before anything is
// stored, every page's resolution is held to the fonds' policy, and the file, its page rows (each an
// OCR job) and the events are written in one transaction.

/** Largest scanned file accepted in one piece (a 2 GB upload is refused while it streams in). */
export const MAX_SCAN_BYTES = 1024 ** 3;

export interface ScanContext {
  db: Db;
  store: BlobStore;
  /** Who scans: the item must lie in their scope. */
  access: AccessContext;
}

export interface ScanResult {
  archiveCode: string;
  fileNumber: number;
  fileName: string;
  format: string;
  pages: Array<ScannedPage & { page: number; imageName: string; flags: PageFlag[] }>;
  /** Pages kept below the fonds' resolution (policy 'flag'). */
  lowResolution: number[];
  /** What the scanning person should know (the name promised another format, the same scan twice). */
  warnings: string[];
}

/** 档号-0001: the page's name everywhere it is listed or exported. */
export const imageName = (archiveCode: string, page: number) =>
  `${archiveCode}-${String(page).padStart(4, '0')}`;

/** Copies the upload to a private temporary file, refusing it once it passes `maxBytes`. */
async function spool(
  stream: Readable,
  maxBytes: number,
): Promise<{ dir: string; file: string; size: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'yidang-scan-'));
  await fs.chmod(dir, 0o700);
  const file = path.join(dir, 'scan');
  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes)
        done(
          new YidangError(
            'FILE_TOO_LARGE',
            'too_large',
            `扫描文件超过 ${Math.round(maxBytes / 1024 ** 2)} MB，请分册扫描后分别上传`,
          ),
        );
      else done(null, chunk);
    },
  });
  try {
    await pipeline(stream, limit, createWriteStream(file, { mode: 0o600 }));
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, file, size };
}

export async function addScan(
  context: ScanContext,
  archiveCode: string,
  source: { stream: Readable; fileName: string },
  actor: string,
  options: {
    batchId?: number;
    maxBytes?: number;
    /** Runs in the filing's transaction once the pages are in (the route queues the check there). */
    onFiled?: (trx: Db, archiveCode: string) => Promise<void>;
  } = {},
): Promise<ScanResult> {
  // A scan named with an ID number is named, logged and reported with the number masked.
  const originalName = maskIdNumbersInText(checkFileName(source.fileName));
  const item = await getItem(context.db, archiveCode, context.access);
  const policy = await findScanPolicy(context.db, item.fonds);
  if (!policy) throw notFound('FONDS_NOT_FOUND', `全宗“${item.fonds}”不存在`);
  if (options.batchId !== undefined) await usableBatch(context.db, options.batchId, item.fonds);
  const spooled = await spool(source.stream, options.maxBytes ?? MAX_SCAN_BYTES);
  try {
    if (spooled.size === 0) throw invalid('FILE_EMPTY', `文件“${originalName}”是空文件（0 字节），未保存`);
    const analysis = await analyseScan(spooled.file, originalName);
    const lowResolution = checkResolution(analysis.pages, policy);
    const staged = await stageFile(context.store, createReadStream(spooled.file), originalName);
    const committed = { done: false };
    try {
      return await inTransaction(context.db, async (trx) => {
        const locked = await itemForChange(trx, archiveCode, context.access);
        // Again under the batch's lock: a round may have been drawn while the file was read.
        if (options.batchId !== undefined) await usableBatch(trx, options.batchId, item.fonds, true);
        // itemForChange locked the item row, so two scans of one item number their pages in turn.
        const first = (await lastScanPage(trx, locked.id)) + 1;
        const last = first + analysis.pages.length - 1;
        const range =
          first === last
            ? imageName(archiveCode, first)
            : `${imageName(archiveCode, first)}-${String(last).padStart(4, '0')}`;
        const fileName = `${range}.${SCAN_EXTENSIONS[analysis.format]}`;
        const attached = await attachStaged(
          trx,
          context.store,
          locked,
          { staged, fileName },
          actor,
          committed,
        );
        const rows: NewScanPage[] = analysis.pages.map((page, index) => ({
          item_id: locked.id,
          page: first + index,
          file_number: attached.fileNumber,
          page_in_file: index + 1,
          image_name: imageName(archiveCode, first + index),
          batch_id: options.batchId ?? null,
          width: page.width,
          height: page.height,
          dpi_x: page.dpiX,
          dpi_y: page.dpiY,
          colour_mode: page.colourMode,
          flags: lowResolution.includes(index + 1) ? ['low_resolution'] : [],
        }));
        await insertScanPages(trx, rows);
        // Each page's OCR is a job that commits with the page, so no page waits unread after a crash.
        await enqueueOcrPages(
          trx,
          rows.map((row) => ({ itemId: row.item_id, page: row.page })),
        );
        await options.onFiled?.(trx, archiveCode);
        recordEvent(trx, {
          actor,
          action: 'item.scanned',
          subject: itemSubject(archiveCode),
          payload: {
            fileNumber: attached.fileNumber,
            originalName,
            format: analysis.format,
            pages: [first, last],
            batchId: options.batchId ?? null,
            lowResolution: lowResolution.map((page) => first + page - 1),
          },
        });
        return {
          archiveCode,
          fileNumber: attached.fileNumber,
          fileName,
          format: analysis.format,
          pages: rows.map((row, index) => ({
            ...(analysis.pages[index] as ScannedPage),
            page: row.page,
            imageName: row.image_name,
            flags: row.flags,
          })),
          lowResolution: lowResolution.map((page) => first + page - 1),
          warnings: attached.warnings ?? [],
        };
      });
    } finally {
      if (!committed.done) await context.store.discard(staged);
    }
  } finally {
    await fs.rm(spooled.dir, { recursive: true, force: true });
  }
}

/** Pages (1-based, within the file) below the policy's resolution; refused outright under 'reject'. */
function checkResolution(pages: readonly ScannedPage[], policy: ScanPolicy): number[] {
  const short = pages.flatMap((page, index) => {
    const shortfall = resolutionShortfall(page, policy.minDpi);
    return shortfall ? [{ page: index + 1, shortfall }] : [];
  });
  if (short.length > 0 && policy.lowDpi === 'reject') {
    const listed = short
      .slice(0, 5)
      .map((entry) => `第${entry.page}页 ${entry.shortfall}`)
      .join('，');
    throw invalid(
      'SCAN_RESOLUTION_TOO_LOW',
      `扫描分辨率不足：${listed}${short.length > 5 ? ` 等 ${short.length} 页` : ''}，本全宗要求至少 ${policy.minDpi} dpi，文件未保存，请重新扫描`,
    );
  }
  return short.map((entry) => entry.page);
}

async function usableBatch(db: Db, batchId: number, fondsCode: string, lock = false): Promise<void> {
  const batch = await findBatch(db, batchId, lock);
  if (!batch || batch.fondsCode !== fondsCode)
    throw notFound('SCAN_BATCH_NOT_FOUND', `全宗“${fondsCode}”没有编号为 ${batchId} 的数字化批次`);
  if (batch.status === 'accepted' || batch.status === 'sampled')
    throw conflict(
      'SCAN_BATCH_CLOSED',
      `数字化批次“${batch.name}”${batch.status === 'accepted' ? '已验收' : '正在质检'}，不能再加入页面`,
    );
}

export interface ScanPageView extends Omit<ScanPageRow, 'itemId'> {
  archiveCode: string;
}

export async function scanPages(db: Db, archiveCode: string, access: AccessContext): Promise<ScanPageView[]> {
  const item = await getItem(db, archiveCode, access);
  return (await listScanPages(db, item.id)).map(({ itemId: _itemId, ...page }) => ({ ...page, archiveCode }));
}

/** Pages to scan again (low resolution, OCR unsure, no text found), for items in the user's scope. */
export async function pagesToRescan(
  db: Db,
  options: { batchId?: number; limit?: number; access: AccessContext },
): Promise<ScanPageView[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
  const found: ScanPageView[] = [];
  let after: { itemId: number; page: number } | undefined;
  // Pages outside the scope are skipped in pages of rows, so a narrow scope still fills its page.
  for (let round = 0; round < 20 && found.length < limit; round++) {
    const rows = await flaggedScanPages(db, { batchId: options.batchId, after, limit: limit * 2 });
    if (rows.length === 0) break;
    const items = await findItemsByIds(
      db,
      [...new Set(rows.map((row) => row.itemId))],
      scopedQuery(options.access),
    );
    const codes = new Map(items.map((item) => [item.id, item.archiveCode]));
    for (const { itemId, ...row } of rows) {
      const archiveCode = codes.get(itemId);
      if (archiveCode && found.length < limit) found.push({ ...row, archiveCode });
    }
    const lastRow = rows[rows.length - 1] as ScanPageRow;
    after = { itemId: lastRow.itemId, page: lastRow.page };
  }
  return found;
}

export async function setScanPolicy(
  db: Db,
  fondsCode: string,
  policy: ScanPolicy,
  actor: string,
): Promise<ScanPolicy> {
  if (!Number.isInteger(policy.minDpi) || policy.minDpi < 72 || policy.minDpi > 2400)
    throw invalid('SCAN_POLICY_INVALID', '最低扫描分辨率应为 72–2400 之间的整数 dpi');
  if (policy.lowDpi !== 'reject' && policy.lowDpi !== 'flag')
    throw invalid('SCAN_POLICY_INVALID', '分辨率不足的处理方式应为 reject（拒收）或 flag（收下并标记重扫）');
  return inTransaction(db, async (trx) => {
    const before = await findScanPolicy(trx, fondsCode);
    if (!before) throw notFound('FONDS_NOT_FOUND', `全宗“${fondsCode.slice(0, 20)}”不存在`);
    await updateScanPolicy(trx, fondsCode, policy);
    recordEvent(trx, {
      actor,
      action: 'fonds.scan_policy_set',
      subject: `fonds:${fondsCode}`,
      payload: { before, after: policy },
    });
    return policy;
  });
}

export async function scanPolicy(db: Db, fondsCode: string): Promise<ScanPolicy> {
  const policy = await findScanPolicy(db, fondsCode);
  if (!policy) throw notFound('FONDS_NOT_FOUND', `全宗“${fondsCode.slice(0, 20)}”不存在`);
  return policy;
}
