import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import type { SigningKey } from '../integrity/checkpoint.service.js';
import { type NoteVerifier, openNote, signNote } from '../integrity/checkpoint-note.js';
import { recordEvent } from '../integrity/event-log.js';
import type { BlobStore } from './blob-store.js';
import type { Replica, ShredRecordFile } from './replica.js';
import {
  digestsOfItems,
  findShred,
  lockBlobs,
  markItemFilesDestroyed,
  liveReferences,
  deleteCopyRows,
  setShredConfirmed,
  setKeptRecord,
  setShredded,
} from './shred.repo.js';
import {
  type DestroyedRecord,
  type ItemRecord,
  isDestroyedRecordKey,
  openDestroyedRecord,
  type RegisterRecord,
  recordSigner,
} from './shred.records.js';

// Crypto-shredding (销毁电子文件): a destroyed item's blobs lose their data key inside the carry-out's
// transaction, so no replica, backup copy or stray file can be decrypted through this system again;
// a signed shred record goes to every replica first (it outlives the database and its backups, and a
// restore re-applies it); then every replica deletes its copy and `blob.shredded` is logged.

export {
  confirmedShreds,
  existingBlobs,
  forgetFileNames,
  markItemFilesDestroyed as markFilesDestroyed,
  neutralFileName,
  shreddedFor,
  unconfirmedShreds,
} from './shred.repo.js';

export const SHRED_FORMAT = 'yidang-shred/1';

/** What a replica's shred record says, signed with the log key. */
export interface ShredRecord {
  format: typeof SHRED_FORMAT;
  digest: string;
  register: string;
  /** 档号 of every destroyed item that attached the blob (earlier registers' too). */
  items: string[];
  /** False when an item not destroyed still attaches the same content: the blob was kept for it. */
  keyDestroyed: boolean;
  /**
   * False as first written, before the destruction's transaction commits; confirmShred writes it
   * final after the commit. A restore applies final records only: one left by a transaction that
   * rolled back (or a crash before commit) never destroys a living item.
   */
  final: boolean;
  /** How many items not destroyed still attach it (0 when the key was destroyed). */
  liveItems: number;
  shreddedAt: string;
}

export interface ShredContext {
  store: BlobStore;
  signingKey: SigningKey;
}

export interface ShredRequest {
  /** The 销毁清册's code (XH-…). */
  register: string;
  /** The items destroyed in this transaction. */
  items: ReadonlyArray<{ id: number; archiveCode: string }>;
  actor: string;
  /** Who carries the destruction out (the job's system context or the archivist's). */
  access: AccessContext;
  now?: Date;
  /**
   * Other records written with the blobs' in the same batch per replica, and taken back with them when
   * a replica fails (the items' own destruction records, pending until the caller's commit).
   */
  records?: readonly ShredRecordFile[];
}

export interface ShredOutcome {
  /** Blobs whose data key was destroyed now. */
  shredded: string[];
  /** Blobs kept because items not destroyed still attach them. */
  kept: Array<{ digest: string; liveItems: number }>;
}

const REGISTER = /^[\p{L}\p{N}-]{1,40}$/u;

/**
 * In the caller's transaction: marks the items' attachments destroyed, and destroys the data key of
 * every blob no item left alive attaches. The blob rows are locked first, so an upload of the same
 * content at the same moment either lands before (and keeps the blob alive) or is refused after.
 * The signed records are written to every replica before this returns; a replica that cannot take
 * them throws, the caller's transaction rolls back, and nothing is destroyed yet.
 */
