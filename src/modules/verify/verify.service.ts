import type { Db } from '../../db/database.js';
import { systemContext } from '../../shared/access-context.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { findItemsByIds, itemCodesAfter, itemIdIndexes, listItems } from '../catalog/item.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { itemState } from '../catalog/item.state.js';
import { destroyedByRegister, destroyingItems } from '../catalog/tombstone.js';
import { itemVersionsAfter } from '../catalog/item.queries.js';
import type { SigningKey } from '../integrity/checkpoint.service.js';
import type { StoredEvent } from '../integrity/event.queries.js';
import { stateDigest } from '../integrity/event-log.js';
import type { LogHashAlgorithm } from '../integrity/merkle.js';
import { type ExternalCheckpoint, type Problem, ProblemList, verifyLog } from '../integrity/verify-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { neutralFileName } from '../storage/shred.js';
import { type BlobRow, blobsAfter, itemFilesAfter } from '../storage/storage.queries.js';
import { verifyRecords } from './verify.records.js';
import { collectStates, verifyStates } from './verify-states.js';

// Verify compares every stored item with the log: it reads the whole archive, by name.
const VERIFY = systemContext('verify');
const EVERY_ITEM = scopedQuery(VERIFY);

// `yidang verify`: recomputes everything from the database and the blob store and compares it with
// what the event log says — the log itself, every item and kept version, every attachment, every
// blob's catalog row and every replica's bytes, and the records that decide access (verify-states).

export interface VerifyOptions {
  /** Also decrypt every blob and check its content digest (slower; the default checks stored bytes). */
  deep?: boolean;
  /** Checkpoints kept outside the database (exported earlier). */
  external?: ExternalCheckpoint[];
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  checkpoints: number;
  items: number;
  versions: number;
  files: number;
  blobs: number;
  copies: number;
  /** Accounts, API tokens, access requests and 档号 counters checked against their logged states. */
  states: number;
  /** Items destroyed under each 销毁清册 (as the tombstones say, checked against the log). */
  destroyed: Array<{ register: string; items: string[] }>;
  /** Items of each 销毁清册 still 销毁中（待副本确认）: keys destroyed, a replica's copy not yet deleted. */
  destroying: Array<{ register: string; items: string[] }>;
  problems: Problem[];
  problemCount: number;
}

interface Expectations {
  items: Map<string, { state: string; version: number }>;
  versions: Map<string, string>;
  files: Map<string, Record<string, unknown>>;
  blobs: Map<string, Record<string, unknown>>;
  states: Map<string, string>;
  /** Blob digest → register, from blob.shredded / blob.shred_reapplied: its key and copies must be gone. */
  shreds: Map<string, string>;
  /** 档号 → the register the log says destroyed it. */
  destroyed: Map<string, string>;
}

function collect(expectations: Expectations) {
  const states = collectStates(expectations.states);
  return (event: StoredEvent) => {
    states(event);
    if (
      !event.action.startsWith('item.') &&
      !event.action.startsWith('file.') &&
      event.action !== 'blob.stored' &&
      event.action !== 'blob.shredded' &&
      event.action !== 'blob.shred_reapplied'
    )
      return;
    const payload = JSON.parse(event.payload) as Record<string, unknown>;
    if (
      event.action === 'item.created' ||
      event.action === 'item.changed' ||
      event.action === 'item.destroyed'
    ) {
      expectations.items.set(event.subject, {
        state: String(payload.state),
        version: Number(payload.version),
      });
      if (payload.previousState)
        expectations.versions.set(
          `${event.subject}#${Number(payload.version) - 1}`,
          String(payload.previousState),
        );
      // A destroyed item's kept versions were reduced to the tombstone's fields, each digest logged.
      if (event.action === 'item.destroyed') {
        for (const [version, digest] of Object.entries(payload.reducedVersions as Record<string, string>))
          expectations.versions.set(`${event.subject}#${version}`, digest);
        expectations.destroyed.set(event.subject.slice('item:'.length), String(payload.register));
      }
    } else if (event.action === 'file.added') {
      expectations.files.set(`${event.subject}#${payload.fileNumber}`, payload);
    } else if (event.action === 'blob.stored') {
      expectations.blobs.set(event.subject.slice('blob:'.length), payload);
    } else if (event.action === 'blob.shredded' || event.action === 'blob.shred_reapplied') {
      expectations.shreds.set(event.subject.slice('blob:'.length), String(payload.register));
    }
  };
}

