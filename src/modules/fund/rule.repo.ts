import type { Db } from '../../db/database.js';
import type { RuleParams } from './rule.tables.js';

// The rule settings' SQL (fund_rule_setting, this module's own table).

export interface RuleSettingRow {
  rule_code: string;
  version: number;
  active: boolean;
  params: RuleParams;
  changed_by: string;
  changed_at: Date;
  reason: string;
}

export const listRuleSettings = (db: Db): Promise<RuleSettingRow[]> =>
  db.selectFrom('fund_rule_setting').selectAll().execute();

export const lockRuleSetting = (db: Db, code: string): Promise<RuleSettingRow | undefined> =>
  db.selectFrom('fund_rule_setting').selectAll().where('rule_code', '=', code).forUpdate().executeTakeFirst();

export async function saveRuleSetting(db: Db, row: RuleSettingRow): Promise<void> {
  await db
    .updateTable('fund_rule_setting')
    .set({
      version: row.version,
      active: row.active,
      params: JSON.stringify(row.params),
      changed_by: row.changed_by,
      changed_at: row.changed_at,
      reason: row.reason,
    })
    .where('rule_code', '=', row.rule_code)
    .execute();
}
