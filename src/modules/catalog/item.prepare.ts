import type { FieldIssue } from '../../shared/errors.js';
import { sequenceKey } from './archive-code.js';
import type { CatalogContext } from './catalog.context.js';
import type { CategoryRow } from './catalog.repo.js';
import type { NewItemRow } from './item.repo.js';
import type { Sensitivity } from './item.schema.js';
import { ItemInputSchema, ItemPatchSchema } from './item.schema.js';
import {
  checkDate,
  IssueCollector,
  normaliseAmount,
  parseDateTime,
  readCarrier,
  readExtra,
  readIdNumber,
  readPaperLocation,
  readRegion,
  readRetention,
  readSecurityLevel,
  readSensitivity,
  readText,
} from './item.validate.js';
import { resolveRetention, retentionExpiry } from './retention.js';
import { sensitivityWithDiagnosis } from './sensitivity.js';

// Turns one raw item (from JSON, the API or the CLI) into a row ready to be numbered, or the full
// list of what is wrong with it.

export type PreparedItem = Omit<NewItemRow, 'archive_code' | 'item_number'> & {
  sequenceKey: string;
  categoryCode: string;
};

export interface PrepareOptions {
  today: Date;
  /** Editing keeps items in retired or parent categories filed before the scheme changed. */
  editing?: boolean;
  prefix?: string;
}

const INPUT_KEYS = new Set(Object.keys(ItemInputSchema.properties));
export const PATCH_KEYS = new Set(Object.keys(ItemPatchSchema.properties));

function readCategory(
  out: IssueCollector,
  raw: Record<string, unknown>,
  context: CatalogContext,
  editing: boolean,
): CategoryRow | undefined {
  const code = raw.category;
  if (typeof code !== 'string' || code === '') {
    out.add('category', '为必填项');
    return undefined;
  }
  const category = context.categories.get(code);
  if (!category) {
    out.add('category', `“${code.slice(0, 20)}”不存在（可用 yidang category list 查看）`);
    return undefined;
  }
  if (!editing && category.status === 'retired')
    out.add('category', `“${code} ${category.name}”已停用，不能再归档`);
  if (!editing && context.parentIds.has(category.id)) {
    out.add('category', `“${code} ${category.name}”下设子类别，请归入具体的子类别`);
  }
  return category;
}

function readYear(out: IssueCollector, raw: Record<string, unknown>, date: string | undefined, today: Date) {
  const value = raw.year ?? (date ? Number(date.slice(0, 4)) : undefined);
  if (value === undefined) return undefined;
  if (
    !Number.isInteger(value) ||
    (value as number) < 1900 ||
    (value as number) > today.getUTCFullYear() + 1
  ) {
    out.add('year', `应为1900至${today.getUTCFullYear() + 1}之间的整数`);
    return undefined;
  }
  return value as number;
}

