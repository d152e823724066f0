import { type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/db.js';
import type { IntegrityCheckpointTable, IntegrityEventTable } from './integrity.tables.js';

// The only SQL for the event log, its head and its checkpoints.

export interface LogHead {
  origin: string;
  algorithm: string;
  size: number;
  lastHash: Buffer | null;
  frontier: Buffer;
}

/** Locks the log head for the rest of the transaction: appends are serialized, so seq is gapless. */
export async function lockLogHead(db: Db): Promise<LogHead | undefined> {
  const row = await db
    .selectFrom('integrity_log')
    .selectAll()
    .where('id', '=', 1)
    .forUpdate()
    .executeTakeFirst();
  return row && toHead(row);
}

export async function readLogHead(db: Db): Promise<LogHead | undefined> {
  const row = await db.selectFrom('integrity_log').selectAll().where('id', '=', 1).executeTakeFirst();
  return row && toHead(row);
}

function toHead(row: {
  origin: string;
  algorithm: string;
  size: number;
  last_hash: Buffer | null;
  frontier: Buffer;
}): LogHead {
  return {
    origin: row.origin,
    algorithm: row.algorithm,
    size: Number(row.size),
    lastHash: row.last_hash ? Buffer.from(row.last_hash) : null,
    frontier: Buffer.from(row.frontier),
  };
}

/** Creates the head of an empty log unless one exists; the first caller's choices stay. */
export async function createLogHead(db: Db, origin: string, algorithm: string): Promise<void> {
  await db
    .insertInto('integrity_log')
    .values({ origin, algorithm, size: 0, last_hash: null, frontier: Buffer.alloc(0) })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
}

export async function updateLogHead(db: Db, size: number, lastHash: Buffer, frontier: Buffer): Promise<void> {
  await db
    .updateTable('integrity_log')
    .set({ size, last_hash: lastHash, frontier })
    .where('id', '=', 1)
    .execute();
}

const INSERT_CHUNK = 5000;

/** Rows travel as one jsonb parameter with hashes in hex: no bind-parameter limit, one round trip. */
export async function insertEvents(db: Db, rows: readonly IntegrityEventTable[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const chunk = rows.slice(start, start + INSERT_CHUNK).map((row) => ({
      seq: row.seq,
      recorded_at: row.recorded_at.toISOString(),
      actor: row.actor,
      action: row.action,
      subject: row.subject,
      payload: row.payload,
      hash: row.hash.toString('hex'),
      subtrees: row.subtrees ? row.subtrees.toString('hex') : null,
    }));
    await sql`
      insert into integrity_event (seq, recorded_at, actor, action, subject, payload, hash, subtrees)
      select seq, recorded_at, actor, action, subject, payload, decode(hash, 'hex'), decode(subtrees, 'hex')
      from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as r(
        seq bigint, recorded_at timestamptz, actor text, action text, subject text, payload text,
        hash text, subtrees text)`.execute(db);
  }
}

export interface StoredEvent {
  seq: number;
  recordedAt: Date;
  actor: string;
  action: string;
  subject: string;
  payload: string;
  hash: Buffer;
  subtrees: Buffer | null;
}

export function toEvent(row: IntegrityEventTable): StoredEvent {
  return {
    seq: Number(row.seq),
    recordedAt: row.recorded_at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    payload: row.payload,
    hash: Buffer.from(row.hash),
    subtrees: row.subtrees ? Buffer.from(row.subtrees) : null,
  };
}

/** Events in seq order from `afterSeq` (exclusive), for streaming the whole log in batches. */
export async function eventsAfter(db: Db, afterSeq: number, limit: number): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('integrity_event')
    .selectAll()
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(toEvent);
}

export async function eventsBySeq(db: Db, seqs: readonly number[]): Promise<StoredEvent[]> {
  if (seqs.length === 0) return [];
  const rows = await db
    .selectFrom('integrity_event')
    .selectAll()
    .where('seq', 'in', [...seqs])
    .execute();
  return rows.map(toEvent);
}

