import { type Selectable, sql } from 'kysely';
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

/**
 * Writes the rule for these conditions: a new row, or the one already there replaced — one statement
 * on the unique match, so two archivists setting the same new condition at once both succeed.
 */
export async function upsertRule(trx: Db, values: RuleValues): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    insert into loan_rule (category_id, sensitivity, retention, approval_levels, level1_roles, level2_roles,
      max_days, renewals_allowed, renewal_days, paper_may_leave, note, updated_by, updated_at)
    values (${values.category_id}, ${values.sensitivity}, ${values.retention}, ${values.approval_levels},
      ${values.level1_roles}::text[], ${values.level2_roles}::text[], ${values.max_days}, ${values.renewals_allowed},
      ${values.renewal_days}, ${values.paper_may_leave}, ${values.note}, ${values.updated_by}, ${values.updated_at})
    on conflict ((coalesce(category_id, 0)), (coalesce(sensitivity, '')), (coalesce(retention, '')))
    do update set approval_levels = excluded.approval_levels, level1_roles = excluded.level1_roles,
      level2_roles = excluded.level2_roles, max_days = excluded.max_days,
      renewals_allowed = excluded.renewals_allowed, renewal_days = excluded.renewal_days,
      paper_may_leave = excluded.paper_may_leave, note = excluded.note, updated_by = excluded.updated_by,
      updated_at = excluded.updated_at
    returning id`.execute(trx);
  return Number(rows[0]?.id);
}

export async function deleteRule(trx: Db, id: number): Promise<LoanRuleRow | undefined> {
  return trx.deleteFrom('loan_rule').where('id', '=', id).returningAll().executeTakeFirst();
}
