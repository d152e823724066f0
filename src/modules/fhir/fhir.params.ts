import { invalid, YidangError } from '../../shared/errors.js';

// FHIR search parameters as they arrive (a query string parsed by the server: a key may repeat), read
// strictly: a parameter this server does not know, a modifier or a repeat it does not take is refused
// with a Chinese OperationOutcome rather than ignored, so a client never mistakes a wider answer for
// the one it asked (the FHIR "strict" handling).

export type RawQuery = Record<string, string | string[] | undefined>;

/**
 * How a resource's own search parameter is read. `date`: days (YYYY, YYYY-MM, YYYY-MM-DD); `datetime`
 * also takes a time with its zone (an AuditEvent's instant), and is read as instants, whole days in
 * Beijing time.
 */
export type ParamKind = 'token' | 'reference' | 'date' | 'datetime';

export interface SearchSpec {
  params: Readonly<Record<string, ParamKind>>;
  includes: readonly string[];
}

export interface DateRange {
  /** First day (YYYY-MM-DD) the range covers, inclusive; absent: open. */
  from?: string;
  /** Last day, inclusive. */
  to?: string;
  /** A datetime parameter's range as instants: from `start` (inclusive) to `end` (exclusive). */
  start?: Date;
  end?: Date;
}

export interface Search {
  /** Each token or reference parameter given, by name (once each). */
  values: Map<string, string>;
  /** Each date parameter given, as one range (two may bound it: date=ge…&date=le…). */
  dates: Map<string, DateRange>;
  count: number;
  cursor?: number;
  includes: string[];
  unmask: boolean;
  purpose?: string;
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 100;
const MAX_VALUE = 200;
const COMMON = new Set(['_count', '_cursor', '_include', '_format', 'unmask', 'purpose']);

const bad = (message: string) => invalid('FHIR_PARAM_INVALID', message);
/** A parameter's name as shown back: short, printable. */
const shown = (name: string) => name.replace(/[^\x20-\x7e\u4e00-\u9fff]/g, '?').slice(0, 40);

/** The values given for one key, as a list. */
const listOf = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export function parseSearch(resource: string, raw: RawQuery, spec: SearchSpec): Search {
  const search: Search = {
    values: new Map(),
    dates: new Map(),
    count: DEFAULT_COUNT,
    includes: [],
    unmask: false,
  };
  for (const [name, given] of Object.entries(raw)) {
    const values = listOf(given);
    const kind = spec.params[name];
    if (!kind && !COMMON.has(name))
      throw new YidangError(
        'FHIR_PARAM_UNSUPPORTED',
        'invalid',
        `${resource} 不支持检索参数“${shown(name)}”；可用的参数：${[...Object.keys(spec.params), ...COMMON].join('、')}`,
      );
    for (const value of values)
      if (value.length > MAX_VALUE) throw bad(`参数 ${shown(name)} 的取值过长（最多 ${MAX_VALUE} 个字符）`);
    const most =
      kind === 'date' || kind === 'datetime' ? 2 : name === '_include' ? spec.includes.length || 1 : 1;
    if (values.length > most) throw bad(`参数 ${shown(name)} 最多出现 ${most} 次`);
    if (kind === 'date') search.dates.set(name, dateRange(name, values));
    else if (kind === 'datetime') search.dates.set(name, instantRange(name, values));
    else if (kind) {
      const value = (values[0] ?? '').trim();
      if (value === '') throw bad(`参数 ${name} 不能为空`);
      search.values.set(name, value);
    } else common(search, name, values, resource, spec);
  }
  return search;
}

function common(search: Search, name: string, values: string[], resource: string, spec: SearchSpec) {
  const value = values[0] ?? '';
  switch (name) {
    case '_count':
      if (!/^\d{1,6}$/.test(value) || Number(value) < 1)
        throw bad(`_count 应为 1–${MAX_COUNT} 的整数（每页条数）`);
      search.count = Math.min(Number(value), MAX_COUNT);
      return;
    case '_cursor':
      if (!/^\d{1,15}$/.test(value)) throw bad('_cursor 应为整数（翻页请原样使用上一页的 next 链接）');
      search.cursor = Number(value);
      return;
    case '_include':
      for (const include of values) {
        if (!spec.includes.includes(include))
          throw new YidangError(
            'FHIR_INCLUDE_UNSUPPORTED',
            'invalid',
            spec.includes.length
              ? `${resource} 不支持 _include=${shown(include)}；可用：${spec.includes.join('、')}`
              : `${resource} 不支持 _include`,
          );
        if (!search.includes.includes(include)) search.includes.push(include);
      }
      return;
    case '_format':
      if (!['json', 'application/json', 'application/fhir+json'].includes(value))
        throw bad('本接口只提供 JSON 格式（_format=json）');
      return;
    case 'unmask':
      if (value !== 'true' && value !== 'false') throw bad('unmask 应为 true 或 false');
      search.unmask = value === 'true';
      return;
    case 'purpose':
      search.purpose = value.trim() || undefined;
      return;
  }
}

const PREFIXES = ['eq', 'ge', 'le', 'gt', 'lt'] as const;
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** YYYY-MM-DD of a UTC date. */
const iso = (date: Date) => date.toISOString().slice(0, 10);

/** The first and last day a FHIR date of year, month or day precision covers. */
function daysOf(name: string, text: string): { first: Date; last: Date } {
  const match = DATE.exec(text);
  if (!match) throw bad(`${name} 的日期应为 YYYY、YYYY-MM 或 YYYY-MM-DD，可加前缀 eq、ge、le、gt、lt`);
  const year = Number(match[1]);
  const month = match[2] === undefined ? undefined : Number(match[2]);
  const day = match[3] === undefined ? undefined : Number(match[3]);
  if (year < 1900 || year > 2200) throw bad(`${name} 的年份应在 1900–2200 之间`);
  if (month !== undefined && (month < 1 || month > 12)) throw bad(`${name} 的月份无效`);
  const first = new Date(Date.UTC(year, (month ?? 1) - 1, day ?? 1));
  if (day !== undefined && first.getUTCDate() !== day) throw bad(`${name} 的日期不存在：${text}`);
  const last =
    day !== undefined
      ? first
      : month !== undefined
        ? new Date(Date.UTC(year, month, 0))
        : new Date(Date.UTC(year, 11, 31));
  return { first, last };
}

const shift = (date: Date, days: number) => new Date(date.getTime() + days * 86_400_000);

function dateRange(name: string, values: string[]): DateRange {
  const range: DateRange = {};
  const narrow = (from?: string, to?: string) => {
    if (from !== undefined && (range.from === undefined || from > range.from)) range.from = from;
    if (to !== undefined && (range.to === undefined || to < range.to)) range.to = to;
  };
  for (const value of values) {
    const text = value.trim();
    const prefix = PREFIXES.find((one) => text.startsWith(one));
    const { first, last } = daysOf(name, prefix ? text.slice(2) : text);
    if (prefix === undefined || prefix === 'eq') narrow(iso(first), iso(last));
    else if (prefix === 'ge') narrow(iso(first));
    else if (prefix === 'gt') narrow(iso(shift(last, 1)));
    else if (prefix === 'le') narrow(undefined, iso(last));
    else narrow(undefined, iso(shift(first, -1)));
  }
  return range;
}

// A FHIR dateTime with a time: hours and minutes at least, and then a zone (FHIR requires one).
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const BEIJING_MIDNIGHT = 'T00:00:00+08:00';
const DAY_MS = 86_400_000;

/** The instants a FHIR date or dateTime covers: [first, end). A day is a day in Beijing time. */
function instantsOf(name: string, text: string): { first: Date; end: Date } {
  const match = DATE_TIME.exec(text);
  if (!match) {
    const { first, last } = daysOf(name, text);
    return {
      first: new Date(`${iso(first)}${BEIJING_MIDNIGHT}`),
      end: new Date(new Date(`${iso(last)}${BEIJING_MIDNIGHT}`).getTime() + DAY_MS),
    };
  }
  const [, day, hours, minutes, seconds, fraction, zone] = match;
  daysOf(name, day as string);
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds ?? 0) > 59)
    throw bad(`${name} 的时间无效：${text.slice(0, 40)}`);
  if (zone !== 'Z' && (Number(zone?.slice(1, 3)) > 14 || Number(zone?.slice(4)) > 59))
    throw bad(`${name} 的时区无效：${text.slice(0, 40)}`);
  const first = new Date(text);
  if (Number.isNaN(first.getTime())) throw bad(`${name} 的时间无效：${text.slice(0, 40)}`);
  // As precise as it was written: to the minute, the second, or the fraction given.
  const step = seconds === undefined ? 60_000 : fraction === undefined ? 1000 : 1;
  return { first, end: new Date(first.getTime() + step) };
}

