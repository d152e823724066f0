import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { conflict, type FieldIssue, invalid, notFound, ValidationError } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import {
  type CategoryRow,
  categoryInUse,
  deleteCategory as deleteCategoryRow,
  insertCategory,
  listCategories,
  updateCategory,
} from './catalog.repo.js';
import type { ExtraFieldSpec } from './catalog.tables.js';
import { charLength } from './item.validate.js';
import { isRetentionPeriod, type RetentionPeriod } from './retention.js';

// The classification scheme (分类方案): a tree of categories, built in for 医保 and editable. A category
// that holds items or sub-categories is retired, never deleted, so no item loses its class.

export interface CategoryInput {
  code: string;
  name: string;
  parent?: string;
  defaultRetention: string;
  retentionBasis?: string;
  defaultSensitivity?: string;
  requiresPerson?: boolean;
  requiresAmount?: boolean;
  extraFields?: ExtraFieldSpec[];
}

const EXTRA_TYPES = new Set(['text', 'date', 'amount', 'integer', 'region', 'enum']);

function checkExtraFields(fields: unknown, issues: FieldIssue[]): void {
  if (fields === undefined) return;
  if (!Array.isArray(fields) || fields.length > 30) {
    issues.push({ field: 'extraFields', message: '专属字段应为数组，最多30项' });
    return;
  }
  const keys = new Set<string>();
  for (const [index, field] of fields.entries()) {
    const where = `extraFields[${index}]`;
    if (typeof field !== 'object' || field === null || Array.isArray(field)) {
      issues.push({ field: where, message: '每个专属字段应为对象：{key, label, type, required}' });
      continue;
    }
    const spec = field as Partial<ExtraFieldSpec>;
    if (
      typeof spec.key !== 'string' ||
      !/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/.test(spec.key) ||
      keys.has(spec.key)
    ) {
      issues.push({ field: `${where}.key`, message: '字段键应为不重复的英文标识（字母开头，最多40位）' });
    }
    keys.add(String(spec.key));
    if (typeof spec.label !== 'string' || spec.label.trim() === '' || charLength(spec.label) > 30) {
      issues.push({ field: `${where}.label`, message: '字段名称为必填项，最多30个字符' });
    }
    if (!EXTRA_TYPES.has(String(spec.type))) {
      issues.push({ field: `${where}.type`, message: `字段类型应为 ${[...EXTRA_TYPES].join('/')} 之一` });
    }
    if (spec.required !== undefined && typeof spec.required !== 'boolean') {
      issues.push({ field: `${where}.required`, message: '是否必填应为 true 或 false' });
    }
    const options = spec.options as unknown;
    if (
      spec.type === 'enum' &&
      (!Array.isArray(options) ||
        options.length === 0 ||
        options.length > 100 ||
        !options.every(
          (option) => typeof option === 'string' && option.trim() !== '' && charLength(option) <= 50,
        ))
    ) {
      issues.push({
        field: `${where}.options`,
        message: '枚举字段须列出1–100个可选值，每个为1–50个字符的文本',
      });
    }
    const maxLength = spec.maxLength as unknown;
    if (
      maxLength !== undefined &&
      (!Number.isInteger(maxLength) || (maxLength as number) < 1 || (maxLength as number) > 2000)
    ) {
      issues.push({ field: `${where}.maxLength`, message: '最大长度应为1–2000之间的整数' });
    }
  }
}

/** Keeps only the known keys of each spec, with `required` defaulting to false. */
const normaliseExtraFields = (fields: ExtraFieldSpec[] | undefined): ExtraFieldSpec[] | undefined =>
  fields?.map(({ key, label, type, required, maxLength, options }) => ({
    key,
    label: label.trim(),
    type,
    required: required ?? false,
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(options !== undefined ? { options } : {}),
  }));

const isText = (value: unknown, max: number, allowEmpty = false): value is string =>
  typeof value === 'string' && (allowEmpty || value.trim() !== '') && charLength(value) <= max;

