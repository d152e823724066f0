import { isValidCalendarDate } from '../catalog/id-number.js';
import type { Cell } from '../ingest/import.table.js';
import type { EnrollmentEnd, Scheme } from './ledgers.tables.js';
import { type ListRow, type ParsedList, readList } from './reconcile.list.js';

// Reads an extract of the insured roster (参保人员名册) from the bureau's business system: one row per
// enrollment (a person switched from employee to resident insurance has two). Names and ID numbers are
// cleaned as other departments' lists are; a row that cannot be trusted whole is rejected with its
// reason, and nothing of it is stored.

const MORE_HEADERS = {
  scheme: ['参保类别', '险种', '参保险种', '险种类型', '险种名称', '参保类型'],
  startedOn: ['参保时间', '参保日期', '参保开始日期', '开始参保时间', '首次参保时间', '开始日期'],
  employer: ['参保单位', '单位名称', '工作单位', '所在单位', '用人单位'],
  paidThrough: ['保期截至', '缴费截至', '缴费截止', '缴费至', '保期截止', '缴费截止日期'],
  endedOn: ['停保时间', '停保日期', '终止参保时间', '终止日期', '中断日期'],
  endReason: ['停保原因', '终止原因', '中断原因'],
} as const;
type More = keyof typeof MORE_HEADERS;

/** The longest values the roster's columns hold (varchar lengths of the ledgers migration). */
const MAX_NAME = 50;
const MAX_EMPLOYER = 100;
const MAX_ADDRESS = 200;
const EARLIEST = '1951-01-01';

export interface RosterEnrollmentRow {
  scheme: Scheme;
  employer: string | null;
  startedOn: string;
  paidThrough: string | null;
  endedOn: string | null;
  endReason: EnrollmentEnd | null;
}

export interface RosterRow {
  line: number;
  name: string;
  idNumber: string;
  address: string | null;
  /** Null: the person is registered without an enrollment in this extract. */
  enrollment: RosterEnrollmentRow | null;
}

/** A row not stored, by its line in the file (no name or ID: the report may be shared). */
export interface RosterRejection {
  line: number;
  reasons: string[];
}

export interface ParsedRoster {
  format: ParsedList['format'];
  source: string;
  headerLine: number;
  columns: Record<string, string>;
  rows: RosterRow[];
  rejected: RosterRejection[];
  skipped: ParsedList['skipped'];
}

const SCHEMES: ReadonlyArray<[RegExp, Scheme]> = [
  [/职工/, 'employee'],
  [/居民|城乡|新农合|新型农村合作医疗|城镇居民/, 'resident'],
];
const END_REASONS: ReadonlyArray<[RegExp, EnrollmentEnd]> = [
  [/转.*居民|转居|转入居民/, 'switched'],
  [/退出|死亡|注销|终止|迁出|转出/, 'exited'],
  [/中断|断缴|暂停|停缴|欠费|离职|解除/, 'interrupted'],
];

