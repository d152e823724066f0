import { hasBadText, wellFormed } from '../../shared/well-formed.js';
import { isValidCalendarDate } from '../catalog/id-number.js';
import type { FundItem } from './fund-item.repo.js';
import { idNumberProblem, type PersonFacts, personFacts } from './fund-person.js';
import {
  type Field,
  fieldLabel,
  HEADER_FIELDS,
  OPTIONAL_FIELDS,
  type RawRow,
  type RefusalCode,
  type RowRefusal,
} from './settlement.fields.js';
import type { LineRow, SettlementRow } from './settlement.write.js';

// Checking settlements before any is written, the same for an extract and a push: rows grouped by
// 结算流水号, the header the same on every row of a settlement, every line's item in the 医保目录 with a
// positive quantity and an amount of quantity × price (within 0.01), dates in order, diagnoses in
// ICD-10 form, the totals adding up. A settlement with any bad row is refused whole, each of its rows
// with its reason (the good rows of it say why they were not imported either).

/** ICD-10 as the 医保版 writes it: letter, two digits, then an optional subcode (E11.900, I10.x00x002). */
export const ICD10 = /^[A-Z]\d{2}(\.[0-9A-Za-z]{1,4}(x\d{3})?)?$/;
const SERIAL = /^[0-9A-Za-z_-]{1,64}$/;
const LEVELS = new Set(['一级', '二级', '三级', '未定级']);
const VISITS = new Set(['门诊', '住院']);
const CATEGORIES = new Set(['药品', '诊疗', '耗材', '床位']);
const MAX_LINES = 2000;

export interface PreparedSettlement {
  serial: string;
  rows: number[];
  person: PersonFacts;
  settlement: SettlementRow;
  /** The settlement's content in one canonical text (compared with a stored one of the same serial). */
  content: string;
}

export interface CheckResult {
  good: PreparedSettlement[];
  refusals: RowRefusal[];
  /** Settlements (distinct serials) in the input. */
  settlements: number;
  /** Rows repeated word for word (same serial and 明细序号), counted once. */
  repeated: number;
}

type Issue = { field: Field | ''; code: RefusalCode; message: string };

