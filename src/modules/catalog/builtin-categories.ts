import type { ExtraFieldSpec } from './catalog.tables.js';

// The 医保 classification scheme shipped with Yidang (年度—险种—业务环节, GB/T 31599-2015). Retention
// defaults follow 社会保险业务档案管理规定(试行) where it names the business; the rest are marked as local
// defaults an agency can override per region.

export interface BuiltinCategory {
  code: string;
  name: string;
  parent?: string;
  retention: 'Y' | 'D100' | 'D50' | 'D30' | 'D15' | 'D10';
  basis: string;
  sensitivity?: 'normal' | 'sensitive' | 'restricted';
  requiresPerson?: boolean;
  requiresAmount?: boolean;
  extraFields?: ExtraFieldSpec[];
}

const REGULATION = '社会保险业务档案管理规定(试行)';
const LOCAL = '本地默认（规定未列明）';
const SEED_PROPOSAL = '新增类目，参照“短期10年、中期30年、长期永久”建议';

const text = (key: string, label: string, maxLength = 100, required = true): ExtraFieldSpec => ({
  key,
  label,
  type: 'text',
  required,
  maxLength,
});
const date = (key: string, label: string, required = true): ExtraFieldSpec => ({
  key,
  label,
  type: 'date',
  required,
});
const options = (key: string, label: string, values: string[]): ExtraFieldSpec => ({
  key,
  label,
  type: 'enum',
  required: true,
  options: values,
});