export async function shredBlobKeys(
  trx: Db,
  context: ShredContext,
  request: ShredRequest,
): Promise<ShredOutcome> {
  if (!REGISTER.test(request.register))
    throw invalid('VALIDATION_FAILED', `销毁清册编号“${request.register.slice(0, 40)}”无效`);
  const itemIds = request.items.map((item) => item.id);
  const attaching = await digestsOfItems(trx, itemIds);
  const digests = [...new Set([...attaching.values()].flatMap((set) => [...set]))].sort();
  const locked = await lockBlobs(trx, digests);
  await markItemFilesDestroyed(trx, itemIds, request.register);
  const live = await liveReferences(trx, digests, request.access);
  const at = request.now ?? new Date();
  const signer = await recordSigner(trx, context.signingKey);
  const outcome: ShredOutcome = { shredded: [], kept: [] };
  const files: ShredRecordFile[] = [...(request.records ?? [])];
  const marks: Array<{ digest: string; record: string }> = [];
  const kept: Array<{ digest: string; record: string }> = [];
  for (const digest of digests) {
    const blob = locked.get(digest);
    if (!blob || blob.shredded) continue; // shredded already (or no row: nothing to destroy)
    const liveItems = live.get(digest) ?? 0;
    const earlier = blob.record;
    // Items destroyed earlier while another kept the blob alive are listed in that earlier record.
    const items = new Set(earlier ? parseRecordContent(earlier).items : []);
    for (const item of request.items) if (attaching.get(item.id)?.has(digest)) items.add(item.archiveCode);
    const record: ShredRecord = {
      format: SHRED_FORMAT,
      digest,
      register: request.register,
      items: [...items].sort(),
      keyDestroyed: liveItems === 0,
      // A kept blob's record destroys nothing on restore but the items' tombstones: final at once.
      final: liveItems > 0,
      liveItems,
      shreddedAt: at.toISOString(),
    };
    const sign = (body: ShredRecord) =>
      `${JSON.stringify({ format: SHRED_FORMAT, note: signNote(`${JSON.stringify(body)}\n`, signer) })}\n`;
    const content = sign(record);
    files.push({ digest, content });
    if (liveItems === 0) {
      // The database keeps the final text, which confirmShred writes to the replicas after the commit.
      marks.push({ digest, record: sign({ ...record, final: true }) });
      outcome.shredded.push(digest);
    } else {
      kept.push({ digest, record: content });
      outcome.kept.push({ digest, liveItems });
    }
  }
  // Every replica, required or not: the record is what a restore from any of them re-applies.
  if (files.length > 0) {
    const written: Replica[] = [];
    const failed: Array<{ replica: Replica; error: Error }> = [];
    await Promise.all(
      context.store.replicas.map((replica) =>
        replica.writeShredRecords(files).then(
          () => written.push(replica),
          (error: Error) => failed.push({ replica, error }),
        ),
      ),
    );
    const [first] = failed;
    if (first) {
      // The item stays as it was, so the records the other replicas took are taken back: a restore
      // must not apply a destruction that never happened. (A crash right here can still leave one;
      // the retry that follows writes the same record again.)
      await Promise.all(
        written.map((replica) =>
          replica.deleteShredRecords(files.map((file) => file.digest)).catch(() => {}),
        ),
      );
      throw new YidangError(
        'REPLICA_UNAVAILABLE',
        'busy',
        `销毁记录无法写入副本“${first.replica.name}”，本次销毁未执行，稍后重试：${first.error.message}`,
      );
    }
  }
  for (const mark of marks)
    await setShredded(trx, mark.digest, { register: request.register, at, record: mark.record });
  for (const mark of kept) await setKeptRecord(trx, mark.digest, mark.record);
  return outcome;
}

/**
 * Deletes a shredded blob's copy on every replica, then records `blob.shredded` once. A replica that
 * cannot be reached leaves it pending: SHRED_PENDING names the replica; calling again later finishes
 * (a copy already gone counts as deleted). Calling it for a confirmed blob returns at once.
 */
export async function confirmShred(
  db: Db,
  context: Pick<ShredContext, 'store'>,
  digest: string,
  actor: string,
): Promise<{ replicas: string[] }> {
  const row = await findShred(db, digest);
  if (!row?.shreddedAt || !row.record)
    throw notFound('FILE_NOT_FOUND', `文件 ${digest.slice(0, 80)} 没有被销毁，不能删除其副本`);
  const replicas = context.store.replicas.map((replica) => replica.name);
  if (row.confirmedAt) return { replicas };
  await deleteEveryCopy(context.store, digest, { digest, content: row.record });
  const record = parseRecordContent(row.record);
  await inTransaction(db, async (trx) => {
    if (!(await setShredConfirmed(trx, digest, new Date()))) return;
    recordEvent(trx, {
      actor,
      action: 'blob.shredded',
      subject: `blob:${digest}`,
      payload: {
        register: row.register ?? record.register,
        items: record.items,
        replicas,
        shreddedAt: row.shreddedAt?.toISOString() ?? record.shreddedAt,
      },
    });
  });
  return { replicas };
}

