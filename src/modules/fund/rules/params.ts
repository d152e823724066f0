import { invalid } from '../../../shared/errors.js';
import type { RuleParams } from '../rule.tables.js';
import type { ParamSpec, RuleDefinition } from './types.js';

// Parameters as a user changes them: every name known, every value of its type and inside its range,
// refused otherwise with the rule's and parameter's Chinese names.

const ICD_PREFIX = /^[A-Z][0-9A-Z]{0,2}(\.[0-9A-Z]{1,2})?$/;

/** The parameters' defaults, as the migration seeds them. */
export const defaultParams = (rule: RuleDefinition): RuleParams =>
  Object.fromEntries(Object.entries(rule.params).map(([name, spec]) => [name, spec.default]));

function checkValue(rule: RuleDefinition, name: string, spec: ParamSpec, value: unknown): number | string[] {
  const where = `规则“${rule.name}”的参数“${spec.label}”（${name}）`;
  if (spec.kind === 'icdList') {
    if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string'))
      throw invalid('FUND_RULE_PARAM_INVALID', `${where}应为 ICD-10 前缀的列表，如 ["Z51", "Z49"]`);
    const list = [...new Set((value as string[]).map((entry) => entry.trim().toUpperCase()))];
    const bad = list.find((entry) => !ICD_PREFIX.test(entry));
    if (bad !== undefined)
      throw invalid('FUND_RULE_PARAM_INVALID', `${where}中的“${bad.slice(0, 12)}”不是 ICD-10 编码前缀`);
    if (list.length < spec.minItems || list.length > spec.maxItems)
      throw invalid(
        'FUND_RULE_PARAM_RANGE',
        `${where}应有 ${spec.minItems} 至 ${spec.maxItems} 项，现有 ${list.length} 项`,
      );
    return list.sort();
  }
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number))
    throw invalid('FUND_RULE_PARAM_INVALID', `${where}应为数字`);
  if (spec.kind === 'integer' && !Number.isInteger(number))
    throw invalid('FUND_RULE_PARAM_INVALID', `${where}应为整数`);
  if (number < spec.min || number > spec.max)
    throw invalid('FUND_RULE_PARAM_RANGE', `${where}应在 ${spec.min} 至 ${spec.max} 之间，收到 ${number}`);
  return number;
}

/** The current parameters with the changes applied, each checked; an unknown name is refused. */
export function mergeParams(
  rule: RuleDefinition,
  current: RuleParams,
  changes: Record<string, unknown>,
): RuleParams {
  const merged: RuleParams = { ...defaultParams(rule), ...current };
  for (const [name, value] of Object.entries(changes)) {
    const spec = rule.params[name];
    if (!spec) {
      const known = Object.keys(rule.params);
      throw invalid(
        'FUND_RULE_PARAM_INVALID',
        known.length === 0
          ? `规则“${rule.name}”没有可设置的参数`
          : `规则“${rule.name}”没有参数“${name.slice(0, 40)}”，可设置：${known.join('、')}`,
      );
    }
    merged[name] = checkValue(rule, name, spec, value);
  }
  return merged;
}
