import { createHash } from 'node:crypto';

// The coded values of transfer batches with their Chinese names (the console and CLI read them).

export type TransferKind = 'fonds' | 'person';
export type BatchState = 'drawn' | 'exported' | 'accepted' | 'withdrawn';
export type TransferItemState = 'included' | 'refused' | 'accepted' | 'rejected';

export const TRANSFER_KINDS: Readonly<Record<TransferKind, string>> = {
  fonds: '进馆移交（按全宗、类别、年度、档号或检索式）',
  person: '参保关系转移（按参保人）',
};

export const BATCH_STATES: Readonly<Record<BatchState, string>> = {
  drawn: '已编制，待导出',
  exported: '已导出，待接收回执',
  accepted: '已移交（已登记接收回执）',
  withdrawn: '已撤销',
};

export const TRANSFER_ITEM_STATES: Readonly<Record<TransferItemState, string>> = {
  included: '列入移交',
  refused: '不能移交',
  accepted: '已移交',
  rejected: '接收方拒收',
};

/** Why an item cannot be transferred (checked when drawing, named per item). */
export const REFUSAL_REASONS = {
  held: '已被冻结',
  on_loan: '正在借阅或有未结借阅申请',
  destroyed: '已销毁',
  on_batch: '已列入另一个未完成的移交批次',
  transferred: '已移交',
  unchecked: '最近一次修改后尚未做四性检测',
  check_failed: '最近一次四性检测未通过',
  sensitive: '敏感档案：您未获查阅授权，不能移交完整记录',
  changed: '编制批次后档案已修改，须重新编制批次',
  not_found: '档案不存在或不在您的档案范围内',
} as const;
export type RefusalReason = keyof typeof REFUSAL_REASONS;

/** Batches still open: their items may be on no other batch. */
export const OPEN_STATES: readonly BatchState[] = ['drawn', 'exported'];

export const transferSubject = (code: string) => `transfer:${code}`;

/** A public key's fingerprint (base64 SPKI DER → sha256 hex), as states, events and the 登记表 name it. */
export const keyFingerprint = (spkiBase64: string | null): string | null =>
  spkiBase64 === null
    ? null
    : `sha256:${createHash('sha256').update(Buffer.from(spkiBase64, 'base64')).digest('hex')}`;

/** How many years the sender keeps its read-only copy after acceptance (档发〔2012〕7号: five). */
export function keepYears(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.YIDANG_TRANSFER_KEEP_YEARS;
  const years = raw === undefined || raw === '' ? 5 : Number(raw);
  return Number.isInteger(years) && years >= 0 && years <= 100 ? years : 5;
}

/**
 * A batch's selector as its events carry it: the 检索式 only as its digest, since a query may name a
 * person (姓名:…) and the log is read more widely than the batch (the batch row keeps the text).
 */
export function loggedSelector<T extends { query?: string }>(
  selector: T,
): Omit<T, 'query'> & { query?: string } {
  const { query, ...rest } = selector;
  if (query === undefined) return rest;
  return { ...rest, query: `sha256:${createHash('sha256').update(query, 'utf8').digest('hex')}` };
}
