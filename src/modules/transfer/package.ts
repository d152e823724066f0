import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn, systemContext } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { notFound, YidangError } from '../../shared/errors.js';
import { listFonds } from '../catalog/catalog.queries.js';
import { findItemsByIds } from '../catalog/item.queries.js';
import { FIELD_LABELS, type Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { type SigningKey, writeCheckpoint } from '../integrity/checkpoint.service.js';
import { currentTreeHead, recordEvent } from '../integrity/event-log.js';
import { enqueueJob, type JobContext, type JobDefinition } from '../jobs/job.runtime.js';
import type { BlobStore } from '../storage/blob-store.js';
import { type FileToProcess, filesForProcessing } from '../storage/file.processing.js';
import { bagTarStream } from './bag.tar.js';
import { type BagDigest, type BagSummary, BagWriter, safeSegment } from './bag.write.js';
import { buildEep, type EepFile, spkiBase64 } from './eep.js';
import { bagDirOf } from './bag.remove.js';
import { itemHistories } from './history.js';
import { transferSubject } from './transfer.names.js';

// Exporting a transfer batch (导出移交包), a job: the batch's items, each as an EEP with its files
// decrypted and its history with inclusion proofs, in a BagIt bag under YIDANG_HOME/transfer/<批次号>
// (or a directory the operator names). Streamed item by item and file by file — memory does not grow
// with the batch — and resumable: an interrupted attempt's half-written bag is removed and written
// again; the batch is marked exported, with the bag's digest, only once the bag is whole.

export const TRANSFER_EXPORT_JOB = 'transfer.export';
const ACTOR = 'system:transfer';
const ITEMS_PER_ROUND = 200;
const ITEMS_AT_ONCE = 8;

/** A batch as the package needs it (transfer.service's batchForExport gives it). */
export interface ExportBatch {
  code: string;
  fonds: string;
  kind: 'fonds' | 'person';
  drawnBy: string;
  /** The batch's state, when known: the bag is downloaded only once the batch is marked exported. */
  state?: string;
  /** itemVersion: the version drawn; an item changed since is not packed (the export stops). */
  items: ReadonlyArray<{ itemId: number; archiveCode: string; itemVersion?: number }>;
}

/** What the package takes from the batch's owner (transfer.service, register-form): injected, so the
 * package is testable and the job is wired in one place. */
export interface BatchSource {
  batchForExport(db: Db, access: AccessContext, code: string): Promise<ExportBatch>;
  markExported(
    trx: Db,
    code: string,
    input: { actor: string; digest: string; algorithm: BagDigest; payloadOxum: string; at: Date },
  ): Promise<void>;
  /** The 登记表 (sender's side), when available. */
  registerForm?(db: Db, access: AccessContext, code: string, format: 'xlsx' | 'pdf'): Promise<Buffer>;
}

export interface PackageContext {
  db: Db;
  store: BlobStore;
  signingKey: SigningKey;
  digest: BagDigest;
  /** YIDANG_HOME: bags are kept under <home>/transfer. */
  home: string;
  batches: BatchSource;
}

export interface ExportResult {
  dir: string;
  items: number;
  files: number;
  octets: number;
  digest: BagDigest;
  tagmanifestDigest: string;
  treeSize: number;
}

export { bagDirOf } from './bag.remove.js';

const ITEM_LABELS: Record<string, string> = {
  ...FIELD_LABELS,
  archiveCode: '档号',
  categoryName: '类别名称',
  itemNumber: '件号',
  retentionExpiresOn: '保管期满日期',
  version: '版本号',
  changeReason: '变更原因',
  createdBy: '归档人',
  createdAt: '归档时间',
  updatedBy: '最后修改人',
  updatedAt: '最后修改时间',
  // An item this agency received from another: its 原档号 and 来源单位 travel on with it.
  received: '接收来源（原档号、来源单位、移交批次）',
};

/** The item's metadata for 业务实体块: everything catalogued, in full (it is the archive handed over). */
function metadataOf(item: Item): Record<string, unknown> {
  const { id: _id, withheld: _withheld, destroyed: _destroyed, ...rest } = item;
  return rest;
}

/** A free name in `taken` for a file: "name", then "name (2).ext", … (case-insensitively). */
function freeName(name: string, taken: Set<string>): string {
  const base = safeSegment(name, '文件');
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  let candidate = base;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

async function writeItem(
  bag: BagWriter,
  item: Item,
  itemFiles: readonly FileToProcess[],
  folder: string,
): Promise<EepFile[]> {
  const files: EepFile[] = [];
  const taken = new Set<string>();
  for (const { file: row, open } of itemFiles) {
    const name = freeName(row.fileName, taken);
    // The stored digest in the bag's algorithm is the manifest's: the stream fails unless it holds.
    const [algorithm, hex] = row.digest.split(':');
    const known = algorithm === bag.digest && hex ? { digest: hex } : undefined;
    // A copy that fails while it is written (reported by storage) is written again from another
    // replica; with none left, opening refuses (FILE_UNAVAILABLE).
    const skip = new Set<string>();
    let written: Awaited<ReturnType<BagWriter['addFile']>> | undefined;
    while (!written) {
      const { stream, replica } = await open(skip);
      try {
        written = await bag.addFile(`${folder}/files/${name}`, stream, known);
      } catch (error) {
        if (!(error instanceof YidangError) || skip.has(replica)) throw error;
        skip.add(replica);
      }
    }
    if (written.size !== row.size)
      throw new YidangError(
        'TRANSFER_EXPORT_FAILED',
        'conflict',
        `档号 ${item.archiveCode} 的第 ${row.fileNumber} 个文件解密后为 ${written.size} 字节，登记为 ${row.size} 字节`,
      );
    files.push({
      name: row.fileName.normalize('NFC'),
      size: written.size,
      mediaType: row.mediaType,
      digestAlgorithm: bag.digest,
      digest: written.digest,
      ref: `files/${name}`,
    });
  }
  return files;
}

async function writeEnvelope(
  context: PackageContext,
  bag: BagWriter,
  item: Item,
  files: EepFile[],
  folder: string,
  organisation: { name: string; fonds: string; fondsName?: string },
  history: unknown,
  now: Date,
): Promise<void> {
  const eep = buildEep(
    {
      archiveCode: item.archiveCode,
      createdAt: now,
      organisation,
      filedBy: item.createdBy,
      filedAt: item.createdAt,
      metadata: metadataOf(item),
      labels: ITEM_LABELS,
      files,
    },
    context.signingKey,
  );
  await bag.addFile(`${folder}/eep.xml`, eep);
  await bag.addFile(`${folder}/history.json`, `${JSON.stringify(history, null, 1)}\n`);
}

/**
 * Writes the batch's bag. `access` is who asked (the batch must be visible to them); the files are
 * read by the system on their behalf, the batch's drawing having checked the items may be handed over.
 * With `out`, the bag goes there (which must not exist); otherwise to <home>/transfer/<批次号>,
 * replacing an earlier export of the same batch.
 */
export async function exportBatch(
  context: PackageContext,
  access: AccessContext,
  code: string,
  options: { out?: string; job?: JobContext; concurrency?: number } = {},
): Promise<ExportResult> {
  const { db } = context;
  const batch = await context.batches.batchForExport(db, access, code);
  const job = options.job;
  const now = new Date();
  const target = options.out ? path.resolve(options.out) : bagDirOf(context.home, batch.code);
  const replacing = !options.out;
  const building = replacing ? `${target}.new` : target;
  if (replacing) await fsp.rm(`${building}.partial`, { recursive: true, force: true });
  if (replacing) await fsp.rm(building, { recursive: true, force: true });
  await fsp.mkdir(path.dirname(building), { recursive: true });
  const bag = await BagWriter.open(building, { digest: context.digest });
  try {
    // The history is proven against a checkpoint signed now, which the bag carries.
    const checkpoint = await writeCheckpoint(db, context.signingKey, ACTOR, now);
    const head = await currentTreeHead(db);
    await bag.addFile('checkpoint.txt', checkpoint.note);
    const fonds = (await listFonds(db)).find((row) => row.code === batch.fonds);
    const organisation = { name: fonds?.name ?? batch.fonds, fonds: batch.fonds, fondsName: fonds?.name };
    if (context.batches.registerForm) {
      for (const format of ['xlsx', 'pdf'] as const)
        await bag.addFile(`登记表.${format}`, await context.batches.registerForm(db, access, code, format));
    }
    const system = systemContext('jobs', ACTOR);
    let files = 0;
    let done = 0;
    const folders = new Set<string>();
    for (let start = 0; start < batch.items.length; start += ITEMS_PER_ROUND) {
      if (job?.signal.aborted)
        throw new YidangError('TRANSFER_EXPORT_FAILED', 'busy', '服务停止，导出中断，将重新导出');
      const round = batch.items.slice(start, start + ITEMS_PER_ROUND);
      const items = await findItemsByIds(
        db,
        round.map((entry) => entry.itemId),
        scopedQuery(system),
      );
      const byId = new Map(items.map((item) => [item.id, item]));
      // The round's files, blobs and copies in three statements; each copy then read once.
      const roundFiles = await filesForProcessing(
        { db, store: context.store, access: system },
        round.map((entry) => entry.itemId),
        ACTOR,
      );
      const histories = await itemHistories(
        db,
        round.map((entry) => entry.archiveCode),
        { origin: head.origin, algorithm: head.algorithm, treeSize: checkpoint.treeSize },
      );
      // Folders are named in batch order before the items are written side by side.
      const work = round.map((entry) => {
        const item = byId.get(entry.itemId);
        if (!item) throw notFound('ITEM_NOT_FOUND', `移交批次中的档号 ${entry.archiveCode} 不存在`);
        const base = safeSegment(item.archiveCode, '档案');
        let folder = base;
        for (let n = 2; folders.has(folder.toLowerCase()); n++) folder = `${base}_${n}`;
        folders.add(folder.toLowerCase());
        // Drawn at one version, changed since: what was checked is not what would be handed over.
        if (entry.itemVersion !== undefined && item.version !== entry.itemVersion)
          throw new YidangError(
            'TRANSFER_STATE',
            'conflict',
            `档号 ${item.archiveCode} 在编制移交批次后被修改（第 ${entry.itemVersion} 版 → 第 ${item.version} 版），请撤销后重新编制批次`,
          );
        return { item, folder, history: histories.get(entry.archiveCode) };
      });
      // A few items at once: one item's database round trips overlap another's reading and writing.
      let next = 0;
      const worker = async () => {
        for (let index = next++; index < work.length; index = next++) {
          const { item, folder, history } = work[index] as (typeof work)[number];
          const written = await writeItem(bag, item, roundFiles.get(item.id) ?? [], folder);
          await writeEnvelope(context, bag, item, written, folder, organisation, history, now);
          files += written.length;
          done += 1;
        }
      };
      await Promise.all(Array.from({ length: options.concurrency ?? ITEMS_AT_ONCE }, worker));
      await job?.progress(done, batch.items.length, `已写入 ${done} 件`);
      await job?.renew();
    }
    const summary: BagSummary = await bag.finish({
      sourceOrganization: organisation.name,
      baggingDate: beijingDate(now),
      externalIdentifier: batch.code,
      transferKind: batch.kind,
      signingKey: spkiBase64(context.signingKey.publicKey),
      contactName: actorIn(access),
      extra: [
        ['Yidang-Fonds', batch.fonds],
        ['Yidang-Items', String(batch.items.length)],
        ['Yidang-Log-Origin', head.origin],
        ['Yidang-Checkpoint-Size', String(checkpoint.treeSize)],
      ],
    });
    if (replacing) {
      // Swap the new bag in: the old one (an earlier export) is moved aside, then removed.
      await fsp.rm(`${target}.old`, { recursive: true, force: true });
      await fsp.rename(target, `${target}.old`).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await fsp.rename(building, target);
      await fsp.rm(`${target}.old`, { recursive: true, force: true });
    }
    await inTransaction(db, async (trx) => {
      if (job) await job.holds(trx);
      await context.batches.markExported(trx, batch.code, {
        actor: actorIn(access),
        digest: summary.tagmanifestDigest,
        algorithm: summary.digest,
        payloadOxum: `${summary.payloadOxum.octets}.${summary.payloadOxum.count}`,
        at: now,
      });
    });
    return {
      dir: target,
      items: batch.items.length,
      files,
      octets: summary.payloadOxum.octets,
      digest: summary.digest,
      tagmanifestDigest: summary.tagmanifestDigest,
      treeSize: checkpoint.treeSize,
    };
  } catch (error) {
    await bag.abandon();
    throw error;
  }
}

export interface ExportJobPayload {
  batch: string;
  /** Who asked (their username): the batch is looked up for the system, the event names them. */
  requestedBy: string;
  [key: string]: unknown;
}

/** The export as a job: retried from scratch (a partial bag is removed first). */
export function transferExportJob(context: PackageContext): JobDefinition<ExportJobPayload> {
  return {
    kind: TRANSFER_EXPORT_JOB,
    leaseSeconds: 900,
    run: async (payload, job) => {
      await exportBatch(context, systemContext('jobs', payload.requestedBy), payload.batch, { job });
    },
  };
}

/** Queues the export of a batch the caller may see (one waiting export per batch). */
export async function startExport(
  db: Db,
  batches: Pick<BatchSource, 'batchForExport'>,
  access: AccessContext,
  code: string,
): Promise<{ jobId: number | null }> {
  const batch = await batches.batchForExport(db, access, code);
  const jobId = await inTransaction(db, (trx) =>
    enqueueJob(trx, {
      kind: TRANSFER_EXPORT_JOB,
      payload: { batch: batch.code, requestedBy: actorIn(access) },
      key: `transfer.export:${batch.code}`,
    }),
  );
  return { jobId };
}

/** The exported bag of a batch the caller may see, as a tar stream (GET …/bag.tar). */
export async function bagTar(
  context: Pick<PackageContext, 'db' | 'home' | 'batches'>,
  access: AccessContext,
  code: string,
): Promise<{ stream: Readable; name: string }> {
  const batch = await context.batches.batchForExport(context.db, access, code);
  // A bag left by an export that did not reach markExported is not the batch's bag.
  if (batch.state !== undefined && batch.state !== 'exported')
    throw new YidangError('TRANSFER_STATE', 'conflict', `移交批次 ${batch.code} 尚未导出移交包，请先导出`);
  const dir = bagDirOf(context.home, batch.code);
  const exists = await fsp
    .stat(dir)
    .then((stat) => stat.isDirectory())
    .catch(() => false);
  if (!exists)
    throw new YidangError('TRANSFER_STATE', 'conflict', `移交批次 ${batch.code} 尚未导出移交包，请先导出`);
  const name = `${path.basename(dir)}.tar`;
  // The largest disclosure of the system (every item unmasked): each download is logged (G16).
  await inTransaction(context.db, async (trx) =>
    recordEvent(trx, {
      actor: actorIn(access),
      action: 'transfer.downloaded',
      subject: transferSubject(batch.code),
      payload: { file: name, items: batch.items.length },
    }),
  );
  return { stream: bagTarStream(dir, path.basename(dir)), name };
}
