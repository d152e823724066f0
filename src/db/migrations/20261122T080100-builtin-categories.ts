import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../schema.js';

// The 医保 classification scheme (年度—险种—业务环节, GB/T 31599-2015) as it was shipped on 2026-11-22.
// The rows are frozen here, not read from src/modules/catalog/builtin-categories.ts: a migration must
// insert the same rows forever, so a later edit of the live scheme needs a migration of its own.
// Unset fields are 'normal', false and [].

type ExtraField = {
  key: string;
  label: string;
  type: 'text' | 'date' | 'enum' | 'region';
  required: boolean;
  maxLength?: number;
  options?: string[];
};

const ROWS: Array<{
  code: string;
  name: string;
  parent: string | null;
  retention: string;
  basis: string;
  sensitivity?: string;
  requiresPerson?: boolean;
  requiresAmount?: boolean;
  extraFields?: ExtraField[];
  sortOrder: number;
}> = [
  {
    code: 'CB',
    name: '参保登记',
    parent: null,
    retention: 'D100',
    basis: '社会保险业务档案管理规定(试行)',
    sortOrder: 10,
  },
  {
    code: 'CBDW',
    name: '单位参保登记',
    parent: 'CB',
    retention: 'Y',
    basis: '社会保险业务档案管理规定(试行)：参保单位登记 永久',
    extraFields: [
      { key: 'unitCode', label: '单位编号', type: 'text', required: true, maxLength: 32 },
      { key: 'unitName', label: '单位名称', type: 'text', required: true, maxLength: 100 },
    ],
    sortOrder: 20,
  },
  {
    code: 'CBGR',
    name: '个人参保登记',
    parent: 'CB',
    retention: 'D100',
    basis: '社会保险业务档案管理规定(试行)：参保人员登记 100年',
    requiresPerson: true,
    sortOrder: 30,
  },
  {
    code: 'JF',
    name: '缴费核定',
    parent: null,
    retention: 'D30',
    basis: '社会保险业务档案管理规定(试行)：缴费申报核定 30年',
    requiresAmount: true,
    extraFields: [{ key: 'period', label: '缴费期间', type: 'text', required: true, maxLength: 20 }],
    sortOrder: 40,
  },
  {
    code: 'ZH',
    name: '个人账户',
    parent: null,
    retention: 'D100',
    basis: '社会保险业务档案管理规定(试行)：个人账户 100年',
    requiresPerson: true,
    sortOrder: 50,
  },
  {
    code: 'DY',
    name: '待遇审核',
    parent: null,
    retention: 'D30',
    basis: '本地默认（规定未列明）',
    sortOrder: 60,
  },
  {
    code: 'DYMZ',
    name: '门诊待遇审核',
    parent: 'DY',
    retention: 'D10',
    basis: '社会保险业务档案管理规定(试行)：门诊待遇核定 10年',
    requiresPerson: true,
    requiresAmount: true,
    sortOrder: 70,
  },
  {
    code: 'DYZY',
    name: '住院待遇审核',
    parent: 'DY',
    retention: 'D30',
    basis: '本地默认（规定未列明）',
    requiresPerson: true,
    requiresAmount: true,
    extraFields: [
      { key: 'hospital', label: '定点医疗机构', type: 'text', required: true, maxLength: 100 },
      { key: 'admissionDate', label: '入院日期', type: 'date', required: true },
      { key: 'dischargeDate', label: '出院日期', type: 'date', required: true },
    ],
    sortOrder: 80,
  },
  {
    code: 'DYMT',
    name: '门诊慢特病待遇审核',
    parent: 'DY',
    retention: 'D30',
    basis: '本地默认（规定未列明）',
    sensitivity: 'sensitive',
    requiresPerson: true,
    extraFields: [
      { key: 'disease', label: '病种', type: 'text', required: true, maxLength: 100 },
      { key: 'validUntil', label: '待遇有效期至', type: 'date', required: false },
    ],
    sortOrder: 90,
  },
  {
    code: 'JS',
    name: '费用结算',
    parent: null,
    retention: 'D30',
    basis: '社会保险业务档案管理规定(试行)：支付明细/汇总表 30年',
    sortOrder: 100,
  },
  {
    code: 'JSDD',
    name: '定点机构结算',
    parent: 'JS',
    retention: 'D30',
    basis: '社会保险业务档案管理规定(试行)：支付明细/汇总表 30年',
    requiresAmount: true,
    extraFields: [
      { key: 'institutionCode', label: '定点机构编码', type: 'text', required: true, maxLength: 32 },
      { key: 'settlementPeriod', label: '结算期间', type: 'text', required: true, maxLength: 20 },
    ],
    sortOrder: 110,
  },
  {
    code: 'JSLX',
    name: '个人零星报销',
    parent: 'JS',
    retention: 'D30',
    basis: '社会保险业务档案管理规定(试行)：支付明细 30年',
    requiresPerson: true,
    requiresAmount: true,
    extraFields: [{ key: 'hospital', label: '就诊医疗机构', type: 'text', required: true, maxLength: 100 }],
    sortOrder: 120,
  },
  {
    code: 'JSYD',
    name: '异地就医结算',
    parent: 'JS',
    retention: 'D30',
    basis: '社会保险业务档案管理规定(试行)：支付明细 30年',
    requiresPerson: true,
    requiresAmount: true,
    extraFields: [{ key: 'treatmentRegion', label: '就医地', type: 'region', required: true }],
    sortOrder: 130,
  },
  {
    code: 'JG',
    name: '基金监管',
    parent: null,
    retention: 'D30',
    basis: '社会保险业务档案管理规定(试行)：稽核/内控 30年',
    sortOrder: 140,
  },
  {
    code: 'JGJH',
    name: '稽核',
    parent: 'JG',
    retention: 'D30',
    basis: '社会保险业务档案管理规定(试行)：稽核 30年',
    sortOrder: 150,
  },
  {
    code: 'JGNK',
    name: '内控',
    parent: 'JG',
    retention: 'D30',
    basis: '社会保险业务档案管理规定(试行)：内控 30年',
    sortOrder: 160,
  },
  {
    code: 'BA',
    name: '异地就医备案',
    parent: null,
    retention: 'D10',
    basis: '本地默认（规定未列明）；人口流动频繁的地区可按统筹区延长至15年',
    requiresPerson: true,
    extraFields: [
      { key: 'destinationRegion', label: '备案就医地', type: 'region', required: true },
      {
        key: 'filingType',
        label: '备案类型',
        type: 'enum',
        required: true,
        options: ['异地长期居住', '临时外出就医', '异地转诊'],
      },
    ],
    sortOrder: 170,
  },
  {
    code: 'JZ',
    name: '医疗救助',
    parent: null,
    retention: 'D30',
    basis: '本地默认（规定未列明）',
    sensitivity: 'sensitive',
    requiresPerson: true,
    requiresAmount: true,
    extraFields: [
      {
        key: 'assistanceType',
        label: '救助对象类别',
        type: 'enum',
        required: true,
        options: ['特困人员', '低保对象', '返贫致贫人口', '其他'],
      },
    ],
    sortOrder: 180,
  },
  {
    code: 'DB',
    name: '大病保险',
    parent: null,
    retention: 'D30',
    basis: '本地默认（规定未列明）',
    requiresPerson: true,
    requiresAmount: true,
    sortOrder: 190,
  },
  {
    code: 'CH',
    name: '长期护理保险',
    parent: null,
    retention: 'D30',
    basis: '本地默认（规定未列明）',
    sensitivity: 'sensitive',
    requiresPerson: true,
    extraFields: [
      {
        key: 'disabilityLevel',
        label: '失能等级',
        type: 'enum',
        required: true,
        options: ['轻度', '中度', '重度一级', '重度二级', '重度三级'],
      },
    ],
    sortOrder: 200,
  },
  {
    code: 'MB',
    name: '慢性病及两病',
    parent: null,
    retention: 'D30',
    basis: '本地默认（规定未列明）',
    sensitivity: 'sensitive',
    requiresPerson: true,
    extraFields: [{ key: 'disease', label: '病种', type: 'text', required: true, maxLength: 100 }],
    sortOrder: 210,
  },
  {
    code: 'FP',
    name: '医保扶贫',
    parent: null,
    retention: 'D30',
    basis: '本地默认（规定未列明）',
    requiresPerson: true,
    extraFields: [
      {
        key: 'povertyStatus',
        label: '人员类别',
        type: 'enum',
        required: true,
        options: ['脱贫人口', '监测对象', '特困人员', '低保对象'],
      },
    ],
    sortOrder: 220,
  },
  {
    code: 'HL',
    name: '互联网诊疗档案',
    parent: null,
    retention: 'D30',
    basis: '新增类目，参照“短期10年、中期30年、长期永久”建议',
    requiresPerson: true,
    sortOrder: 230,
  },
  {
    code: 'PZ',
    name: '医保电子凭证档案',
    parent: null,
    retention: 'D10',
    basis: '新增类目，参照“短期10年、中期30年、长期永久”建议',
    requiresPerson: true,
    sortOrder: 240,
  },
  {
    code: 'TJ',
    name: '统计报表',
    parent: null,
    retention: 'Y',
    basis: '社会保险业务档案管理规定(试行)',
    sortOrder: 250,
  },
  {
    code: 'TJND',
    name: '年度统计报表',
    parent: 'TJ',
    retention: 'Y',
    basis: '社会保险业务档案管理规定(试行)：年度统计报表 永久',
    extraFields: [{ key: 'reportPeriod', label: '报表期间', type: 'text', required: true, maxLength: 20 }],
    sortOrder: 260,
  },
  {
    code: 'TJYJ',
    name: '月/季统计报表',
    parent: 'TJ',
    retention: 'D10',
    basis: '社会保险业务档案管理规定(试行)：月/季报表 10年',
    extraFields: [{ key: 'reportPeriod', label: '报表期间', type: 'text', required: true, maxLength: 20 }],
    sortOrder: 270,
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<DatabaseSchema>;
  const idByCode = new Map<string, number>();
  for (const row of ROWS) {
    const inserted = await typed
      .insertInto('category')
      .values({
        code: row.code,
        name: row.name,
        parent_id: row.parent ? (idByCode.get(row.parent) ?? null) : null,
        default_retention: row.retention,
        retention_basis: row.basis,
        default_sensitivity: row.sensitivity ?? 'normal',
        requires_person: row.requiresPerson ?? false,
        requires_amount: row.requiresAmount ?? false,
        extra_fields: JSON.stringify(row.extraFields ?? []),
        builtin: true,
        sort_order: row.sortOrder,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    idByCode.set(row.code, inserted.id);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<DatabaseSchema>;
  await typed.deleteFrom('category').where('builtin', '=', true).execute();
}
