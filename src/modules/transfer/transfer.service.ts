import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { databaseToday } from '../../db/shared-sql.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { loadCatalogContext } from '../catalog/catalog.context.js';
import { checkIdNumber } from '../catalog/id-number.js';
import { maskItem } from '../catalog/item.mask.js';
import { countInScope, findItemsByIds } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { recordEvent } from '../integrity/event-log.js';
import { listItemFiles } from '../storage/storage.queries.js';
import { removeBag } from './bag.remove.js';
import { type Refusal, refusalsOf, refusalText } from './transfer.checks.js';
import { candidates } from './transfer.draw.js';
import { reachesFonds } from './transfer.scope.js';
import {
  BATCH_STATES,
  type BatchState,
  keyFingerprint,
  loggedSelector,
  type TransferKind,
  transferSubject,
} from './transfer.names.js';
import {
  type BatchItemRow,
  type BatchRow,
  batchItems,
  batchState,
  findBatch,
  insertBatch,
  moveBatch,
  type NewBatchItem,
  nextBatchNumber,
} from './transfer.repo.js';
import type { TransferSelector } from './transfer.tables.js';

// 移交批次: drawn from the items of a fonds in the caller's scope (by category, year, 档号 or — for a
// person moving to another agency — the blind index of their ID number), each item that may not go
// refused with its reason; exported as a bag by the export job (package.ts), then settled by the
// receiver's signed 回执 (transfer.accept.ts). Every step is an event carrying the batch's state.

const CODE = /^YJ-[0-9A-Za-z]{1,4}-\d{4}-\d{1,6}$/;
export { MAX_BATCH_ITEMS } from './transfer.draw.js';

const batchMissing = (code: string) =>
  notFound('TRANSFER_NOT_FOUND', `移交批次 ${String(code).slice(0, 40)} 不存在`);

function authorizeTransfer(access: AccessContext): void {
  if (access.kind === 'principal') access.authorize('transfer.manage');
}

/**
 * The batch as the caller may act on it: its fonds in their scope and every item on it within their
 * scope. Anything else is not found, exactly as a code never issued.
 */
export async function visibleBatch(
  db: Db,
  access: AccessContext,
  code: string,
  forUpdate = false,
): Promise<{ batch: BatchRow; items: BatchItemRow[] }> {
  const batch =
    typeof code === 'string' && CODE.test(code) ? await findBatch(db, code, forUpdate) : undefined;
  if (!batch || !(await reachesFonds(db, access, batch.fonds_code))) throw batchMissing(code);
  const items = await batchItems(db, batch.id);
  const seen = await countInScope(
    db,
    items.map((item) => item.item_id),
    scopedQuery(access),
  );
  if (seen < items.length) throw batchMissing(code);
  return { batch, items };
}

export function stateMustBe(batch: BatchRow, states: readonly BatchState[], verb: string): void {
  if (!states.includes(batch.state))
    throw new YidangError(
      'TRANSFER_STATE',
      'conflict',
      `移交批次 ${batch.code} ${BATCH_STATES[batch.state]}，不能${verb}`,
    );
}

/**
 * The batch's items checked again now (export, download, acceptance): an item held, lent, destroyed,
 * changed or put on another batch since the drawing, or one the caller may not see whole, stops it —
 * the batch must be withdrawn and drawn again.
 */
export async function recheckBatch(
  db: Db,
  access: AccessContext,
  batch: BatchRow,
  items: readonly BatchItemRow[],
  options: { exported?: boolean } = {},
): Promise<Array<{ archiveCode: string; exported: number; now: number }>> {
  const included = items.filter((item) => item.state === 'included');
  const versions = new Map(included.map((item) => [item.item_id, item.item_version]));
  const found = await findItemsByIds(db, [...versions.keys()], scopedQuery(access));
  // Once exported the receiver holds the exported version: an edit since is reported, not a refusal
  // (G17: refusing would leave the batch impossible to settle).
  const { refusals } = await refusalsOf(db, access, found, {
    exceptBatch: batch.id,
    versions: options.exported ? undefined : versions,
    exported: options.exported,
  });
  const moved = found
    .filter((item) => versions.get(item.id) !== item.version)
    .map((item) => ({
      archiveCode: item.archiveCode,
      exported: versions.get(item.id) as number,
      now: item.version,
    }));
  const seen = new Set(found.map((item) => item.id));
  const missing = included.filter((item) => !seen.has(item.item_id));
  const all = [
    ...missing.map((item) => ({
      itemId: item.item_id,
      archiveCode: item.archive_code,
      reason: 'not_found' as const,
      message: `${item.archive_code}：档案不存在或不在您的档案范围内`,
    })),
    ...refusals.values(),
  ];
  if (all.length > 0)
    throw new YidangError(
      'TRANSFER_STATE',
      'conflict',
      `移交批次 ${batch.code} 编制后有档案已不能移交，请撤销本批次后重新编制：${refusalText(all)}`,
    );
  return moved;
}

