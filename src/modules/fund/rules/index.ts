import { afterDeath, ageMismatch, restrictedDx, sexMismatch } from './eligibility.js';
import { doubleCharge, overStandard, repeatSettlement, unbundling } from './charges.js';
import { concurrentStay, phantomBed, splitAdmission } from './stays.js';
import { overSupply } from './supply.js';
import type { RuleDefinition } from './types.js';

// The twelve audit rules, in the order they are listed and run.

export const RULES: readonly RuleDefinition[] = [
  repeatSettlement,
  concurrentStay,
  splitAdmission,
  phantomBed,
  overSupply,
  doubleCharge,
  overStandard,
  unbundling,
  sexMismatch,
  ageMismatch,
  restrictedDx,
  afterDeath,
];

const BY_CODE = new Map(RULES.map((rule) => [rule.code, rule]));

export const ruleByCode = (code: string): RuleDefinition | undefined => BY_CODE.get(code);

export type { ParamSpec, RuleDefinition } from './types.js';
