import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponseSchema } from '../../http/errors.js';
import { VOCABULARY } from './vocabulary.js';

// GET /vocabulary: the console loads it once after sign-in and names every field, code, event and
// error from it. Fixed text only, the same for every caller: any signed-in account may read it.

const names = (description: string) => Type.Record(Type.String(), Type.String(), { description });

export const VocabularySchema = Type.Object({
  fields: Type.Object({
    item: names('档案字段 → 中文名称（含只在答复中出现的字段，如档号、归档时间）'),
    import: names('批量导入时一列可以对应的档案字段 → 中文名称'),
    searchFilter: names('检索的筛选参数 → 中文名称'),
    holdQuery: names('按条件冻结时可用的条件字段 → 中文名称'),
  }),
  values: Type.Object({
    carrier: names('载体代码 → 中文名称'),
    securityLevel: names('密级代码 → 中文名称'),
    sensitivity: names('敏感级别代码 → 中文名称'),
    retention: names('保管期限代码 → 中文名称'),
    role: names('角色代码 → 中文名称'),
    permission: names('权限代码 → 中文名称'),
    requestStatus: names('查阅申请状态 → 中文名称'),
    ledgerKind: names('医保扶贫台账类别 → 中文名称'),
    reconcileOutcome: names('名单核对结果 → 中文名称'),
    reconcileReport: names('名单核对结果文件 → 中文名称'),
    ocrStatus: names('文字识别状态 → 中文名称'),
    scanFlag: names('扫描页标记（待重扫的原因）→ 中文名称'),
    colourMode: names('扫描色彩模式 → 中文名称'),
    batchStatus: names('数字化批次状态 → 中文名称'),
    qcVerdict: names('质检结论 → 中文名称'),
    checkStatus: names('四性检测结果 → 中文名称'),
    fixityRunStatus: names('固定性检查状态 → 中文名称'),
    fixityProblem: names('副本问题 → 中文名称'),
    useKind: names('利用方式 → 中文名称'),
    useEffect: names('利用效果 → 中文名称'),
    loanKind: names('借阅方式 → 中文名称'),
    loanState: names('借阅单状态 → 中文名称'),
    returnCondition: names('归还状况 → 中文名称'),
    holdKind: names('冻结方式 → 中文名称'),
    holdState: names('冻结状态 → 中文名称'),
    holdSource: names('冻结来源 → 中文名称'),
    roundState: names('鉴定批次状态 → 中文名称'),
    appraisalChoice: names('鉴定意见与结论（继续保存、销毁）→ 中文名称'),
    registerState: names('销毁清册状态 → 中文名称'),
    registerRowState: names('销毁清册条目状态 → 中文名称'),
    signRole: names('销毁清册签字身份 → 中文名称'),
    destructionRefusal: names('不能销毁的原因 → 中文说明'),
    caseState: names('核查案件状态 → 中文名称'),
    caseSource: names('核查案件来源 → 中文名称'),
    caseConclusion: names('核查结论 → 中文名称'),
    clueState: names('审核线索状态 → 中文名称'),
    fundRunState: names('审核运行状态 → 中文名称'),
  }),
  paperMethods: Type.Array(Type.String(), { description: '纸质档案的销毁方式' }),
  reconcileCorrections: Type.Array(Type.String(), { description: '来文单位须在其名单中更正的核对结果' }),
  events: Type.Array(Type.Object({ name: Type.String(), label: Type.String() }), {
    description: '事件类型及其中文名称，按审计筛选的顺序',
  }),
  eventGroups: names('事件分组（以点结尾的代码代表整组）→ 中文名称'),
  errors: names('错误代码 → 中文说明'),
});

export const vocabularyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/vocabulary',
    {
      schema: {
        tags: ['词汇表'],
        summary: '词汇表：字段、代码取值、事件类型与错误代码的中文名称',
        response: { 200: VocabularySchema, 401: ErrorResponseSchema },
      },
    },
    async () => VOCABULARY,
  );
};