const BATCH = 5000;

export async function verifyAll(
  context: { db: Db; store: BlobStore; signingKey: SigningKey },
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const { db, store } = context;
  const problems = new ProblemList();
  const expectations: Expectations = {
    items: new Map(),
    versions: new Map(),
    files: new Map(),
    blobs: new Map(),
    states: new Map(),
    shreds: new Map(),
    destroyed: new Map(),
  };
  const log = await verifyLog(
    db,
    context.signingKey,
    problems,
    collect(expectations),
    options.external,
    (done, total) => options.onProgress?.('事件日志', done, total),
  );
  const items = await verifyItems(db, log.algorithm, expectations, problems);
  const versions = await verifyVersions(db, log.algorithm, expectations, problems);
  const files = await verifyFiles(db, expectations, problems);
  const { blobs, copies } = await verifyBlobs(db, store, expectations, problems, options);
  const states = await verifyStates(db, log.algorithm, expectations.states, problems, VERIFY);
  const { destroyed, destroying } = await verifyDestroyed(db, expectations.destroyed, problems);
  // Every destruction's signed record on every replica (what a restore re-applies).
  await verifyRecords(context, problems, EVERY_ITEM);
  return {
    ok: problems.total === 0,
    events: log.events,
    checkpoints: log.checkpoints,
    items,
    versions,
    files,
    blobs,
    copies,
    states,
    destroyed,
    destroying,
    problems: problems.items,
    problemCount: problems.total,
  };
}

type ByRegister = Array<{ register: string; items: string[] }>;

/**
 * Every tombstone against the log's item.destroyed: which register destroyed which item — 已销毁
 * once every replica confirmed, 销毁中（待副本确认） until then.
 */
async function verifyDestroyed(
  db: Db,
  logged: Map<string, string>,
  problems: ProblemList,
): Promise<{ destroyed: ByRegister; destroying: ByRegister }> {
  const byRegister = await destroyedByRegister(db, EVERY_ITEM);
  const pending = await destroyingItems(db, EVERY_ITEM);
  for (const [register, codes] of byRegister)
    for (const code of codes) {
      const record = `档案 ${code}`;
      if (logged.get(code) !== register)
        problems.add(
          'item.destroyed_unlogged',
          record,
          `${record} 标为按销毁清册 ${register} 销毁，但事件日志中没有相应的销毁记录`,
        );
      logged.delete(code);
    }
  for (const [code, register] of logged)
    problems.add(
      'item.destroyed_missing',
      `档案 ${code}`,
      `档案 ${code} 在事件日志中已按销毁清册 ${register} 销毁，但数据库中的销毁标记被改动`,
    );
  const split = (wanted: boolean) =>
    [...byRegister]
      .map(([register, items]) => ({ register, items: items.filter((code) => pending.has(code) === wanted) }))
      .filter((entry) => entry.items.length > 0);
  return { destroyed: split(false), destroying: split(true) };
}

async function verifyItems(
  db: Db,
  algorithm: LogHashAlgorithm,
  expectations: Expectations,
  problems: ProblemList,
): Promise<number> {
  let count = 0;
  let afterId = 0;
  for (;;) {
    const batch = await itemBatch(db, afterId, problems);
    if (batch.length === 0) break;
    const indexes = await itemIdIndexes(db, batch[0]?.id ?? 0, batch.at(-1)?.id ?? 0, EVERY_ITEM);
    for (const item of batch) {
      afterId = item.id;
      if ('unreadable' in item) {
        expectations.items.delete(`item:${item.archiveCode}`);
        count += 1;
        continue;
      }
      const subject = `item:${item.archiveCode}`;
      const record = `档案 ${item.archiveCode}`;
      const expected = expectations.items.get(subject);
      if (!expected) problems.add('item.unlogged', record, `${record} 没有归档事件：它绕过系统被写入数据库`);
      // The blind index is how a 参保人 finds their own records: it must be the sealed number's.
      else if ((indexes.get(item.id) ?? null) !== idNumberIndex(item.idNumber))
        problems.add(
          'item.index_altered',
          record,
          `${record} 的身份证号检索索引（盲索引）与其身份证号不符：被绕过系统改动，可能使他人看到此档案`,
        );
      else if (
        expected.version !== item.version ||
        expected.state !== stateDigest(algorithm, itemState(item))
      )
        problems.add(
          'item.altered',
          record,
          `${record} 的当前内容与事件日志记录的第 ${expected.version} 版不符：数据被绕过系统改动`,
        );
      expectations.items.delete(subject);
      count += 1;
    }
  }
  for (const subject of expectations.items.keys()) {
    const record = `档案 ${subject.slice('item:'.length)}`;
    problems.add('item.missing', record, `${record} 在事件日志中已归档，但数据库中不存在：被删除`);
  }
  return count;
}