export const BUILTIN_CATEGORIES: BuiltinCategory[] = [
  { code: 'CB', name: '参保登记', retention: 'D100', basis: REGULATION },
  {
    code: 'CBDW',
    name: '单位参保登记',
    parent: 'CB',
    retention: 'Y',
    basis: `${REGULATION}：参保单位登记 永久`,
    extraFields: [text('unitCode', '单位编号', 32), text('unitName', '单位名称', 100)],
  },
  {
    code: 'CBGR',
    name: '个人参保登记',
    parent: 'CB',
    retention: 'D100',
    basis: `${REGULATION}：参保人员登记 100年`,
    requiresPerson: true,
  },
  {
    code: 'JF',
    name: '缴费核定',
    retention: 'D30',
    basis: `${REGULATION}：缴费申报核定 30年`,
    requiresAmount: true,
    extraFields: [text('period', '缴费期间', 20)],
  },
  {
    code: 'ZH',
    name: '个人账户',
    retention: 'D100',
    basis: `${REGULATION}：个人账户 100年`,
    requiresPerson: true,
  },
  { code: 'DY', name: '待遇审核', retention: 'D30', basis: LOCAL },
  {
    code: 'DYMZ',
    name: '门诊待遇审核',
    parent: 'DY',
    retention: 'D10',
    basis: `${REGULATION}：门诊待遇核定 10年`,
    requiresPerson: true,
    requiresAmount: true,
  },
  {
    code: 'DYZY',
    name: '住院待遇审核',
    parent: 'DY',
    retention: 'D30',
    basis: LOCAL,
    requiresPerson: true,
    requiresAmount: true,
    extraFields: [
      text('hospital', '定点医疗机构', 100),
      date('admissionDate', '入院日期'),
      date('dischargeDate', '出院日期'),
    ],
  },
  {
    code: 'DYMT',
    name: '门诊慢特病待遇审核',
    parent: 'DY',
    retention: 'D30',
    basis: LOCAL,
    sensitivity: 'sensitive',
    requiresPerson: true,
    extraFields: [text('disease', '病种', 100), date('validUntil', '待遇有效期至', false)],
  },
  { code: 'JS', name: '费用结算', retention: 'D30', basis: `${REGULATION}：支付明细/汇总表 30年` },
  {
    code: 'JSDD',
    name: '定点机构结算',
    parent: 'JS',
    retention: 'D30',
    basis: `${REGULATION}：支付明细/汇总表 30年`,
    requiresAmount: true,
    extraFields: [text('institutionCode', '定点机构编码', 32), text('settlementPeriod', '结算期间', 20)],
  },
  {
    code: 'JSLX',
    name: '个人零星报销',
    parent: 'JS',
    retention: 'D30',
    basis: `${REGULATION}：支付明细 30年`,
    requiresPerson: true,
    requiresAmount: true,
    extraFields: [text('hospital', '就诊医疗机构', 100)],
  },
  {
    code: 'JSYD',
    name: '异地就医结算',
    parent: 'JS',
    retention: 'D30',
    basis: `${REGULATION}：支付明细 30年`,
    requiresPerson: true,
    requiresAmount: true,
    extraFields: [{ key: 'treatmentRegion', label: '就医地', type: 'region', required: true }],
  },
  { code: 'JG', name: '基金监管', retention: 'D30', basis: `${REGULATION}：稽核/内控 30年` },
  { code: 'JGJH', name: '稽核', parent: 'JG', retention: 'D30', basis: `${REGULATION}：稽核 30年` },
  { code: 'JGNK', name: '内控', parent: 'JG', retention: 'D30', basis: `${REGULATION}：内控 30年` },
  {
    code: 'BA',
    name: '异地就医备案',
    retention: 'D10',
    basis: `${LOCAL}；人口流动频繁的地区可按统筹区延长至15年`,
    requiresPerson: true,
    extraFields: [
      { key: 'destinationRegion', label: '备案就医地', type: 'region', required: true },
      options('filingType', '备案类型', ['异地长期居住', '临时外出就医', '异地转诊']),
    ],
  },
  {
    code: 'JZ',
    name: '医疗救助',
    retention: 'D30',
    basis: LOCAL,
    sensitivity: 'sensitive',
    requiresPerson: true,
    requiresAmount: true,
    extraFields: [
      options('assistanceType', '救助对象类别', ['特困人员', '低保对象', '返贫致贫人口', '其他']),
    ],
  },
  {
    code: 'DB',
    name: '大病保险',
    retention: 'D30',
    basis: LOCAL,
    requiresPerson: true,
    requiresAmount: true,
  },
  {
    code: 'CH',
    name: '长期护理保险',
    retention: 'D30',
    basis: LOCAL,
    sensitivity: 'sensitive',
    requiresPerson: true,
    extraFields: [
      options('disabilityLevel', '失能等级', ['轻度', '中度', '重度一级', '重度二级', '重度三级']),
    ],
  },
  {
    code: 'MB',
    name: '慢性病及两病',
    retention: 'D30',
    basis: LOCAL,
    sensitivity: 'sensitive',
    requiresPerson: true,
    extraFields: [text('disease', '病种', 100)],
  },
  {
    code: 'FP',
    name: '医保扶贫',
    retention: 'D30',
    basis: LOCAL,
    requiresPerson: true,
    extraFields: [options('povertyStatus', '人员类别', ['脱贫人口', '监测对象', '特困人员', '低保对象'])],
  },
  { code: 'HL', name: '互联网诊疗档案', retention: 'D30', basis: SEED_PROPOSAL, requiresPerson: true },
  { code: 'PZ', name: '医保电子凭证档案', retention: 'D10', basis: SEED_PROPOSAL, requiresPerson: true },
  { code: 'TJ', name: '统计报表', retention: 'Y', basis: REGULATION },
  {
    code: 'TJND',
    name: '年度统计报表',
    parent: 'TJ',
    retention: 'Y',
    basis: `${REGULATION}：年度统计报表 永久`,
    extraFields: [text('reportPeriod', '报表期间', 20)],
  },
  {
    code: 'TJYJ',
    name: '月/季统计报表',
    parent: 'TJ',
    retention: 'D10',
    basis: `${REGULATION}：月/季报表 10年`,
    extraFields: [text('reportPeriod', '报表期间', 20)],
  },
];
