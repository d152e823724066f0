import type { KeyObject } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { invalid } from '../../shared/errors.js';
import { itemSubject } from '../catalog/item.state.js';
import { type NoteVerifier, openNote, parseCheckpointBody } from '../integrity/checkpoint-note.js';
import { eventsOfSubjects, type StoredEvent } from '../integrity/event.queries.js';
import { storedNodeFetcher } from '../integrity/event-log.js';
import {
  inclusionProof,
  type LogHashAlgorithm,
  type NodeFetcher,
  type NodeId,
  nodeKey,
  treeHasher,
} from '../integrity/merkle.js';
import { type InclusionProofDocument, verifyInclusionDocument } from '../integrity/proof.service.js';

// history.json of one 件 in a transfer package: every event about the item up to the package's signed
// checkpoint (data/checkpoint.txt), each with its inclusion proof, so the receiver checks the item's
// history against the sender's log — not only its bytes. Each event is an ordinary inclusion-proof
// document (checkpoint null: it is the bag's one checkpoint), checked by integrity's verifier.

export const HISTORY_TYPE = 'yidang-item-history/1';
const FILING_EVENT = 'item.created';

export interface ItemHistory {
  type: typeof HISTORY_TYPE;
  archiveCode: string;
  origin: string;
  algorithm: LogHashAlgorithm;
  treeSize: number;
  events: InclusionProofDocument[];
}

export interface HistoryCheckpoint {
  origin: string;
  algorithm: LogHashAlgorithm;
  treeSize: number;
}

/**
 * Collects the node requests of many proofs made in the same turn into one fetch: thousands of
 * inclusion proofs cost a handful of statements rather than one each.
 */
function batchingFetcher(fetch: NodeFetcher): NodeFetcher {
  interface Batch {
    nodes: NodeId[];
    waiters: Array<() => void>;
    result?: Map<string, Buffer>;
    error?: unknown;
  }
  let pending: Batch | null = null;
  return (nodes) => {
    if (!pending) {
      const batch: Batch = { nodes: [], waiters: [] };
      pending = batch;
      setImmediate(() => {
        pending = null;
        const unique = new Map(batch.nodes.map((node) => [nodeKey(node), node]));
        fetch([...unique.values()]).then(
          (result) => {
            batch.result = result;
            for (const wake of batch.waiters) wake();
          },
          (error: unknown) => {
            batch.error = error;
            for (const wake of batch.waiters) wake();
          },
        );
      });
    }
    const batch = pending;
    batch.nodes.push(...nodes);
    return new Promise((resolve, reject) => {
      batch.waiters.push(() =>
        batch.error ? reject(batch.error) : resolve(batch.result as Map<string, Buffer>),
      );
    });
  };
}

const PROOFS_PER_FETCH = 400;

/** The histories of `archiveCodes` (items with no event get an empty list) against a checkpoint of the log. */
export async function itemHistories(
  db: Db,
  archiveCodes: readonly string[],
  checkpoint: HistoryCheckpoint,
): Promise<Map<string, ItemHistory>> {
  const { origin, algorithm, treeSize } = checkpoint;
  const hasher = treeHasher(algorithm);
  const bySubject = new Map<string, ItemHistory>();
  const histories = new Map<string, ItemHistory>();
  for (const archiveCode of archiveCodes) {
    const history: ItemHistory = { type: HISTORY_TYPE, archiveCode, origin, algorithm, treeSize, events: [] };
    histories.set(archiveCode, history);
    bySubject.set(itemSubject(archiveCode), history);
  }
  const events = await eventsOfSubjects(db, [...bySubject.keys()], treeSize);
  const fetch = batchingFetcher(storedNodeFetcher(db));
  for (let start = 0; start < events.length; start += PROOFS_PER_FETCH) {
    const chunk = events.slice(start, start + PROOFS_PER_FETCH);
    const documents = await Promise.all(
      chunk.map(async (event: StoredEvent): Promise<InclusionProofDocument> => {
        const [proof, previous] = await Promise.all([
          inclusionProof(hasher, event.seq, treeSize, fetch),
          event.seq > 0 ? fetch([{ level: 0, index: event.seq - 1 }]) : Promise.resolve(new Map()),
        ]);
        const prevHash = previous.get(nodeKey({ level: 0, index: event.seq - 1 })) as Buffer | undefined;
        return {
          type: 'yidang-inclusion-proof/1',
          origin,
          algorithm,
          treeSize,
          entry: {
            seq: event.seq,
            recordedAt: event.recordedAt.toISOString(),
            actor: event.actor,
            action: event.action,
            subject: event.subject,
            payload: event.payload,
            prevHash: prevHash ? prevHash.toString('hex') : '',
          },
          leafHash: event.hash.toString('hex'),
          proof: proof.map((hash) => hash.toString('hex')),
          checkpoint: null,
        };
      }),
    );
    for (const document of documents) bySubject.get(document.entry.subject)?.events.push(document);
  }
  return histories;
}

