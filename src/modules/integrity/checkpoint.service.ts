import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { formatCheckpointBody, type NoteSigner, type NoteVerifier, signNote } from './checkpoint-note.js';
import {
  type CheckpointRow,
  insertCheckpoint,
  listCheckpoints,
  lockLogHead,
  readLogHead,
} from './event.repo.js';
import { splitHashes } from './event-log.js';
import { type LogHashAlgorithm, rootFromFrontier, treeHasher } from './merkle.js';

// Signed checkpoints (检查点): the tree size and root at a moment, signed with the log key. A copy
// kept outside the database later proves the history up to it was not rewritten.

export interface Checkpoint {
  id: number;
  treeSize: number;
  rootHash: string;
  createdAt: string;
  createdBy: string;
  note: string;
}

/** The signing key from the keyring, named after the log's origin (as signed notes expect). */
export type SigningKey = Omit<NoteSigner, 'name'>;

export const toCheckpoint = (row: CheckpointRow): Checkpoint => ({
  id: row.id,
  treeSize: row.treeSize,
  rootHash: row.rootHash.toString('hex'),
  createdAt: row.createdAt.toISOString(),
  createdBy: row.createdBy,
  note: row.note,
});

export async function writeCheckpoint(
  db: Db,
  key: SigningKey,
  actor: string,
  now: Date = new Date(),
  options: { lock?: boolean } = {},
): Promise<Checkpoint> {
  return inTransaction(db, async (trx) => {
    // Holding the head lock keeps the size and root consistent with concurrent appends; a
    // repeatable-read snapshot (backup) is consistent without it.
    const head = options.lock === false ? await readLogHead(trx) : await lockLogHead(trx);
    const origin = head?.origin ?? 'yidang.local/empty';
    const size = head?.size ?? 0;
    const hasher = treeHasher((head?.algorithm ?? 'sha256') as LogHashAlgorithm);
    const rootHash = rootFromFrontier(hasher, splitHashes(head?.frontier ?? null), size);
    const body = formatCheckpointBody({ origin, size, rootHash, time: now });
    const note = signNote(body, { ...key, name: origin });
    const row = { treeSize: size, rootHash, createdAt: now, createdBy: actor, note };
    const id = await insertCheckpoint(trx, row);
    return toCheckpoint({ id, ...row });
  });
}

/** For the periodic timer: a checkpoint only when events were appended since the last one. */
export async function checkpointIfGrown(
  db: Db,
  key: SigningKey,
  actor: string,
): Promise<Checkpoint | undefined> {
  const head = await readLogHead(db);
  const [latest] = await listCheckpoints(db, { latest: 1 });
  if (!head || (latest && latest.treeSize >= head.size)) return undefined;
  return writeCheckpoint(db, key, actor);
}

export async function checkpoints(db: Db, latest?: number): Promise<Checkpoint[]> {
  return (await listCheckpoints(db, { latest })).map(toCheckpoint);
}

export async function logVerifier(db: Db, key: SigningKey): Promise<NoteVerifier> {
  const head = await readLogHead(db);
  return { name: head?.origin ?? 'yidang.local/empty', algorithm: key.algorithm, publicKey: key.publicKey };
}
