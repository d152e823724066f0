import type { RawBuilder } from 'kysely';
import type { RuleParams } from '../rule.tables.js';

// What one audit rule is: its code, Chinese name and description, a revision of its logic (the
// setting's version counts parameter changes), its parameters with their ranges, and its evaluation
// as one set-based statement over the settlements of a run.

export interface NumberParam {
  kind: 'integer' | 'number';
  label: string;
  min: number;
  max: number;
  default: number;
}

/** A list of ICD-10 prefixes (a letter and up to three more characters: C, Z51, E11.9). */
export interface IcdListParam {
  kind: 'icdList';
  label: string;
  minItems: number;
  maxItems: number;
  default: string[];
}

export type ParamSpec = NumberParam | IcdListParam;

/**
 * The run a rule is evaluated in. `settlements` is a derived table of the settlements of the run
 * (fund_settlement's columns, aliased by the caller): the rules read fund_settlement_line, fund_item
 * and fund_person beside it.
 */
export interface RuleScope {
  regionPrefix: string;
  from: string;
  to: string;
}

/**
 * One hit as a rule's statement yields it: the settlements involved (ids, ascending), the person,
 * institution and region, the amount in question, a key that with the settlements tells one hit from
 * another (an item code and a date), the lines behind it as [settlement_id, line_no] pairs, and the
 * Chinese explanation of this hit.
 */
export interface HitColumns {
  settlement_ids: string;
  person_key: string;
  institution_code: string;
  region: string;
  amount: string;
  hit_key: string;
  line_refs: string;
  note: string;
}

export interface RuleDefinition {
  code: string;
  name: string;
  /** The revision of the logic below; a change to the statement bumps it. */
  revision: number;
  description: string;
  params: Record<string, ParamSpec>;
  /**
   * The statement yielding the hits (HitColumns) of the run's settlements `s` with parameters `p`.
   * `inRun` is the condition selecting a settlement row aliased as given.
   */
  hits(params: RuleParams, inRun: (alias: string) => RawBuilder<boolean>): RawBuilder<unknown>;
}