/** 'YYYY-MM-DD' from 2025-03-01, 2025/3/1, 20250301 or a date-time; undefined if not a date. */
export function normaliseDate(text: string): string | undefined {
  const match = /^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/.exec(
    text.trim(),
  );
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (!isValidCalendarDate(year, month, day) || year < 1900 || year > 2200) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

// Bounded by the column it goes to (quantity numeric(12,3), unit_price numeric(12,2), amounts numeric(14,2)),
// so a number the database would refuse is a refused row here, never a failed batch half-way.
const decimal = (text: string, places: number, digits: number): number | undefined => {
  const plain = text.trim().replaceAll(',', '');
  if (!new RegExp(`^-?\\d{1,${digits}}(\\.\\d{1,${places}})?$`).test(plain)) return undefined;
  return Number(plain);
};

const value = (row: RawRow, field: Field) => (row.fields[field] ?? '').trim();

export function splitDx(text: string): string[] {
  return text
    .split(/[;,，；、|\s]+/)
    .map((part) => part.trim())
    .filter(Boolean);
}

/** Checks rows (lines with their header repeated) against the catalogue; nothing is written here. */
export function checkSettlementRows(
  rows: readonly RawRow[],
  items: ReadonlyMap<string, FundItem>,
): CheckResult {
  const refusals: RowRefusal[] = [];
  const groups = new Map<string, RawRow[]>();
  // Text PostgreSQL cannot hold (a NUL byte, half a surrogate pair) refuses its row and its settlement.
  const unstorable = new Set<string>();
  for (const row of rows) {
    const bad = (Object.entries(row.fields) as [Field, string][]).find(([, text]) => hasBadText(text));
    if (!bad) continue;
    const serial = wellFormed(value(row, 'serial'));
    unstorable.add(serial);
    refusals.push({
      row: row.row,
      serial,
      field: bad[0],
      code: 'value',
      message: `${fieldLabel(bad[0])}含有无法保存的字符（NUL 或不成对的代理项）`,
    });
  }
  for (const row of rows) {
    const serial = value(row, 'serial');
    if (unstorable.has(wellFormed(serial))) {
      if (!refusals.some((refusal) => refusal.row === row.row))
        refusals.push({
          row: row.row,
          serial: wellFormed(serial),
          field: 'serial',
          code: 'value',
          message: '同一结算流水号的另一行含有无法保存的字符，整笔结算不导入',
        });
      continue;
    }
    if (!serial) {
      refusals.push({
        row: row.row,
        serial: '',
        field: 'serial',
        code: 'missing',
        message: '缺少结算流水号',
      });
      continue;
    }
    groups.set(serial, [...(groups.get(serial) ?? []), row]);
  }
  const good: PreparedSettlement[] = [];
  let repeated = 0;
  for (const [serial, group] of groups) {
    const checked = checkGroup(serial, group, items);
    repeated += checked.repeated;
    if ('settlement' in checked) good.push(checked);
    else refusals.push(...checked.refusals);
  }
  refusals.sort((a, b) => a.row - b.row);
  return { good, refusals, settlements: groups.size, repeated };
}

function checkGroup(
  serial: string,
  group: RawRow[],
  items: ReadonlyMap<string, FundItem>,
): (PreparedSettlement & { repeated: number }) | { refusals: RowRefusal[]; repeated: number } {
  const issues = new Map<number, Issue[]>();
  const add = (row: number, issue: Issue) => issues.set(row, [...(issues.get(row) ?? []), issue]);
  const first = group[0] as RawRow;
  if (!SERIAL.test(serial))
    add(first.row, {
      field: 'serial',
      code: 'value',
      message: '结算流水号应为1至64位字母、数字、下划线或连字符',
    });
  // The header must read the same on every row of the settlement.
  for (const field of HEADER_FIELDS) {
    const differing = group.filter((row) => value(row, field) !== value(first, field));
    for (const row of differing)
      add(row.row, {
        field,
        code: 'duplicate_in_file',
        message: `流水号 ${serial} 在文件中多次出现，“${fieldLabel(field)}”与第 ${first.row} 行不同`,
      });
  }
  const header = checkHeader(first, add);
  // Lines by 明细序号: a row repeated word for word counts once; the same number with other content is refused.
  const lines: Array<{ row: number; line: LineRow }> = [];
  const byNumber = new Map<number, { row: RawRow; text: string }>();
  let repeated = 0;
  group.forEach((row, index) => {
    const lineNo = value(row, 'lineNo') ? Number(value(row, 'lineNo')) : index + 1;
    if (!Number.isInteger(lineNo) || lineNo < 1 || lineNo > 100_000) {
      add(row.row, { field: 'lineNo', code: 'value', message: '明细序号应为正整数' });
      return;
    }
    const text = JSON.stringify(row.fields);
    const earlier = byNumber.get(lineNo);
    if (earlier) {
      if (earlier.text === text) repeated++;
      else
        add(row.row, {
          field: 'lineNo',
          code: 'duplicate_in_file',
          message: `流水号 ${serial} 的明细序号 ${lineNo} 在文件中出现两次且内容不同（第 ${earlier.row.row} 行）`,
        });
      return;
    }
    byNumber.set(lineNo, { row, text });
    const line = checkLine(row, lineNo, header, items, (issue) => add(row.row, issue));
    if (line) lines.push({ row: row.row, line });
  });
  if (lines.length > MAX_LINES)
    add(first.row, { field: 'lineNo', code: 'value', message: `一个结算最多 ${MAX_LINES} 行明细` });
  if (header.ok && issues.size === 0) {
    const sum = lines.reduce((total, entry) => total + Number(entry.line.amount), 0);
    if (Math.abs(sum - header.total) > 0.01)
      add(first.row, {
        field: 'totalCost',
        code: 'totals',
        message: `医疗费总额 ${header.total.toFixed(2)} 与明细金额合计 ${sum.toFixed(2)} 不符`,
      });
    if (Math.abs(header.fund + header.self - header.total) > 0.01)
      add(first.row, {
        field: 'fundPaid',
        code: 'totals',
        message: '基金支付与个人负担之和不等于医疗费总额',
      });
  }
  if (issues.size > 0 || !header.ok) {
    const refusals: RowRefusal[] = [];
    for (const row of group) {
      const own = issues.get(row.row);
      if (own) for (const issue of own) refusals.push({ row: row.row, serial, ...issue });
      else
        refusals.push({
          row: row.row,
          serial,
          field: '',
          code: 'sibling',
          message: '同一结算的其他行有误，整单未导入',
        });
    }
    return { refusals, repeated };
  }
  const person = personFacts(header.idNumber);
  const settlement: SettlementRow = {
    serial,
    personKey: person.personKey,
    region: header.region,
    institutionCode: value(first, 'institutionCode'),
    institutionName: value(first, 'institutionName'),
    institutionLevel: value(first, 'institutionLevel') as SettlementRow['institutionLevel'],
    visitType: header.visit,
    admitDate: header.admit,
    dischargeDate: header.discharge,
    primaryDx: value(first, 'primaryDx'),
    otherDx: splitDx(value(first, 'otherDx')),
    totalCost: header.total.toFixed(2),
    fundPaid: header.fund.toFixed(2),
    selfPaid: header.self.toFixed(2),
    settledOn: header.settled,
    lines: lines.map((entry) => entry.line).sort((a, b) => a.lineNo - b.lineNo),
  };
  return {
    serial,
    rows: group.map((row) => row.row),
    person: { ...person, region: header.region },
    settlement,
    content: contentOf(settlement),
    repeated,
  };
}

interface Header {
  ok: boolean;
  idNumber: string;
  region: string;
  visit: '门诊' | '住院';
  admit: string;
  discharge: string;
  settled: string;
  total: number;
  fund: number;
  self: number;
}

function checkHeader(row: RawRow, add: (row: number, issue: Issue) => void): Header {
  let ok = true;
  const fail = (field: Field, code: RefusalCode, message: string) => {
    ok = false;
    add(row.row, { field, code, message });
  };
  for (const field of HEADER_FIELDS)
    if (!OPTIONAL_FIELDS.has(field) && !value(row, field)) fail(field, 'missing', `缺少${fieldLabel(field)}`);
  const idNumber = value(row, 'idNumber').toUpperCase();
  if (idNumber) {
    const problem = idNumberProblem(idNumber);
    if (problem) fail('idNumber', 'id_number', `身份证号有误：${problem}`);
  }
  const region = value(row, 'region');
  if (region && !/^\d{6}$/.test(region)) fail('region', 'value', '统筹区应为6位行政区划代码');
  const level = value(row, 'institutionLevel');
  if (level && !LEVELS.has(level))
    fail('institutionLevel', 'value', '医疗机构等级应为一级、二级、三级或未定级');
  if (value(row, 'institutionCode').length > 32) fail('institutionCode', 'value', '定点医药机构编码最长32位');
  if (value(row, 'institutionName').length > 200)
    fail('institutionName', 'value', '定点医药机构名称最长200字');
  const visit = value(row, 'visitType');
  if (visit && !VISITS.has(visit)) fail('visitType', 'value', '医疗类别应为门诊或住院');
  const admit = value(row, 'admitDate') ? normaliseDate(value(row, 'admitDate')) : undefined;
  if (value(row, 'admitDate') && !admit) fail('admitDate', 'dates', '入院日期不是有效日期');
  let discharge = value(row, 'dischargeDate') ? normaliseDate(value(row, 'dischargeDate')) : admit;
  if (value(row, 'dischargeDate') && !discharge) fail('dischargeDate', 'dates', '出院日期不是有效日期');
  if (!value(row, 'dischargeDate') && visit === '住院') {
    fail('dischargeDate', 'missing', '住院须填出院日期');
    discharge = undefined;
  }
  if (admit && discharge && discharge < admit)
    fail('dischargeDate', 'dates', `出院日期 ${discharge} 早于入院日期 ${admit}`);
  if (visit === '门诊' && admit && discharge && discharge !== admit)
    fail('dischargeDate', 'dates', '门诊结算的出院日期应与就诊日期相同（或不填）');
  const settled = value(row, 'settledOn') ? normaliseDate(value(row, 'settledOn')) : undefined;
  if (value(row, 'settledOn') && !settled) fail('settledOn', 'dates', '结算日期不是有效日期');
  const primary = value(row, 'primaryDx');
  if (primary && !ICD10.test(primary))
    fail('primaryDx', 'diagnosis', `主要诊断编码“${primary.slice(0, 16)}”不是ICD-10编码`);
  const others = splitDx(value(row, 'otherDx'));
  const wrong = others.filter((code) => !ICD10.test(code) || code.length > 16);
  if (wrong.length > 0) fail('otherDx', 'diagnosis', `其他诊断编码“${wrong[0]?.slice(0, 16)}”不是ICD-10编码`);
  if (others.length > 30) fail('otherDx', 'value', '其他诊断最多30个');
  const money = (field: Field) => {
    const text = value(row, field);
    if (!text) return 0;
    const number = decimal(text, 2, 12);
    if (number === undefined || number < 0)
      fail(field, 'value', `${fieldLabel(field)}应为不小于0、整数部分最多12位、最多两位小数的金额`);
    return number ?? 0;
  };
  const total = money('totalCost');
  const fund = money('fundPaid');
  const self = money('selfPaid');
  return {
    ok,
    idNumber,
    region,
    visit: visit as '门诊' | '住院',
    admit: admit ?? '',
    discharge: discharge ?? '',
    settled: settled ?? '',
    total,
    fund,
    self,
  };
}

function checkLine(
  row: RawRow,
  lineNo: number,
  header: Header,
  items: ReadonlyMap<string, FundItem>,
  add: (issue: Issue) => void,
): LineRow | undefined {
  let ok = true;
  const fail = (field: Field, code: RefusalCode, message: string) => {
    ok = false;
    add({ field, code, message });
  };
  for (const field of ['itemCode', 'quantity', 'unitPrice', 'amount', 'lineDate'] as const)
    if (!value(row, field)) fail(field, 'missing', `缺少${fieldLabel(field)}`);
  const code = value(row, 'itemCode');
  const item = code ? items.get(code) : undefined;
  if (code && !item) fail('itemCode', 'unknown_item', `医保目录中没有项目编码“${code.slice(0, 32)}”`);
  const category = value(row, 'itemCategory');
  if (category && !CATEGORIES.has(category))
    fail('itemCategory', 'value', '项目类别应为药品、诊疗、耗材或床位');
  else if (category && item && category !== item.category)
    fail('itemCategory', 'value', `项目类别“${category}”与医保目录（${item.category}）不符`);
  const quantityText = value(row, 'quantity');
  const quantity = quantityText ? decimal(quantityText, 3, 9) : undefined;
  if (quantityText && (quantity === undefined || quantity <= 0))
    fail(
      'quantity',
      'quantity',
      `数量“${quantityText.slice(0, 20)}”无效：须大于0，整数部分最多9位，最多三位小数`,
    );
  const priceText = value(row, 'unitPrice');
  const price = priceText ? decimal(priceText, 2, 10) : undefined;
  if (priceText && (price === undefined || price < 0))
    fail('unitPrice', 'value', '单价应为不小于0、整数部分最多10位、最多两位小数的金额');
  const amountText = value(row, 'amount');
  const amount = amountText ? decimal(amountText, 2, 12) : undefined;
  if (amountText && (amount === undefined || amount < 0))
    fail('amount', 'value', '金额应为不小于0、整数部分最多12位、最多两位小数的金额');
  if (ok && quantity !== undefined && price !== undefined && amount !== undefined) {
    const expected = Math.round(quantity * price * 100) / 100;
    if (Math.abs(expected - amount) > 0.01)
      fail('amount', 'amount', `金额 ${amount.toFixed(2)} 与数量×单价（${expected.toFixed(2)}）不符`);
  }
  const supplyText = value(row, 'daysSupply');
  const supply = supplyText ? Number(supplyText) : null;
  if (supplyText && (!Number.isInteger(supply) || (supply as number) < 1 || (supply as number) > 366))
    fail('daysSupply', 'value', '用药天数应为1至366的整数');
  const dateText = value(row, 'lineDate');
  const date = dateText ? normaliseDate(dateText) : undefined;
  if (dateText && !date) fail('lineDate', 'dates', '费用发生日期不是有效日期');
  else if (date && header.admit && header.discharge && (date < header.admit || date > header.discharge))
    fail('lineDate', 'dates', `费用发生日期 ${date} 不在入院至出院期间`);
  if (value(row, 'itemName').length > 200) fail('itemName', 'value', '项目名称最长200字');
  if (!ok || !item || quantity === undefined || price === undefined || amount === undefined || !date)
    return undefined;
  return {
    lineNo,
    itemCategory: item.category,
    itemCode: item.code,
    itemName: value(row, 'itemName') || item.name,
    quantity: quantity.toFixed(3),
    unitPrice: price.toFixed(2),
    amount: amount.toFixed(2),
    daysSupply: supply,
    lineDate: date,
  };
}

/** One canonical text of a settlement (the repo builds the same from stored rows). */
export function contentOf(row: SettlementRow): string {
  const head = [
    row.personKey,
    row.region,
    row.institutionCode,
    row.institutionName,
    row.institutionLevel,
    row.visitType,
    row.admitDate,
    row.dischargeDate,
    row.primaryDx,
    row.otherDx.join(','),
    Number(row.totalCost).toFixed(2),
    Number(row.fundPaid).toFixed(2),
    Number(row.selfPaid).toFixed(2),
    row.settledOn,
  ].join('|');
  const lines = row.lines.map((line) =>
    [
      line.lineNo,
      line.itemCategory,
      line.itemCode,
      line.itemName,
      Number(line.quantity).toFixed(3),
      Number(line.unitPrice).toFixed(2),
      Number(line.amount).toFixed(2),
      line.daysSupply ?? '',
      line.lineDate,
    ].join('|'),
  );
  return `${head}#${lines.join(';')}`;
}
