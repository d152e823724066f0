import { Readable } from 'node:stream';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext, GrantInForce, SystemContext } from '../../shared/access-context.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { sealText } from '../../shared/field-cipher.js';
import { maskIdNumbersInText, refuseIdNumberInText } from '../catalog/id-number.js';
import { lockItem } from '../catalog/item.queries.js';
import { getItem, getItemWithGrant, itemToAttachTo } from '../catalog/item.service.js';
import { itemSubject } from '../catalog/item.state.js';
import { recordEvent } from '../integrity/event-log.js';
import { type BlobStore, type CopyProblem, type StagedBlob, shreddedError } from './blob-store.js';
import {
  type AttachedFileRow,
  copiesOf,
  findBlob,
  findItemFile,
  insertBlob,
  insertItemFile,
  listItemFiles,
  nextFileNumber,
  setCopies,
} from './file.repo.js';
import { ContentSample, type Inspection, inspectSample } from './file-inspect.js';
import { shareLockBlob } from './shred.repo.js';

// Files attached to archive items (电子文件): stored once per content in the blob store, recorded
// in the catalog with the replicas that hold them, every addition and read an event.

export interface StorageContext {
  db: Db;
  store: BlobStore;
  /** Who acts: an item outside their scope is not found. */
  access: AccessContext;
}

export interface AttachedFile {
  fileNumber: number;
  fileName: string;
  mediaType: string;
  size: number;
  digest: string;
  addedBy: string;
  addedAt: string;
  /** Replicas holding a good copy as far as the catalog knows. */
  replicas: string[];
  /** When just attached: what the attaching person should know (name and content disagree, a repeat). */
  warnings?: string[];
}

/** Content staged on the replicas, identified and checked, not yet attached. */
export interface StagedFile extends StagedBlob {
  inspection: Inspection;
}

/** Stored names are shown, never used as paths; anything path-like is refused rather than guessed at. */
export function checkFileName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw invalid('FILE_NAME_INVALID', '文件名不能为空');
  if ([...trimmed].length > 200) throw invalid('FILE_NAME_INVALID', '文件名最多200个字符');
  if (/[/\\]/.test(trimmed) || trimmed === '.' || trimmed === '..' || trimmed.includes('..'))
    throw invalid(
      'FILE_NAME_INVALID',
      `文件名“${maskIdNumbersInText(trimmed).slice(0, 60)}”不能包含路径（/、\\ 或 ..）`,
    );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(trimmed))
    throw invalid('FILE_NAME_INVALID', '文件名含有控制字符');
  return trimmed;
}

/**
 * Attaches content to an item. The blob is staged on every replica first; the catalog rows, the
 * renames into place and the events then happen in one transaction, so a crash leaves either the
 * whole attachment or no item pointing anywhere (at most an unreferenced blob, which is harmless).
 */
export async function addFile(
  context: StorageContext,
  archiveCode: string,
  source: { stream: Readable; fileName: string },
  actor: string,
): Promise<AttachedFile> {
  const fileName = checkFileName(source.fileName);
  await itemToAttachTo(context.db, archiveCode, context.access);
  const staged = await stageFile(context.store, source.stream, fileName);
  const committed = { done: false };
  try {
    return await inTransaction(context.db, async (trx) => {
      const item = await itemToAttachTo(trx, archiveCode, context.access);
      return attachStaged(trx, context.store, item, { staged, fileName }, actor, committed);
    });
  } finally {
    if (!committed.done) await context.store.discard(staged);
  }
}

/**
 * Stages content on every replica while identifying it (inspectSample); an empty file, a program, a
 * type an archive does not accept or a page out of bounds is refused, and nothing is left staged.
 */
export async function stageFile(store: BlobStore, stream: Readable, fileName: string): Promise<StagedFile> {
  const sample = new ContentSample();
  const staged = await store.stage(Readable.from(sample.tap(stream)));
  if (staged.size === 0) {
    await store.discard(staged);
    throw invalid('FILE_EMPTY', `文件“${maskIdNumbersInText(fileName)}”是空文件（0 字节），未保存`);
  }
  try {
    return { ...staged, inspection: await inspectSample(sample, fileName) };
  } catch (error) {
    await store.discard(staged);
    throw error;
  }
}

/**
 * Records a staged blob and renames it into place on every replica, inside the caller's transaction,
 * unless the same content is stored already (then the staged copy is the caller's to discard).
 * Called again for the same blob in the same transaction it does nothing, so a filing can make its
 * blobs durable before it takes locks other filings wait on (the 档号 sequence) and attach them after.
 */