export function prepareItem(
  raw: unknown,
  context: CatalogContext,
  actor: string,
  options: PrepareOptions,
): { item?: PreparedItem; issues: FieldIssue[] } {
  const out = new IssueCollector(options.prefix);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    out.add('', '每条档案应为一个 JSON 对象');
    return { issues: out.issues };
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!INPUT_KEYS.has(key)) out.add(key, `不认识的字段“${key.slice(0, 40)}”`);
  }
  const fondsCode = input.fonds;
  const fonds = typeof fondsCode === 'string' ? context.fonds.get(fondsCode) : undefined;
  if (!fonds) out.add('fonds', fondsCode ? `“${String(fondsCode).slice(0, 20)}”不存在` : '为必填项');
  const category = readCategory(out, input, context, options.editing ?? false);

  const title = readText(out, input, 'title', true);
  const responsible = readText(out, input, 'responsible', true);
  const date = readText(out, input, 'date', true);
  const dateProblem = date ? checkDate(date, options.today) : undefined;
  if (dateProblem) out.add('date', dateProblem);
  const year = readYear(out, input, dateProblem ? undefined : date, options.today);

  const orgRequired = fonds?.pattern.tokens.has('org') ?? false;
  const org = readText(out, input, 'org', orgRequired);
  if (org && !/^[A-Z0-9]{1,16}$/.test(org)) out.add('org', '代码应为1–16位大写字母或数字，如 JSK');

  const idNumber = readIdNumber(out, input, options.today);
  const name = readText(out, input, 'name', category?.requiresPerson ?? false);
  if (
    category?.requiresPerson &&
    !idNumber &&
    !out.issues.some((issue) => issue.field.endsWith('idNumber'))
  ) {
    out.add('idNumber', `为必填项（类别“${category.name}”涉及参保人）`);
  }
  const insuredNumber = readText(out, input, 'insuredNumber', false);
  if (insuredNumber && !/^[A-Za-z0-9]+$/.test(insuredNumber)) out.add('insuredNumber', '只能包含字母和数字');

  let amount: string | undefined;
  if (input.amount !== undefined && input.amount !== null && input.amount !== '') {
    const parsed = normaliseAmount(input.amount);
    if (parsed.error) out.add('amount', parsed.error);
    amount = parsed.amount;
  } else if (category?.requiresAmount) {
    out.add('amount', `为必填项（类别“${category.name}”有金额）`);
  }

  let handledAt: Date | undefined;
  const handledText = readText(out, input, 'handledAt', false);
  if (handledText) {
    handledAt = parseDateTime(handledText);
    if (!handledAt) out.add('handledAt', '格式应为 ISO 8601，如 2024-03-15T10:20:00+08:00');
  }

  const carrier = readCarrier(out, input) ?? 'electronic';
  const paperLocation = readPaperLocation(out, input.paperLocation);
  if (
    carrier !== 'electronic' &&
    !paperLocation &&
    !out.issues.some((i) => i.field.endsWith('paperLocation'))
  ) {
    out.add('paperLocation', '为必填项（纸质或纸电双套档案须登记库房-柜-层-盒）');
  }
  if (carrier === 'electronic' && paperLocation) out.add('paperLocation', '只适用于纸质或纸电双套档案');

  const poolingRegion = readRegion(out, input, 'poolingRegion');
  const explicitRetention = readRetention(out, input);
  const extra = readExtra(out, input.extra, category?.extraFields ?? [], options.today);
  const docNumber = readText(out, input, 'docNumber', false);
  const businessType = readText(out, input, 'businessType', false);
  const handler = readText(out, input, 'handler', false);
  const agency = readText(out, input, 'agency', false);
  const securityLevel = readSecurityLevel(out, input) ?? 'internal';
  // A diagnosis such as F20 or B20 makes the item sensitive even when the filer said normal.
  const sensitivity = sensitivityWithDiagnosis(
    readSensitivity(out, input) ?? (category?.defaultSensitivity as Sensitivity | undefined) ?? 'normal',
    extra ?? {},
  );

  if (out.issues.length > 0 || !fonds || !category || !title || !responsible || !date || year === undefined) {
    return { issues: out.issues };
  }
  const retention =
    explicitRetention ??
    resolveRetention(
      category.defaultRetention,
      category.id,
      poolingRegion ?? fonds.regionCode,
      context.retentionRules,
    );
  const values = { fonds: fonds.code, category: category.code, year, retention, org: org ?? '' };
  return {
    issues: [],
    item: {
      sequenceKey: sequenceKey(fonds.pattern, values),
      categoryCode: category.code,
      fonds_code: fonds.code,
      category_id: category.id,
      year,
      retention,
      retention_expires_on: retentionExpiry(retention, year),
      org_code: org ?? '',
      title,
      doc_number: docNumber ?? null,
      responsible,
      doc_date: date,
      security_level: securityLevel,
      insured_number: insuredNumber ?? null,
      id_number: idNumber ?? null,
      person_name: name ?? null,
      business_type: businessType ?? null,
      handled_at: handledAt ?? null,
      handler: handler ?? null,
      handling_agency: agency ?? null,
      pooling_region: poolingRegion ?? null,
      amount: amount ?? null,
      carrier,
      paper_location: paperLocation ?? null,
      sensitivity,
      extra,
      version: 1,
      change_reason: null,
      created_by: actor,
      updated_by: actor,
    },
  };
}