export interface EventFilter {
  subject?: string;
  subjectPrefix?: string;
  action?: string;
  beforeSeq?: number;
  /** Recorded at or after this instant. */
  recordedFrom?: Date;
  /** Recorded before this instant. */
  recordedBefore?: Date;
  limit: number;
  /**
   * Only the events this condition (over the event row `e`) admits: a scoped reader's, built above
   * the kernel (access/event-visibility.ts), which knows what a scope covers.
   */
  visible?: RawBuilder<SqlBool>;
}

/**
 * Every event about any of `subjects` with seq below `beforeSeq`, oldest first: a transfer package's
 * histories for thousands of items in a few statements (by the log's (subject, seq) index).
 */
export async function eventsOfSubjects(
  db: Db,
  subjects: readonly string[],
  beforeSeq: number,
): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (let start = 0; start < subjects.length; start += 1000) {
    const rows = await db
      .selectFrom('integrity_event')
      .selectAll()
      .where('subject', 'in', subjects.slice(start, start + 1000))
      .where('seq', '<', beforeSeq)
      .orderBy('seq')
      .execute();
    events.push(...rows.map(toEvent));
  }
  return events.sort((a, b) => a.seq - b.seq);
}

/** Newest first, for the audit trail and an item's events. */
export async function listEvents(db: Db, filter: EventFilter): Promise<StoredEvent[]> {
  let query = db.selectFrom('integrity_event as e').selectAll();
  if (filter.visible !== undefined) query = query.where(filter.visible);
  if (filter.subject !== undefined) query = query.where('subject', '=', filter.subject);
  if (filter.subjectPrefix !== undefined)
    query = query
      .where('subject', '>=', filter.subjectPrefix)
      .where('subject', '<', `${filter.subjectPrefix}\uffff`);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
  if (filter.recordedFrom !== undefined) query = query.where('recorded_at', '>=', filter.recordedFrom);
  if (filter.recordedBefore !== undefined) query = query.where('recorded_at', '<', filter.recordedBefore);
  const rows = await query.orderBy('seq', 'desc').limit(filter.limit).execute();
  return rows.map(toEvent);
}

/** Whether event `seq` exists and is admitted by `visible` (a condition over the event row `e`). */
export async function eventVisible(db: Db, seq: number, visible: RawBuilder<SqlBool>): Promise<boolean> {
  const row = await db
    .selectFrom('integrity_event as e')
    .select('e.seq')
    .where('e.seq', '=', seq)
    .where(visible)
    .executeTakeFirst();
  return row !== undefined;
}

export async function countEvents(db: Db): Promise<number> {
  const row = await db
    .selectFrom('integrity_event')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export interface CheckpointRow {
  id: number;
  treeSize: number;
  rootHash: Buffer;
  createdAt: Date;
  createdBy: string;
  note: string;
}

export async function insertCheckpoint(db: Db, row: Omit<CheckpointRow, 'id'>): Promise<number> {
  const inserted = await db
    .insertInto('integrity_checkpoint')
    .values({
      tree_size: row.treeSize,
      root_hash: row.rootHash,
      created_at: row.createdAt,
      created_by: row.createdBy,
      note: row.note,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

function toCheckpointRow(row: Selectable<IntegrityCheckpointTable>): CheckpointRow {
  return {
    id: row.id,
    treeSize: Number(row.tree_size),
    rootHash: Buffer.from(row.root_hash),
    createdAt: row.created_at,
    createdBy: row.created_by,
    note: row.note,
  };
}

export async function listCheckpoints(db: Db, options: { latest?: number } = {}): Promise<CheckpointRow[]> {
  let query = db.selectFrom('integrity_checkpoint').selectAll();
  query = options.latest ? query.orderBy('id', 'desc').limit(options.latest) : query.orderBy('id');
  const mapped = (await query.execute()).map(toCheckpointRow);
  return options.latest ? mapped.reverse() : mapped;
}

/** The newest checkpoint of exactly `size`, or of any size above `largerThan`: one row, not the list. */
export async function findCheckpoint(
  db: Db,
  where: { size: number } | { largerThan: number },
): Promise<CheckpointRow | undefined> {
  const row = await db
    .selectFrom('integrity_checkpoint')
    .selectAll()
    .where('tree_size', 'size' in where ? '=' : '>', 'size' in where ? where.size : where.largerThan)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && toCheckpointRow(row);
}