const badHistory = (archiveCode: string, why: string) =>
  invalid('PROOF_INVALID', `档号 ${archiveCode.slice(0, 60)} 的历史记录（history.json）无效：${why}`);

/**
 * Checks an item's history.json against the bag's signed checkpoint and the sender's public key: every
 * event is about this item, in order, and proven in the checkpoint's tree, and the item's filing is among
 * them; the checkpoint's signature is checked even when there are no events. Throws PROOF_INVALID,
 * PROOF_MALFORMED or CHECKPOINT_* naming what failed; returns how many events were proven. (A proof
 * shows an event is in the log; it cannot show that none was left out.)
 */
export function verifyHistory(
  history: unknown,
  checkpointNote: string,
  publicKey: KeyObject,
  archiveCode: string,
): { events: number; treeSize: number } {
  const document = history as Partial<ItemHistory> | null;
  if (!document || typeof document !== 'object' || document.type !== HISTORY_TYPE)
    throw invalid('PROOF_MALFORMED', `档号 ${archiveCode.slice(0, 60)} 的 history.json 不是医档历史记录`);
  if (document.archiveCode !== archiveCode) throw badHistory(archiveCode, '档号与封装包不符');
  if (!Array.isArray(document.events) || typeof document.origin !== 'string')
    throw invalid('PROOF_MALFORMED', `档号 ${archiveCode.slice(0, 60)} 的 history.json 缺少事件列表`);
  const verifier: NoteVerifier = {
    name: document.origin,
    algorithm: publicKey.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'sm2',
    publicKey,
  };
  // The checkpoint is checked whatever the events: signed by this key, of this log and tree size.
  const head = parseCheckpointBody(openNote(checkpointNote, verifier));
  if (head.size !== document.treeSize)
    throw badHistory(archiveCode, `树大小 ${document.treeSize} 与检查点（${head.size}）不符`);
  // An item's history starts with its filing: a history without it proves nothing about the item.
  if (!document.events.some((event) => event?.entry?.action === FILING_EVENT))
    throw badHistory(archiveCode, '缺少该档案的归档事件（item.created）');
  let previous = -1;
  for (const event of document.events) {
    const subject = event?.entry?.subject;
    if (subject !== itemSubject(archiveCode))
      throw badHistory(archiveCode, `事件 #${event?.entry?.seq ?? '?'} 不是关于该档案的`);
    if (event.treeSize !== document.treeSize || event.origin !== document.origin)
      throw badHistory(archiveCode, `事件 #${event.entry.seq} 的树大小或来源与记录不符`);
    verifyInclusionDocument(event, checkpointNote, verifier);
    if (event.entry.seq <= previous) throw badHistory(archiveCode, '事件未按序号排列或重复');
    previous = event.entry.seq;
  }
  return { events: document.events.length, treeSize: document.treeSize ?? 0 };
}
