// The columns of a settlement extract: one row per detail line (明细), the header of its 医保结算清单
// repeated on every row, grouped by 结算流水号. Chinese headers as the national 结算清单 names them;
// the English keys (as the push API uses) are accepted as headers too.

export const HEADER_FIELDS = [
  'serial',
  'idNumber',
  'region',
  'institutionCode',
  'institutionName',
  'institutionLevel',
  'visitType',
  'admitDate',
  'dischargeDate',
  'primaryDx',
  'otherDx',
  'totalCost',
  'fundPaid',
  'selfPaid',
  'settledOn',
] as const;

export const LINE_FIELDS = [
  'lineNo',
  'itemCategory',
  'itemCode',
  'itemName',
  'quantity',
  'unitPrice',
  'amount',
  'daysSupply',
  'lineDate',
] as const;

export type HeaderField = (typeof HEADER_FIELDS)[number];
export type LineField = (typeof LINE_FIELDS)[number];
export type Field = HeaderField | LineField;

/** Each field's headers: the first is the one the template and the report use. */
export const FIELD_HEADERS: Record<Field, string[]> = {
  serial: ['结算流水号', '结算ID', '结算编号'],
  idNumber: ['身份证号', '公民身份号码', '证件号码'],
  region: ['统筹区', '参保地统筹区', '参保地医保区划', '统筹区编码'],
  institutionCode: ['定点医药机构编码', '定点医疗机构编码', '医疗机构编码'],
  institutionName: ['定点医药机构名称', '定点医疗机构名称', '医疗机构名称'],
  institutionLevel: ['医疗机构等级', '医院等级', '机构等级'],
  visitType: ['医疗类别', '就诊类型'],
  admitDate: ['入院日期', '就诊日期'],
  dischargeDate: ['出院日期'],
  primaryDx: ['主要诊断编码', '主诊断编码'],
  otherDx: ['其他诊断编码', '次要诊断编码'],
  totalCost: ['医疗费总额', '总费用'],
  fundPaid: ['基金支付', '基金支付总额', '统筹基金支付'],
  selfPaid: ['个人负担', '个人支付', '个人负担总额'],
  settledOn: ['结算日期'],
  lineNo: ['明细序号', '明细流水号', '序号'],
  itemCategory: ['项目类别', '收费类别'],
  itemCode: ['医保项目编码', '医保目录编码', '项目编码'],
  itemName: ['项目名称', '医保项目名称'],
  quantity: ['数量'],
  unitPrice: ['单价'],
  amount: ['金额', '明细项目费用总额'],
  daysSupply: ['用药天数', '处方天数'],
  lineDate: ['费用发生日期', '费用发生时间', '明细日期'],
};

/** Fields a row may leave empty (the rest are required). */
export const OPTIONAL_FIELDS: ReadonlySet<Field> = new Set<Field>([
  'otherDx',
  'itemCategory',
  'itemName',
  'daysSupply',
  'dischargeDate',
]);

export const fieldLabel = (field: string): string => FIELD_HEADERS[field as Field]?.[0] ?? field;

const BY_HEADER = new Map<string, Field>(
  (Object.entries(FIELD_HEADERS) as Array<[Field, string[]]>).flatMap(([field, headers]) => [
    ...headers.map((header) => [header, field] as [string, Field]),
    [field, field] as [string, Field],
    [field.toLowerCase(), field] as [string, Field],
  ]),
);

/** The field a column header names, if any (spaces and a trailing （…） note ignored). */
export function fieldOfHeader(header: string): Field | undefined {
  const plain = header.replace(/\s+/g, '').replace(/[（(].*[)）]$/, '');
  return BY_HEADER.get(plain) ?? BY_HEADER.get(plain.toLowerCase());
}

/** One row of an extract (or one line of a pushed settlement) as text, with where it came from. */
export interface RawRow {
  /** Line of the CSV / row of the sheet; for a push, the settlement's place in the batch. */
  row: number;
  fields: Partial<Record<Field, string>>;
}

/** A reason a row (and so its settlement) was refused. */
export interface RowRefusal {
  row: number;
  serial: string;
  field: string;
  code: RefusalCode;
  message: string;
}

export type RefusalCode =
  | 'missing'
  | 'id_number'
  | 'unknown_item'
  | 'quantity'
  | 'amount'
  | 'dates'
  | 'diagnosis'
  | 'value'
  | 'totals'
  | 'duplicate_in_file'
  | 'already_imported'
  | 'conflict'
  | 'scope'
  | 'sibling';

export const REFUSAL_LABELS: Record<RefusalCode, string> = {
  missing: '缺少必填项',
  id_number: '身份证号无效',
  unknown_item: '医保目录中没有该项目',
  quantity: '数量无效',
  amount: '金额与数量×单价不符',
  dates: '日期有误',
  diagnosis: '诊断编码不是ICD-10',
  value: '取值无效',
  totals: '费用合计不符',
  duplicate_in_file: '流水号在文件中重复且内容不同',
  already_imported: '流水号已导入',
  conflict: '流水号已存在且内容不同',
  scope: '统筹区不在数据范围内',
  sibling: '同一结算的其他行有误，整单未导入',
};
