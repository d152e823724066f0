import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { authorize, type Principal } from '../access/principal.js';
import { isRole, ROLES } from '../access/roles.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { recordEvent } from '../integrity/event-log.js';
import { readText } from './lending.common.js';
import { deleteRule, findRule, type LoanRuleRow, listRules, upsertRule } from './rules.repo.js';

// 借阅规则: the archivist sets, per category, sensitivity and retention (each optional), how many
// approval levels and which roles approve at each, the longest loan, renewals and their length, and
// whether paper may leave. A loan keeps the terms it was asked under.

const SENSITIVITIES = ['normal', 'sensitive', 'restricted'];
const RETENTIONS = ['Y', 'D100', 'D50', 'D30', 'D15', 'D10'];
const APPROVER_ROLES = ['archivist', 'manager', 'reviewer'];

export interface LoanRuleView {
  id: number;
  category: string | null;
  categoryName: string | null;
  sensitivity: string | null;
  retention: string | null;
  approvalLevels: number;
  level1Roles: string[];
  level2Roles: string[];
  maxDays: number;
  renewalsAllowed: number;
  renewalDays: number;
  paperMayLeave: boolean;
  note: string | null;
  updatedBy: string;
  updatedAt: string;
}

export interface LoanRuleInput {
  category?: string | null;
  sensitivity?: string | null;
  retention?: string | null;
  approvalLevels?: number;
  level1Roles?: string[];
  level2Roles?: string[];
  maxDays: number;
  renewalsAllowed?: number;
  renewalDays?: number;
  paperMayLeave?: boolean;
  note?: string | null;
}

async function views(db: Db, rows: LoanRuleRow[]): Promise<LoanRuleView[]> {
  const categories = new Map((await listCategories(db)).map((category) => [category.id, category]));
  return rows.map((row) => ({
    id: row.id,
    category:
      row.category_id === null ? null : (categories.get(row.category_id)?.code ?? `#${row.category_id}`),
    categoryName:
      row.category_id === null
        ? null
        : (categories.get(row.category_id)?.name ?? '（已删除的类别，本规则不再适用）'),
    sensitivity: row.sensitivity,
    retention: row.retention,
    approvalLevels: row.approval_levels,
    level1Roles: row.level1_roles,
    level2Roles: row.level2_roles,
    maxDays: row.max_days,
    renewalsAllowed: row.renewals_allowed,
    renewalDays: row.renewal_days,
    paperMayLeave: row.paper_may_leave,
    note: row.note,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at.toISOString(),
  }));
}

/** Every rule; anyone who may ask for a loan may read them (the terms they will be held to). */
export async function listLoanRules(db: Db, principal: Principal): Promise<LoanRuleView[]> {
  authorize(principal, 'loan.request');
  return views(db, await listRules(db));
}

function wholeNumber(
  value: number | undefined,
  fallback: number,
  low: number,
  high: number,
  what: string,
): number {
  const number = value ?? fallback;
  if (!Number.isInteger(number) || number < low || number > high)
    throw invalid('LOAN_RULE_INVALID', `${what}应为 ${low} 至 ${high} 的整数`);
  return number;
}

function approverRoles(value: string[] | undefined, fallback: string[], what: string): string[] {
  const roles = [...new Set((value ?? fallback).map((role) => role.trim()).filter(Boolean))];
  if (roles.length === 0 || roles.some((role) => !isRole(role) || !APPROVER_ROLES.includes(role)))
    throw invalid(
      'LOAN_RULE_INVALID',
      `${what}应为 ${APPROVER_ROLES.map((role) => `${role}（${ROLES[role as keyof typeof ROLES]}）`).join('、')} 中的角色`,
    );
  return roles;
}

/** Rules hold for every agency's loans: only an archivist whose scope is not narrowed may set them. */
function mayRuleAll(principal: Principal): void {
  authorize(principal, 'loan.rules');
  const whole = principal.scope.some((row) => !row.fondsCode && !row.regionCode && !row.categoryCode);
  if (!whole)
    throw new YidangError(
      'LOAN_RULES_SCOPE',
      'forbidden',
      '借阅规则适用于全部全宗，须由档案范围不受限的档案员设置',
    );
}

export async function setLoanRule(
  db: Db,
  principal: Principal,
  input: LoanRuleInput,
  now = new Date(),
): Promise<LoanRuleView> {
  mayRuleAll(principal);
  let categoryId: number | null = null;
  if (input.category) {
    const category = (await listCategories(db)).find((entry) => entry.code === input.category);
    if (!category) throw invalid('LOAN_RULE_INVALID', `类别 ${String(input.category).slice(0, 40)} 不存在`);
    categoryId = category.id;
  }
  const sensitivity = input.sensitivity || null;
  if (sensitivity !== null && !SENSITIVITIES.includes(sensitivity))
    throw invalid('LOAN_RULE_INVALID', '敏感级别应为 normal、sensitive 或 restricted');
  const retention = input.retention || null;
  if (retention !== null && !RETENTIONS.includes(retention))
    throw invalid('LOAN_RULE_INVALID', `保管期限应为 ${RETENTIONS.join('、')} 之一`);
  const approvalLevels = wholeNumber(input.approvalLevels, 1, 1, 2, '审批级数');
  const values = {
    category_id: categoryId,
    sensitivity,
    retention,
    approval_levels: approvalLevels,
    level1_roles: approverRoles(input.level1Roles, ['archivist'], '一级审批角色'),
    level2_roles: approverRoles(input.level2Roles, ['manager'], '二级审批角色'),
    max_days: wholeNumber(input.maxDays, 30, 1, 365, '最长借阅天数'),
    renewals_allowed: wholeNumber(input.renewalsAllowed, 1, 0, 10, '续借次数'),
    renewal_days: wholeNumber(input.renewalDays, 15, 1, 365, '每次续借天数'),
    paper_may_leave: input.paperMayLeave ?? true,
    note: readText(input.note, '说明', 200, 'LOAN_RULE_INVALID'),
    updated_by: principal.username,
    updated_at: now,
  };
  const id = await inTransaction(db, async (trx) => {
    const ruleId = await upsertRule(trx, values);
    const { updated_at: _at, ...snapshot } = values;
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.rule_set',
      subject: `loan_rule:${ruleId}`,
      payload: { ...snapshot, category: input.category ?? null },
    });
    return ruleId;
  });
  return (await views(db, [(await findRule(db, id)) as LoanRuleRow]))[0] as LoanRuleView;
}

export async function removeLoanRule(db: Db, principal: Principal, id: number): Promise<void> {
  mayRuleAll(principal);
  await inTransaction(db, async (trx) => {
    const removed = await deleteRule(trx, id);
    if (!removed) throw notFound('LOAN_RULE_NOT_FOUND', `借阅规则 ${id} 不存在`);
    if (removed.category_id === null && removed.sensitivity === null && removed.retention === null)
      throw new YidangError('LOAN_RULE_INVALID', 'conflict', '默认规则不能删除，可以修改');
    const { updated_at: _at, ...snapshot } = removed;
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.rule_removed',
      subject: `loan_rule:${id}`,
      payload: snapshot,
    });
  });
}
