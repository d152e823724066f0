import type { Db } from '../../db/database.js';
import { type AccessContext, eventsIn, holds } from '../../shared/access-context.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { type NoteVerifier, openNote, parseCheckpointBody } from './checkpoint-note.js';
import { eventsBySeq, eventVisible, findCheckpoint, readLogHead } from './event.repo.js';
import { encodeEntry, storedNodeFetcher } from './event-log.js';
import { maskEventPayload, maskIdsIn } from './events.service.js';
import {
  consistencyProof,
  inclusionProof,
  type LogHashAlgorithm,
  rootAt,
  treeHasher,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

// Inclusion and consistency proofs (RFC 9162), as self-contained JSON documents, and the verifier
// that checks one using only the proof, a signed checkpoint and the log's public key.

export interface ProofEntry {
  seq: number;
  recordedAt: string;
  actor: string;
  action: string;
  subject: string;
  payload: string;
  prevHash: string;
}

export interface InclusionProofDocument {
  type: 'yidang-inclusion-proof/1';
  origin: string;
  algorithm: LogHashAlgorithm;
  treeSize: number;
  entry: ProofEntry;
  leafHash: string;
  proof: string[];
  /** The signed checkpoint of treeSize, when one exists. */
  checkpoint: string | null;
}

export interface ConsistencyProofDocument {
  type: 'yidang-consistency-proof/1';
  origin: string;
  algorithm: LogHashAlgorithm;
  oldSize: number;
  newSize: number;
  oldRoot: string;
  newRoot: string;
  proof: string[];
  oldCheckpoint: string | null;
  newCheckpoint: string | null;
}

async function logFacts(db: Db) {
  const head = await readLogHead(db);
  const algorithm = (head?.algorithm ?? 'sha256') as LogHashAlgorithm;
  return {
    head,
    algorithm,
    hasher: treeHasher(algorithm),
    size: head?.size ?? 0,
    origin: head?.origin ?? '',
  };
}

/**
 * The inclusion proof of an event the reader may see (one they may not is not found, exactly like one
 * that does not exist). The proof carries the event's original text (its hash is computed over it),
 * which cannot be masked: an event holding personal data is proven only to those who may unmask.
 */
export async function proveInclusion(
  db: Db,
  seq: number,
  treeSize: number | undefined,
  access: AccessContext,
): Promise<InclusionProofDocument> {
  const visible = eventsIn(access);
  if (visible && !(await eventVisible(db, seq, visible)))
    throw notFound('EVENT_NOT_FOUND', `事件 #${seq} 不存在`);
  const document = await inclusionDocument(db, seq, treeSize);
  const { entry } = document;
  const personal =
    maskIdsIn(entry.subject) !== entry.subject ||
    JSON.stringify(maskEventPayload(JSON.parse(entry.payload))) !== JSON.stringify(JSON.parse(entry.payload));
  if (personal && !holds(access, 'item.unmask'))
    throw new YidangError(
      'EVENT_PERSONAL',
      'forbidden',
      `事件 #${entry.seq} 含个人信息，其原文（证明所需）仅向有权查看未脱敏信息的用户提供`,
    );
  return document;
}

async function inclusionDocument(
  db: Db,
  seq: number,
  treeSize: number | undefined,
): Promise<InclusionProofDocument> {
  const { algorithm, hasher, size, origin } = await logFacts(db);
  if (!Number.isSafeInteger(seq) || seq < 0 || seq >= size)
    throw notFound('EVENT_NOT_FOUND', `事件 #${seq} 不存在（日志共 ${size} 条事件）`);
  let checkpoint = treeSize === undefined ? await findCheckpoint(db, { largerThan: seq }) : undefined;
  const targetSize = treeSize ?? checkpoint?.treeSize ?? size;
  if (!Number.isSafeInteger(targetSize) || targetSize <= seq || targetSize > size)
    throw invalid('TREE_SIZE_INVALID', `树大小应在 ${seq + 1}–${size} 之间，实际为 ${targetSize}`);
  checkpoint ??= await findCheckpoint(db, { size: targetSize });
  const [event] = await eventsBySeq(db, [seq]);
  const [previous] = seq > 0 ? await eventsBySeq(db, [seq - 1]) : [];
  if (!event) throw notFound('EVENT_NOT_FOUND', `事件 #${seq} 不存在`);
  const proof = await inclusionProof(hasher, seq, targetSize, storedNodeFetcher(db));
  return {
    type: 'yidang-inclusion-proof/1',
    origin,
    algorithm,
    treeSize: targetSize,
    entry: {
      seq,
      recordedAt: event.recordedAt.toISOString(),
      actor: event.actor,
      action: event.action,
      subject: event.subject,
      payload: event.payload,
      prevHash: previous ? previous.hash.toString('hex') : '',
    },
    leafHash: event.hash.toString('hex'),
    proof: proof.map((hash) => hash.toString('hex')),
    checkpoint: checkpoint?.note ?? null,
  };
}

export async function proveConsistency(
  db: Db,
  oldSize: number,
  newSize: number,
): Promise<ConsistencyProofDocument> {
  const { algorithm, hasher, size, origin } = await logFacts(db);
  if (
    !Number.isSafeInteger(oldSize) ||
    !Number.isSafeInteger(newSize) ||
    oldSize < 1 ||
    oldSize > newSize ||
    newSize > size
  )
    throw invalid(
      'TREE_SIZE_INVALID',
      `应满足 1 ≤ 旧树大小 ≤ 新树大小 ≤ ${size}，实际为 ${oldSize} 与 ${newSize}`,
    );
  const fetch = storedNodeFetcher(db);
  const noteOf = async (treeSize: number) => (await findCheckpoint(db, { size: treeSize }))?.note ?? null;
  return {
    type: 'yidang-consistency-proof/1',
    origin,
    algorithm,
    oldSize,
    newSize,
    oldRoot: (await rootAt(hasher, oldSize, fetch)).toString('hex'),
    newRoot: (await rootAt(hasher, newSize, fetch)).toString('hex'),
    proof: (await consistencyProof(hasher, oldSize, newSize, fetch)).map((hash) => hash.toString('hex')),
    oldCheckpoint: await noteOf(oldSize),
    newCheckpoint: await noteOf(newSize),
  };
}

const fromHex = (hex: string) => Buffer.from(/^([0-9a-f]{2})*$/.test(hex) ? hex : '', 'hex');

const malformed = (what: string) => invalid('PROOF_MALFORMED', `证明文件格式错误：${what}`);
const isHex = (value: unknown, bytes?: number) =>
  typeof value === 'string' &&
  /^([0-9a-f]{2})*$/.test(value) &&
  (bytes === undefined || value.length === bytes * 2);
const isSize = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

/** Proofs come from outside: every field is checked before use, so a bad file is a user error. */
function checkCommon(document: { algorithm?: unknown; proof?: unknown; origin?: unknown }): void {
  if (document.algorithm !== 'sha256' && document.algorithm !== 'sm3')
    throw malformed('algorithm 应为 sha256 或 sm3');
  if (typeof document.origin !== 'string') throw malformed('缺少 origin');
  if (
    !Array.isArray(document.proof) ||
    document.proof.length > 128 ||
    !document.proof.every((hash) => isHex(hash, 32))
  )
    throw malformed('proof 应为 32 字节十六进制哈希的数组');
}

function checkInclusionShape(document: InclusionProofDocument): void {
  if (!document || typeof document !== 'object' || document.type !== 'yidang-inclusion-proof/1')
    throw invalid('PROOF_MALFORMED', '不是医档包含证明文件');
  checkCommon(document);
  const entry = document.entry as Partial<ProofEntry> | undefined;
  if (!entry || typeof entry !== 'object') throw malformed('缺少 entry');
  if (!isSize(entry.seq) || !isSize(document.treeSize)) throw malformed('seq 或 treeSize 不是非负整数');
  for (const field of ['actor', 'action', 'subject', 'payload'] as const)
    if (typeof entry[field] !== 'string') throw malformed(`entry.${field} 应为文本`);
  if (typeof entry.recordedAt !== 'string' || Number.isNaN(new Date(entry.recordedAt).getTime()))
    throw malformed('entry.recordedAt 不是有效时间');
  if (!isHex(entry.prevHash) || (entry.prevHash !== '' && !isHex(entry.prevHash, 32)))
    throw malformed('entry.prevHash 无效');
  if (!isHex(document.leafHash, 32)) throw malformed('leafHash 无效');
}

function checkConsistencyShape(document: ConsistencyProofDocument): void {
  if (!document || typeof document !== 'object' || document.type !== 'yidang-consistency-proof/1')
    throw invalid('PROOF_MALFORMED', '不是医档一致性证明文件');
  checkCommon(document);
  if (!isSize(document.oldSize) || !isSize(document.newSize))
    throw malformed('oldSize 或 newSize 不是非负整数');
}

function signedHead(note: string, verifier: NoteVerifier) {
  const body = parseCheckpointBody(openNote(note, verifier));
  return body;
}

/** Checks an inclusion proof against a signed checkpoint; throws a Chinese error naming what failed. */
export function verifyInclusionDocument(
  document: InclusionProofDocument,
  checkpointNote: string,
  verifier: NoteVerifier,
): { seq: number; treeSize: number } {
  checkInclusionShape(document);
  const head = signedHead(checkpointNote, verifier);
  if (head.origin !== document.origin) throw invalid('PROOF_INVALID', '证明与检查点不属于同一日志');
  if (head.size !== document.treeSize)
    throw invalid('PROOF_INVALID', `证明针对树大小 ${document.treeSize}，检查点为 ${head.size}`);
  const hasher = treeHasher(document.algorithm);
  const entry = document.entry;
  const leaf = hasher.leaf(
    encodeEntry({
      ...entry,
      recordedAt: new Date(entry.recordedAt),
      prevHash: entry.prevHash ? fromHex(entry.prevHash) : null,
    }),
  );
  if (leaf.toString('hex') !== document.leafHash)
    throw invalid('PROOF_INVALID', `事件 #${entry.seq} 的内容与其哈希不符（事件内容被改动）`);
  const ok = verifyInclusion(hasher, entry.seq, head.size, leaf, document.proof.map(fromHex), head.rootHash);
  if (!ok)
    throw invalid(
      'PROOF_INVALID',
      `包含证明无效：事件 #${entry.seq} 不在检查点（树大小 ${head.size}）的日志中`,
    );
  return { seq: entry.seq, treeSize: head.size };
}

export function verifyConsistencyDocument(
  document: ConsistencyProofDocument,
  oldNote: string,
  newNote: string,
  verifier: NoteVerifier,
): { oldSize: number; newSize: number } {
  checkConsistencyShape(document);
  const older = signedHead(oldNote, verifier);
  const newer = signedHead(newNote, verifier);
  if (older.size !== document.oldSize || newer.size !== document.newSize)
    throw invalid('PROOF_INVALID', '证明的树大小与检查点不符');
  const ok = verifyConsistency(
    treeHasher(document.algorithm),
    older.size,
    newer.size,
    older.rootHash,
    newer.rootHash,
    document.proof.map(fromHex),
  );
  if (!ok)
    throw invalid(
      'PROOF_INVALID',
      `一致性证明无效：树大小 ${older.size} 的日志不是 ${newer.size} 的前缀（历史被改写）`,
    );
  return { oldSize: older.size, newSize: newer.size };
}
