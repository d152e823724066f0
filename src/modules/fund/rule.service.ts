import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { readReason } from './rule.input.js';
import { listRuleSettings, lockRuleSetting, type RuleSettingRow, saveRuleSetting } from './rule.repo.js';
import type { RuleParams } from './rule.tables.js';
import { RULES, ruleByCode, type RuleDefinition } from './rules/index.js';
import { defaultParams, mergeParams } from './rules/params.js';

// 智能审核规则: the twelve rules with their settings. Anyone with fund.read sees them (no archive
// content); a fund.rules holder turns a rule on or off and changes its parameters, with a reason;
// each change bumps the rule's version and is a fund.rule_changed event.

export interface RuleParamView {
  name: string;
  label: string;
  kind: 'integer' | 'number' | 'icdList';
  min: number | null;
  max: number | null;
  minItems: number | null;
  maxItems: number | null;
  default: number | string[];
  value: number | string[];
}

export interface RuleView {
  code: string;
  name: string;
  description: string;
  revision: number;
  version: number;
  active: boolean;
  params: RuleParamView[];
  changedBy: string;
  changedAt: string;
  reason: string;
}

export interface RuleChange {
  active?: boolean;
  params?: Record<string, unknown>;
  reason: string;
  /** The version the change was made against: a newer one refuses it (another user changed the rule). */
  version?: number;
}

function authorize(access: AccessContext, permission: 'fund.read' | 'fund.rules'): void {
  if (access.kind === 'principal') access.authorize(permission);
}

export function toRuleView(rule: RuleDefinition, row: RuleSettingRow | undefined): RuleView {
  const values: RuleParams = { ...defaultParams(rule), ...(row?.params ?? {}) };
  return {
    code: rule.code,
    name: rule.name,
    description: rule.description,
    revision: rule.revision,
    version: row?.version ?? 1,
    active: row?.active ?? true,
    params: Object.entries(rule.params).map(([name, spec]) => ({
      name,
      label: spec.label,
      kind: spec.kind,
      min: spec.kind === 'icdList' ? null : spec.min,
      max: spec.kind === 'icdList' ? null : spec.max,
      minItems: spec.kind === 'icdList' ? spec.minItems : null,
      maxItems: spec.kind === 'icdList' ? spec.maxItems : null,
      default: spec.default,
      value: values[name] ?? spec.default,
    })),
    changedBy: row?.changed_by ?? 'system:setup',
    changedAt: (row?.changed_at ?? new Date(0)).toISOString(),
    reason: row?.reason ?? '默认设置',
  };
}

export const findRule = (code: string): RuleDefinition => {
  const rule = ruleByCode(code);
  if (!rule)
    throw notFound(
      'FUND_RULE_NOT_FOUND',
      `审核规则“${code.slice(0, 40)}”不存在，可用：${RULES.map((r) => r.code).join('、')}`,
    );
  return rule;
};

/** Every rule with its setting, in the order they run. */
export async function listRules(db: Db, access: AccessContext): Promise<RuleView[]> {
  authorize(access, 'fund.read');
  const settings = new Map((await listRuleSettings(db)).map((row) => [row.rule_code, row]));
  return RULES.map((rule) => toRuleView(rule, settings.get(rule.code)));
}

export async function showRule(db: Db, access: AccessContext, code: string): Promise<RuleView> {
  authorize(access, 'fund.read');
  const rule = findRule(code);
  const settings = await listRuleSettings(db);
  return toRuleView(
    rule,
    settings.find((row) => row.rule_code === code),
  );
}

/** Turns a rule on or off or changes its parameters, with a reason; the version goes up by one. */
export async function setRule(
  db: Db,
  access: AccessContext,
  code: string,
  change: RuleChange,
): Promise<RuleView> {
  authorize(access, 'fund.rules');
  const rule = findRule(code);
  const reason = readReason(change.reason, '修改审核规则的理由', 'FUND_RULE_REASON_REQUIRED');
  if (change.active === undefined && (change.params === undefined || Object.keys(change.params).length === 0))
    throw invalid('FUND_RULE_PARAM_INVALID', '没有要修改的内容：请给出启用状态（active）或参数（params）');
  return inTransaction(db, async (trx) => {
    const row = await lockRuleSetting(trx, code);
    if (!row) throw notFound('FUND_RULE_NOT_FOUND', `审核规则“${code}”没有设置记录`);
    if (change.version !== undefined && change.version !== row.version)
      throw conflict(
        'FUND_RULE_VERSION_CONFLICT',
        `审核规则“${rule.name}”已是第 ${row.version} 版，请刷新后重试`,
      );
    const params = mergeParams(rule, row.params, change.params ?? {});
    const next: RuleSettingRow = {
      rule_code: code,
      version: row.version + 1,
      active: change.active ?? row.active,
      params,
      changed_by: actorIn(access),
      changed_at: new Date(),
      reason,
    };
    await saveRuleSetting(trx, next);
    recordEvent(trx, {
      actor: actorIn(access),
      action: 'fund.rule_changed',
      subject: `fund-rule:${code}`,
      payload: {
        rule: code,
        version: next.version,
        active: next.active,
        params,
        previous: { version: row.version, active: row.active, params: row.params },
        reason: next.reason,
      },
    });
    return toRuleView(rule, next);
  });
}
