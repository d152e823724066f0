import type { Kysely } from 'kysely';
import { BUILTIN_CATEGORIES } from '../../modules/catalog/builtin-categories.js';
import type { DatabaseSchema } from '../schema.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<DatabaseSchema>;
  const idByCode = new Map<string, number>();
  for (const [index, category] of BUILTIN_CATEGORIES.entries()) {
    const row = await typed
      .insertInto('category')
      .values({
        code: category.code,
        name: category.name,
        parent_id: category.parent ? (idByCode.get(category.parent) ?? null) : null,
        default_retention: category.retention,
        retention_basis: category.basis,
        default_sensitivity: category.sensitivity ?? 'normal',
        requires_person: category.requiresPerson ?? false,
        requires_amount: category.requiresAmount ?? false,
        extra_fields: JSON.stringify(category.extraFields ?? []),
        builtin: true,
        sort_order: (index + 1) * 10,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    idByCode.set(category.code, row.id);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<DatabaseSchema>;
  await typed.deleteFrom('category').where('builtin', '=', true).execute();
}
