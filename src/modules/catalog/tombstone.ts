import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { YidangError } from '../../shared/errors.js';
import { logHasher, recordEvent, stateDigest } from '../integrity/event-log.js';
import { lockItem } from './item.queries.js';
import { findItemsByIds } from './item.repo.js';
import type { Item } from './item.schema.js';
import { scopedQuery } from './item.scope.js';
import { itemState, itemSubject } from './item.state.js';
import { insertItemVersion } from './item-version.repo.js';
import { replaceVersionSnapshot, versionSnapshots, writeTombstone } from './tombstone.repo.js';

// 销毁后的档案: the item's row stays as a tombstone — 档号 (the sequence has no gap), 题名 as the
// register shows it, year, retention, category, the register's number and the digest of what was
// destroyed — so the event log and the 档号 sequence stay verifiable. Every personal field is
// nulled in the row and in every kept version; `item.destroyed` is recorded last, its state the tombstone's.

export const TOMBSTONE_REASON = (register: string) => `按销毁清册 ${register} 销毁`;
/** An earlier version's 修改原因 and 修改人 on a tombstone (a reason may name the person; the log keeps who). */
export const REDUCED_REASON = '（已随档案销毁删减）';
export const REDUCED_BY = '（已删减）';

/** A version or the current item reduced to what a tombstone keeps. */
export function reduceItem(item: Item, title: string): Item {
  return {
    ...item,
    title,
    changeReason: REDUCED_REASON,
    updatedBy: REDUCED_BY,
    insuredNumber: null,
    idNumber: null,
    name: null,
    handledAt: null,
    handler: null,
    amount: null,
    paperLocation: null,
    extra: {},
  };
}

/** The digest of what was destroyed: the item's full state and the digests of its files. */
export function destroyedDigest(item: Item, fileDigests: readonly string[]): string {
  const text = canonicalJson({ item: itemState(item), files: [...fileDigests].sort() });
  return `sha256:${crypto.createHash('sha256').update(text).digest('hex')}`;
}

export interface TombstoneInput {
  register: string;
  actor: string;
  at: Date;
  /** 题名 as the register shows it (default: the current one). */
  title?: string;
  /** The digests of the item's files being destroyed with it. */
  fileDigests: readonly string[];
  /** The blobs shredded for it (recorded in the event). */
  blobs: readonly string[];
  /** A digest already taken (a re-application after restore uses the original one). */
  digest?: string;
  /** The destruction is re-applied after a restore (said in the event). */
  reapplied?: true;
}

export interface Tombstone {
  itemId: number;
  archiveCode: string;
  version: number;
  digest: string;
}

/**
 * Reduces an item to its tombstone inside the caller's transaction (which commits it with the rest
 * of the item's destruction). An item already destroyed, or changed under the caller, is refused.
 */
export async function tombstoneItem(
  trx: Db,
  access: AccessContext,
  itemId: number,
  input: TombstoneInput,
): Promise<Tombstone> {
  const scope = scopedQuery(access);
  await lockItem(trx, itemId);
  const [item] = await findItemsByIds(trx, [itemId], scope);
  if (!item) throw new YidangError('ITEM_NOT_FOUND', 'not_found', `档案（内部编号 ${itemId}）不存在`);
  const title = input.title ?? item.title;
  const digest = input.digest ?? destroyedDigest(item, input.fileDigests);
  const reason = TOMBSTONE_REASON(input.register);
  const written = await writeTombstone(trx, itemId, item.version, {
    title,
    changeReason: reason,
    actor: input.actor,
    at: input.at,
    register: input.register,
    digest,
    // Re-applied after a restore from a final record: the replicas confirmed it long ago.
    confirmed: input.reapplied === true,
  });
  if (!written)
    throw new YidangError('ITEM_DESTROYED', 'conflict', `档案 ${item.archiveCode} 已销毁或刚被修改`);
  const { algorithm } = await logHasher(trx);
  const reducedVersions: Record<string, string> = {};
  for (const kept of await versionSnapshots(trx, itemId)) {
    const reduced = reduceItem(kept.snapshot, title);
    await replaceVersionSnapshot(trx, itemId, kept.version, reduced);
    reducedVersions[String(kept.version)] = stateDigest(algorithm, itemState(reduced));
  }
  // The version replaced by the tombstone is kept too, reduced like the others.
  const previous = reduceItem(item, title);
  await insertItemVersion(trx, previous);
  const [tombstone] = await findItemsByIds(trx, [itemId], scope);
  if (!tombstone) throw new Error(`item ${item.archiveCode} vanished while being destroyed`);
  recordEvent(trx, {
    actor: input.actor,
    action: 'item.destroyed',
    subject: itemSubject(item.archiveCode),
    payload: {
      register: input.register,
      version: tombstone.version,
      destroyedDigest: digest,
      blobs: [...input.blobs].sort(),
      reducedVersions,
      ...(input.reapplied ? { reapplied: true as const } : {}),
    },
    previousState: itemState(previous),
    state: itemState(tombstone),
  });
  return { itemId, archiveCode: item.archiveCode, version: tombstone.version, digest };
}

export {
  confirmTombstone,
  destroyedByRegister,
  destroyedOf,
  destroyedOfPerson,
  destroyingItems,
  type OwnDestroyed,
} from './tombstone.repo.js';
