import type { LedgerDocument } from './ledger.document.js';
import { maskDocument } from './ledger.mask.js';
import { renderLedgerFiles } from './ledger.files.js';
import {
  CORRECTION_OUTCOMES,
  type Finding,
  followUpPeople,
  OUTCOME_NAMES,
  type Outcome,
} from './reconcile.findings.js';

// The three workbooks a reconciliation hands back: the correction list for the sending department
// (返回更正清单), the follow-up list for contribution (参保缴费待办清单), and the summary (核对汇总).

export interface RunHeader {
  runId: number;
  source: string;
  fileName: string;
  rows: number;
  counts: Record<Outcome, number>;
  madeAt: Date;
  madeBy: string;
  agency: string;
}

export type ReportKind = 'corrections' | 'follow-ups' | 'summary';
export const REPORT_NAMES: Record<ReportKind, string> = {
  corrections: '返回更正清单',
  'follow-ups': '参保缴费待办清单',
  summary: '名单核对汇总',
};

const header = (run: RunHeader, title: string) => ({
  title,
  period: `${run.source}来文《${run.fileName}》`,
  agency: run.agency,
  madeAt: run.madeAt,
  madeBy: run.madeBy,
});

const sourceCover = (run: RunHeader) => [
  { label: '来文单位', value: run.source },
  { label: '来文文件', value: run.fileName },
  { label: '核对批次', value: `第 ${run.runId} 次核对` },
  { label: '名单行数', value: `${run.rows} 行` },
];

export function correctionDocument(run: RunHeader, findings: readonly Finding[]): LedgerDocument {
  const rows = findings.filter((finding) => CORRECTION_OUTCOMES.includes(finding.outcome));
  return {
    ...header(run, REPORT_NAMES.corrections),
    cover: [
      ...sourceCover(run),
      { label: '需更正行数', value: `${rows.length} 行` },
      ...CORRECTION_OUTCOMES.filter((outcome) => run.counts[outcome] > 0).map((outcome) => ({
        label: OUTCOME_NAMES[outcome],
        value: `${run.counts[outcome]} 行`,
      })),
    ],
    sections: [
      {
        title: '更正清单',
        columns: [
          { key: 'index', header: '序号', width: 6, kind: 'count' },
          { key: 'line', header: '原表行号', width: 8, kind: 'count' },
          { key: 'name', header: '姓名（来文）', width: 12 },
          { key: 'idNumber', header: '身份证号（来文）', width: 20 },
          { key: 'problem', header: '问题类别', width: 18 },
          { key: 'rosterName', header: '名册姓名', width: 12 },
          { key: 'proposedId', header: '建议身份证号', width: 20 },
          { key: 'note', header: '说明', width: 40 },
        ],
        rows: rows.map((finding, index) => ({
          index: index + 1,
          line: finding.line,
          name: finding.name,
          idNumber: finding.idNumber,
          problem: OUTCOME_NAMES[finding.outcome],
          rosterName: finding.rosterName ?? null,
          proposedId: finding.proposedId ?? null,
          note: finding.note,
        })),
      },
    ],
  };
}

export function followUpDocument(run: RunHeader, findings: readonly Finding[]): LedgerDocument {
  const people = followUpPeople(findings);
  return {
    ...header(run, REPORT_NAMES['follow-ups']),
    cover: [...sourceCover(run), { label: '待督促参保缴费', value: `${people.length} 人` }],
    sections: [
      {
        title: '待办清单',
        columns: [
          { key: 'index', header: '序号', width: 6, kind: 'count' },
          { key: 'line', header: '原表行号', width: 8, kind: 'count' },
          { key: 'name', header: '姓名', width: 12 },
          { key: 'idNumber', header: '身份证号', width: 20 },
          { key: 'identity', header: '人员类别', width: 16 },
          { key: 'address', header: '地址', width: 28 },
          { key: 'phone', header: '联系电话', width: 14 },
          { key: 'situation', header: '情况', width: 32 },
          { key: 'done', header: '处理结果', width: 14 },
        ],
        rows: people.map(({ finding, lines }, index) => ({
          index: index + 1,
          // A person named on several lines is listed once, with each of the lines.
          line: lines.length === 1 ? finding.line : lines.join('、'),
          name: finding.rosterName ?? finding.name,
          idNumber: finding.proposedId ?? finding.idNumber,
          identity: finding.identity ?? null,
          address: finding.address ?? null,
          phone: finding.phone ?? null,
          situation: finding.followUp ?? '',
          done: null,
        })),
      },
    ],
  };
}

export function summaryDocument(run: RunHeader): LedgerDocument {
  const outcomes = Object.keys(OUTCOME_NAMES) as Outcome[];
  const share = (count: number) => (run.rows === 0 ? '—' : `${((count / run.rows) * 100).toFixed(2)}%`);
  return {
    ...header(run, REPORT_NAMES.summary),
    cover: [
      ...sourceCover(run),
      { label: '核对一致', value: `${run.counts.matched} 行（${share(run.counts.matched)}）` },
    ],
    sections: [
      {
        title: '核对结果汇总',
        columns: [
          { key: 'outcome', header: '核对结果', width: 28 },
          { key: 'count', header: '行数', width: 10, kind: 'count' },
          { key: 'share', header: '占比', width: 10 },
        ],
        rows: outcomes.map((outcome) => ({
          outcome: OUTCOME_NAMES[outcome],
          count: run.counts[outcome],
          share: share(run.counts[outcome]),
        })),
        totals: {
          outcome: '合计',
          count: outcomes.reduce((sum, outcome) => sum + run.counts[outcome], 0),
          share: share(run.rows),
        },
      },
    ],
  };
}

export function renderReport(
  kind: ReportKind,
  run: RunHeader,
  findings: readonly Finding[],
  options: { masked?: boolean } = {},
): Promise<Buffer> {
  const document =
    kind === 'corrections'
      ? correctionDocument(run, findings)
      : kind === 'follow-ups'
        ? followUpDocument(run, findings)
        : summaryDocument(run);
  return renderLedgerFiles(options.masked ? maskDocument(document) : document, ['xlsx']).then(
    (files) => files.xlsx,
  );
}
