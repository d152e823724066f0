import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDateTime } from '../../shared/beijing-time.js';
import { findFonds } from '../catalog/fonds.service.js';
import { PROPERTIES, type Property } from '../check/check.rules.js';
import type { LedgerDocument } from '../ledgers/ledger.document.js';
import { renderLedgerFiles } from '../ledgers/ledger.files.js';
import { type BatchView, batchViewOf } from './transfer.view.js';
import { keyFingerprint } from './transfer.names.js';
import { visibleBatch } from './transfer.service.js';

// 电子档案移交与接收登记表 (档发〔2012〕7号 附件): the batch's cover — 移交单位/接收单位, counts, volume
// in GB to three decimals, carrier 在线, the four-property results, digest and algorithm, the two
// signature blocks (the sender's at drawing and export, the receiver's from its 回执) — and the list
// of items handed over. One document renders as XLSX and PDF (the ledgers' renderer), so they agree.

// The 登记表 names 准确性 where DA/T 70 (and the check module) says 真实性.
const PROPERTY_LABELS: Record<Property, string> = {
  authenticity: `准确性（${PROPERTIES.authenticity}）检测`,
  integrity: `${PROPERTIES.integrity}检测`,
  usability: `${PROPERTIES.usability}检测`,
  security: `${PROPERTIES.security}检测`,
};

const when = (at: string | null) => (at ? beijingDateTime(new Date(at)) : '');

/** Octets as GB (10⁹) with three decimals, as the 登记表 asks. */
export const gigabytes = (bytes: number) => (bytes / 1e9).toFixed(3);

/** Per property: 通过 n 件 / 未通过 n 件 / 未检测 n 件 over the items handed over. */
function propertyResult(view: BatchView, property: Property): string {
  const handed = view.items.filter((item) => item.state !== 'refused');
  const count = (status: string) =>
    handed.filter((item) => (item.check?.[property] ?? 'skipped') === status).length;
  const [pass, fail, skipped] = [count('pass'), count('fail'), count('skipped')];
  return [`通过 ${pass} 件`, fail > 0 ? `未通过 ${fail} 件` : '', skipped > 0 ? `不适用 ${skipped} 件` : '']
    .filter(Boolean)
    .join('，');
}

export function registerDocument(
  view: BatchView,
  sender: string,
  madeBy: string,
  now = new Date(),
  receiverKey: string | null = null,
): LedgerDocument {
  const digest = view.exported
    ? `${view.exported.digest}（${view.exported.algorithm.toUpperCase()}，移交包 tagmanifest-${view.exported.algorithm}.txt 的摘要）`
    : '导出移交包后生成（见移交包 tagmanifest 文件）';
  return {
    title: '电子档案移交与接收登记表',
    period: view.code,
    agency: sender,
    cover: [
      { label: '移交单位', value: sender },
      { label: '接收单位', value: view.receipt?.receiver ?? view.receiver },
      { label: '移交批次', value: view.code },
      { label: '移交方式', value: view.kindLabel },
      {
        label: '内容描述',
        value: `全宗 ${view.fonds}${view.selector.category ? ` 类别 ${view.selector.category}` : ''}${view.selector.year ? ` ${view.selector.year} 年度` : ''}${view.selector.query ? ` 检索式“${view.selector.query.slice(0, 60)}”` : ''}`,
      },
      { label: '移交电子档案数量', value: `${view.totals.items} 件，${view.totals.files} 个文件` },
      { label: '移交数据量', value: `${gigabytes(view.totals.bytes)} GB` },
      { label: '载体起止顺序号', value: '—' },
      { label: '移交载体类型、规格', value: '在线' },
      ...(Object.keys(PROPERTY_LABELS) as Property[]).map((property) => ({
        label: PROPERTY_LABELS[property],
        value: propertyResult(view, property),
      })),
      { label: '摘要值与算法', value: digest },
      // The receiving side checks that the key it signs its 回执 with is the one pinned here.
      { label: '接收方公钥指纹', value: receiverKey ?? '未指定（不能登记回执）' },
      {
        label: '移交单位（签章）',
        value: `填表人 ${view.drawnBy}（${when(view.drawnAt)}）${view.exported ? `；导出 ${view.exported.by ?? ''}（${when(view.exported.at)}）` : ''}`,
      },
      {
        label: '接收单位（签章）',
        value: view.receipt
          ? `${view.receipt.receiver ?? ''}（${when(view.receipt.at)}，回执摘要 ${view.receipt.digest}）；登记人 ${view.receipt.acceptedBy ?? ''}`
          : '待接收方出具回执',
      },
      ...(view.receipt?.keepUntil ? [{ label: '移交单位保存至', value: view.receipt.keepUntil }] : []),
    ],
    sections: [
      {
        title: '移交档案目录',
        columns: [
          { key: 'seq', header: '序号', width: 5, kind: 'count' },
          { key: 'archiveCode', header: '档号', width: 26 },
          { key: 'title', header: '题名', width: 30 },
          { key: 'year', header: '年度', width: 6, kind: 'count' },
          { key: 'retention', header: '保管期限', width: 8 },
          { key: 'files', header: '文件数', width: 6, kind: 'count' },
          { key: 'size', header: '大小（MB）', width: 9 },
          { key: 'state', header: '状态', width: 10 },
        ],
        rows: view.items
          .filter((item) => item.state !== 'refused')
          .map((item) => ({
            seq: item.seq,
            archiveCode: item.archiveCode,
            title: item.title,
            year: item.year,
            retention: item.retention,
            files: item.files,
            size: (item.bytes / 1e6).toFixed(3),
            state: item.state === 'rejected' ? `拒收：${item.reasonLabel ?? ''}` : item.stateLabel,
          })),
        totals: { seq: '合计', files: view.totals.files, size: (view.totals.bytes / 1e6).toFixed(3) },
      },
    ],
    madeAt: now,
    madeBy,
  };
}

/** The 登记表 of a batch the caller may see, as XLSX or PDF (the package puts both in data/). */
export async function registerForm(
  db: Db,
  access: AccessContext,
  code: string,
  format: 'xlsx' | 'pdf',
): Promise<Buffer> {
  if (access.kind === 'principal') access.authorize('transfer.manage');
  const { batch, items } = await visibleBatch(db, access, code);
  const fonds = await findFonds(db, batch.fonds_code);
  const document = registerDocument(
    batchViewOf(batch, items),
    fonds?.name ?? batch.fonds_code,
    access.kind === 'principal' ? access.username : batch.drawn_by,
    new Date(),
    keyFingerprint(batch.receiver_key),
  );
  const files = await renderLedgerFiles(document, [format]);
  return files[format];
}
