import { namesOf, type Vocabulary } from '../../app/vocabulary';

// The 鉴定与处置 codes' Chinese names, all from the server's vocabulary (none kept here).

const table = (name: string) => (v: Vocabulary) =>
  (v.values as unknown as Record<string, Record<string, string> | undefined>)[name] ?? {};

export const HOLD_KIND_NAMES = namesOf(table('holdKind'));
export const HOLD_STATE_NAMES = namesOf(table('holdState'));
export const ROUND_STATE_NAMES = namesOf(table('roundState'));
export const PROPOSAL_NAMES = namesOf(table('appraisalProposal'));
export const REGISTER_STATE_NAMES = namesOf(table('registerState'));
export const SIGN_ROLE_NAMES = namesOf(table('signRole'));
export const REFUSAL_NAMES = namesOf(table('destructionRefusal'));
export const ROW_STATE_NAMES = namesOf(table('registerRowState'));
