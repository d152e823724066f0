import type { FieldIssue } from '../../shared/errors.js';
import { isRegionCode } from '../regions/regions.js';
import type { ExtraFieldSpec, PaperLocation } from './catalog.tables.js';
import {
  checkIdNumber,
  idNumberInTextProblem,
  isValidCalendarDate,
  maskIdNumbersInText,
} from './id-number.js';
import {
  CARRIERS,
  type Carrier,
  FIELD_LABELS,
  type ItemField,
  MAX_LENGTHS,
  SECURITY_LEVELS,
  SENSITIVITIES,
  type SecurityLevel,
  type Sensitivity,
} from './item.schema.js';
import { isRetentionPeriod, RETENTION_PERIODS, type RetentionPeriod } from './retention.js';

// Field-by-field checks shared by filing and editing. Every issue names the field and says, in
// Chinese, what is wrong; all issues are collected so a clerk can fix a record in one pass.

const MAX_EXTRA_JSON = 8192;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const AMOUNT_RE = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;

export class IssueCollector {
  readonly issues: FieldIssue[] = [];
  constructor(private readonly prefix = '') {}

  add(field: string, message: string): void {
    const label = (FIELD_LABELS as Record<string, string>)[field];
    this.issues.push({ field: `${this.prefix}${field}`, message: label ? `${label}${message}` : message });
  }

  /** An issue whose message already names the field. */
  addNamed(field: string, message: string): void {
    this.issues.push({ field: `${this.prefix}${field}`, message });
  }
}

/**
 * Reports an ID number typed into a free-text field (the number quoted masked); true when found.
 * An ID number has its own sealed field: anywhere else it would be stored and shown in the clear.
 */
export function reportIdNumberInText(
  out: IssueCollector,
  field: string,
  label: string,
  value: unknown,
): boolean {
  const problem = idNumberInTextProblem(label, value);
  if (problem) out.addNamed(field, problem);
  return problem !== undefined;
}

export const charLength = (value: string): number => [...value].length;

/** A trimmed string, undefined when absent or blank; reports a wrong type or length. */
export function readText(
  out: IssueCollector,
  raw: Record<string, unknown>,
  field: ItemField,
  required: boolean,
): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    if (required) out.add(field, '为必填项');
    return undefined;
  }
  if (typeof value !== 'string') {
    out.add(field, '应为文本');
    return undefined;
  }
  const trimmed = value.trim();
  const max = MAX_LENGTHS[field];
  if (max !== undefined && charLength(trimmed) > max) {
    out.add(field, `过长：最多 ${max} 个字符，实际 ${charLength(trimmed)} 个`);
    return undefined;
  }
  if (CONTROL_CHARS.test(trimmed)) {
    out.add(field, '含有控制字符');
    return undefined;
  }
  if (reportIdNumberInText(out, field, FIELD_LABELS[field], trimmed)) return undefined;
  return trimmed;
}

export function checkDate(value: string, today: Date, allowFuture = false): string | undefined {
  const match = DATE_RE.exec(value);
  if (!match) return '格式应为 YYYY-MM-DD';
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (!isValidCalendarDate(year, month, day)) return `“${value}”不是有效日期`;
  if (year < 1900) return '早于1900年';
  if (!allowFuture && Date.UTC(year, month - 1, day) > today.getTime() + 86_400_000) return '晚于今天';
  return undefined;
}

/** Parses an ISO date-time; a time without an offset is China Standard Time (+08:00). */
export function parseDateTime(value: string): Date | undefined {
  const match = DATETIME_RE.exec(value);
  if (!match) return undefined;
  if (!isValidCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) return undefined;
  const withTime = match[4] ? value.replace(' ', 'T') : `${value}T00:00:00`;
  const parsed = new Date(match[7] ? withTime : `${withTime}+08:00`);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** Normalises an amount to a string with two decimals, or says what is wrong with it. */
export function normaliseAmount(value: unknown): { amount?: string; error?: string } {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { error: '不是有效数字' };
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return { error: '应为数字或数字文本' };
  }
  if (text.startsWith('-')) return { error: `不能为负数（${text}）` };
  if (!AMOUNT_RE.test(text)) {
    return /^\d+\.\d{3,}$/.test(text)
      ? { error: `最多两位小数（${text}）` }
      : { error: `应为非负金额，最多两位小数、12位整数（${text.slice(0, 30)}）` };
  }
  const [whole, fraction = ''] = text.split('.');
  return { amount: `${whole}.${fraction.padEnd(2, '0')}` };
}

/** Accepts the English code or the Chinese label of an enumerated value. */
export function readEnum<T extends string>(
  out: IssueCollector,
  raw: Record<string, unknown>,
  field: ItemField,
  values: Record<T, string>,
): T | undefined {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  const entries = Object.entries(values) as Array<[T, string]>;
  const found = entries.find(([code, label]) => value === code || value === label);
  if (!found) {
    out.add(
      field,
      `取值无效“${String(value)}”，可选：${entries.map(([code, label]) => `${code}（${label}）`).join('、')}`,
    );
    return undefined;
  }
  return found[0];
}

export const readCarrier = (out: IssueCollector, raw: Record<string, unknown>) =>
  readEnum<Carrier>(out, raw, 'carrier', CARRIERS);
export const readSensitivity = (out: IssueCollector, raw: Record<string, unknown>) =>
  readEnum<Sensitivity>(out, raw, 'sensitivity', SENSITIVITIES);