export async function storeStaged(
  trx: Db,
  store: BlobStore,
  staged: StagedFile,
  actor: string,
  committed: { done: boolean },
): Promise<void> {
  if (!(await insertBlob(trx, staged))) {
    // Stored already: unless it was destroyed. New bytes equal to destroyed ones would otherwise
    // attach the shredded blob (unreadable) or bring it back; they are refused, without naming the
    // register (an uploader is not told which destruction the content they hold belonged to).
    const register = await shareLockBlob(trx, staged.digest);
    if (register)
      throw new YidangError(
        'BLOB_SHREDDED',
        'conflict',
        '该文件与一份已依法销毁的文件内容相同，不能再次保存；如确需归档，请联系档案管理员',
      );
    return;
  }
  const { stored, missing } = await store.commit(staged);
  committed.done = true;
  await setCopies(trx, staged.digest, stored, 'ok');
  await setCopies(trx, staged.digest, missing, 'missing');
  recordEvent(trx, {
    actor,
    action: 'blob.stored',
    subject: `blob:${staged.digest}`,
    payload: blobFacts(staged),
  });
}

/**
 * Records a staged blob as the item's next file, inside the caller's transaction. `committed.done`
 * is set once the blob is renamed into place: from then on it must not be discarded.
 */
export async function attachStaged(
  trx: Db,
  store: BlobStore,
  item: { id: number; archiveCode: string },
  file: { staged: StagedFile; fileName: string },
  actor: string,
  committed: { done: boolean },
): Promise<AttachedFile> {
  const { staged } = file;
  // Business systems name files with ID numbers: the name is shown and logged masked, and kept as
  // given only sealed under the field key.
  const fileName = maskIdNumbersInText(file.fileName);
  const sealedOriginalName = fileName === file.fileName ? null : sealText(file.fileName);
  await storeStaged(trx, store, staged, actor, committed);
  // Locks the item so two attachments to it get different numbers.
  await lockItem(trx, item.id);
  const fileNumber = await nextFileNumber(trx, item.id);
  const { mediaType } = staged.inspection;
  const warnings = [...staged.inspection.warnings];
  const twin = (await listItemFiles(trx, item.id)).find((row) => row.digest === staged.digest);
  if (twin)
    warnings.push(
      `相同内容已作为本档案的第 ${twin.fileNumber} 个文件（“${twin.fileName.slice(0, 80)}”）挂接过，本次仍作为第 ${fileNumber} 个文件挂接`,
    );
  await insertItemFile(trx, item.id, {
    fileNumber,
    digest: staged.digest,
    fileName,
    sealedOriginalName,
    mediaType,
    size: staged.size,
    addedBy: actor,
  });
  recordEvent(trx, {
    actor,
    action: 'file.added',
    subject: itemSubject(item.archiveCode),
    payload: {
      fileNumber,
      digest: staged.digest,
      fileName,
      mediaType,
      size: staged.size,
      ...(warnings.length ? { warnings } : {}),
    },
  });
  const attached = await findItemFile(trx, item.id, fileNumber);
  const copies = await copiesOf(trx, [staged.digest]);
  const result = toAttached(attached as AttachedFileRow, copies.get(staged.digest));
  return warnings.length ? { ...result, warnings } : result;
}

/** What the log records of a blob, so verify can tell a swapped blob row or file. */
export function blobFacts(blob: Pick<StagedBlob, 'size' | 'storedDigest' | 'storedSize' | 'suite'>) {
  return { size: blob.size, storedDigest: blob.storedDigest, storedSize: blob.storedSize, suite: blob.suite };
}

function toAttached(row: AttachedFileRow, copies: Map<string, string> | undefined): AttachedFile {
  return {
    fileNumber: row.fileNumber,
    // Names stored before they were masked at the door are masked on the way out.
    fileName: maskIdNumbersInText(row.fileName),
    mediaType: row.mediaType,
    size: row.size,
    digest: row.digest,
    addedBy: row.addedBy,
    addedAt: new Date(row.addedAt).toISOString(),
    replicas: goodReplicas(copies),
  };
}

/** Replicas the catalog records as holding a good copy. */
export const goodReplicas = (copies: Map<string, string> | undefined): string[] =>
  [...(copies ?? new Map<string, string>()).entries()]
    .filter(([, status]) => status === 'ok')
    .map(([name]) => name);