function instantRange(name: string, values: string[]): DateRange {
  const range: DateRange = {};
  const narrow = (start?: Date, end?: Date) => {
    if (start !== undefined && (range.start === undefined || start > range.start)) range.start = start;
    if (end !== undefined && (range.end === undefined || end < range.end)) range.end = end;
  };
  for (const value of values) {
    const text = value.trim();
    const prefix = PREFIXES.find((one) => text.startsWith(one));
    const { first, end } = instantsOf(name, prefix ? text.slice(2) : text);
    if (prefix === undefined || prefix === 'eq') narrow(first, end);
    else if (prefix === 'ge') narrow(first);
    else if (prefix === 'gt') narrow(end);
    else if (prefix === 'le') narrow(undefined, end);
    else narrow(undefined, first);
  }
  return range;
}

/** The id a reference parameter names: `Type/id` or a bare id, of the FHIR id syntax. */
export function referencedId(name: string, value: string, type: string): string {
  const id = value.startsWith(`${type}/`) ? value.slice(type.length + 1) : value;
  if (!/^[A-Za-z0-9.-]{1,64}$/.test(id)) throw bad(`参数 ${name} 应为 ${type}/<id>`);
  return id;
}

/** A token's code, with its system (`system|code`) checked when one is given. */
export function tokenCode(name: string, value: string, system: string): string {
  const bar = value.lastIndexOf('|');
  const code = (bar < 0 ? value : value.slice(bar + 1)).trim();
  const given = bar < 0 ? '' : value.slice(0, bar);
  if (given !== '' && given !== system) throw bad(`参数 ${name} 的编码系统应为 ${system}`);
  // An empty code would filter nothing and so answer more than was asked.
  if (code === '') throw bad(`参数 ${name} 缺少代码（system|code 或 code）`);
  return code;
}

/** Whether a day (YYYY-MM-DD) lies in the range. */
export const inRange = (day: string, range: DateRange | undefined) =>
  !range || ((range.from === undefined || day >= range.from) && (range.to === undefined || day <= range.to));
