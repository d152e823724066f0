import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, systemContext } from '../../shared/access-context.js';
import { isYidangError, YidangError } from '../../shared/errors.js';
import { findItemsByIds, lockItem } from '../catalog/item.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { confirmTombstone, destroyedDigest, destroyedOf, tombstoneItem } from '../catalog/tombstone.js';
import type { SigningKey } from '../integrity/checkpoint.service.js';
import { recordEvent } from '../integrity/event-log.js';
import type { JobContext, JobDefinition } from '../jobs/job.runtime.js';
import { expectedOf, refusalsOf } from './destruction.checks.js';
import { fileRegister } from './destruction.file.js';
import { finalizeRowRecord, itemRecord, writeRegisterRecord } from './destruction.records.js';
import { DESTRUCTION_CARRY_JOB, isPaper } from './destruction.names.js';
import { forgetCopyContent } from '../insured/insured.queries.js';
import { forgetScannedPages } from '../scan/scan.queries.js';
import { forgetItemText } from '../search/search.queries.js';
import type { BlobStore } from '../storage/blob-store.js';
import { confirmShred, forgetFileNames, shredBlobKeys, shreddedFor } from '../storage/shred.js';
import { listItemFiles } from '../storage/storage.queries.js';
import {
  findRegister,
  lockRow,
  moveRegister,
  type RegisterItemRow,
  type RegisterRow,
  registerRows,
  registerState,
  updateRow,
} from './destruction.repo.js';

// Carrying out a register (执行销毁), a job: each item in ONE transaction — its files' data keys
// destroyed (storage, with the signed shred record on every replica first), its search document,
// OCR text and scanned-page rows removed, its row reduced to a tombstone with `item.destroyed` last —
// so a kill at any point leaves every item either whole or destroyed, and the next attempt goes on
// from the first row still pending. Then each shredded blob is deleted from every replica; an item
// counts destroyed only when every replica confirmed (a replica offline: the job waits and retries).

export interface CarryContext {
  db: Db;
  store: BlobStore;
  signingKey: SigningKey;
}

export interface CarryOutcome {
  destroyed: number;
  /** Items whose files still wait for a replica to delete its copy. */
  waiting: number;
  /** Paper (or hybrid) items whose physical destruction is not yet confirmed. */
  paperPending: number;
  total: number;
  completed: boolean;
}

/** Destroys one pending row in one transaction (nothing, when another attempt already did). */
async function destroyRow(
  context: CarryContext,
  access: AccessContext,
  register: RegisterRow,
  seq: number,
  actor: string,
  job?: JobContext,
): Promise<void> {
  await inTransaction(context.db, async (trx) => {
    // An abandoned attempt (its lease lapsed) commits nothing.
    if (job) await job.holds(trx);
    const row = await lockRow(trx, register.id, seq);
    if (row?.state !== 'pending') return;
    // Paper goes first, under witness: the catalog entry (and where the box lies) stays until confirmed.
    if (isPaper(row) && row.paper_confirmed_by === null) return;
    await lockItem(trx, row.item_id);
    // Destroyed already by this register: a backup taken mid-carry was restored and its re-application
    // tombstoned the item (review F17). The row is done as the tombstone says; confirmRow finishes it.
    const earlier = (await destroyedOf(trx, [row.item_id])).get(row.item_id);
    if (earlier?.register === register.code) {
      await updateRow(trx, register.id, seq, {
        state: 'shredding',
        blobs: await shreddedFor(trx, row.item_id, register.code),
        destroyed_at: earlier.at,
        destroyed_digest: earlier.digest,
      });
      return;
    }
    // Checked again here, with the item locked: a hold placed, a loan opened or a change made since
    // the register was approved keeps the item whole, and the row says why.
    const found = await findItemsByIds(trx, [row.item_id], scopedQuery(access));
    const refusal = (
      await refusalsOf(trx, access, [expectedOf(row)], found, {
        exceptRegister: register.id,
        notBefore: register.approved_at ?? register.drawn_at,
      })
    ).get(row.item_id);
    if (refusal) {
      await updateRow(trx, register.id, seq, { state: 'refused', refusal: refusal.reason });
      recordEvent(trx, {
        actor,
        action: 'destruction.item_refused',
        subject: `register:${register.code}`,
        payload: { item: row.archive_code, reason: refusal.reason },
        state: await registerState(trx, register.id),
      });
      return;
    }
    const [item] = found;
    if (!item) return; // refusalsOf refuses a missing item
    const at = new Date();
    const destroyed = await destroyItem(trx, context, access, item, {
      register: register.code,
      title: row.title,
      actor,
      at,
    });
    // Every row waits in 'shredding' until its records are final and its copies gone (confirmRow).
    await updateRow(trx, register.id, seq, {
      state: 'shredding',
      blobs: destroyed.shredded,
      destroyed_at: at,
      destroyed_digest: destroyed.digest,
    });
  });
}

/**
 * One item's destruction inside the caller's transaction (the item locked and checked by the caller):
 * its own record (pending) and its blobs' records on every replica, its blobs' keys destroyed, its
 * search document, OCR text, scanned pages, certified copies' content and file names gone, and the
 * row reduced to its tombstone with `item.destroyed`. After the commit, confirmShred deletes the
 * copies and finalizeRowRecord makes the item's record final.
 */
