import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { conflict, type FieldIssue, invalid, ValidationError } from '../../shared/errors.js';
import { idNumberInTextProblem, maskIdNumbersInText } from '../catalog/id-number.js';
import { fileItems } from '../catalog/item.service.js';
import { itemSubject } from '../catalog/item.state.js';
import { parseDateTime } from '../catalog/item.validate.js';
import { detectDuplicates } from '../duplicates/duplicates.service.js';
import { recordEvent } from '../integrity/event-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import {
  type AttachedFile,
  attachStaged,
  checkFileName,
  listFiles,
  type StagedFile,
  stageFile,
  storeStaged,
} from '../storage/file.service.js';
import {
  claimReceipt,
  completeReceipt,
  findReceipt,
  itemsOfSerialElsewhere,
  type LagRow,
  lagBySource,
  type Receipt,
} from './push.repo.js';

// 经办即归档: a business system pushes an archive the moment the business is handled. The source
// system and its 业务流水号 are the idempotency key: a retry gets the archive already filed, never a
// second one; the same key with different content is refused. The item, its files, the receipt and
// their events commit together, so a failure leaves nothing filed.

export const MAX_INGEST_FILES = 20;
const DAY_SECONDS = 86_400;

export interface IngestRequest {
  /** The pushing system, as the agency names it (结算系统). */
  source: string;
  /** 业务流水号. */
  serial: string;
  /** The archive's metadata, as for filing (办理时间 handledAt required). */
  item: unknown;
  files?: Array<{ name: string; content: Buffer }>;
}

export interface IngestResult {
  archiveCode: string;
  itemId: number;
  /** True: this key was filed before, and that archive is returned. */
  replayed: boolean;
  handledAt: string;
  receivedAt: string;
  lagSeconds: number;
  /** Earlier archives this one was flagged against as a possible duplicate (0 on a replay). */
  duplicates: number;
  files: Array<{ fileNumber: number; fileName: string; digest: string; size: number; warnings?: string[] }>;
}

export interface IngestContext {
  db: Db;
  store: BlobStore;
  /** Who pushes: the item must lie in their scope. */
  access: AccessContext;
}

// Printable, no spaces: a key copied from a log or a spreadsheet must not differ by invisible characters.
const SERIAL_SHAPE = /^[^\s\p{C}]{1,64}$/u;
const SOURCE_SHAPE = /^[^\p{C}]{1,50}$/u;

function checkRequest(request: IngestRequest): { source: string; serial: string } {
  const issues: FieldIssue[] = [];
  const source = typeof request.source === 'string' ? request.source.trim() : '';
  const serial = typeof request.serial === 'string' ? request.serial.trim() : '';
  if (!SOURCE_SHAPE.test(source)) issues.push({ field: 'source', message: '来源系统应为1至50个字符' });
  if (!SERIAL_SHAPE.test(serial))
    issues.push({ field: 'serial', message: '业务流水号应为1至64个字符，不含空格或控制字符' });
  // Both are stored and logged as they are: an ID number is no key (it has its own sealed field).
  for (const [field, label, value] of [
    ['source', '来源系统', source],
    ['serial', '业务流水号', serial],
  ] as const) {
    const problem = idNumberInTextProblem(label, value);
    if (problem) issues.push({ field, message: problem });
  }
  const item = request.item as { handledAt?: unknown } | null;
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    issues.push({ field: 'item', message: '应为档案元数据对象' });
  else if (typeof item.handledAt !== 'string' || item.handledAt.trim() === '')
    issues.push({ field: 'item.handledAt', message: '办理时间为必填项（用于计算归档时滞）' });
  const files = request.files ?? [];
  if (files.length > MAX_INGEST_FILES)
    issues.push({
      field: 'files',
      message: `一次最多推送 ${MAX_INGEST_FILES} 个文件，实际 ${files.length} 个`,
    });
  for (const [index, file] of files.entries()) {
    try {
      checkFileName(file.name);
    } catch (error) {
      issues.push({ field: `files[${index}].name`, message: (error as Error).message });
    }
    if (file.content.length === 0)
      issues.push({
        field: `files[${index}].content`,
        message: `文件“${maskIdNumbersInText(file.name)}”是空文件（0 字节）`,
      });
  }
  if (issues.length > 0) throw new ValidationError(issues, `推送的档案有误，未归档：${issues[0]?.message}`);
  return { source, serial };
}

