import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// The dashboard's response: archive counts for holders of item.read, approvals, system health.

const Count = (description: string) => Type.Integer({ minimum: 0, description });
const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, maximum: 1, description }));

export const ArchiveOverviewSchema = Type.Object(
  {
    total: Count('档案总件数'),
    asOf: Type.String({
      format: 'date-time',
      description: '统计时间：同一范围的统计缓存 30 秒，过期后先返回上次结果并在后台重新统计',
    }),
    byCategory: Type.Array(
      Type.Object({ code: Type.String(), name: Type.String(), count: Type.Integer({ minimum: 0 }) }),
      { description: '按类别（业务门类）统计，依分类方案顺序；没有档案的类别不列出' },
    ),
    byYear: Type.Array(Type.Object({ year: Type.Integer(), count: Type.Integer({ minimum: 0 }) }), {
      description: '按年度统计，年度升序',
    }),
    byCarrier: Type.Object(
      { paper: Count('纸质'), electronic: Count('电子'), hybrid: Count('纸电双套') },
      { description: '按载体统计' },
    ),
    electronic: Type.Object(
      {
        count: Count('以电子形式归档的件数（载体为电子或纸电双套）'),
        rate: Rate('电子归档率 = count / total；没有档案时为 null'),
      },
      {
        description:
          '电子归档率：载体（carrier）为电子或纸电双套的档案占全部档案的比例。是否确已挂接电子文件不在此计算，' +
          '由四性检测逐件检查（“登记为电子档案，却没有挂接任何电子文件”）',
      },
    ),
    digitization: Type.Object(
      {
        paper: Count('纸质载体档案件数'),
        digitized: Count('其中已有扫描页的件数'),
        rate: Rate('数字化率 = digitized / paper；没有纸质档案时为 null'),
      },
      {
        description:
          '数字化率：载体为纸质的档案中已上传扫描件（至少一页）的比例（纸电双套已有电子版，不计入）',
      },
    ),
  },
  {
    description:
      '调用者管辖范围（全宗、统筹区、类别；参保人为本人档案）内的统计，只有件数，不含档案内容；' +
      '敏感与限制档案计入件数（与档案列表一致，列表中也只显示其位置）',
  },
);

export const OverviewSchema = Type.Object({
  archive: Nullable(ArchiveOverviewSchema),
  approvals: Type.Object(
    {
      scope: Type.Union([Type.Literal('all'), Type.Literal('mine')], {
        description: 'all：待本人审批的全部申请（安全保密员）；mine：本人提出、尚待审批的申请',
      }),
      pending: Count('待审批的查阅申请数'),
    },
    { description: '待审批的敏感档案查阅申请' },
  ),
  fixity: Nullable(
    Type.Object(
      {
        id: Type.Integer(),
        status: Type.String({ description: 'running 进行中 / finished 已完成 / failed 未完成' }),
        startedAt: Type.String({ format: 'date-time' }),
        finishedAt: Nullable(Type.String({ format: 'date-time' })),
        blobs: Count('检查的文件数'),
        copies: Count('检查的副本数'),
        ok: Count('完好的副本数'),
        repaired: Count('已修复的副本数'),
        unrepaired: Count('修复失败的副本数'),
        lost: Count('所有副本都已缺失或损坏的文件数'),
      },
      { description: '最近一次固定性检查；从未检查时为 null' },
    ),
  ),
  verify: Nullable(
    Type.Object(
      {
        id: Type.Integer(),
        status: Type.String({ description: 'running 进行中 / finished 已完成 / failed 未能完成' }),
        startedAt: Type.String({ format: 'date-time' }),
        finishedAt: Nullable(Type.String({ format: 'date-time' })),
        ok: Nullable(Type.Boolean({ description: '校验结论；进行中或未能完成时为 null' })),
        problemCount: Nullable(Type.Integer({ minimum: 0 })),
        deep: Type.Boolean(),
      },
      { description: '最近一次完整性校验（yidang verify）；问题详情见 GET /integrity/verify-runs' },
    ),
  ),
  ocr: Type.Object(
    { queued: Count('排队等待识别的扫描页'), running: Count('正在识别的扫描页') },
    { description: 'OCR 队列' },
  ),
});