/**
 * The next items in id order, opened. A sealed ID number that no longer opens (its ciphertext was
 * changed) would stop the whole batch, so the batch is then opened item by item and each such item
 * reported and passed over.
 */
async function itemBatch(
  db: Db,
  afterId: number,
  problems: ProblemList,
): Promise<Array<Item | { id: number; archiveCode: string; unreadable: true }>> {
  try {
    return await listItems(db, { afterId, limit: BATCH, scope: EVERY_ITEM });
  } catch (error) {
    if ((error as { code?: string }).code !== 'FIELD_KEY_MISMATCH') throw error;
  }
  const rows = await itemCodesAfter(db, afterId, BATCH, EVERY_ITEM);
  const opened: Array<Item | { id: number; archiveCode: string; unreadable: true }> = [];
  for (const row of rows) {
    try {
      opened.push(...(await findItemsByIds(db, [row.id], EVERY_ITEM)));
    } catch (error) {
      if ((error as { code?: string }).code !== 'FIELD_KEY_MISMATCH') throw error;
      const record = `档案 ${row.archiveCode}`;
      problems.add(
        'item.sealed_altered',
        record,
        `${record} 加密存储的身份证号无法解密：密文被绕过系统改动（或字段密钥不符）`,
      );
      opened.push({ ...row, unreadable: true });
    }
  }
  return opened;
}

async function verifyVersions(
  db: Db,
  algorithm: LogHashAlgorithm,
  expectations: Expectations,
  problems: ProblemList,
): Promise<number> {
  let count = 0;
  let after = { itemId: 0, version: 0 };
  for (;;) {
    const batch = await itemVersionsAfter(db, after, BATCH, VERIFY);
    if (batch.length === 0) break;
    for (const row of batch) {
      const key = `item:${row.snapshot.archiveCode}#${row.version}`;
      const record = `档案 ${row.snapshot.archiveCode} 第 ${row.version} 版`;
      const expected = expectations.versions.get(key);
      if (expected !== stateDigest(algorithm, itemState(row.snapshot)))
        problems.add('version.altered', record, `${record}（历史版本）与事件日志不符`);
      expectations.versions.delete(key);
      after = { itemId: row.itemId, version: row.version };
      count += 1;
    }
  }
  for (const key of expectations.versions.keys()) {
    const [subject, version] = key.split('#');
    problems.add(
      'version.missing',
      `档案 ${subject?.slice(5)} 第 ${version} 版`,
      `档案 ${subject?.slice(5)} 第 ${version} 版历史记录被删除`,
    );
  }
  return count;
}

async function verifyFiles(db: Db, expectations: Expectations, problems: ProblemList): Promise<number> {
  let count = 0;
  let after = { itemId: 0, fileNumber: 0 };
  for (;;) {
    const batch = await itemFilesAfter(db, after, BATCH, VERIFY);
    if (batch.length === 0) break;
    for (const row of batch) {
      const key = `item:${row.archiveCode}#${row.fileNumber}`;
      const record = `档案 ${row.archiveCode} 的第 ${row.fileNumber} 个文件`;
      const expected = expectations.files.get(key);
      // A destroyed item's files keep a neutral name (the logged one may name the person).
      const name = (logged: unknown) =>
        expectations.destroyed.has(row.archiveCode)
          ? neutralFileName(row.fileNumber, String(logged))
          : logged;
      if (!expected) problems.add('file.unlogged', record, `${record} 没有登记事件`);
      else if (
        expected.digest !== row.digest ||
        name(expected.fileName) !== row.fileName ||
        expected.mediaType !== row.mediaType ||
        Number(expected.size) !== Number(row.size)
      )
        problems.add('file.altered', record, `${record} 的登记信息（摘要、文件名或大小）被改动`);
      expectations.files.delete(key);
      after = { itemId: row.itemId, fileNumber: row.fileNumber };
      count += 1;
    }
  }
  for (const key of expectations.files.keys()) {
    const [subject, number] = key.split('#');
    problems.add(
      'file.missing',
      `档案 ${subject?.slice(5)} 的第 ${number} 个文件`,
      `档案 ${subject?.slice(5)} 的第 ${number} 个文件的登记被删除`,
    );
  }
  return count;
}