export const readSecurityLevel = (out: IssueCollector, raw: Record<string, unknown>) =>
  readEnum<SecurityLevel>(out, raw, 'securityLevel', SECURITY_LEVELS);

export function readRetention(
  out: IssueCollector,
  raw: Record<string, unknown>,
): RetentionPeriod | undefined {
  const value = raw.retention;
  if (value === undefined || value === null || value === '') return undefined;
  if (!isRetentionPeriod(value)) {
    out.add('retention', `取值无效“${String(value)}”，可选：${RETENTION_PERIODS.join('、')}`);
    return undefined;
  }
  return value;
}

export function readPaperLocation(out: IssueCollector, value: unknown): PaperLocation | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    out.add('paperLocation', '应为对象：{"warehouse":库房,"cabinet":柜,"shelf":层,"box":盒}');
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const parts: Record<keyof PaperLocation, string> = {
    warehouse: '库房',
    cabinet: '柜',
    shelf: '层',
    box: '盒',
  };
  const location: Partial<PaperLocation> = {};
  for (const [key, label] of Object.entries(parts) as Array<[keyof PaperLocation, string]>) {
    const part = record[key];
    if (typeof part !== 'string' || part.trim() === '' || charLength(part) > 20 || CONTROL_CHARS.test(part)) {
      out.add('paperLocation', `的“${label}”（${key}）应为1–20个字符的文本`);
      return undefined;
    }
    if (reportIdNumberInText(out, 'paperLocation', `纸质存放位置的“${label}”`, part)) return undefined;
    location[key] = part.trim();
  }
  const unknownKeys = Object.keys(record).filter((key) => !(key in parts));
  if (unknownKeys.length > 0) out.add('paperLocation', `含有不认识的字段：${unknownKeys.join('、')}`);
  return location as PaperLocation;
}

export function readIdNumber(
  out: IssueCollector,
  raw: Record<string, unknown>,
  today: Date,
): string | undefined {
  const value = raw.idNumber;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    out.add('idNumber', '应为文本');
    return undefined;
  }
  const normalised = value.trim().toUpperCase();
  const problem = checkIdNumber(normalised, today);
  if (problem) {
    out.add('idNumber', problem);
    return undefined;
  }
  return normalised;
}

export function readRegion(
  out: IssueCollector,
  raw: Record<string, unknown>,
  field: ItemField,
): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{6}$/.test(value)) {
    out.add(field, '应为6位行政区划代码');
    return undefined;
  }
  if (!isRegionCode(value)) {
    out.add(field, `“${value}”不是已知的行政区划代码（GB/T 2260）`);
    return undefined;
  }
  return value;
}

/** Checks the category's own fields; other keys pass through so business systems can add context. */
export function readExtra(
  out: IssueCollector,
  value: unknown,
  specs: readonly ExtraFieldSpec[],
  today: Date,
): Record<string, unknown> {
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    out.add('extra', '应为对象');
    return {};
  }
  const extra = { ...((value as Record<string, unknown> | null | undefined) ?? {}) };
  const size = Buffer.byteLength(JSON.stringify(extra));
  if (size > MAX_EXTRA_JSON) {
    out.add('extra', `过大：最多 ${MAX_EXTRA_JSON} 字节，实际 ${size} 字节`);
    return {};
  }
  // Every key and value, the category's own fields and those passed through, nested ones too.
  const refused = new Set<string>();
  for (const [key, given] of Object.entries(extra)) {
    const shown = maskIdNumbersInText(specs.find((spec) => spec.key === key)?.label ?? key);
    const field = `extra.${maskIdNumbersInText(key)}`;
    if (reportIdNumberInText(out, field, `类别专属字段“${shown}”`, { [key]: given })) refused.add(key);
  }
  for (const spec of specs) {
    if (refused.has(spec.key)) continue;
    const field = `extra.${spec.key}`;
    const given = extra[spec.key];
    if (given === undefined || given === null || given === '') {
      if (spec.required) out.add(field, `${spec.label}为该类别的必填项`);
      delete extra[spec.key];
      continue;
    }
    const problem = checkExtraValue(spec, given, today);
    if (problem) out.add(field, `${spec.label}${problem}`);
    else if (spec.type === 'amount') extra[spec.key] = normaliseAmount(given).amount;
  }
  return extra;
}

function checkExtraValue(spec: ExtraFieldSpec, value: unknown, today: Date): string | undefined {
  switch (spec.type) {
    case 'text':
      if (typeof value !== 'string') return '应为文本';
      if (charLength(value) > (spec.maxLength ?? 200)) return `过长：最多 ${spec.maxLength ?? 200} 个字符`;
      return CONTROL_CHARS.test(value) ? '含有控制字符' : undefined;
    case 'date':
      // Category dates may look ahead (a benefit valid until next year); the formation date may not.
      return typeof value === 'string' ? checkDate(value, today, true) : '应为 YYYY-MM-DD 格式的日期';
    case 'amount':
      return normaliseAmount(value).error;
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : '应为整数';
    case 'region':
      return typeof value === 'string' && isRegionCode(value) ? undefined : '应为有效的6位行政区划代码';
    case 'enum':
      return spec.options?.includes(String(value))
        ? undefined
        : `取值无效，可选：${spec.options?.join('、')}`;
  }
}
