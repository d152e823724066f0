import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { loadCatalogContext } from '../catalog/catalog.context.js';
import { fileItems } from '../catalog/item.service.js';
import { itemSubject } from '../catalog/item.state.js';
import { markReceived } from '../catalog/received.js';
import { enqueueCheckAfterFiling } from '../check/check.background.js';
import type { VirusScanSettings } from '../check/check.virus.js';
import { recordEvent } from '../integrity/event-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import {
  attachStaged,
  checkFileName,
  type StagedFile,
  stageFile,
  storeStaged,
} from '../storage/file.service.js';
import { extractBagTar } from './bag.extract.js';
import type { BagProblem } from './bag.parse.js';
import { type BagAlgorithm, validateBag } from './bag.validate.js';
import { type ReceiptSigner, receiptFileName, signReceipt } from './receipt.js';
import { bagHeader, type EvaluatedItem, evaluateItem, rejectedChecks } from './receive.evaluate.js';
import type { ReceivedItem } from './receive.view.js';
import { reachesFonds } from './transfer.scope.js';
import { alreadyReceived, findAcceptedBag, insertReceived, lockReceiving } from './receive.repo.js';
import type { ReceiveBagState } from './receive.tables.js';

export type { ReceivedItem };

// 接收: a bag (a directory, or a tar unpacked safely) is validated as BagIt, each 件 is judged
// (receive.evaluate.ts), the accepted ones are filed in the receiving fonds with their files
// re-encrypted through storage, and the signed 回执 is returned. Filing, the received rows, the
// events and the receipt commit together: a failure files nothing, and the bag can be received again.

export interface ReceiveContext {
  db: Db;
  store: BlobStore;
  /** The receiving system's signing key (the keyring's), which signs the 回执. */
  signer: ReceiptSigner;
  virus?: VirusScanSettings;
}

export interface ReceiveOptions {
  /** The receiving fonds (全宗号) accepted items are filed in. */
  fonds: string;
  /** The receiving organisation as the receipt names it (default: the fonds' name). */
  receiver?: string;
  /** When the sender's key is known beforehand, the bag must declare exactly it. */
  senderKey?: crypto.KeyObject;
  now?: Date;
}

export interface ReceiveResult {
  id: number;
  batch: string;
  kind: 'fonds' | 'person';
  sender: string;
  state: ReceiveBagState;
  bagDigest: { algorithm: BagAlgorithm; value: string } | null;
  problems: BagProblem[];
  items: ReceivedItem[];
  receipt: Buffer;
  receiptName: string;
  receivedAt: string;
}

const MAX_REJECTIONS_LOGGED = 100;

/** The sender's public key as the receiving archivist pins it: PEM or base64 SPKI DER. */
export function readSenderKey(text: string): crypto.KeyObject {
  const value = text.trim();
  try {
    if (value === '' || value.length > 4000) throw new Error('empty or too long');
    return value.startsWith('-----BEGIN')
      ? crypto.createPublicKey(value)
      : crypto.createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw invalid('RECEIVE_INPUT_INVALID', '移交方公钥无法读取（应为 PEM，或 Base64 编码的 SPKI DER 公钥）');
  }
}

function authorize(access: AccessContext): void {
  if (access.kind === 'principal') access.authorize('transfer.receive');
}

