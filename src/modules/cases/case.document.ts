import { beijingDateTime } from '../../shared/beijing-time.js';
import type { LedgerDocument } from '../ledgers/ledger.document.js';
import type { CaseDetail } from './case.view.js';

// The case file (核查档案) as one document for the ledger renderer's PDF: a cover with the case, its
// conclusion and who did what when, then its clues (rule names and versions, amounts), its evidence
// (档号 only: the archives speak for themselves), its notes and its holds. No person is named in it
// beyond the accounts who worked the case; notes never hold an ID number (refused when written).

const when = (at: string | null) => (at ? beijingDateTime(new Date(at)) : '');

export function caseDocument(
  detail: CaseDetail,
  evidence: ReadonlyArray<{ archiveCode: string; via: string; addedBy: string; addedAt: string }>,
  madeBy: string,
  now = new Date(),
): LedgerDocument {
  return {
    title: '基金监管核查档案',
    period: detail.code,
    agency: detail.fondsName,
    cover: [
      { label: '案件编号', value: detail.code },
      { label: '案件名称', value: detail.title },
      { label: '案件来源', value: detail.sourceName },
      ...(detail.sourceReason ? [{ label: '立案依据', value: detail.sourceReason }] : []),
      { label: '全宗号', value: detail.fonds },
      { label: '地区', value: `${detail.region} ${detail.regionName ?? ''}`.trim() },
      { label: '立案', value: `${detail.openedBy}（${when(detail.openedAt)}）` },
      { label: '承办人', value: detail.assignee ?? '' },
      { label: '线索', value: `${detail.clueCount} 条，涉及金额 ${detail.clueAmount ?? '0.00'} 元` },
      { label: '证据档案', value: `${evidence.length} 件` },
      { label: '核查结论', value: detail.conclusionName ?? '' },
      ...(detail.recoverAmount ? [{ label: '追回金额', value: `${detail.recoverAmount} 元` }] : []),
      ...(detail.conclusionReason ? [{ label: '结论说明', value: detail.conclusionReason }] : []),
      { label: '作出结论', value: `${detail.concludedBy ?? ''}（${when(detail.concludedAt)}）` },
      { label: '结案', value: `${madeBy}（${beijingDateTime(now)}）` },
    ],
    sections: [
      {
        title: '线索',
        columns: [
          { key: 'id', header: '线索编号', width: 10, kind: 'count' },
          { key: 'rule', header: '规则代码', width: 18 },
          { key: 'ruleName', header: '规则名称', width: 14 },
          { key: 'version', header: '规则版本', width: 8, kind: 'count' },
          { key: 'amount', header: '涉及金额（元）', width: 12, kind: 'money' },
        ],
        rows: detail.clues.map((clue) => ({
          id: clue.id,
          rule: clue.rule,
          ruleName: clue.ruleName,
          version: clue.ruleVersion,
          amount: Number(clue.amount),
        })),
      },
      {
        title: '证据档案',
        columns: [
          { key: 'archiveCode', header: '档号', width: 30 },
          { key: 'via', header: '附入方式', width: 8 },
          { key: 'addedBy', header: '附入人', width: 12 },
          { key: 'addedAt', header: '附入时间', width: 18 },
        ],
        rows: evidence.map((row) => ({
          archiveCode: row.archiveCode,
          via: row.via === 'clue' ? '随线索' : '人工附入',
          addedBy: row.addedBy,
          addedAt: when(row.addedAt),
        })),
      },
      {
        title: '核查记录',
        columns: [
          { key: 'at', header: '时间', width: 18 },
          { key: 'author', header: '记录人', width: 12 },
          { key: 'text', header: '内容', width: 50 },
        ],
        rows: detail.notes.map((note) => ({ at: when(note.at), author: note.author, text: note.text })),
      },
      {
        title: '办理过程',
        columns: [
          { key: 'at', header: '时间', width: 18 },
          { key: 'actor', header: '经办人', width: 12 },
          { key: 'label', header: '步骤', width: 24 },
        ],
        rows: detail.steps.map((step) => ({ at: when(step.at), actor: step.actor, label: step.label })),
      },
      {
        title: '冻结',
        columns: [
          { key: 'code', header: '冻结编号', width: 16 },
          { key: 'fonds', header: '全宗号', width: 8 },
        ],
        rows: detail.holds.map((hold) => ({ code: hold.code, fonds: hold.fonds })),
      },
    ],
    madeAt: now,
    madeBy,
  };
}
