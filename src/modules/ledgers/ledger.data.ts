import type { Db } from '../../db/database.js';
import { openIdNumber } from '../../shared/field-cipher.js';
import type { LedgerDocument, LedgerSection } from './ledger.document.js';
import {
  certificates,
  countActive,
  employeeInsured,
  enrollmentLedger,
  movements,
  type Regions,
  settlements,
  settlementTotals,
} from './ledger.repo.js';
import { LEDGER_KINDS, type LedgerKind } from './ledger-category.js';
import type { AssistanceIdentity, Scheme } from './ledgers.tables.js';
import { IDENTITY_NAMES } from './reconcile.findings.js';

// The four ledgers (四大台账) as documents: each one's cover summary and tables, from the database as
// of its cut-off or for its period. Covers state counts computed from the rows they summarise.

export type LedgerPeriod = { asOf: string } | { month: string } | { from: string; to: string };

export interface LedgerRequest {
  kind: LedgerKind;
  period: LedgerPeriod;
  agency: string;
  madeBy: string;
  madeAt: Date;
  /** Region-code prefixes of the people listed (the caller's scope); null: every region. */
  regions: Regions;
}

const SCHEME_NAMES: Record<Scheme, string> = { employee: '职工医保', resident: '居民医保' };
const END_NAMES: Record<string, string> = { interrupted: '中断', switched: '转居民医保', exited: '退出' };
const identityName = (identity: AssistanceIdentity) => IDENTITY_NAMES[identity];
const id = (sealed: string) => openIdNumber(sealed) ?? '';
const chineseDay = (day: string) =>
  `${Number(day.slice(0, 4))}年${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;
const yuan = (value: string | number) =>
  Number(value).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** People (distinct persons) per key: one person on two rows under one key counts once. */
function peopleBy<T extends { personId: number }>(
  rows: readonly T[],
  key: (row: T) => string,
): Map<string, number> {
  const people = new Map<string, Set<number>>();
  for (const row of rows) {
    const set = people.get(key(row)) ?? new Set<number>();
    set.add(row.personId);
    people.set(key(row), set);
  }
  return new Map([...people].map(([label, set]) => [label, set.size]));
}

const peopleIn = (rows: ReadonlyArray<{ personId: number }>) => new Set(rows.map((row) => row.personId)).size;

/**
 * A table's 合计 in words: 人 counts persons, never rows or visits (人次 is for settlements only); when
 * a person takes more than one row (two certificates, two spells of employee insurance), the rows are
 * said too, so the total agrees with both the cover and the rows a reviewer counts.
 */
function peopleTotal(rows: ReadonlyArray<{ personId: number }>, rowWord: string): string {
  const people = peopleIn(rows);
  return people === rows.length ? `${people} 人` : `${people} 人（${rows.length} ${rowWord}）`;
}

/** The first and last day of YYYY-MM, and the day before it began. */
export function monthBounds(month: string): { from: string; to: string; before: string } {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const first = new Date(Date.UTC(year, monthNumber - 1, 1));
  const last = new Date(Date.UTC(year, monthNumber, 0));
  const before = new Date(Date.UTC(year, monthNumber - 1, 0));
  const day = (date: Date) => date.toISOString().slice(0, 10);
  return { from: day(first), to: day(last), before: day(before) };
}

const PERSON_COLUMNS = [
  { key: 'index', header: '序号', width: 6, kind: 'count' as const },
  { key: 'name', header: '姓名', width: 10 },
  { key: 'idNumber', header: '身份证号', width: 20 },
];

async function enrollmentDocument(
  db: Db,
  asOf: string,
  regions: Regions,
): Promise<Omit<LedgerDocument, 'agency' | 'madeAt' | 'madeBy'>> {
  const rows = await enrollmentLedger(db, asOf, regions);
  // One row per person (enrollmentLedger), so rows, people and the counts below agree.
  const people = peopleIn(rows);
  const byIdentity = peopleBy(rows, (row) => identityName(row.identity));
  const enrolled = peopleIn(rows.filter((row) => row.scheme !== null));
  const section: LedgerSection = {
    title: '参保台账',
    columns: [
      ...PERSON_COLUMNS,
      { key: 'address', header: '地址', width: 24 },
      // Wide enough for 脱贫人口（建档立卡） on one line.
      { key: 'identity', header: '人员类别', width: 19 },
      { key: 'scheme', header: '参保类别', width: 10 },
      { key: 'startedOn', header: '参保时间', width: 11, kind: 'date' },
      { key: 'employer', header: '参保单位', width: 22 },
      { key: 'paidThrough', header: '保期截至', width: 11, kind: 'date' },
    ],
    rows: rows.map((row, index) => ({
      index: index + 1,
      name: row.name,
      idNumber: id(row.idNumber),
      address: row.address,
      identity: identityName(row.identity),
      scheme: row.scheme ? SCHEME_NAMES[row.scheme] : '未参保',
      startedOn: row.startedOn,
      employer: row.employer,
      paidThrough: row.scheme === 'employee' ? row.paidThrough : null,
    })),
    totals: { index: '合计', name: peopleTotal(rows, '行') },
  };
  return {
    title: `医保扶贫${LEDGER_KINDS.enrollment}`,
    period: `截至 ${chineseDay(asOf)}`,
    cover: [
      { label: '名单截至时间', value: chineseDay(asOf) },
      { label: '在册人数', value: `${people} 人` },
      ...[...byIdentity].map(([label, count]) => ({ label, value: `${count} 人` })),
      { label: '已参保', value: `${enrolled} 人` },
      { label: '未参保', value: `${people - enrolled} 人` },
      { label: '参保率', value: people === 0 ? '—' : `${((enrolled / people) * 100).toFixed(2)}%` },
    ],
    sections: [section],
  };
}

function paymentOf(row: { paidOn: string | null; amount: string | null; subsidy: string | null }): string {
  if (!row.paidOn) return '未缴费';
  return `已缴 ${row.paidOn}（${yuan(row.amount ?? 0)} 元，资助 ${yuan(row.subsidy ?? 0)} 元）`;
}

async function dynamicDocument(
  db: Db,
  month: string,
  regions: Regions,
): Promise<Omit<LedgerDocument, 'agency' | 'madeAt' | 'madeBy'>> {
  const { from, to, before } = monthBounds(month);
  const [added, exited, employees, previous, current] = await Promise.all([
    movements(db, 'included', from, to, regions),
    movements(db, 'exited', from, to, regions),
    employeeInsured(db, from, to, regions),
    countActive(db, before, regions),
    countActive(db, to, regions),
  ]);
  const unpaid = peopleIn(added.filter((row) => !row.paidOn));
  const base = (row: { name: string; idNumber: string; identity: AssistanceIdentity }, index: number) => ({
    index: index + 1,
    name: row.name,
    idNumber: id(row.idNumber),
    identity: identityName(row.identity),
  });
  const identityColumn = { key: 'identity', header: '人员类别', width: 17 };
  return {
    title: `医保扶贫${LEDGER_KINDS.dynamic}`,
    period: `${Number(month.slice(0, 4))}年${Number(month.slice(5, 7))}月`,
    cover: [
      { label: '统计期间', value: `${chineseDay(from)}至${chineseDay(to)}` },
      { label: '上月末在册人数', value: `${previous} 人` },
      { label: '本月新增', value: `${peopleIn(added)} 人` },
      { label: '本月退出', value: `${peopleIn(exited)} 人` },
      { label: '本月末在册人数', value: `${current} 人` },
      { label: '较上月增减', value: `${current - previous >= 0 ? '+' : ''}${current - previous} 人` },
      { label: '新增人员未缴费', value: `${unpaid} 人` },
      { label: '参保职工人员', value: `${peopleIn(employees)} 人` },
    ],
    sections: [
      {
        title: '新增人员动态台账',
        columns: [
          ...PERSON_COLUMNS,
          identityColumn,
          { key: 'includedOn', header: '纳入时间', width: 11, kind: 'date' },
          { key: 'scheme', header: '参保类别', width: 10 },
          { key: 'employer', header: '参保单位', width: 22 },
          { key: 'payment', header: '缴费情况', width: 30 },
        ],
        rows: added.map((row, index) => ({
          ...base(row, index),
          includedOn: row.includedOn,
          scheme: row.scheme ? SCHEME_NAMES[row.scheme] : '未参保',
          employer: row.employer,
          payment: paymentOf(row),
        })),
        totals: { index: '合计', name: peopleTotal(added, '行') },
      },
      {
        title: '退出人员动态台账',
        columns: [
          ...PERSON_COLUMNS,
          identityColumn,
          { key: 'includedOn', header: '纳入时间', width: 11, kind: 'date' },
          { key: 'exitedOn', header: '退出时间', width: 11, kind: 'date' },
          { key: 'scheme', header: '退出时参保类别', width: 12 },
          { key: 'employer', header: '参保单位', width: 22 },
        ],
        rows: exited.map((row, index) => ({
          ...base(row, index),
          includedOn: row.includedOn,
          exitedOn: row.exitedOn,
          scheme: row.scheme ? SCHEME_NAMES[row.scheme] : '未参保',
          employer: row.employer,
        })),
        totals: { index: '合计', name: peopleTotal(exited, '行') },
      },
      {
        title: '参保职工人员动态台账',
        columns: [
          ...PERSON_COLUMNS,
          identityColumn,
          { key: 'employer', header: '单位名称', width: 24 },
          { key: 'startedOn', header: '职工医保缴费时间', width: 12, kind: 'date' },
          { key: 'endedOn', header: '职工医保中断缴费时间', width: 12, kind: 'date' },
          { key: 'residentFrom', header: '转居民医保缴费时间', width: 12, kind: 'date' },
          { key: 'paidThrough', header: '保期截至', width: 11, kind: 'date' },
          { key: 'state', header: '状态', width: 10 },
        ],
        rows: employees.map((row, index) => ({
          ...base(row, index),
          employer: row.employer,
          startedOn: row.startedOn,
          endedOn: row.endedOn,
          residentFrom: row.residentFrom,
          paidThrough: row.paidThrough,
          state: row.endReason ? (END_NAMES[row.endReason] ?? row.endReason) : '在保',
        })),
        totals: { index: '合计', name: peopleTotal(employees, '条参保记录') },
      },
    ],
  };
}

/** The cover's period line of a 待遇享受台账: it names the date the period applies to. */
export const BENEFITS_PERIOD_LABEL = '统计期间（按结算日期）';

const MONEY_KEYS = [
  'totalCost',
  'insurancePaid',
  'assistancePaid',
  'criticalPaid',
  'reassistancePaid',
  'assistanceTotal',
] as const;

async function benefitsDocument(
  db: Db,
  from: string,
  to: string,
  regions: Regions,
): Promise<Omit<LedgerDocument, 'agency' | 'madeAt' | 'madeBy'>> {
  const [rows, totals] = await Promise.all([
    settlements(db, from, to, regions),
    settlementTotals(db, from, to, regions),
  ]);
  const cents = (value: string) => Math.round(Number(value) * 100);
  return {
    title: `医保扶贫${LEDGER_KINDS.benefits}`,
    period: `${chineseDay(from)}至${chineseDay(to)}`,
    cover: [
      // Rows are chosen by the day they were settled, so a visit may begin before the period.
      { label: BENEFITS_PERIOD_LABEL, value: `${chineseDay(from)}至${chineseDay(to)}` },
      { label: '说明', value: '按结算日期统计，就诊时间可早于统计期间' },
      {
        label: '报销人次',
        value: `${totals.visits} 人次（门诊 ${totals.outpatient}，住院 ${totals.inpatient}）`,
      },
      { label: '报销人数', value: `${totals.people} 人` },
      { label: '发生总金额', value: `${yuan(totals.totalCost)} 元` },
      { label: '基本医保报销', value: `${yuan(totals.insurancePaid)} 元` },
      { label: '医疗救助报销金额', value: `${yuan(totals.assistancePaid)} 元` },
      { label: '重特大疾病医疗救助金额', value: `${yuan(totals.criticalPaid)} 元` },
      { label: '再救助金额', value: `${yuan(totals.reassistancePaid)} 元` },
      { label: '救助金额合计', value: `${yuan(totals.assistanceTotal)} 元` },
    ],
    sections: [
      {
        title: '待遇享受台账',
        columns: [
          ...PERSON_COLUMNS,
          { key: 'identity', header: '人员类别', width: 11 },
          { key: 'visitType', header: '就诊类别', width: 5 },
          { key: 'institution', header: '就诊机构', width: 13 },
          // 2025-06-20至 on the first line, the last day under it.
          { key: 'visit', header: '就诊时间', width: 14 },
          { key: 'settledOn', header: '结算日期', width: 11, kind: 'date' },
          { key: 'totalCost', header: '发生总金额', width: 11, kind: 'money' },
          { key: 'insurancePaid', header: '基本医保报销', width: 11, kind: 'money' },
          { key: 'assistancePaid', header: '医疗救助', width: 10, kind: 'money' },
          { key: 'criticalPaid', header: '重特大疾病医疗救助', width: 10, kind: 'money' },
          { key: 'reassistancePaid', header: '再救助', width: 10, kind: 'money' },
          { key: 'assistanceTotal', header: '救助合计', width: 10, kind: 'money' },
        ],
        rows: rows.map((row, index) => ({
          index: index + 1,
          name: row.name,
          idNumber: id(row.idNumber),
          identity: identityName(row.identity),
          visitType: row.visitType === 'inpatient' ? '住院' : '门诊',
          institution: row.institution,
          visit: row.visitStart === row.visitEnd ? row.visitStart : `${row.visitStart}至${row.visitEnd}`,
          settledOn: row.settledOn,
          totalCost: Number(row.totalCost),
          insurancePaid: Number(row.insurancePaid),
          assistancePaid: Number(row.assistancePaid),
          criticalPaid: Number(row.criticalPaid),
          reassistancePaid: Number(row.reassistancePaid),
          // Summed in cents: three amounts in yuan added as floats can be off by a cent.
          assistanceTotal:
            (cents(row.assistancePaid) + cents(row.criticalPaid) + cents(row.reassistancePaid)) / 100,
        })),
        totals: {
          index: '合计',
          name: `${totals.visits} 人次`,
          ...Object.fromEntries(MONEY_KEYS.map((key) => [key, Number(totals[key])])),
        },
      },
    ],
  };
}

async function diseaseDocument(
  db: Db,
  kind: 'chronic' | 'two-disease',
  asOf: string,
  regions: Regions,
): Promise<Omit<LedgerDocument, 'agency' | 'madeAt' | 'madeBy'>> {
  const rows = await certificates(
    db,
    kind === 'chronic' ? ['chronic'] : ['hypertension', 'diabetes'],
    asOf,
    regions,
  );
  const people = peopleIn(rows);
  const byDisease = peopleBy(rows, (row) => row.disease);
  return {
    title: `医保扶贫${LEDGER_KINDS[kind]}`,
    period: `截至 ${chineseDay(asOf)}`,
    cover: [
      { label: '截至时间', value: chineseDay(asOf) },
      { label: '办理人数', value: `${people} 人` },
      ...[...byDisease].map(([label, count]) => ({ label, value: `${count} 人` })),
    ],
    sections: [
      {
        title: LEDGER_KINDS[kind],
        columns: [
          ...PERSON_COLUMNS,
          { key: 'identity', header: '人员类别', width: 19 },
          { key: 'address', header: '地址', width: 24 },
          { key: 'disease', header: kind === 'chronic' ? '慢性病病种' : '两病病种', width: 16 },
          { key: 'issuedOn', header: '办理时间', width: 11, kind: 'date' },
        ],
        rows: rows.map((row, index) => ({
          index: index + 1,
          name: row.name,
          idNumber: id(row.idNumber),
          identity: identityName(row.identity),
          address: row.address,
          disease: row.disease,
          issuedOn: row.issuedOn,
        })),
        totals: { index: '合计', name: peopleTotal(rows, '条认定') },
      },
    ],
  };
}

export async function buildLedger(db: Db, request: LedgerRequest): Promise<LedgerDocument> {
  const { kind, period, regions } = request;
  let body: Omit<LedgerDocument, 'agency' | 'madeAt' | 'madeBy'>;
  if (kind === 'dynamic' && 'month' in period) body = await dynamicDocument(db, period.month, regions);
  else if (kind === 'benefits' && 'from' in period)
    body = await benefitsDocument(db, period.from, period.to, regions);
  else if (kind === 'enrollment' && 'asOf' in period)
    body = await enrollmentDocument(db, period.asOf, regions);
  else if ((kind === 'chronic' || kind === 'two-disease') && 'asOf' in period)
    body = await diseaseDocument(db, kind, period.asOf, regions);
  else throw new Error(`ledger ${kind} built with the wrong period`);
  return { ...body, agency: request.agency, madeAt: request.madeAt, madeBy: request.madeBy };
}
