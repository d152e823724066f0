import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDate, beijingDateTime } from '../../shared/beijing-time.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { findFonds } from '../catalog/fonds.service.js';
import { recordEvent } from '../integrity/event-log.js';
import type { LedgerDocument } from '../ledgers/ledger.document.js';
import { renderLedgerFiles } from '../ledgers/ledger.files.js';
import { ingestArchive } from '../push/push.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import { SIGN_ROLES } from './destruction.names.js';
import { findRegister, moveRegister, type RegisterRow, registerState } from './destruction.repo.js';
import { type RegisterView, registerViewOf } from './destruction.view.js';

// The carried-out register filed as a permanent archive of its fonds (category XHQC): its XLSX and
// a printable PDF with the signature block, made from one document so the two never disagree, and
// the filing's digest recorded as `destruction.filed`. Filing is keyed by the register's code, so a
// crash between filing and marking the register filed files nothing twice.

export const REGISTER_CATEGORY = 'XHQC';
const SOURCE = '医档销毁清册';

const when = (at: string | null) => (at ? beijingDateTime(new Date(at)) : '');

/** The register as a document (cover with signatures, then the rows), for XLSX and PDF. */
export function registerDocument(
  view: RegisterView,
  agency: string,
  madeBy: string,
  now = new Date(),
): LedgerDocument {
  const signatures = view.signatures.map((signature) => ({
    label: `${SIGN_ROLES[signature.role]}签字`,
    value: `${signature.user}（${when(signature.at)}）`,
  }));
  return {
    title: '档案销毁清册',
    period: view.code,
    agency,
    cover: [
      { label: '全宗号', value: view.fonds },
      { label: '清册编号', value: view.code },
      { label: '鉴定批次', value: view.round },
      { label: '销毁档案数量', value: `${view.count} 件` },
      { label: '编制人', value: `${view.drawnBy}（${when(view.drawnAt)}）` },
      ...signatures,
      { label: '执行完毕时间', value: when(view.carriedAt) },
    ],
    sections: [
      {
        title: '销毁清册',
        columns: [
          { key: 'seq', header: '序号', width: 5, kind: 'count' },
          { key: 'archiveCode', header: '档号', width: 26 },
          { key: 'title', header: '题名', width: 30 },
          { key: 'year', header: '年度', width: 6, kind: 'count' },
          { key: 'retention', header: '保管期限', width: 9 },
          { key: 'keep', header: '应保管（年）', width: 7 },
          { key: 'kept', header: '已保管（年）', width: 7, kind: 'count' },
          { key: 'size', header: '页数/文件数', width: 9 },
          { key: 'reason', header: '销毁原因', width: 20 },
          { key: 'note', header: '备注', width: 24 },
        ],
        rows: view.rows.map((row) => ({
          seq: row.seq,
          archiveCode: row.archiveCode,
          title: row.title,
          year: row.year,
          retention: row.retentionLabel,
          keep: row.keepYears === null ? '永久' : String(row.keepYears),
          kept: row.keptYears,
          size: `${row.pages}/${row.files}`,
          reason: row.reason,
          note: [
            row.note ?? '',
            row.paper
              ? `纸质${row.paper.method}于${row.paper.place}，${when(row.paper.at)}，监销：${row.paper.witnesses.join('、')}`
              : '',
          ]
            .filter(Boolean)
            .join('；'),
        })),
      },
    ],
    madeAt: now,
    madeBy,
  };
}

export async function registerFiles(db: Db, register: RegisterRow, madeBy: string) {
  const view = await registerViewOf(db, register);
  const fonds = await findFonds(db, register.fonds_code);
  const document = registerDocument(view, fonds?.name ?? register.fonds_code, madeBy);
  const files = await renderLedgerFiles(document, ['xlsx', 'pdf']);
  return { view, document, ...files };
}

/** Files a carried-out register (carried → filed); nothing for a register in any other state. */
export async function fileRegister(
  context: { db: Db; store: BlobStore; access: AccessContext },
  code: string,
  actor: string,
): Promise<string | null> {
  const register = await findRegister(context.db, code);
  if (register?.state !== 'carried') return register?.filed_code ?? null;
  const fonds = await findFonds(context.db, register.fonds_code);
  const { view, document, xlsx, pdf } = await registerFiles(context.db, register, actor);
  const now = new Date();
  const filed = await ingestArchive(
    context,
    {
      source: SOURCE,
      serial: register.code,
      item: {
        fonds: register.fonds_code,
        category: REGISTER_CATEGORY,
        org: 'XH',
        title: `档案销毁清册 ${register.code}（鉴定批次 ${register.round_code}，销毁 ${view.count} 件）`,
        responsible: fonds?.name ?? register.fonds_code,
        date: beijingDate(now),
        handledAt: now.toISOString(),
        handler: actor.slice(0, 50),
        carrier: 'electronic',
        retention: 'Y',
        extra: { register: register.code, round: register.round_code },
      },
      files: [
        { name: `销毁清册-${register.code}.xlsx`, content: xlsx },
        { name: `销毁清册-${register.code}.pdf`, content: pdf },
      ],
    },
    actor,
    { now },
  );
  const digest = `sha256:${crypto
    .createHash('sha256')
    .update(canonicalJson({ ...document, madeAt: null }))
    .digest('hex')}`;
  await inTransaction(context.db, async (trx) => {
    if (
      !(await moveRegister(trx, register.id, 'carried', {
        state: 'filed',
        filed_code: filed.archiveCode,
        filed_digest: digest,
        filed_at: now,
      }))
    )
      return;
    recordEvent(trx, {
      actor,
      action: 'destruction.filed',
      subject: `register:${register.code}`,
      payload: { archiveCode: filed.archiveCode, digest, files: filed.files.map((file) => file.digest) },
      state: await registerState(trx, register.id),
    });
  });
  return filed.archiveCode;
}