/** Receives a bag directory. Never throws for what is wrong with the bag: that is in the receipt. */
export async function receiveBag(
  context: ReceiveContext,
  access: AccessContext,
  dir: string,
  options: ReceiveOptions,
): Promise<ReceiveResult> {
  authorize(access);
  const actor = actorIn(access);
  const now = options.now ?? new Date();
  const catalog = await loadCatalogContext(context.db);
  const fonds = catalog.fonds.get(options.fonds);
  // A fonds outside the caller's scope answers as one that does not exist.
  if (!fonds || !(await reachesFonds(context.db, access, fonds.code)))
    throw notFound('FONDS_NOT_FOUND', `全宗“${options.fonds.slice(0, 20)}”不存在`);

  const report = await validateBag(dir);
  const problems = [...report.problems];
  const header = bagHeader(report, problems);
  if (header.key && options.senderKey) {
    const der = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'der' });
    if (!der(header.key).equals(der(options.senderKey)))
      problems.push({
        code: 'BAG_INFO_INVALID',
        path: 'bag-info.txt',
        message: '移交包声明的签名公钥不是预期的移交方公钥',
      });
  }
  const algorithm = (Object.keys(report.tagManifestDigests)[0] ?? report.algorithms[0]) as
    | BagAlgorithm
    | undefined;
  const digestValue = algorithm ? report.tagManifestDigests[algorithm] : undefined;
  const bagDigest = algorithm && digestValue ? { algorithm, value: digestValue } : null;
  if (!bagDigest)
    problems.push({
      code: 'BAG_TAGMANIFEST_INVALID',
      message: '缺少标签清单 tagmanifest-<算法>.txt，无法确定移交包的摘要',
    });
  // Only a valid bag is a repeat: a tampered copy of one received keeps its digest and is rejected.
  if (
    problems.length === 0 &&
    bagDigest &&
    (await findAcceptedBag(context.db, header.batch, bagDigest.value))
  )
    throw conflict('RECEIVE_DUPLICATE', `移交批次 ${header.batch} 的这个移交包已经接收过`);

  const folders = [
    ...new Set(
      report.payload
        .map((f) => /^data\/([^/]+)\/eep\.xml$/.exec(f.path)?.[1])
        .filter((f): f is string => !!f),
    ),
  ].sort();
  let evaluated: EvaluatedItem[];
  if (problems.length > 0) {
    const reason = `移交包校验未通过：${problems
      .slice(0, 5)
      .map((p) => p.message)
      .join('；')}${problems.length > 5 ? `等 ${problems.length} 个问题` : ''}`;
    evaluated = folders.map((folder) => ({
      folder,
      sourceArchiveCode: folder,
      sourceOrganisation: header.sender,
      accepted: false,
      reason,
      checks: rejectedChecks(reason),
      historyEvents: 0,
    }));
  } else {
    const checkpoint = report.payload.some((f) => f.path === 'data/checkpoint.txt')
      ? await fsp.readFile(path.join(dir, 'data/checkpoint.txt'), 'utf8')
      : undefined;
    const evaluateContext = {
      db: context.db,
      access,
      actor,
      fonds: options.fonds,
      virus: context.virus,
      today: now,
      senderKeyPinned: options.senderKey !== undefined,
    };
    evaluated = [];
    for (const folder of folders)
      evaluated.push(await evaluateItem(evaluateContext, dir, report, header, checkpoint, folder));
    const earlier = await alreadyReceived(
      context.db,
      header.sender,
      evaluated.filter((e) => e.accepted).map((e) => e.sourceArchiveCode),
    );
    for (const item of evaluated) {
      const as = earlier.get(item.sourceArchiveCode);
      if (item.accepted && as) Object.assign(item, { accepted: false, reason: `已于此前接收（档号 ${as}）` });
    }
    const seen = new Set<string>();
    for (const item of evaluated) {
      if (seen.has(item.sourceArchiveCode) && item.accepted)
        Object.assign(item, { accepted: false, reason: `档号 ${item.sourceArchiveCode} 在包中重复` });
      seen.add(item.sourceArchiveCode);
    }
  }
  if (problems.length === 0 && folders.length === 0)
    problems.push({ code: 'BAG_INFO_INVALID', message: '移交包中没有封装包（data/<档号>/eep.xml）' });

  return file(context, access, {
    actor,
    now,
    fondsCode: options.fonds,
    receiver: options.receiver ?? fonds.name,
    header,
    bagDigest,
    problems,
    evaluated,
  });
}