export async function addCategory(db: Db, input: CategoryInput, actor = 'system'): Promise<CategoryRow> {
  const issues: FieldIssue[] = [];
  if (typeof input.code !== 'string' || !/^[A-Z0-9]{1,16}$/.test(input.code)) {
    issues.push({ field: 'code', message: '类别代码应为1–16位大写字母或数字' });
  }
  if (!isText(input.name, 50)) issues.push({ field: 'name', message: '类别名称为必填项，最多50个字符' });
  if (input.retentionBasis !== undefined && !isText(input.retentionBasis, 200, true)) {
    issues.push({ field: 'retentionBasis', message: '保管期限依据应为文本，最多200个字符' });
  }
  if (!isRetentionPeriod(input.defaultRetention)) {
    issues.push({ field: 'defaultRetention', message: '默认保管期限应为 Y/D100/D50/D30/D15/D10 之一' });
  }
  if (
    input.defaultSensitivity !== undefined &&
    !['normal', 'sensitive', 'restricted'].includes(input.defaultSensitivity)
  ) {
    issues.push({
      field: 'defaultSensitivity',
      message: '默认敏感级别应为 normal/sensitive/restricted 之一',
    });
  }
  checkExtraFields(input.extraFields, issues);
  if (issues.length > 0) throw new ValidationError(issues);
  return inTransaction(db, async (trx) => {
    const existing = await listCategories(trx);
    if (existing.some((row) => row.code === input.code))
      throw conflict('CATEGORY_EXISTS', `类别代码“${input.code}”已存在`);
    const parent = input.parent ? existing.find((row) => row.code === input.parent) : undefined;
    if (input.parent && !parent) throw notFound('CATEGORY_NOT_FOUND', `上级类别“${input.parent}”不存在`);
    const row: Omit<CategoryRow, 'id' | 'builtin'> = {
      code: input.code,
      name: input.name.trim(),
      parentId: parent?.id ?? null,
      defaultRetention: input.defaultRetention as RetentionPeriod,
      retentionBasis: input.retentionBasis?.trim() ?? '本地设置',
      defaultSensitivity: input.defaultSensitivity ?? 'normal',
      requiresPerson: input.requiresPerson ?? false,
      requiresAmount: input.requiresAmount ?? false,
      extraFields: normaliseExtraFields(input.extraFields) ?? [],
      status: 'active',
      sortOrder: Math.max(0, ...existing.map((category) => category.sortOrder)) + 10,
    };
    const id = await insertCategory(trx, row);
    const added = { ...row, id, builtin: false };
    recordEvent(trx, {
      actor,
      action: 'category.created',
      subject: `category:${row.code}`,
      payload: added,
    });
    return added;
  });
}

async function findCategory(db: Db, code: string): Promise<CategoryRow> {
  const category = (await listCategories(db)).find((row) => row.code === code);
  if (!category) throw notFound('CATEGORY_NOT_FOUND', `类别“${code.slice(0, 20)}”不存在`);
  return category;
}

export interface CategoryChange {
  name?: string;
  status?: 'active' | 'retired';
  extraFields?: ExtraFieldSpec[];
}

/** Renames, retires or reactivates a category, or changes its own fields. */
export async function changeCategory(
  db: Db,
  code: string,
  change: CategoryChange,
  actor = 'system',
): Promise<CategoryRow> {
  const issues: FieldIssue[] = [];
  if (change.name !== undefined && !isText(change.name, 50)) {
    issues.push({ field: 'name', message: '类别名称不能为空，最多50个字符' });
  }
  if (change.status !== undefined && change.status !== 'active' && change.status !== 'retired') {
    issues.push({ field: 'status', message: '状态应为 active（启用）或 retired（停用）' });
  }
  checkExtraFields(change.extraFields, issues);
  if (issues.length > 0) throw new ValidationError(issues);
  return inTransaction(db, async (trx) => {
    const category = await findCategory(trx, code);
    await updateCategory(trx, category.id, {
      ...change,
      name: change.name?.trim(),
      extraFields: normaliseExtraFields(change.extraFields),
    });
    const changed = await findCategory(trx, code);
    recordEvent(trx, {
      actor,
      action: 'category.changed',
      subject: `category:${code}`,
      payload: { ...changed },
    });
    return changed;
  });
}

/** Deletes a category nobody used; one that holds items or sub-categories can only be retired. */
export async function removeCategory(db: Db, code: string, actor = 'system'): Promise<void> {
  await inTransaction(db, async (trx) => {
    const category = await findCategory(trx, code);
    if (await categoryInUse(trx, category.id)) {
      throw invalid('CATEGORY_IN_USE', `类别“${code} ${category.name}”已有档案或子类别，不能删除，只能停用`);
    }
    await deleteCategoryRow(trx, category.id);
    recordEvent(trx, {
      actor,
      action: 'category.removed',
      subject: `category:${code}`,
      payload: { ...category },
    });
  });
}

export { listCategories };