/** A day as business systems and Excel write it: 2024-03-05, 2024/3/5, 2024.3.5, 20240305, 2024年3月5日. */
export function readDay(text: string): string | undefined {
  const trimmed = text.normalize('NFKC').trim();
  const match =
    /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/.exec(trimmed) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(trimmed);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (!isValidCalendarDate(year, month, day)) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The latest day a roster may name: resident insurance is paid in the autumn for the next year, so
 * an extract lists enrollments starting (and employee coverage ending) months ahead, not years.
 */
const latest = (today: string) => `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;

const textOf = (cell: Cell | undefined) => cell?.text.normalize('NFKC').trim() ?? '';

function dayCell(cell: Cell | undefined, label: string, today: string, reasons: string[]): string | null {
  if (cell?.problem) {
    reasons.push(`${label}${cell.problem}`);
    return null;
  }
  const text = textOf(cell);
  if (!text) return null;
  const day = readDay(text);
  if (!day) reasons.push(`${label}“${text}”不是有效日期（应如 2024-03-05）`);
  else if (day < EARLIEST) reasons.push(`${label}${day}早于1951年`);
  else if (day > latest(today)) reasons.push(`${label}${day}晚于今天一年以上`);
  else return day;
  return null;
}

function boundedText(cell: Cell | undefined, label: string, max: number, reasons: string[]): string | null {
  if (cell?.problem) {
    reasons.push(`${label}${cell.problem}`);
    return null;
  }
  const text = textOf(cell);
  if ([...text].length > max) reasons.push(`${label}过长（最多${max}字）`);
  return text === '' ? null : text;
}

function readEnrollment(
  more: Partial<Record<More, Cell>>,
  today: string,
  reasons: string[],
): RosterEnrollmentRow | null {
  const schemeText = textOf(more.scheme);
  const startedOn = dayCell(more.startedOn, '参保时间', today, reasons);
  const employer = boundedText(more.employer, '参保单位', MAX_EMPLOYER, reasons);
  const paidThrough = dayCell(more.paidThrough, '保期截至', today, reasons);
  const endedOn = dayCell(more.endedOn, '停保时间', today, reasons);
  const reasonText = textOf(more.endReason);
  if (!schemeText) {
    if (startedOn || employer || paidThrough || endedOn)
      reasons.push('有参保信息但缺少参保类别（职工或居民）');
    return null;
  }
  const scheme = SCHEMES.find(([pattern]) => pattern.test(schemeText))?.[1];
  if (!scheme) reasons.push(`参保类别“${schemeText}”无法识别（应含“职工”或“居民”）`);
  if (!startedOn && !more.startedOn?.problem && !textOf(more.startedOn)) reasons.push('缺少参保时间');
  if (startedOn && endedOn && endedOn < startedOn) reasons.push(`停保时间${endedOn}早于参保时间${startedOn}`);
  if (startedOn && paidThrough && paidThrough < startedOn)
    reasons.push(`保期截至${paidThrough}早于参保时间${startedOn}`);
  let endReason: EnrollmentEnd | null = null;
  if (reasonText) {
    endReason = END_REASONS.find(([pattern]) => pattern.test(reasonText))?.[1] ?? null;
    if (!endReason) reasons.push(`停保原因“${reasonText}”无法识别（如：中断、转居民、退出）`);
    else if (!textOf(more.endedOn)) reasons.push('有停保原因但缺少停保时间');
  } else if (endedOn) endReason = 'interrupted';
  if (!scheme || !startedOn) return null;
  return {
    scheme,
    // A resident has no employer: a value there is another column's text, not kept.
    employer: scheme === 'employee' ? employer : null,
    startedOn,
    paidThrough: scheme === 'employee' ? paidThrough : null,
    endedOn,
    endReason,
  };
}

const sameEnrollment = (a: RosterEnrollmentRow | null, b: RosterEnrollmentRow | null) =>
  JSON.stringify(a) === JSON.stringify(b);

function rowOf(listRow: ListRow, today: string): RosterRow | RosterRejection {
  const reasons: string[] = [];
  // A row listed twice is settled below, by what its enrollment says.
  reasons.push(
    ...listRow.problems.filter((problem) => listRow.duplicateOf === undefined || !problem.startsWith('与第')),
  );
  const { idProblem } = listRow;
  if (idProblem) reasons.push(idProblem.startsWith('身份证号') ? idProblem : `身份证号${idProblem}`);
  const more = (listRow.more ?? {}) as Partial<Record<More, Cell>>;
  const enrollment = readEnrollment(more, today, reasons);
  const address = listRow.address ?? null;
  if (address && address.length > MAX_ADDRESS) reasons.push(`地址过长（最多${MAX_ADDRESS}字）`);
  if (listRow.name.length > MAX_NAME) reasons.push(`姓名过长（最多${MAX_NAME}字）`);
  if (reasons.length > 0) return { line: listRow.line, reasons };
  return { line: listRow.line, name: listRow.name, idNumber: listRow.idNumber, address, enrollment };
}

/** Reads a roster extract (CSV or XLSX, GBK or UTF-8); throws only when the file as a whole cannot be read. */
export async function readRoster(content: Buffer, options: { today?: Date } = {}): Promise<ParsedRoster> {
  const todayDate = options.today ?? new Date();
  const today = new Date(todayDate.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
  // A roster's 人员类别 (在职, 退休) is not an assistance identity: that column is not read.
  const list = await readList(content, { today: todayDate, more: MORE_HEADERS, identity: false });
  const rows: RosterRow[] = [];
  const rejected: RosterRejection[] = [];
  // One person per ID; one enrollment per ID, scheme and start.
  const enrollmentsOf = new Map<string, Map<string, RosterRow>>();
  for (const listRow of list.rows) {
    const read = rowOf(listRow, today);
    if ('reasons' in read) {
      rejected.push(read);
      continue;
    }
    const key = read.enrollment ? `${read.enrollment.scheme}:${read.enrollment.startedOn}` : '';
    const earlier = enrollmentsOf.get(read.idNumber)?.get(key);
    if (earlier) {
      if (!sameEnrollment(earlier.enrollment, read.enrollment) || earlier.address !== read.address)
        rejected.push({ line: read.line, reasons: [`与第${earlier.line}行是同一参保记录，但内容不同`] });
      continue;
    }
    const byKey = enrollmentsOf.get(read.idNumber) ?? new Map<string, RosterRow>();
    byKey.set(key, read);
    enrollmentsOf.set(read.idNumber, byKey);
    rows.push(read);
  }
  return {
    format: list.format,
    source: list.source,
    headerLine: list.headerLine,
    columns: { ...list.columns, ...list.moreColumns },
    rows,
    rejected,
    skipped: list.skipped,
  };
}
