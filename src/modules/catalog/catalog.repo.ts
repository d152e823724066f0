import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ExtraFieldSpec } from './catalog.tables.js';
import type { RetentionPeriod, RetentionRule } from './retention.js';

// The only SQL for fonds, categories and the retention schedule.

export interface FondsRow {
  code: string;
  name: string;
  regionCode: string;
  archiveCodePattern: string;
}

export interface CategoryRow {
  id: number;
  code: string;
  name: string;
  parentId: number | null;
  defaultRetention: RetentionPeriod;
  retentionBasis: string;
  defaultSensitivity: string;
  requiresPerson: boolean;
  requiresAmount: boolean;
  extraFields: ExtraFieldSpec[];
  status: 'active' | 'retired';
  builtin: boolean;
  sortOrder: number;
}

export interface RetentionOverrideRow extends RetentionRule {
  id: number;
  reason: string;
  createdBy: string;
  createdAt: Date;
}

export const listFonds = (db: Db): Promise<FondsRow[]> =>
  db
    .selectFrom('fonds')
    .select(['code', 'name', 'region_code as regionCode', 'archive_code_pattern as archiveCodePattern'])
    .orderBy('code')
    .execute();

export const findFonds = (db: Db, code: string): Promise<FondsRow | undefined> =>
  db
    .selectFrom('fonds')
    .select(['code', 'name', 'region_code as regionCode', 'archive_code_pattern as archiveCodePattern'])
    .where('code', '=', code)
    .executeTakeFirst();

/** Filing holds the fonds rows it files into, so the 档号 pattern cannot change underneath it. */
export async function lockFonds(db: Db, codes: readonly string[], mode: 'share' | 'update'): Promise<void> {
  if (codes.length === 0) return;
  const query = db.selectFrom('fonds').select('code').where('code', 'in', codes);
  await (mode === 'share' ? query.forShare() : query.forUpdate()).execute();
}

export async function insertFonds(db: Db, fonds: FondsRow): Promise<void> {
  await db
    .insertInto('fonds')
    .values({
      code: fonds.code,
      name: fonds.name,
      region_code: fonds.regionCode,
      archive_code_pattern: fonds.archiveCodePattern,
    })
    .execute();
}

export async function updateFonds(
  db: Db,
  code: string,
  change: Partial<Omit<FondsRow, 'code'>>,
): Promise<void> {
  await db
    .updateTable('fonds')
    .set({
      name: change.name,
      region_code: change.regionCode,
      archive_code_pattern: change.archiveCodePattern,
      updated_at: new Date(),
    })
    .where('code', '=', code)
    .execute();
}

export async function fondsHasItems(db: Db, code: string): Promise<boolean> {
  const row = await db
    .selectFrom('archive_item')
    .select('id')
    .where('fonds_code', '=', code)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

const categoryColumns = [
  'id',
  'code',
  'name',
  'parent_id as parentId',
  'default_retention as defaultRetention',
  'retention_basis as retentionBasis',
  'default_sensitivity as defaultSensitivity',
  'requires_person as requiresPerson',
  'requires_amount as requiresAmount',
  'extra_fields as extraFields',
  'status',
  'builtin',
  'sort_order as sortOrder',
] as const;

/**
 * The ids of the category with this code and of every category under it, as an int[] (empty when no
 * category has the code): what categoryBranchIds makes of the list, for a statement that resolves a
 * scope without reading the list first.
 */
export function categoryBranchSql(code: RawBuilder<unknown>): RawBuilder<number[]> {
  return sql<number[]>`(with recursive branch(id) as (
      select c.id from category c where c.code = ${code}
      union all
      select c.id from category c join branch b on c.parent_id = b.id
    ) select coalesce(array_agg(branch.id), '{}') from branch)`;
}

/** A category as a search names it: its id, code, name and parent. */
export type CategoryBrief = Pick<CategoryRow, 'id' | 'code' | 'name' | 'parentId'>;

/**
 * Every category as a json array of CategoryBrief, in listCategories' order: for a statement that
 * reads the scheme beside something else.
 */
export function categoryBriefsSql(): RawBuilder<CategoryBrief[]> {
  return sql<CategoryBrief[]>`(select coalesce(json_agg(json_build_object('id', c.id, 'code', c.code,
      'name', c.name, 'parentId', c.parent_id) order by c.sort_order, c.id), '[]'::json) from category c)`;
}

export async function categoryExists(db: Db, code: string): Promise<boolean> {
  const row = await db.selectFrom('category').select('id').where('code', '=', code).executeTakeFirst();
  return row !== undefined;
}

export async function listCategories(db: Db): Promise<CategoryRow[]> {
  const rows = await db
    .selectFrom('category')
    .select(categoryColumns)
    .orderBy('sort_order')
    .orderBy('id')
    .execute();
  return rows as CategoryRow[];
}

export async function insertCategory(db: Db, category: Omit<CategoryRow, 'id' | 'builtin'>): Promise<number> {
  const row = await db
    .insertInto('category')
    .values({
      code: category.code,
      name: category.name,
      parent_id: category.parentId,
      default_retention: category.defaultRetention,
      retention_basis: category.retentionBasis,
      default_sensitivity: category.defaultSensitivity,
      requires_person: category.requiresPerson,
      requires_amount: category.requiresAmount,
      extra_fields: JSON.stringify(category.extraFields),
      status: category.status,
      sort_order: category.sortOrder,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateCategory(
  db: Db,
  id: number,
  change: Partial<
    Pick<CategoryRow, 'name' | 'status' | 'defaultRetention' | 'retentionBasis' | 'extraFields'>
  >,
): Promise<void> {
  await db
    .updateTable('category')
    .set({
      name: change.name,
      status: change.status,
      default_retention: change.defaultRetention,
      retention_basis: change.retentionBasis,
      extra_fields: change.extraFields ? JSON.stringify(change.extraFields) : undefined,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

export async function categoryInUse(db: Db, id: number): Promise<boolean> {
  const item = await db
    .selectFrom('archive_item')
    .select('id')
    .where('category_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  if (item) return true;
  const child = await db
    .selectFrom('category')
    .select('id')
    .where('parent_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  return child !== undefined;
}

export async function deleteCategory(db: Db, id: number): Promise<void> {
  await db.deleteFrom('retention_override').where('category_id', '=', id).execute();
  await db.deleteFrom('category').where('id', '=', id).execute();
}

export async function listRetentionOverrides(db: Db): Promise<RetentionOverrideRow[]> {
  const rows = await db
    .selectFrom('retention_override')
    .select([
      'id',
      'category_id as categoryId',
      'region_code as regionCode',
      'retention',
      'reason',
      'created_by as createdBy',
      'created_at as createdAt',
    ])
    .orderBy('category_id')
    .orderBy('region_code')
    .execute();
  return rows as RetentionOverrideRow[];
}

export async function upsertRetentionOverride(
  db: Db,
  rule: RetentionRule & { reason: string; createdBy: string },
): Promise<void> {
  await db
    .insertInto('retention_override')
    .values({
      category_id: rule.categoryId,
      region_code: rule.regionCode,
      retention: rule.retention,
      reason: rule.reason,
      created_by: rule.createdBy,
    })
    .onConflict((conflict) =>
      conflict.columns(['category_id', 'region_code']).doUpdateSet({
        retention: rule.retention,
        reason: rule.reason,
        created_by: rule.createdBy,
        created_at: new Date(),
      }),
    )
    .execute();
}

export async function deleteRetentionOverride(
  db: Db,
  categoryId: number,
  regionCode: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('retention_override')
    .where('category_id', '=', categoryId)
    .where('region_code', '=', regionCode)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