/** JSON with keys in order at every level, so the same content always has the same digest. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  return value;
}

function payloadDigest(request: IngestRequest): string {
  const files = (request.files ?? []).map((file) => ({
    name: file.name.trim(),
    sha256: crypto.createHash('sha256').update(file.content).digest('hex'),
  }));
  const text = JSON.stringify({ item: canonical(request.item), files });
  return `sha256:${crypto.createHash('sha256').update(text).digest('hex')}`;
}

const fileSummary = ({ fileNumber, fileName, digest, size, warnings }: AttachedFile) => ({
  fileNumber,
  fileName,
  digest,
  size,
  ...(warnings?.length ? { warnings } : {}),
});

async function replay(context: IngestContext, receipt: Receipt, digest: string): Promise<IngestResult> {
  if (receipt.payloadDigest !== digest || receipt.archiveCode === null || receipt.itemId === null)
    throw conflict(
      'INGEST_KEY_CONFLICT',
      `业务流水号“${receipt.serial}”（${receipt.source}）已用于归档另一份内容（档号 ${receipt.archiveCode ?? '—'}），未重复归档；同一业务重推时内容须一致`,
    );
  const files = await listFiles(context.db, receipt.archiveCode, context.access);
  return {
    archiveCode: receipt.archiveCode,
    itemId: receipt.itemId,
    replayed: true,
    duplicates: 0,
    handledAt: receipt.handledAt.toISOString(),
    receivedAt: receipt.receivedAt.toISOString(),
    lagSeconds: receipt.lagSeconds,
    files: files.map(fileSummary),
  };
}

export async function ingestArchive(
  context: IngestContext,
  request: IngestRequest,
  actor: string,
  options: {
    now?: Date;
    /** Runs in the filing's transaction (the route queues the four-property check there). */
    onFiled?: (trx: Db, archiveCode: string) => Promise<void>;
  } = {},
): Promise<IngestResult> {
  const key = checkRequest(request);
  const digest = payloadDigest(request);
  const earlier = await findReceipt(context.db, key.source, key.serial);
  if (earlier) return replay(context, earlier, digest);

  const receivedAt = options.now ?? new Date();
  // Checked again, with every other field, when the item is prepared for filing.
  const handledAt = parseDateTime((request.item as { handledAt: string }).handledAt);
  if (!handledAt)
    throw new ValidationError(
      [{ field: 'item.handledAt', message: '格式应为 ISO 8601，如 2024-03-15T10:20:00+08:00' }],
      '推送的档案有误，未归档：办理时间格式应为 ISO 8601，如 2024-03-15T10:20:00+08:00',
    );
  const lagSeconds = Math.round((receivedAt.getTime() - handledAt.getTime()) / 1000);
  const staged: Array<{ staged: StagedFile; fileName: string }> = [];
  const committed = new Set<StagedFile>();
  try {
    for (const file of request.files ?? []) {
      const fileName = checkFileName(file.name);
      staged.push({
        staged: await stageFile(context.store, Readable.from([file.content]), fileName),
        fileName,
      });
    }
    return await inTransaction(context.db, async (trx) => {
      // The key is claimed first: a concurrent push of it waits here, before taking item numbers.
      if (
        !(await claimReceipt(trx, {
          ...key,
          payloadDigest: digest,
          handledAt,
          receivedAt,
          lagSeconds,
          actor,
        }))
      )
        throw new KeyTaken();
      // Blobs first: renaming and syncing a large file on every replica must not happen while this
      // filing holds the 档号 sequence, which every filing of the same fonds, category and year waits on.
      for (const file of staged) {
        const done = { done: false };
        try {
          await storeStaged(trx, context.store, file.staged, actor, done);
        } finally {
          if (done.done) committed.add(file.staged);
        }
      }
      const [filed] = await fileItems(trx, [request.item], actor, {
        access: context.access,
        today: receivedAt,
      });
      if (!filed) throw new Error('filing returned no item');
      const files = [];
      for (const file of staged) {
        const done = { done: false };
        try {
          files.push(await attachStaged(trx, context.store, filed, file, actor, done));
        } finally {
          if (done.done) committed.add(file.staged);
        }
      }
      await completeReceipt(trx, key, filed);
      const sameSerial = await itemsOfSerialElsewhere(trx, key, filed.id);
      const duplicates = await detectDuplicates(trx, [filed.id], actor, sameSerial);
      await options.onFiled?.(trx, filed.archiveCode);
      recordEvent(trx, {
        actor,
        action: 'item.ingested',
        subject: itemSubject(filed.archiveCode),
        payload: { source: key.source, serial: key.serial, payloadDigest: digest, lagSeconds },
      });
      return {
        archiveCode: filed.archiveCode,
        itemId: filed.id,
        replayed: false,
        handledAt: handledAt.toISOString(),
        receivedAt: receivedAt.toISOString(),
        lagSeconds,
        duplicates,
        files: files.map(fileSummary),
      };
    });
  } catch (error) {
    // Another push of the same key filed first (or holds it): its archive, or the conflict.
    if (!(error instanceof KeyTaken) && !isUniqueViolation(error)) throw error;
    const winner = await findReceipt(context.db, key.source, key.serial);
    if (!winner) throw invalid('INGEST_RETRY', '同一业务流水号正在归档，请稍后重试');
    return replay(context, winner, digest);
  } finally {
    for (const file of staged) if (!committed.has(file.staged)) await context.store.discard(file.staged);
  }
}

class KeyTaken extends Error {}

const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23505';

export interface LagReport {
  from: string;
  to: string;
  overall: LagRow;
  bySource: LagRow[];
}

/** The lag from 办理时间 to filing over a period (default: the last 30 days), by source. */
export async function lagReport(
  db: Db,
  range: { from?: Date; to?: Date; source?: string } = {},
  now = new Date(),
): Promise<LagReport> {
  const to = range.to ?? now;
  const from = range.from ?? new Date(to.getTime() - 30 * DAY_SECONDS * 1000);
  if (from >= to) throw invalid('RANGE_INVALID', '统计区间的开始应早于结束');
  const rows = await lagBySource(db, { from, to, source: range.source });
  const overall = rows.find((row) => row.source === null) ?? {
    source: null,
    count: 0,
    medianSeconds: 0,
    p95Seconds: 0,
    maxSeconds: 0,
    overDay: 0,
  };
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    overall,
    bySource: rows.filter((row) => row.source !== null),
  };
}