/** A public key as base64 SPKI DER (what a 回执 carries), checked to be one. */
export function readPublicKey(value: unknown, what = '接收方公钥'): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 2000)
    throw invalid('TRANSFER_INPUT_INVALID', `${what}应为 base64 编码的公钥（SPKI DER）`);
  const text = value.trim();
  try {
    crypto.createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw invalid('TRANSFER_INPUT_INVALID', `${what}无法读取（应为 base64 编码的 SPKI DER 公钥）`);
  }
  return text;
}

function text(value: unknown, what: string, max: number, required: boolean): string | null {
  if (value !== undefined && value !== null && typeof value !== 'string')
    throw invalid('TRANSFER_INPUT_INVALID', `${what}应为文字`);
  const trimmed = (value ?? '').trim();
  if (required && trimmed === '') throw invalid('TRANSFER_INPUT_INVALID', `请填写${what}`);
  if ([...trimmed].length > max) throw invalid('TRANSFER_INPUT_INVALID', `${what}最多${max}个字符`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw invalid('TRANSFER_INPUT_INVALID', `${what}含有控制字符`);
  refuseIdNumberInText(what, trimmed);
  return trimmed === '' ? null : trimmed;
}

export interface DrawInput {
  fonds: string;
  /** 接收单位 (the archives bureau, or the agency the person moves to). */
  receiver: string;
  kind?: TransferKind;
  category?: string;
  year?: number;
  /** Only these 档号. */
  items?: readonly string[];
  /** Only what this search query (检索式, the search language) finds in the fonds. */
  query?: string;
  /** kind person: the insured person's ID number (only its blind index is kept). */
  idNumber?: string;
  /** The receiver's public key (base64 SPKI DER): only a 回执 it signed will be accepted. */
  receiverKey?: string;
}

export interface DrawResult {
  code: string;
  kind: TransferKind;
  items: number;
  refused: Refusal[];
}

function readSelector(
  input: DrawInput,
  kind: TransferKind,
  categories: ReadonlySet<string>,
): TransferSelector {
  const selector: TransferSelector = {};
  if (input.category !== undefined) {
    const category = text(input.category, '类别', 40, true) as string;
    if (!categories.has(category))
      throw notFound('CATEGORY_NOT_FOUND', `类别“${category.slice(0, 40)}”不存在`);
    selector.category = category;
  }
  if (input.year !== undefined) {
    if (!Number.isInteger(input.year) || input.year < 1900 || input.year > 2200)
      throw invalid('TRANSFER_INPUT_INVALID', '年度应为四位数字年份');
    selector.year = input.year;
  }
  if (input.items !== undefined) {
    if (
      !Array.isArray(input.items) ||
      input.items.some((code) => typeof code !== 'string' || code.length > 100)
    )
      throw invalid('TRANSFER_INPUT_INVALID', '档号应为文字列表');
    if (input.items.length > 0) selector.items = [...new Set(input.items.map((code) => code.trim()))].sort();
  }
  if (input.query !== undefined) {
    if (selector.items) throw invalid('TRANSFER_INPUT_INVALID', '按检索式编制时不能同时指定档号');
    if (kind === 'person')
      throw invalid('TRANSFER_INPUT_INVALID', '参保关系转移按身份证号选取，不能同时使用检索式');
    // An ID number typed into the query is refused: the selector is kept and its digest logged.
    selector.query = text(input.query, '检索式', 500, true) as string;
  }
  if (kind === 'person') {
    if (typeof input.idNumber !== 'string' || input.idNumber === '')
      throw invalid('TRANSFER_INPUT_INVALID', '参保关系转移须指明参保人的身份证号');
    const problem = checkIdNumber(input.idNumber);
    if (problem) throw invalid('TRANSFER_INPUT_INVALID', `身份证号${problem}`);
    selector.person = idNumberIndex(input.idNumber) as string;
  } else if (input.idNumber !== undefined)
    throw invalid('TRANSFER_INPUT_INVALID', '按参保人移交请选择参保关系转移（kind person）');
  if (kind === 'fonds' && Object.keys(selector).length === 0 && input.fonds === undefined)
    throw invalid('TRANSFER_INPUT_INVALID', '请指明全宗');
  return selector;
}

export async function drawBatch(db: Db, access: AccessContext, input: DrawInput): Promise<DrawResult> {
  authorizeTransfer(access);
  if (typeof input !== 'object' || input === null)
    throw invalid('TRANSFER_INPUT_INVALID', '移交批次应为一个对象');
  const kind = input.kind ?? (input.idNumber !== undefined ? 'person' : 'fonds');
  if (kind !== 'fonds' && kind !== 'person')
    throw invalid('TRANSFER_INPUT_INVALID', '移交方式应为 fonds（进馆移交）或 person（参保关系转移）');
  const fonds = (text(input.fonds, '全宗号', 4, true) as string).toUpperCase();
  const receiver = text(input.receiver, '接收单位', 100, true) as string;
  const receiverKey = input.receiverKey === undefined ? null : readPublicKey(input.receiverKey);
  const catalog = await loadCatalogContext(db);
  // A fonds outside the scope answers exactly as one that does not exist.
  if (!catalog.fonds.has(fonds) || !(await reachesFonds(db, access, fonds)))
    throw notFound('FONDS_NOT_FOUND', `全宗“${fonds}”不存在或不在您的档案范围内`);
  const selector = readSelector(input, kind, new Set(catalog.categories.keys()));
  const found = await candidates(
    db,
    access,
    {
      ...(selector.category !== undefined ? { category: selector.category } : {}),
      ...(selector.year !== undefined ? { year: selector.year } : {}),
      ...(selector.items ? { items: selector.items } : {}),
      ...(selector.query !== undefined ? { query: selector.query } : {}),
      ...(kind === 'person' ? { idNumber: input.idNumber } : {}),
    },
    fonds,
  );
  if (found.length === 0) throw invalid('TRANSFER_NOTHING', `全宗 ${fonds} 中没有符合条件的档案`);
  const actor = actorIn(access);
  return inTransaction(db, async (trx) => {
    // The sequence row's lock orders two draws of one fonds: the second sees the first's items.
    const year = Number((await databaseToday(trx)).slice(0, 4));
    const number = await nextBatchNumber(trx, fonds, year);
    const code = `YJ-${fonds}-${year}-${number}`;
    const { refusals, checks } = await refusalsOf(trx, access, found);
    const included = found.filter((item) => !refusals.has(item.id));
    if (included.length === 0)
      throw new YidangError(
        'TRANSFER_NOTHING',
        'conflict',
        `符合条件的 ${found.length} 件档案均不能移交：${refusalText([...refusals.values()])}`,
      );
    const rows: NewBatchItem[] = [];
    let seq = 0;
    for (const item of found) {
      seq += 1;
      const refusal = refusals.get(item.id);
      const files = refusal ? [] : await listItemFiles(trx, item.id);
      const check = checks.get(item.id);
      rows.push({
        seq,
        item_id: item.id,
        archive_code: item.archiveCode,
        // 题名 as lists and the 登记表 show it: masked (the package carries the full record).
        title: maskItem(item).title.slice(0, 500),
        year: item.year,
        retention: item.retention,
        category: item.category,
        item_version: item.version,
        files: files.length,
        bytes: files.reduce((sum, file) => sum + Number(file.size), 0),
        state: refusal ? 'refused' : 'included',
        reason: refusal?.reason ?? null,
        detail: refusal ? refusal.message.slice(0, 500) : null,
        check_run: check?.runId ?? null,
        check_summary: check ? JSON.stringify(check.properties) : null,
      });
    }
    const id = await insertBatch(
      trx,
      {
        code,
        fonds_code: fonds,
        year,
        number,
        kind,
        selector: JSON.stringify(selector),
        receiver,
        receiver_key: receiverKey,
        drawn_by: actor,
        drawn_at: new Date(),
      },
      rows,
    );
    const refused = [...refusals.values()];
    recordEvent(trx, {
      actor,
      action: 'transfer.drawn',
      subject: transferSubject(code),
      payload: {
        kind,
        fonds,
        receiverKey: keyFingerprint(receiverKey),
        selector: loggedSelector(selector),
        items: included.length,
        refusedCount: refused.length,
        refused: refused
          .slice(0, 100)
          .map((refusal) => ({ item: refusal.archiveCode, reason: refusal.reason })),
      },
      state: await batchState(trx, id),
    });
    return { code, kind, items: included.length, refused };
  });
}

/** A batch's items to package (T2's export job): the included ones, by sequence. */
export interface ExportBatch {
  id: number;
  code: string;
  fonds: string;
  kind: TransferKind;
  state: BatchState;
  receiver: string;
  drawnBy: string;
  drawnAt: string;
  items: Array<{ seq: number; itemId: number; archiveCode: string; itemVersion: number }>;
}

export async function batchForExport(db: Db, access: AccessContext, code: string): Promise<ExportBatch> {
  authorizeTransfer(access);
  const { batch, items } = await visibleBatch(db, access, code);
  stateMustBe(batch, ['drawn', 'exported'], '导出');
  await recheckBatch(db, access, batch, items);
  return {
    id: batch.id,
    code: batch.code,
    fonds: batch.fonds_code,
    kind: batch.kind,
    state: batch.state,
    receiver: batch.receiver,
    drawnBy: batch.drawn_by,
    drawnAt: new Date(batch.drawn_at).toISOString(),
    items: items
      .filter((item) => item.state === 'included')
      .map((item) => ({
        seq: item.seq,
        itemId: item.item_id,
        archiveCode: item.archive_code,
        itemVersion: item.item_version,
      })),
  };
}

/** The export job finished the bag: the batch records its digest (drawn or exported → exported). */
export async function markExported(
  trx: Db,
  code: string,
  input: { actor: string; digest: string; algorithm: 'sha256' | 'sm3'; payloadOxum: string; at: Date },
): Promise<void> {
  const batch = await findBatch(trx, code, true);
  if (!batch) throw batchMissing(code);
  stateMustBe(batch, ['drawn', 'exported'], '导出');
  await moveBatch(trx, batch.id, ['drawn', 'exported'], {
    state: 'exported',
    exported_by: input.actor.slice(0, 100),
    exported_at: input.at,
    export_digest: input.digest,
    export_algorithm: input.algorithm,
    payload_oxum: input.payloadOxum,
  });
  recordEvent(trx, {
    actor: input.actor,
    action: 'transfer.exported',
    subject: transferSubject(code),
    payload: { digest: input.digest, algorithm: input.algorithm, payloadOxum: input.payloadOxum },
    state: await batchState(trx, batch.id),
  });
}

/** Withdraws a batch not yet accepted: its items are free again. */
export async function withdrawBatch(
  db: Db,
  access: AccessContext,
  code: string,
  reasonInput: string,
  options: { home?: string } = {},
): Promise<void> {
  authorizeTransfer(access);
  const reason = text(reasonInput, '撤销原因', 500, true) as string;
  await inTransaction(db, async (trx) => {
    const { batch } = await visibleBatch(trx, access, code, true);
    stateMustBe(batch, ['drawn', 'exported'], '撤销');
    const actor = actorIn(access);
    await moveBatch(trx, batch.id, ['drawn', 'exported'], {
      state: 'withdrawn',
      withdrawn_by: actor,
      withdrawn_at: new Date(),
      withdraw_reason: reason,
    });
    recordEvent(trx, {
      actor,
      action: 'transfer.withdrawn',
      subject: transferSubject(batch.code),
      payload: { reason },
      state: await batchState(trx, batch.id),
    });
  });
  await removeBag(options.home, code);
}