export async function destroyItem(
  trx: Db,
  context: Pick<CarryContext, 'store' | 'signingKey'>,
  access: AccessContext,
  item: Item,
  input: { register: string; title: string; actor: string; at: Date },
): Promise<{ shredded: string[]; digest: string }> {
  const files = (await listItemFiles(trx, item.id)).map((file) => file.digest);
  const digest = destroyedDigest(item, files);
  // The item's own record (paper and file-less items too), pending until this transaction commits.
  const pending = await itemRecord(
    trx,
    context.signingKey,
    {
      archiveCode: item.archiveCode,
      register: input.register,
      title: input.title,
      destroyedDigest: digest,
      files,
      at: input.at,
    },
    false,
  );
  const shred = await shredBlobKeys(trx, context, {
    register: input.register,
    items: [{ id: item.id, archiveCode: item.archiveCode }],
    actor: input.actor,
    access,
    now: input.at,
    records: [pending],
  });
  await forgetItemText(trx, item.id);
  await forgetScannedPages(trx, item.id);
  await forgetCopyContent(trx, item.archiveCode);
  await forgetFileNames(trx, item.id);
  await tombstoneItem(trx, access, item.id, {
    register: input.register,
    actor: input.actor,
    at: input.at,
    title: input.title,
    fileDigests: files,
    blobs: shred.shredded,
    digest,
  });
  return { shredded: shred.shredded, digest };
}

/**
 * After the row's transaction committed: its blobs' copies deleted from every replica and the item's
 * record written final on every replica; then the row is destroyed. Null when done, else why not yet.
 */
async function confirmRow(context: CarryContext, register: RegisterRow, row: RegisterItemRow, actor: string) {
  let pending: YidangError | null = null;
  for (const digest of row.blobs) {
    try {
      await confirmShred(context.db, context, digest, actor);
    } catch (error) {
      if (!isYidangError(error)) throw error;
      pending = error;
    }
  }
  try {
    await finalizeRowRecord(context, register.code, row);
  } catch (error) {
    if (!isYidangError(error)) throw error;
    pending = error;
  }
  if (pending) return pending;
  await inTransaction(context.db, async (trx) => {
    await updateRow(trx, register.id, row.seq, { state: 'destroyed' });
    // The item page stops saying 销毁中（待副本确认） with the row.
    await confirmTombstone(trx, row.item_id, new Date());
  });
  return null;
}

/** Marks the register carried out once every row is destroyed (or refused, with its reason). */
export async function completeIfDone(db: Db, code: string, actor: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const register = await findRegister(trx, code, true);
    if (register?.state !== 'carrying') return register?.state === 'carried' || register?.state === 'filed';
    const rows = await registerRows(trx, register.id);
    if (rows.some((row) => row.state !== 'destroyed' && row.state !== 'refused')) return false;
    await moveRegister(trx, register.id, 'carrying', { state: 'carried', carried_at: new Date() });
    recordEvent(trx, {
      actor,
      action: 'destruction.completed',
      subject: `register:${register.code}`,
      payload: { items: rows.length },
      state: await registerState(trx, register.id),
    });
    return true;
  });
}

/**
 * Carries out the register as far as it can go now. Throws SHRED_PENDING (after doing everything
 * else) while a replica has not deleted a copy, so the job is retried later.
 */
export async function carryOut(
  context: CarryContext,
  code: string,
  actor: string,
  job?: JobContext,
): Promise<CarryOutcome> {
  const register = await findRegister(context.db, code);
  if (!register) throw new YidangError('DESTRUCTION_NOT_FOUND', 'not_found', `销毁清册 ${code} 不存在`);
  // The job destroys every item of the register by name: it acts for the approved register, not a person.
  const access = systemContext('jobs', actor);
  if (register.state === 'carrying') {
    const rows = await registerRows(context.db, register.id);
    let done = rows.filter((row) => row.state !== 'pending').length;
    for (const row of rows) {
      if (row.state !== 'pending' || (isPaper(row) && row.paper_confirmed_by === null)) continue;
      await destroyRow(context, access, register, row.seq, actor, job);
      done += 1;
      if (job && (done % 20 === 0 || done === rows.length))
        await job.progress(done, rows.length, `已销毁 ${done} 件`);
    }
  }
  let pending: YidangError | null = null;
  for (const row of await registerRows(context.db, register.id))
    if (row.state === 'shredding') pending = (await confirmRow(context, register, row, actor)) ?? pending;
  const completed = await completeIfDone(context.db, code, actor);
  if (completed) {
    await fileRegister({ ...context, access }, code, actor);
    // The register's signed summary on every replica: a restore from before it keeps its number issued.
    await writeRegisterRecord(context, code);
  }
  const rows = await registerRows(context.db, register.id);
  const outcome: CarryOutcome = {
    destroyed: rows.filter((row) => row.state === 'destroyed').length,
    waiting: rows.filter((row) => row.state === 'shredding').length,
    paperPending: rows.filter(
      (row) => row.state === 'pending' && isPaper(row) && row.paper_confirmed_by === null,
    ).length,
    total: rows.length,
    completed,
  };
  if (pending)
    throw new YidangError(
      'SHRED_PENDING',
      'busy',
      `销毁清册 ${code}：${outcome.waiting} 件档案的文件尚待副本确认删除，稍后重试（${pending.message}）`,
    );
  return outcome;
}

export function destructionCarryJob(
  context: CarryContext,
): JobDefinition<{ register: string; actor: string }> {
  return {
    kind: DESTRUCTION_CARRY_JOB,
    leaseSeconds: 600,
    // A replica offline: retried every few minutes for as long as it takes (1,000 attempts).
    backoffSeconds: (failures) => Math.min(300, 5 * 2 ** (failures - 1)),
    async run(payload, job) {
      const outcome = await carryOut(context, payload.register, payload.actor, job);
      await job.progress(
        outcome.destroyed,
        outcome.total,
        `已销毁 ${outcome.destroyed} 件${outcome.paperPending > 0 ? `，${outcome.paperPending} 件纸质档案待确认销毁` : ''}`,
      );
    },
  };
}