export async function listFiles(db: Db, archiveCode: string, access: AccessContext): Promise<AttachedFile[]> {
  const item = await getItem(db, archiveCode, access);
  const rows = await listItemFiles(db, item.id);
  const copies = await copiesOf(
    db,
    rows.map((row) => row.digest),
  );
  return rows.map((row) => toAttached(row, copies.get(row.digest)));
}

/**
 * Opens an attached file for the system's own processing (OCR, checks): no person reads it, so no
 * read event; a bad copy is still reported and the next replica used. Only a system context (the
 * job doing the processing) may open a file this way.
 */
export async function openForProcessing(
  context: Pick<StorageContext, 'db' | 'store'> & { access: SystemContext },
  itemId: number,
  fileNumber: number,
  actor: string,
): Promise<{ file: AttachedFileRow; stream: Readable }> {
  const { row, stream } = await openStored(
    context,
    { itemId, fileNumber, named: '档案' },
    actor,
    'processing',
  );
  return { file: row, stream };
}

/**
 * Streams an attached file's content from the first good replica; a bad copy met on the way is
 * reported (during `during`) and the next replica used. Whether the read is logged is the caller's.
 */
async function openStored(
  context: Pick<StorageContext, 'db' | 'store'>,
  file: { itemId: number; fileNumber: number; named: string },
  actor: string,
  during: 'read' | 'processing',
) {
  const row = await findItemFile(context.db, file.itemId, file.fileNumber);
  if (!row) throw notFound('FILE_NOT_FOUND', `${file.named}没有第 ${file.fileNumber} 个文件`);
  // Destroyed with its item, even when the same content lives on for another item.
  if (row.destroyedRegister) throw shreddedError(row.digest, row.destroyedRegister);
  const blob = await findBlob(context.db, row.digest);
  if (!blob) throw notFound('FILE_NOT_FOUND', `文件 ${row.digest} 的存储记录缺失`);
  const copies = (await copiesOf(context.db, [row.digest])).get(row.digest);
  const { stream } = await context.store.open(
    blob,
    (replica, problem) => reportCopyProblem(context.db, blob.digest, replica, problem, actor, during),
    goodReplicas(copies),
  );
  return { row, copies, stream };
}

/** Records that a replica's copy was found missing or corrupt, as an event and in the catalog. */
export async function reportCopyProblem(
  db: Db,
  digest: string,
  replica: string,
  problem: CopyProblem,
  actor: string,
  during: string,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await setCopies(trx, digest, [replica], problem);
    recordEvent(trx, {
      actor,
      action: problem === 'corrupt' ? 'blob.corruption_detected' : 'blob.copy_missing',
      subject: `blob:${digest}`,
      payload: { replica, during },
    });
  });
}

/**
 * Opens an attached file for reading. The read is an event (it is how records leave the system);
 * a bad copy is logged and the next replica used, and the stream errors rather than deliver
 * content whose digest does not match.
 */
export interface ReadTrace {
  /** The watermark's trace id (追踪号), so the log entry of a read matches the copy it produced. */
  traceId?: string;
  purpose?: string | null;
  /** Leave the log entry to the caller (logRead), written once the copy is ready to leave. */
  deferLog?: boolean;
  /** The 借阅单 the read is made under (lending checked it), logged as a field of its own. */
  loan?: string;
}

export async function openFile(
  context: StorageContext,
  archiveCode: string,
  fileNumber: number,
  actor: string,
  trace: ReadTrace = {},
): Promise<{
  file: AttachedFile;
  stream: Readable;
  grant: GrantInForce | null;
  logRead: () => Promise<void>;
}> {
  refuseIdNumberInText('用途', trace.purpose);
  const { item, grant } = await getItemWithGrant(context.db, archiveCode, context.access);
  const { row, copies, stream } = await openStored(
    context,
    { itemId: item.id, fileNumber, named: `档案“${archiveCode.slice(0, 200)}”` },
    actor,
    'read',
  );
  const logRead = async () => {
    await inTransaction(context.db, async (trx) =>
      recordEvent(trx, {
        actor,
        action: 'file.read',
        subject: itemSubject(archiveCode),
        payload: {
          fileNumber,
          digest: row.digest,
          grantId: grant?.id ?? null,
          purpose: trace.purpose?.slice(0, 200) ?? grant?.purpose ?? null,
          traceId: trace.traceId ?? null,
          ...(trace.loan ? { loan: trace.loan } : {}),
        },
      }),
    );
  };
  if (!trace.deferLog) await logRead();
  return { file: toAttached(row, copies), stream, grant, logRead };
}
