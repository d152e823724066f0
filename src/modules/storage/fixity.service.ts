import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { recordEvent } from '../integrity/event-log.js';
import type { BlobStore } from './blob-store.js';
import {
  type BlobRow,
  blobsAfter,
  blobsCheckedLongestAgo,
  countBlobs,
  sampleBlobs,
  setCopies,
} from './file.repo.js';
import { type FixityCounts, finishRun, insertFindings, listRuns, startRun } from './fixity.repo.js';
import { FIXITY_PROBLEM_NAMES } from './fixity-names.js';
import type { FixityFindingTable } from './storage.tables.js';

// Fixity audit (固定性检查): re-read and re-hash every copy of every file on every replica, repair a
// missing or corrupt copy from a good one, and say loudly when a file has no good copy left.

export interface FixityOptions {
  /** Check this many randomly chosen files instead of all. */
  sample?: number;
  /** Check this many files, those whose copies were checked longest ago (the scheduled audit's batch). */
  due?: number;
  /** Copies checked at once: reading overlaps hashing on two cores. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface FixityReport extends FixityCounts {
  runId: number;
  findings: Array<Omit<FixityFindingTable, 'run_id'>>;
  /** Files with no good copy anywhere. */
  lostFiles: string[];
  /** Temporary files of killed writers removed from the replicas. */
  temporaryRemoved: number;
}

/** A writer killed mid-file leaves a temporary copy; a day later no live writer can still own it. */
const TEMPORARY_MAX_AGE_MS = 24 * 60 * 60 * 1000;

async function sweepReplicas(store: BlobStore): Promise<number> {
  let removed = 0;
  for (const replica of store.replicas)
    removed += await replica.sweepTemporary(TEMPORARY_MAX_AGE_MS).catch(() => 0);
  return removed;
}

const BATCH = 200;
const MAX_REPORTED = 1000;

export async function runFixity(
  context: { db: Db; store: BlobStore },
  actor: string,
  options: FixityOptions = {},
): Promise<FixityReport> {
  const { db, store } = context;
  // A bounded run (random or due files) is recorded with its size, as a sample is.
  const sample = options.sample ?? options.due ?? null;
  const runId = await startRun(db, actor, sample);
  const counts: FixityCounts = { blobs: 0, copies: 0, bytes: 0, ok: 0, repaired: 0, unrepaired: 0, lost: 0 };
  const reported: FixityReport['findings'] = [];
  const lostFiles: string[] = [];
  const total = sample ?? (await countBlobs(db)).blobs;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let temporaryRemoved = 0;
  try {
    if (sample === null) temporaryRemoved = await sweepReplicas(store);
    let after = '';
    let sampled = false;
    for (;;) {
      let batch: BlobRow[];
      if (sample !== null) {
        if (sampled) break;
        batch =
          options.sample === undefined
            ? await blobsCheckedLongestAgo(db, sample)
            : await sampleBlobs(db, sample);
        sampled = true;
      } else batch = await blobsAfter(db, after, BATCH);
      if (batch.length === 0) break;
      const findings: FixityFindingTable[] = [];
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const blob = batch[next++] as BlobRow;
          findings.push(...(await auditBlob(db, store, blob, runId, actor, counts)));
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      await insertFindings(db, findings);
      for (const finding of findings) {
        if (finding.problem === 'lost') lostFiles.push(finding.digest);
        if (reported.length < MAX_REPORTED) {
          const { run_id: _runId, ...rest } = finding;
          reported.push(rest);
        }
      }
      after = batch.at(-1)?.digest ?? after;
      options.onProgress?.(counts.blobs, total);
    }
    await inTransaction(db, async (trx) => {
      await finishRun(trx, runId, counts, 'finished');
      recordEvent(trx, {
        actor,
        action: 'fixity.run',
        subject: `fixity:${runId}`,
        payload: { ...counts, sample, temporaryRemoved },
      });
    });
  } catch (error) {
    await finishRun(db, runId, counts, 'failed').catch(() => {});
    throw error;
  }
  return { runId, ...counts, findings: reported, lostFiles, temporaryRemoved };
}

async function auditBlob(
  db: Db,
  store: BlobStore,
  blob: BlobRow,
  runId: number,
  actor: string,
  counts: FixityCounts,
): Promise<FixityFindingTable[]> {
  counts.blobs += 1;
  const states = new Map<string, 'ok' | 'missing' | 'corrupt'>();
  const details = new Map<string, string>();
  for (const replica of store.replicas) {
    try {
      states.set(replica.name, await store.checkCopy(replica, blob));
    } catch (error) {
      states.set(replica.name, 'missing');
      details.set(replica.name, (error as Error).message);
    }
    counts.copies += 1;
    if (states.get(replica.name) !== 'missing') counts.bytes += blob.storedSize;
  }
  const good = [...states].filter(([, state]) => state === 'ok').map(([name]) => name);
  counts.ok += good.length;
  await setCopies(db, blob.digest, good, 'ok');
  const findings: FixityFindingTable[] = [];
  const bad = [...states].filter(([, state]) => state !== 'ok') as Array<[string, 'missing' | 'corrupt']>;
  if (bad.length === 0) return findings;
  if (good.length === 0) {
    counts.lost += 1;
    await inTransaction(db, async (trx) => {
      await setCopies(
        trx,
        blob.digest,
        bad.map(([name]) => name),
        'corrupt',
      );
      recordEvent(trx, {
        actor,
        action: 'blob.lost',
        subject: `blob:${blob.digest}`,
        payload: { replicas: Object.fromEntries(bad), runId },
      });
    });
    findings.push({
      run_id: runId,
      digest: blob.digest,
      replica: '*',
      problem: 'lost',
      repaired: false,
      detail: `所有副本均缺失或损坏（${bad.map(([name, state]) => `${name}:${FIXITY_PROBLEM_NAMES[state === 'missing' ? 'missing' : 'corrupt']}`).join('，')}），须从备份恢复`,
    });
    return findings;
  }
  for (const [name, problem] of bad) {
    const repaired = await repairCopy(store, blob, name, good[0] as string);
    if (repaired) counts.repaired += 1;
    else counts.unrepaired += 1;
    await inTransaction(db, async (trx) => {
      await setCopies(trx, blob.digest, [name], repaired ? 'ok' : problem);
      recordEvent(trx, {
        actor,
        action: repaired ? 'blob.repaired' : 'blob.repair_failed',
        subject: `blob:${blob.digest}`,
        payload: { replica: name, problem, from: good[0], runId },
      });
    });
    findings.push({
      run_id: runId,
      digest: blob.digest,
      replica: name,
      problem,
      repaired: repaired === true,
      detail: repaired
        ? `已从副本“${good[0]}”修复`
        : `修复失败：${details.get(name) ?? (repaired === false ? '写入后校验仍不符' : String(repaired))}`,
    });
  }
  return findings;
}

/** Copies a verified good copy over a bad one and checks the result; the bad one is only replaced whole. */
async function repairCopy(store: BlobStore, blob: BlobRow, target: string, source: string): Promise<boolean> {
  const from = store.replica(source);
  const to = store.replica(target);
  if (!from || !to) return false;
  try {
    const stream = await from.openRead(blob.digest);
    if (!stream) return false;
    await to.writeFrom(blob.digest, stream);
    return (await store.checkCopy(to, blob)) === 'ok';
  } catch {
    return false;
  }
}

export { listRuns };
