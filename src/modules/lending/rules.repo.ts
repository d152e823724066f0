import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { LoanRuleTable } from './lending.tables.js';

// SQL of the loan rules (借阅规则).

export type LoanRuleRow = Selectable<LoanRuleTable>;

export function listRules(db: Db): Promise<LoanRuleRow[]> {
  return db
    .selectFrom('loan_rule')
    .selectAll()
    .orderBy('category_id', 'desc')
    .orderBy('sensitivity', 'desc')
    .orderBy('retention', 'desc')
    .orderBy('id')
    .execute();
}

export function findRule(db: Db, id: number): Promise<LoanRuleRow | undefined> {
  return db.selectFrom('loan_rule').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface RuleValues {
  category_id: number | null;
  sensitivity: string | null;
  retention: string | null;
  approval_levels: number;
  level1_roles: string[];
  level2_roles: string[];
  max_days: number;
  renewals_allowed: number;
  renewal_days: number;
  paper_may_leave: boolean;
  note: string | null;
  updated_by: string;
  updated_at: Date;
}

/** Writes the rule for these conditions: a new row, or the one already there replaced (by the unique match). */
export async function upsertRule(trx: Db, values: RuleValues): Promise<number> {
  const existing = await trx
    .selectFrom('loan_rule')
    .select('id')
    .where((eb) =>
      eb.and([
        values.category_id === null
          ? eb('category_id', 'is', null)
          : eb('category_id', '=', values.category_id),
        values.sensitivity === null
          ? eb('sensitivity', 'is', null)
          : eb('sensitivity', '=', values.sensitivity),
        values.retention === null ? eb('retention', 'is', null) : eb('retention', '=', values.retention),
      ]),
    )
    .forUpdate()
    .executeTakeFirst();
  if (existing) {
    await trx.updateTable('loan_rule').set(values).where('id', '=', existing.id).execute();
    return existing.id;
  }
  const { id } = await trx.insertInto('loan_rule').values(values).returning('id').executeTakeFirstOrThrow();
  return id;
}

export async function deleteRule(trx: Db, id: number): Promise<LoanRuleRow | undefined> {
  return trx.deleteFrom('loan_rule').where('id', '=', id).returningAll().executeTakeFirst();
}
