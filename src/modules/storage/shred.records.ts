import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { YidangError } from '../../shared/errors.js';
import { logVerifier, type SigningKey } from '../integrity/checkpoint.service.js';
import { type NoteSigner, type NoteVerifier, openNote, signNote } from '../integrity/checkpoint-note.js';
import type { BlobStore } from './blob-store.js';
import type { Replica, ShredRecordFile } from './replica.js';

// The replicas' records of what a destruction did beyond the blobs' keys: one per destroyed item
// (with or without files — a paper item leaves no blob record, yet a restore must not bring it back)
// and one per carried-out 销毁清册 (the register is a permanent archive; a restore from before it
// must know its number was issued). Signed with the log key like the blob records; an item's record
// is written pending inside the destruction's transaction and final only after it committed.

export const DESTROYED_FORMAT = 'yidang-destroyed/1';

/** A destroyed item as its replica record says. */
export interface ItemRecord {
  format: typeof DESTROYED_FORMAT;
  kind: 'item';
  archiveCode: string;
  register: string;
  /** 题名 as the register shows it (the person's name masked). */
  title: string;
  /** The tombstone's digest of what was destroyed. */
  destroyedDigest: string;
  /** The digests of the item's files, destroyed with it. */
  files: string[];
  destroyedAt: string;
  /** False until the destruction's transaction committed (a restore applies final records only). */
  final: boolean;
}

/** A carried-out register's summary, written once its rows are all done (final at once). */
export interface RegisterRecord {
  format: typeof DESTROYED_FORMAT;
  kind: 'register';
  code: string;
  fonds: string;
  year: number;
  number: number;
  round: string;
  drawnBy: string;
  approvedBy: string | null;
  signatures: Array<{ role: string; user: string; at: string }>;
  rows: Array<{ seq: number; archiveCode: string; state: string; destroyedDigest: string | null }>;
  carriedAt: string | null;
  /** The filed register (档号 of the XHQC archive and its document digest), once filed. */
  filed: { archiveCode: string; digest: string | null } | null;
  final: true;
}

export type DestroyedRecord = ItemRecord | RegisterRecord;

const hex = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
export const itemRecordKey = (archiveCode: string) => `item:${hex(archiveCode)}`;
export const registerRecordKey = (code: string) => `register:${hex(code)}`;
export const isDestroyedRecordKey = (key: string) => key.startsWith('item:') || key.startsWith('register:');

/** The log's origin names the signing key in signed notes; it is fixed when the log begins. */
const origins = new WeakMap<SigningKey, string>();
const EMPTY_LOG = 'yidang.local/empty';
export async function recordSigner(db: Db, key: SigningKey): Promise<NoteSigner> {
  let name = origins.get(key);
  if (!name || name === EMPTY_LOG) {
    name = (await logVerifier(db, key)).name;
    origins.set(key, name);
  }
  return { ...key, name };
}

/** A record as a replica keeps it: the signed note inside the format's envelope. */
export function signedRecord(key: string, body: object, signer: NoteSigner): ShredRecordFile {
  const format = (body as { format: string }).format;
  return {
    digest: key,
    content: `${JSON.stringify({ format, note: signNote(`${JSON.stringify(body)}\n`, signer) })}\n`,
  };
}

export function itemRecordFile(
  body: Omit<ItemRecord, 'format' | 'kind'>,
  signer: NoteSigner,
): ShredRecordFile {
  const record: ItemRecord = {
    format: DESTROYED_FORMAT,
    kind: 'item',
    ...body,
    files: [...body.files].sort(),
  };
  return signedRecord(itemRecordKey(body.archiveCode), record, signer);
}

export function registerRecordFile(
  body: Omit<RegisterRecord, 'format' | 'kind' | 'final'>,
  signer: NoteSigner,
): ShredRecordFile {
  const record: RegisterRecord = { format: DESTROYED_FORMAT, kind: 'register', ...body, final: true };
  return signedRecord(registerRecordKey(body.code), record, signer);
}

const isText = (value: unknown): value is string => typeof value === 'string';

/** Opens and checks a destroyed-item or register record; throws (a Chinese reason) when it is not valid. */
export function openDestroyedRecord(file: ShredRecordFile, verifier: NoteVerifier): DestroyedRecord {
  let outer: { format?: unknown; note?: unknown };
  try {
    outer = JSON.parse(file.content) as typeof outer;
  } catch {
    throw new Error('记录不是有效的 JSON');
  }
  if (outer.format !== DESTROYED_FORMAT || typeof outer.note !== 'string')
    throw new Error('不认识的记录格式（没有签名）');
  const record = JSON.parse(openNote(outer.note, verifier)) as DestroyedRecord;
  if (record.format !== DESTROYED_FORMAT) throw new Error('记录内容不完整');
  if (record.kind === 'item') {
    if (
      !isText(record.archiveCode) ||
      !isText(record.register) ||
      !isText(record.title) ||
      !isText(record.destroyedDigest) ||
      !Array.isArray(record.files) ||
      !record.files.every(isText) ||
      typeof record.final !== 'boolean' ||
      !isText(record.destroyedAt) ||
      Number.isNaN(Date.parse(record.destroyedAt))
    )
      throw new Error('记录内容不完整');
    if (itemRecordKey(record.archiveCode) !== file.digest) throw new Error('记录所述档号与其位置不符');
    return record;
  }
  if (record.kind === 'register') {
    if (
      !isText(record.code) ||
      !isText(record.fonds) ||
      !Number.isInteger(record.year) ||
      !Number.isInteger(record.number) ||
      !Array.isArray(record.rows) ||
      !record.rows.every((row) => isText(row?.archiveCode))
    )
      throw new Error('记录内容不完整');
    if (registerRecordKey(record.code) !== file.digest) throw new Error('记录所述清册编号与其位置不符');
    return record;
  }
  throw new Error('不认识的记录种类');
}

/**
 * Writes records to every replica (required or not: a restore from any of them re-applies them).
 * A replica that cannot take them fails the whole write (REPLICA_UNAVAILABLE naming it).
 */
export async function writeToEveryReplica(
  store: BlobStore,
  files: readonly ShredRecordFile[],
): Promise<void> {
  if (files.length === 0) return;
  const failed: Array<{ replica: Replica; error: Error }> = [];
  await Promise.all(
    store.replicas.map((replica) =>
      replica.writeShredRecords(files).catch((error: Error) => failed.push({ replica, error })),
    ),
  );
  const [first] = failed;
  if (first)
    throw new YidangError(
      'REPLICA_UNAVAILABLE',
      'busy',
      `销毁记录无法写入副本“${first.replica.name}”，稍后重试：${first.error.message}`,
    );
}