/** Deletes a shredded blob's copy on every replica; SHRED_PENDING names those that could not. */
export async function deleteEveryCopy(
  store: BlobStore,
  digest: string,
  final?: ShredRecordFile,
): Promise<void> {
  const offline: string[] = [];
  await Promise.all(
    store.replicas.map(async (replica) => {
      try {
        // The destruction committed: its record becomes final on the replica before the copy goes.
        if (final) await replica.writeShredRecords([final]);
        await replica.deleteBlob(digest);
      } catch (error) {
        offline.push(`“${replica.name}”（${(error as Error).message}）`);
      }
    }),
  );
  offline.sort();
  if (offline.length > 0)
    throw new YidangError(
      'SHRED_PENDING',
      'busy',
      `文件 ${digest.slice(0, 19)}… 的密钥已销毁，但副本 ${offline.join('、')} 暂时无法删除副本，稍后重试`,
    );
}

/**
 * After a restore, in the caller's transaction: applies a verified shred record to the restored
 * rows — the items' attachments marked destroyed and, when the record destroyed the key, the blob's
 * key emptied again and `blob.shred_reapplied` logged. The copies must be deleted already
 * (deleteEveryCopy). Returns whether the blob's key was destroyed by this call.
 */
export async function applyShredRecord(
  trx: Db,
  record: VerifiedShredRecord,
  itemIds: readonly number[],
  actor: string,
): Promise<boolean> {
  await markItemFilesDestroyed(trx, itemIds, record.register);
  if (!record.keyDestroyed) {
    await setKeptRecord(trx, record.digest, record.content);
    return false;
  }
  const at = new Date(record.shreddedAt);
  const done = await setShredded(trx, record.digest, {
    register: record.register,
    at,
    record: record.content,
    confirmedAt: new Date(),
  });
  if (!done) return false;
  await deleteCopyRows(trx, record.digest);
  recordEvent(trx, {
    actor,
    action: 'blob.shred_reapplied',
    subject: `blob:${record.digest}`,
    payload: {
      register: record.register,
      items: record.items,
      shreddedAt: record.shreddedAt,
      replicas: record.replicas,
    },
  });
  return true;
}

/** A replica's record whose signature checked, with the replicas that hold it and its text. */
export type VerifiedShredRecord = ShredRecord & { replicas: string[]; content: string };

/** The record inside a replica file, unverified (the database's own copy, or before openNote). */
function parseRecordContent(content: string): ShredRecord {
  const outer = JSON.parse(content) as { format?: unknown; note?: unknown };
  if (outer.format !== SHRED_FORMAT || typeof outer.note !== 'string') throw new Error('not a shred record');
  const body = outer.note.slice(0, outer.note.lastIndexOf('\n\n') + 1);
  return JSON.parse(body) as ShredRecord;
}

export interface RefusedShredRecord {
  replica: string;
  digest: string;
  reason: string;
}

/** A destroyed item's record whose signature checked, with the replicas that hold it final. */
export type VerifiedItemRecord = ItemRecord & { replicas: string[] };
export type VerifiedRegisterRecord = RegisterRecord & { replicas: string[] };

export interface ReplicaRecords {
  /** Blob records, by digest. */
  records: Map<string, VerifiedShredRecord>;
  /** Destroyed items' final records, by 档号. */
  items: Map<string, VerifiedItemRecord>;
  /** Carried-out registers' records, by code. */
  registers: Map<string, VerifiedRegisterRecord>;
  /** Per replica, the keys of the final records it holds (verify: every replica must hold each). */
  finalKeys: Map<string, Set<string>>;
  refused: RefusedShredRecord[];
}

/**
 * Reads every replica's shred records and checks each signature with the log's verifier key. A
 * record not signed by that key, malformed, or naming another blob than its file is refused (and
 * reported), never applied. Records of one blob on several replicas are merged: the latest wins,
 * with the destroyed items of all. A replica that cannot be listed fails the whole read.
 */
