import type { LoanRuleRow } from './rules.repo.js';

// Which rule a loan follows. A rule matches an item when each of its conditions (category — the
// item's category or one above it —, sensitivity, retention) is empty or equal. Rules naming the
// item's category set the terms for it alone; otherwise every matching general rule applies and the
// stricter term of each holds (the shortest loan, fewest renewals, most approval levels, paper
// leaving only if every rule allows it). A loan of several items takes the strictest of its items.

export interface LoanTerms {
  approvalLevels: 1 | 2;
  level1Roles: string[];
  level2Roles: string[];
  maxDays: number;
  renewalsAllowed: number;
  renewalDays: number;
  paperMayLeave: boolean;
}

export interface RuleSubject {
  /** The item's category and every category above it. */
  categoryIds: readonly number[];
  sensitivity: string;
  retention: string;
}

/** Used only when no rule matches at all (the default rule was removed). */
export const FALLBACK_TERMS: LoanTerms = {
  approvalLevels: 1,
  level1Roles: ['archivist'],
  level2Roles: ['manager'],
  maxDays: 30,
  renewalsAllowed: 1,
  renewalDays: 15,
  paperMayLeave: true,
};

function matches(rule: LoanRuleRow, item: RuleSubject): boolean {
  return (
    (rule.category_id === null || item.categoryIds.includes(rule.category_id)) &&
    (rule.sensitivity === null || rule.sensitivity === item.sensitivity) &&
    (rule.retention === null || rule.retention === item.retention)
  );
}

function termsOf(rule: LoanRuleRow): LoanTerms {
  return {
    approvalLevels: rule.approval_levels === 2 ? 2 : 1,
    level1Roles: rule.level1_roles,
    level2Roles: rule.level2_roles,
    maxDays: rule.max_days,
    renewalsAllowed: rule.renewals_allowed,
    renewalDays: rule.renewal_days,
    paperMayLeave: rule.paper_may_leave,
  };
}

/** The stricter of two sets of terms; the approvers are those of the one asking more levels. */
export function stricter(a: LoanTerms, b: LoanTerms): LoanTerms {
  const approvers = b.approvalLevels > a.approvalLevels ? b : a;
  return {
    approvalLevels: approvers.approvalLevels,
    level1Roles: approvers.level1Roles,
    level2Roles: approvers.level2Roles,
    maxDays: Math.min(a.maxDays, b.maxDays),
    renewalsAllowed: Math.min(a.renewalsAllowed, b.renewalsAllowed),
    renewalDays: Math.min(a.renewalDays, b.renewalDays),
    paperMayLeave: a.paperMayLeave && b.paperMayLeave,
  };
}

export function termsFor(rules: readonly LoanRuleRow[], item: RuleSubject): LoanTerms {
  const matching = rules.filter((rule) => matches(rule, item));
  const byCategory = matching.filter((rule) => rule.category_id !== null);
  const applying = byCategory.length > 0 ? byCategory : matching;
  if (applying.length === 0) return FALLBACK_TERMS;
  return applying.map(termsOf).reduce(stricter);
}

export function termsForAll(rules: readonly LoanRuleRow[], items: readonly RuleSubject[]): LoanTerms {
  return items.map((item) => termsFor(rules, item)).reduce(stricter);
}
