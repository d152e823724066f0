import crypto from 'node:crypto';
import type { Db } from '../../db/db.js';
import { atTransactionEnd, inTransaction } from '../../db/transaction.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { invalid } from '../../shared/errors.js';
import { maskIdsDeep } from '../../shared/id-in-text.js';
import { type EventName, type EventPayloads, isEventName } from './event-catalog.js';
import {
  createLogHead,
  eventsBySeq,
  insertEvents,
  type LogHead,
  lockLogHead,
  readLogHead,
  type StoredEvent,
  updateLogHead,
} from './event.repo.js';
import type { IntegrityEventTable } from './integrity.tables.js';
import {
  appendLeaf,
  HASH_SIZE,
  type LogHashAlgorithm,
  type NodeFetcher,
  type NodeId,
  nodeKey,
  rootFromFrontier,
  type TreeHasher,
  treeHasher,
} from './merkle.js';

// Appending to the event log (事件日志). A change records its events with recordEvent inside its
// transaction (inTransaction); they are appended as the transaction's last statements, so the change
// and its events commit together or not at all, and the log's lock is held for the append alone —
// never across the change's own work (a blob's fsync, an upload to S3).

/** One event of a given type: its payload must fit the catalog's shape for that name. */
export interface EventOf<Name extends EventName> {
  actor: string;
  /** What happened, as module.verb: item.created, file.added, fonds.changed, … (event-catalog.ts) */
  action: Name;
  subject: string;
  payload: EventPayloads[Name];
  /** The subject's state after the change; the log stores its digest (payload.state) to check it later. */
  state?: unknown;
  /** The state the change replaced (payload.previousState), to check kept versions. */
  previousState?: unknown;
}

/** Any event in the catalog (a union: each element of a list is checked against its own name). */
export type EventInput = { [Name in EventName]: EventOf<Name> }[EventName];

export interface AppendedEvent {
  seq: number;
  hash: Buffer;
}

const ENTRY_VERSION = 'yidang-event/1';
const MAX_PAYLOAD_CHARS = 64 * 1024;

/**
 * The bytes a leaf hashes: every stored field and the previous event's hash, as a JSON array
 * (strings and numbers only, so the encoding is fixed). The leaf hash is therefore the chain link.
 */
export function encodeEntry(event: {
  seq: number;
  recordedAt: Date;
  actor: string;
  action: string;
  subject: string;
  payload: string;
  prevHash: Buffer | null;
}): Buffer {
  return Buffer.from(
    JSON.stringify([
      ENTRY_VERSION,
      event.seq,
      event.recordedAt.toISOString(),
      event.actor,
      event.action,
      event.subject,
      event.payload,
      event.prevHash ? event.prevHash.toString('hex') : '',
    ]),
    'utf8',
  );
}

/** Digest of a state object with the log's own hash algorithm, as hex. */
export function stateDigest(algorithm: LogHashAlgorithm, state: unknown): string {
  return crypto.createHash(algorithm).update(canonicalJson(state), 'utf8').digest('hex');
}

export function splitHashes(concatenated: Buffer | null): Buffer[] {
  const hashes: Buffer[] = [];
  if (!concatenated) return hashes;
  for (let offset = 0; offset + HASH_SIZE <= concatenated.length; offset += HASH_SIZE)
    hashes.push(concatenated.subarray(offset, offset + HASH_SIZE));
  return hashes;
}

export interface LogSettings {
  algorithm: LogHashAlgorithm;
  origin?: string;
}

/** Creates the log's head on first use; its hash algorithm and origin never change afterwards. */
export async function ensureLog(db: Db, settings: LogSettings): Promise<LogHead> {
  const existing = await readLogHead(db);
  if (existing) return existing;
  const origin = settings.origin ?? `yidang.local/log-${crypto.randomBytes(6).toString('hex')}`;
  await createLogHead(db, origin, settings.algorithm);
  return (await readLogHead(db)) as LogHead;
}

/**
 * Appends events now, locking the log head until the transaction ends. Writers use recordEvent,
 * which calls this as the transaction's last statement; only migrations and tests call it directly.
 */
