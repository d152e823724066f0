import { Type } from '@sinclair/typebox';
import { LEDGER_KINDS } from './ledger-category.js';
import { OUTCOME_NAMES } from './reconcile.findings.js';

// The 医保扶贫 API's shapes (TypeBox, they become the OpenAPI): a reconciliation's answer, a roster
// import's, a ledger order, and the answers of a preview and of a filing.

const Counts = Type.Object(
  Object.fromEntries(
    Object.entries(OUTCOME_NAMES).map(([key, name]) => [key, Type.Integer({ description: name })]),
  ),
);
export const RunSchema = Type.Object({
  runId: Type.Integer(),
  source: Type.String(),
  fileName: Type.String(),
  rows: Type.Integer({ description: '名单数据行数（不含跳过的空行、表头、合计行）' }),
  counts: Counts,
  followUps: Type.Integer({ description: '需督促参保缴费的人数' }),
  durationMs: Type.Integer(),
  reports: Type.Array(Type.Object({ kind: Type.String(), name: Type.String(), href: Type.String() })),
});

const Tally = Type.Object({ added: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() });
export const RosterImportSchema = Type.Object({
  fileName: Type.String(),
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
  source: Type.String({ description: '编码（CSV）或工作表名（XLSX）' }),
  headerLine: Type.Integer({ description: '表头所在行' }),
  columns: Type.Record(Type.String(), Type.String(), { description: '识别出的列：用途 → 文件中的列名' }),
  rows: Type.Integer({ description: '数据行数（不含空行、标题、表头、合计行）' }),
  people: Tally,
  enrollments: Tally,
  rejected: Type.Array(Type.Object({ line: Type.Integer(), reasons: Type.Array(Type.String()) }), {
    description: '未导入的行及原因（不含姓名与身份证号）',
  }),
  skipped: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
  dryRun: Type.Boolean(),
});

const ORDER = {
  kind: Type.Union(
    Object.keys(LEDGER_KINDS).map((kind) => Type.Literal(kind)),
    {
      description: Object.entries(LEDGER_KINDS)
        .map(([key, name]) => `${key} ${name}`)
        .join('；'),
    },
  ),
  asOf: Type.Optional(Type.String({ description: '截至日期（参保、慢病、两病台账）' })),
  month: Type.Optional(Type.String({ description: '月份 YYYY-MM（动态台账）' })),
  from: Type.Optional(Type.String({ description: '起始日期（待遇享受台账）' })),
  to: Type.Optional(Type.String({ description: '截止日期（待遇享受台账）' })),
  fonds: Type.Optional(Type.String({ description: '全宗号；只有一个全宗时可省略' })),
  org: Type.Optional(Type.String({ description: '档号中的机构（问题）代码，默认 FP' })),
  region: Type.Optional(
    Type.String({
      maxLength: 6,
      description: '台账所属地区（6 位行政区划代码），须在本人范围内；默认为本人范围内的全部地区',
    }),
  ),
  unmask: Type.Optional(
    Type.Boolean({ description: '交付未脱敏的台账（需 item.unmask 权限与用途，记入事件日志）；默认脱敏' }),
  ),
  purpose: Type.Optional(Type.String({ maxLength: 200, description: '取得未脱敏台账的用途（记入日志）' })),
};
export const PreviewBody = Type.Object(ORDER, { additionalProperties: false });
export const LedgerBody = Type.Object(
  {
    ...ORDER,
    previewDigest: Type.Optional(
      Type.String({
        maxLength: 64,
        description:
          '归档预览过的台账：预览答复中的 digest；数据自预览后有变化则不归档（409 LEDGER_PREVIEW_STALE）',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Rows of each table a preview answer shows; the whole ledger is in its files. */
export const PREVIEW_ROWS = 200;
const Cell = Type.Union([Type.String(), Type.Number(), Type.Null()]);
export const PreviewSchema = Type.Object({
  preview: Type.Literal(true),
  digest: Type.String({ description: '归档这份台账时作为 previewDigest 传回' }),
  mark: Type.String({ description: '预览文件上的标记' }),
  title: Type.String(),
  period: Type.String(),
  cover: Type.Array(Type.Object({ label: Type.String(), value: Type.String() })),
  sections: Type.Array(
    Type.Object({
      title: Type.String(),
      rows: Type.Integer({ description: '全部行数' }),
      columns: Type.Array(
        Type.Object({
          key: Type.String(),
          header: Type.String(),
          kind: Type.Optional(
            Type.Union([
              Type.Literal('text'),
              Type.Literal('money'),
              Type.Literal('count'),
              Type.Literal('date'),
            ]),
          ),
        }),
      ),
      sample: Type.Array(Type.Record(Type.String(), Cell), {
        description: `前 ${PREVIEW_ROWS} 行（默认脱敏）；全部行见预览文件`,
      }),
      totals: Type.Optional(Type.Record(Type.String(), Cell)),
    }),
  ),
  files: Type.Array(
    Type.Object({
      fileName: Type.String(),
      size: Type.Integer(),
      contentBase64: Type.Optional(Type.String({ description: '预览文件（标有“预览 · 未归档”，不归档）' })),
    }),
  ),
});

export const MadeSchema = Type.Object({
  archiveCode: Type.String(),
  digest: Type.String({ description: '台账内容的摘要；带 previewDigest 归档时与之相同' }),
  title: Type.String(),
  period: Type.String(),
  cover: Type.Array(Type.Object({ label: Type.String(), value: Type.String() })),
  sections: Type.Array(Type.Object({ title: Type.String(), rows: Type.Integer() })),
  files: Type.Array(
    Type.Object({
      fileNumber: Type.Integer(),
      fileName: Type.String(),
      digest: Type.String(),
      size: Type.Integer(),
      href: Type.String(),
      contentBase64: Type.Optional(
        Type.String({ description: '交付给编制人的副本（默认脱敏）；size 与 digest 为归档副本的' }),
      ),
    }),
  ),
});