interface Filing {
  actor: string;
  now: Date;
  fondsCode: string;
  receiver: string;
  header: ReturnType<typeof bagHeader>;
  bagDigest: { algorithm: BagAlgorithm; value: string } | null;
  problems: BagProblem[];
  evaluated: EvaluatedItem[];
}

async function file(context: ReceiveContext, access: AccessContext, f: Filing): Promise<ReceiveResult> {
  const accepted = f.evaluated.filter((e) => e.accepted);
  // Files are staged (encrypted to every replica's temporary area) before the transaction.
  const staged = new Map<EvaluatedItem, Array<{ staged: StagedFile; fileName: string }>>();
  const committed = new Set<StagedFile>();
  try {
    for (const item of accepted) {
      const list: Array<{ staged: StagedFile; fileName: string }> = [];
      staged.set(item, list);
      for (const entry of item.files ?? []) {
        const fileName = checkFileName(entry.name);
        list.push({
          staged: await stageFile(context.store, fs.createReadStream(entry.path), fileName),
          fileName,
        });
      }
    }
    return await inTransaction(context.db, async (trx) => {
      // The checks made before staging, again under the lock: a concurrent receive may have filed them.
      await lockReceiving(trx);
      if (
        f.problems.length === 0 &&
        f.bagDigest &&
        (await findAcceptedBag(trx, f.header.batch, f.bagDigest.value))
      )
        throw conflict('RECEIVE_DUPLICATE', `移交批次 ${f.header.batch} 的这个移交包已经接收过`);
      const earlier = await alreadyReceived(
        trx,
        f.header.sender,
        accepted.map((e) => e.sourceArchiveCode),
      );
      for (const item of accepted) {
        const as = earlier.get(item.sourceArchiveCode);
        if (as) Object.assign(item, { accepted: false, reason: `已于此前接收（档号 ${as}）` });
      }
      const items: ReceivedItem[] = [];
      for (const item of f.evaluated) {
        if (!item.accepted) {
          items.push({
            sourceArchiveCode: item.sourceArchiveCode,
            accepted: false,
            reason: item.reason,
            checks: item.checks,
          });
          continue;
        }
        const files = staged.get(item) ?? [];
        for (const one of files) {
          const done = { done: false };
          try {
            await storeStaged(trx, context.store, one.staged, f.actor, done);
          } finally {
            if (done.done) committed.add(one.staged);
          }
        }
        const [filed] = await fileItems(trx, [item.input], f.actor, { access, today: f.now });
        if (!filed) throw new Error('filing returned no item');
        // The sender's 档号 and organisation become fields of the item (原档号, 来源单位).
        await markReceived(trx, access, filed.id, {
          originalCode: item.sourceArchiveCode,
          source: item.sourceOrganisation || '（未声明）',
          batch: f.header.batch || '（未声明）',
        });
        for (const one of files) {
          const done = { done: false };
          try {
            await attachStaged(trx, context.store, filed, one, f.actor, done);
          } finally {
            if (done.done) committed.add(one.staged);
          }
        }
        recordEvent(trx, {
          actor: f.actor,
          action: 'item.received',
          subject: itemSubject(filed.archiveCode),
          payload: {
            sourceArchiveCode: item.sourceArchiveCode,
            sender: item.sourceOrganisation,
            batch: f.header.batch,
            bagDigest: f.bagDigest?.value ?? '',
            historyEvents: item.historyEvents,
          },
        });
        await enqueueCheckAfterFiling(trx, filed.archiveCode, f.actor);
        Object.assign(item, { filedId: filed.id });
        items.push({
          sourceArchiveCode: item.sourceArchiveCode,
          accepted: true,
          archiveCode: filed.archiveCode,
          checks: item.checks,
        });
      }
      const receivedAt = beijingIso(f.now);
      const batch = f.header.batch || '（未声明）';
      const receipt = signReceipt(
        {
          batch,
          bagDigest: f.bagDigest ?? { algorithm: 'sha256', value: '0'.repeat(64) },
          sender: f.header.sender || '（未声明）',
          receiver: f.receiver,
          receivedAt,
          items: items.map((i) => ({
            archiveCode: i.sourceArchiveCode,
            accepted: i.accepted,
            ...(i.reason ? { reason: i.reason } : {}),
            ...(i.archiveCode ? { receivedAs: i.archiveCode } : {}),
          })),
          bagProblems: f.problems,
        },
        context.signer,
      );
      const receiptDigest = crypto.createHash('sha256').update(receipt).digest('hex');
      const acceptedCount = items.filter((i) => i.accepted).length;
      const state: ReceiveBagState =
        acceptedCount === 0 ? 'rejected' : acceptedCount === items.length ? 'accepted' : 'partial';
      const id = await insertReceived(
        trx,
        {
          batch,
          kind: f.header.kind,
          sender: f.header.sender || '（未声明）',
          digest_algorithm: f.bagDigest?.algorithm ?? '',
          bag_digest: f.bagDigest?.value ?? '',
          fonds_code: f.fondsCode,
          state,
          problems: JSON.stringify(f.problems),
          checkpoint: null,
          signing_key: f.header.keyBase64 ?? null,
          receipt: receipt.toString('utf8'),
          receipt_digest: receiptDigest,
          received_by: f.actor,
          received_at: f.now,
        },
        f.evaluated.map((item, seq) => ({
          seq: seq + 1,
          source_archive_code: item.sourceArchiveCode,
          source_organisation: item.sourceOrganisation || '（未声明）',
          accepted: items[seq]?.accepted ?? false,
          reason: items[seq]?.reason ?? null,
          item_id: (item as { filedId?: number }).filedId ?? null,
          archive_code: items[seq]?.archiveCode ?? null,
          checks: JSON.stringify(item.checks),
          history: item.history === undefined ? null : JSON.stringify(item.history),
        })),
      );
      const rejected = items.filter((i) => !i.accepted);
      recordEvent(trx, {
        actor: f.actor,
        action: 'receive.received',
        subject: `receive:${id}`,
        payload: {
          batch,
          kind: f.header.kind,
          sender: f.header.sender,
          bagDigest: f.bagDigest?.value ?? '',
          algorithm: f.bagDigest?.algorithm ?? '',
          fonds: f.fondsCode,
          accepted: acceptedCount,
          rejectedCount: rejected.length,
          rejected: rejected
            .slice(0, MAX_REJECTIONS_LOGGED)
            .map((i) => ({ item: i.sourceArchiveCode, reason: (i.reason ?? '').slice(0, 500) })),
          bagProblems: f.problems.length,
          receiptDigest,
        },
      });
      return {
        id,
        batch,
        kind: f.header.kind,
        sender: f.header.sender,
        state,
        bagDigest: f.bagDigest,
        problems: f.problems,
        items,
        receipt,
        receiptName: receiptFileName(batch),
        receivedAt,
      };
    });
  } finally {
    for (const list of staged.values())
      for (const one of list) if (!committed.has(one.staged)) await context.store.discard(one.staged);
  }
}

/** Receives a tar of a bag: unpacked safely into a private temporary directory, removed afterwards. */
export async function receiveTar(
  context: ReceiveContext,
  access: AccessContext,
  source: Readable,
  options: ReceiveOptions & { maxBytes?: number },
): Promise<ReceiveResult> {
  authorize(access);
  const temp = await fsp.mkdtemp(path.join(os.tmpdir(), 'yidang-receive-'));
  try {
    const bag = await extractBagTar(source, path.join(temp, 'bag'), { maxBytes: options.maxBytes });
    return await receiveBag(context, access, bag, options);
  } finally {
    await fsp.rm(temp, { recursive: true, force: true });
  }
}