export async function appendEvents(
  trx: Db,
  events: readonly EventInput[],
  now: Date = new Date(),
): Promise<AppendedEvent[]> {
  // An event written outside the change's transaction could survive a rolled-back change.
  if (!trx.isTransaction) throw new Error('appendEvents must run inside the transaction of the change');
  if (events.length === 0) return [];
  let head = await lockLogHead(trx);
  if (!head) {
    await createLogHead(trx, `yidang.local/log-${crypto.randomBytes(6).toString('hex')}`, 'sha256');
    head = (await lockLogHead(trx)) as LogHead;
  }
  const hasher = treeHasher(head.algorithm as LogHashAlgorithm);
  let frontier = splitHashes(head.frontier);
  let size = head.size;
  let prevHash = head.lastHash;
  const rows: IntegrityEventTable[] = [];
  for (const { state, previousState, ...event } of events) {
    // The log is append-only: an ID number typed anywhere (a reason, a file name) is masked before
    // it could be kept in it for good. Payloads meant to be checked never hold one.
    const payload = canonicalJson({
      ...maskIdsDeep(event.payload as Record<string, unknown>),
      ...(state !== undefined ? { state: stateDigest(hasher.algorithm, state) } : {}),
      ...(previousState !== undefined ? { previousState: stateDigest(hasher.algorithm, previousState) } : {}),
    });
    if (payload.length > MAX_PAYLOAD_CHARS) throw invalid('EVENT_TOO_LARGE', '事件内容过大');
    const entry = { seq: size, recordedAt: now, ...event, payload, prevHash };
    const hash = hasher.leaf(encodeEntry(entry));
    const appended = appendLeaf(hasher, frontier, size, hash);
    frontier = appended.frontier;
    rows.push({
      seq: size,
      recorded_at: now,
      actor: event.actor,
      action: event.action,
      subject: event.subject,
      payload,
      hash,
      subtrees: appended.completed.length > 0 ? Buffer.concat(appended.completed) : null,
    });
    prevHash = hash;
    size += 1;
  }
  await insertEvents(trx, rows);
  await updateLogHead(trx, size, prevHash as Buffer, Buffer.concat(frontier));
  return rows.map((row) => ({ seq: row.seq, hash: row.hash }));
}

/** Appends one event now (see appendEvents): for migrations and tests, not for writers. */
export async function appendEvent<Name extends EventName>(
  trx: Db,
  event: EventOf<Name>,
  now?: Date,
): Promise<AppendedEvent> {
  const [appended] = await appendEvents(trx, [event as EventInput], now);
  return appended as AppendedEvent;
}

const PENDING = Symbol('pending events');

/**
 * Records the events of a change; they are appended, in the order recorded, at the end of the
 * transaction opened by inTransaction, after everything else the change did. Outside such a
 * transaction it throws: an event must commit with its change.
 */
export function recordEvents(trx: Db, events: readonly EventInput[]): void {
  if (events.length === 0) return;
  // Checked now as well as by the types, so a name built at run time fails in its writer's stack.
  for (const event of events)
    if (!isEventName(event.action)) throw new Error(`event ${event.action} is not in the event catalog`);
  const buffer = atTransactionEnd(
    trx,
    PENDING,
    (): EventInput[] => [],
    async (recorded) => {
      await appendEvents(trx, recorded);
    },
  );
  buffer.push(...events);
}

/** Records one event of the change (see recordEvents). */
export function recordEvent<Name extends EventName>(trx: Db, event: EventOf<Name>): void {
  recordEvents(trx, [event as EventInput]);
}

/** A change that is only its event (a read, an export, a refusal): records it in a transaction of its own or the caller's. */
export async function logEvent<Name extends EventName>(db: Db, event: EventOf<Name>): Promise<void> {
  await inTransaction(db, async (trx) => recordEvent(trx, event));
}

export interface TreeHead {
  origin: string;
  algorithm: LogHashAlgorithm;
  size: number;
  rootHash: Buffer;
}

export async function currentTreeHead(db: Db): Promise<TreeHead> {
  const head = await readLogHead(db);
  const algorithm = (head?.algorithm ?? 'sha256') as LogHashAlgorithm;
  const hasher = treeHasher(algorithm);
  const size = head?.size ?? 0;
  return {
    origin: head?.origin ?? '',
    algorithm,
    size,
    rootHash: rootFromFrontier(hasher, splitHashes(head?.frontier ?? null), size),
  };
}

export async function logHasher(db: Db): Promise<TreeHasher> {
  const head = await readLogHead(db);
  return treeHasher((head?.algorithm ?? 'sha256') as LogHashAlgorithm);
}

/**
 * Tree nodes from the event rows: a leaf is its event's hash, and a perfect subtree of level L is
 * stored with the last leaf it covers.
 */
export function storedNodeFetcher(db: Db): NodeFetcher {
  return async (nodes: readonly NodeId[]) => {
    const seqOf = (node: NodeId) => (node.index + 1) * 2 ** node.level - 1;
    const events = await eventsBySeq(db, [...new Set(nodes.map(seqOf))]);
    const bySeq = new Map<number, StoredEvent>(events.map((event) => [event.seq, event]));
    const found = new Map<string, Buffer>();
    for (const node of nodes) {
      const event = bySeq.get(seqOf(node));
      if (!event) continue;
      const hash = node.level === 0 ? event.hash : splitHashes(event.subtrees)[node.level - 1];
      if (hash) found.set(nodeKey(node), hash);
    }
    return found;
  };
}