/**
 * A shredded blob against the log: its row must have lost its key, and a confirmed shred must have
 * been logged; a blob the log says was destroyed must not have its key back (a restore or a hand
 * resurrecting it). 'pending' is a shred still waiting for a replica (its copies are not judged).
 */
function verifyShred(
  blob: BlobRow,
  logged: string | undefined,
  problems: ProblemList,
): 'live' | 'pending' | 'confirmed' {
  const record = `文件 ${blob.digest}`;
  if (!blob.shred) {
    if (logged)
      problems.add(
        'blob.resurrected',
        record,
        `${record} 在事件日志中已按销毁清册 ${logged} 销毁，但数据库中它仍未销毁：被恢复或改动`,
      );
    return 'live';
  }
  if (blob.wrappedKey.length > 0)
    problems.add('blob.shred_key_kept', record, `${record} 标记为已销毁，但其密钥仍在`);
  if (!blob.shred.confirmedAt) return 'pending';
  if (logged !== blob.shred.register)
    problems.add(
      'blob.shred_unlogged',
      record,
      `${record} 标记为按销毁清册 ${blob.shred.register} 销毁，但事件日志没有相应的销毁记录`,
    );
  return 'confirmed';
}

async function verifyBlobs(
  db: Db,
  store: BlobStore,
  expectations: Expectations,
  problems: ProblemList,
  options: VerifyOptions,
): Promise<{ blobs: number; copies: number }> {
  let blobs = 0;
  let copies = 0;
  let after = '';
  const total = expectations.blobs.size;
  for (;;) {
    const batch = await blobsAfter(db, after, 500, true);
    if (batch.length === 0) break;
    for (const blob of batch) {
      const record = `文件 ${blob.digest}`;
      const expected = expectations.blobs.get(blob.digest);
      if (!expected) problems.add('blob.unlogged', record, `${record} 没有存储事件`);
      else if (
        Number(expected.size) !== blob.size ||
        expected.storedDigest !== blob.storedDigest ||
        Number(expected.storedSize) !== blob.storedSize
      )
        problems.add('blob.altered', record, `${record} 的存储记录（大小或密文摘要）被改动`);
      expectations.blobs.delete(blob.digest);
      const shredded = verifyShred(blob, expectations.shreds.get(blob.digest), problems);
      if (shredded !== 'live') {
        // Destroyed: no key, and (once every replica confirmed) no copy left anywhere.
        if (shredded === 'confirmed')
          for (const replica of store.replicas) {
            copies += 1;
            if ((await replica.storedSize(blob.digest).catch(() => undefined)) !== undefined)
              problems.add(
                'blob.shred_copy_left',
                record,
                `${record} 已按销毁清册 ${blob.shred?.register} 销毁，但副本“${replica.name}”上仍有其密文`,
              );
          }
        after = blob.digest;
        blobs += 1;
        continue;
      }
      for (const replica of store.replicas) {
        const state = await store.checkCopy(replica, blob).catch(() => 'missing' as const);
        copies += 1;
        if (state === 'corrupt')
          problems.add(
            'blob.copy_corrupt',
            record,
            `${record} 在副本“${replica.name}”上的内容被改动或损坏（摘要不符）`,
          );
        else if (state === 'missing')
          problems.add('blob.copy_missing', record, `${record} 在副本“${replica.name}”上缺失`);
      }
      if (options.deep) {
        try {
          const { stream } = await store.open(blob, async () => {});
          for await (const _chunk of stream) {
            // Reading to the end runs every authentication and the final digest check.
          }
        } catch (error) {
          problems.add(
            'blob.content_invalid',
            record,
            `${record} 解密或内容摘要校验失败：${(error as Error).message}`,
          );
        }
      }
      after = blob.digest;
      blobs += 1;
    }
    options.onProgress?.('文件', blobs, total);
  }
  for (const digest of expectations.blobs.keys())
    problems.add('blob.missing', `文件 ${digest}`, `文件 ${digest} 的存储记录被删除`);
  return { blobs, copies };
}
