import { idCheckChar } from '../../src/modules/catalog/id-number.js';

// Settlement extracts for tests: one row per detail line with the header repeated, under the Chinese
// column names of the national 结算清单. All people, institutions and serials are made up.

export const HEADERS = [
  '结算流水号',
  '身份证号',
  '统筹区',
  '定点医药机构编码',
  '定点医药机构名称',
  '医疗机构等级',
  '医疗类别',
  '入院日期',
  '出院日期',
  '主要诊断编码',
  '其他诊断编码',
  '医疗费总额',
  '基金支付',
  '个人负担',
  '结算日期',
  '明细序号',
  '项目类别',
  '医保项目编码',
  '项目名称',
  '数量',
  '单价',
  '金额',
  '用药天数',
  '费用发生日期',
];

export const personId = (first17 = '32011519700101001'): string => `${first17}${idCheckChar(first17)}`;

export interface ExtractLine {
  code: string;
  category?: string;
  name?: string;
  quantity: string;
  price: string;
  amount?: string;
  days?: string;
  date: string;
}

export interface ExtractSettlement {
  serial: string;
  idNumber?: string;
  region?: string;
  institution?: string;
  level?: string;
  visit?: '门诊' | '住院';
  admit: string;
  discharge?: string;
  dx?: string;
  otherDx?: string;
  total?: string;
  fund?: string;
  self?: string;
  settled?: string;
  lines: ExtractLine[];
}

const money = (value: number) => value.toFixed(2);

/** The rows of one settlement (totals computed from the lines unless given). */
export function settlementRows(settlement: ExtractSettlement): string[][] {
  const amounts = settlement.lines.map((line) =>
    Number(line.amount ?? money(Number(line.quantity) * Number(line.price))),
  );
  const total = settlement.total ?? money(amounts.reduce((sum, value) => sum + value, 0));
  const fund = settlement.fund ?? money(Math.round(Number(total) * 70) / 100);
  const self = settlement.self ?? money(Number(total) - Number(fund));
  return settlement.lines.map((line, index) => [
    settlement.serial,
    settlement.idNumber ?? personId(),
    settlement.region ?? '320115',
    settlement.institution ?? 'H32011500001',
    '南京市江宁区人民医院',
    settlement.level ?? '三级',
    settlement.visit ?? '门诊',
    settlement.admit,
    settlement.discharge ?? (settlement.visit === '住院' ? '' : settlement.admit),
    settlement.dx ?? 'J06.900',
    settlement.otherDx ?? '',
    total,
    fund,
    self,
    settlement.settled ?? settlement.discharge ?? settlement.admit,
    String(index + 1),
    line.category ?? '',
    line.code,
    line.name ?? '',
    line.quantity,
    line.price,
    line.amount ?? money(Number(line.quantity) * Number(line.price)),
    line.days ?? '',
    line.date,
  ]);
}

const cell = (text: string) => (/[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

export function extractCsv(settlements: ExtractSettlement[], extraRows: string[][] = []): string {
  const rows = [HEADERS, ...settlements.flatMap(settlementRows), ...extraRows];
  return `${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}

/** A clean 门诊 settlement: 诊查费 and 阿莫西林 for 5 days. */
export function outpatient(serial: string, overrides: Partial<ExtractSettlement> = {}): ExtractSettlement {
  return {
    serial,
    admit: '2025-03-10',
    lines: [
      { code: '110100001000000', quantity: '1', price: '10.00', date: '2025-03-10' },
      { code: 'XJ01CAA010', quantity: '15', price: '0.50', days: '5', date: '2025-03-10' },
    ],
    ...overrides,
  };
}

/** A clean 住院 settlement of three days: bed and care each day, 血常规 on admission. */
export function inpatient(serial: string, overrides: Partial<ExtractSettlement> = {}): ExtractSettlement {
  const days = ['2025-04-01', '2025-04-02', '2025-04-03'];
  return {
    serial,
    visit: '住院',
    admit: '2025-04-01',
    discharge: '2025-04-04',
    dx: 'J18.900',
    otherDx: 'I10.x00;E11.900',
    lines: [
      ...days.flatMap((date) => [
        { code: '110200001000000', quantity: '1', price: '30.00', date },
        { code: '120100003000000', quantity: '1', price: '25.00', date },
      ]),
      { code: '250101001000000', quantity: '1', price: '20.00', date: '2025-04-01' },
    ],
    ...overrides,
  };
}