export async function readShredRecords(
  store: Pick<BlobStore, 'replicas'>,
  verifier: NoteVerifier,
): Promise<ReplicaRecords> {
  const records = new Map<string, VerifiedShredRecord>();
  const items = new Map<string, VerifiedItemRecord>();
  const registers = new Map<string, VerifiedRegisterRecord>();
  const finalKeys = new Map<string, Set<string>>();
  const refused: RefusedShredRecord[] = [];
  const pending: RefusedShredRecord[] = [];
  const notFinal = (replica: string, digest: string, what = '') => ({
    replica,
    digest,
    reason: `${what}销毁记录尚未确认（写入后其事务可能没有提交），未采用`,
  });
  for (const replica of store.replicas) {
    const held = new Set<string>();
    finalKeys.set(replica.name, held);
    for (const file of await replica.readShredRecords()) {
      if (isDestroyedRecordKey(file.digest)) {
        let record: DestroyedRecord;
        try {
          record = openDestroyedRecord(file, verifier);
        } catch (error) {
          refused.push({ replica: replica.name, digest: file.digest, reason: (error as Error).message });
          continue;
        }
        if (record.kind === 'register') {
          held.add(file.digest);
          const known = registers.get(record.code);
          registers.set(record.code, {
            ...(known && (known.rows.length > record.rows.length || known.filed) ? known : record),
            replicas: [...(known?.replicas ?? []), replica.name],
          });
        } else if (!record.final) {
          pending.push(notFinal(replica.name, file.digest, `档案 ${record.archiveCode.slice(0, 60)} 的`));
        } else {
          held.add(file.digest);
          const known = items.get(record.archiveCode);
          items.set(record.archiveCode, {
            ...(known ?? record),
            replicas: [...(known?.replicas ?? []), replica.name],
          });
        }
        continue;
      }
      let record: ShredRecord;
      try {
        record = openRecord(file.content, verifier);
        if (record.digest !== file.digest)
          throw new Error(`记录所述文件 ${String(record.digest).slice(0, 80)} 与其位置不符`);
      } catch (error) {
        refused.push({ replica: replica.name, digest: file.digest, reason: (error as Error).message });
        continue;
      }
      if (!record.final) {
        pending.push(notFinal(replica.name, file.digest));
        continue;
      }
      held.add(file.digest);
      const known = records.get(file.digest);
      if (!known) {
        records.set(file.digest, { ...record, replicas: [replica.name], content: file.content });
        continue;
      }
      const later = record.shreddedAt > known.shreddedAt || (record.keyDestroyed && !known.keyDestroyed);
      const merged = later ? { ...record, content: file.content } : { ...known };
      records.set(file.digest, {
        ...merged,
        items: [...new Set([...known.items, ...record.items])].sort(),
        replicas: [...known.replicas, replica.name],
      });
    }
  }
  // A record still pending where another replica holds it final is simply an older copy.
  const anyFinal = (key: string) => [...finalKeys.values()].some((held) => held.has(key));
  refused.push(...pending.filter((entry) => !anyFinal(entry.digest)));
  return { records, items, registers, finalKeys, refused };
}

function openRecord(content: string, verifier: NoteVerifier): ShredRecord {
  let outer: { format?: unknown; note?: unknown };
  try {
    outer = JSON.parse(content) as typeof outer;
  } catch {
    throw new Error('记录不是有效的 JSON');
  }
  if (outer.format !== SHRED_FORMAT || typeof outer.note !== 'string')
    throw new Error('不认识的记录格式（没有签名）');
  const body = openNote(outer.note, verifier);
  const record = JSON.parse(body) as ShredRecord;
  if (
    record.format !== SHRED_FORMAT ||
    typeof record.digest !== 'string' ||
    typeof record.register !== 'string' ||
    !REGISTER.test(record.register) ||
    !Array.isArray(record.items) ||
    !record.items.every((item) => typeof item === 'string') ||
    typeof record.keyDestroyed !== 'boolean' ||
    typeof record.final !== 'boolean' ||
    typeof record.shreddedAt !== 'string' ||
    Number.isNaN(Date.parse(record.shreddedAt))
  )
    throw new Error('记录内容不完整');
  return record;
}
