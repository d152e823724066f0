import { beijingDate } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { isValidCalendarDate } from '../catalog/id-number.js';
import type { Cell } from '../import/import.table.js';
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
  /** Data rows read, refused and repeated ones included. */
  read: number;
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
    /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(
      trimmed,
    ) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(trimmed);
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

// A database text column refuses NUL, and no roster value has a line break or a tab in it.
const CONTROL = /\p{Cc}/u;

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
  if (CONTROL.test(text)) reasons.push(`${label}含有控制字符`);
  return text === '' ? null : text;
}

function readEnrollment(
  more: Partial<Record<More, Cell>>,
  today: string,
  reasons: string[],
): RosterEnrollmentRow | null {
  const schemeText = textOf(more.scheme);
  const scheme = SCHEMES.find(([pattern]) => pattern.test(schemeText))?.[1];
  // A resident has no employer nor 保期: values there are another column's, neither kept nor checked.
  const employee = scheme === 'employee';
  const startedOn = dayCell(more.startedOn, '参保时间', today, reasons);
  const employer = employee ? boundedText(more.employer, '参保单位', MAX_EMPLOYER, reasons) : null;
  const paidThrough = employee ? dayCell(more.paidThrough, '保期截至', today, reasons) : null;
  const endedOn = dayCell(more.endedOn, '停保时间', today, reasons);
  const reasonText = textOf(more.endReason);
  if (!schemeText) {
    if (startedOn || textOf(more.employer) || textOf(more.paidThrough) || endedOn || reasonText)
      reasons.push('有参保信息但缺少参保类别（职工或居民）');
    return null;
  }
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
  return { scheme, employer, startedOn, paidThrough, endedOn, endReason };
}

const sameEnrollment = (a: RosterEnrollmentRow | null, b: RosterEnrollmentRow | null) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * The list reader's words without what they quote: a name, a region code, a birth date or the raw
 * ID cell. The roster's report names lines only, so it may be shown or sent anywhere.
 */
const unquoted = (problem: string) =>
  problem
    .replace(/（第\d+行为“[^”]*”）/g, '')
    .replace(/“[^”]*”/g, '')
    .trim();

function rowOf(
  listRow: ListRow,
  today: string,
  conflicting: ReadonlyMap<string, number>,
): RosterRow | RosterRejection {
  const reasons: string[] = [];
  // A row listed twice is settled below, by what its enrollment says; an ID under two names here or
  // on any other line is refused on every line, whichever name came first.
  const other = conflicting.get(listRow.idNumber);
  const problems = listRow.problems.filter(
    (problem) => !problem.startsWith('与第') && !problem.startsWith('身份证号与第'),
  );
  reasons.push(...problems.map(unquoted));
  if (other !== undefined) reasons.push(`身份证号在第${other}行另有不同姓名`);
  const { idProblem } = listRow;
  if (idProblem)
    reasons.push(unquoted(idProblem.startsWith('身份证号') ? idProblem : `身份证号${idProblem}`));
  const more = (listRow.more ?? {}) as Partial<Record<More, Cell>>;
  const enrollment = readEnrollment(more, today, reasons);
  const address = listRow.address ?? null;
  if (address && address.length > MAX_ADDRESS) reasons.push(`地址过长（最多${MAX_ADDRESS}字）`);
  if (address && CONTROL.test(address)) reasons.push('地址含有控制字符');
  if (listRow.name.length > MAX_NAME) reasons.push(`姓名过长（最多${MAX_NAME}字）`);
  if (reasons.length > 0) return { line: listRow.line, reasons };
  return { line: listRow.line, name: listRow.name, idNumber: listRow.idNumber, address, enrollment };
}

/** For each ID written under two names in the file, on each of its lines: another line's number. */
function conflictingIds(rows: readonly ListRow[]): Map<string, number> {
  const lines = new Map<string, number[]>();
  for (const row of rows)
    if (row.conflictsWith !== undefined)
      lines.set(row.idNumber, [...(lines.get(row.idNumber) ?? []), row.line]);
  const other = new Map<string, number>();
  for (const [idNumber, found] of lines) other.set(idNumber, found[0] as number);
  return other;
}

/** Reads a roster extract (CSV or XLSX, GBK or UTF-8); throws only when the file as a whole cannot be read. */
export async function readRoster(content: Buffer, options: { today?: Date } = {}): Promise<ParsedRoster> {
  const todayDate = options.today ?? new Date();
  const today = beijingDate(todayDate);
  // A roster's 人员类别 (在职, 退休) is not an assistance identity: that column is not read.
  const list = await readList(content, { today: todayDate, more: MORE_HEADERS, identity: false });
  // Without these the file is a list of people, not a roster: importing it would register everyone.
  for (const [key, label] of [
    ['scheme', '参保类别'],
    ['startedOn', '参保时间'],
  ] as const)
    if (!list.moreColumns?.[key])
      throw invalid(
        'ROSTER_COLUMN_MISSING',
        `第${list.headerLine}行的表头中没有${label}列（应为：${MORE_HEADERS[key].join('、')} 之一）；名册须有参保类别和参保时间`,
      );
  const conflicting = conflictingIds(list.rows);
  const rejected: RosterRejection[] = [];
  // One enrollment per ID, scheme and start: the same one twice is kept once, twice with different
  // content is refused on both lines (which one is right cannot be told).
  const groups = new Map<string, RosterRow[]>();
  for (const listRow of list.rows) {
    const read = rowOf(listRow, today, conflicting);
    if ('reasons' in read) {
      rejected.push(read);
      continue;
    }
    const key = `${read.idNumber}:${read.enrollment ? `${read.enrollment.scheme}:${read.enrollment.startedOn}` : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), read]);
  }
  const rows: RosterRow[] = [];
  for (const group of groups.values()) {
    const [first, ...rest] = group as [RosterRow, ...RosterRow[]];
    const differing = rest.filter(
      (row) => !sameEnrollment(first.enrollment, row.enrollment) || first.address !== row.address,
    );
    if (differing.length === 0) rows.push(first);
    else
      for (const row of group)
        rejected.push({
          line: row.line,
          reasons: [
            `与第${group
              .filter((other) => other !== row)
              .map((other) => other.line)
              .join('、')}行是同一参保记录，但内容不同`,
          ],
        });
  }
  rejected.sort((a, b) => a.line - b.line);
  return {
    format: list.format,
    source: list.source,
    headerLine: list.headerLine,
    columns: { ...list.columns, ...list.moreColumns },
    read: list.rows.length,
    rows,
    rejected,
    skipped: list.skipped,
  };
}
