import { namesOf, type Vocabulary, vocabulary } from '../../app/vocabulary';

// The 鉴定与处置 codes' Chinese names, all from the server's vocabulary (none kept here).

const table = (name: string) => (v: Vocabulary) =>
  (v.values as unknown as Record<string, Record<string, string> | undefined>)[name] ?? {};

export const HOLD_KIND_NAMES = namesOf(table('holdKind'));
/** The fields a query hold may name. */
export const HOLD_QUERY_FIELDS = namesOf(
  (v) => (v.fields as unknown as Record<string, Record<string, string> | undefined>).holdQuery ?? {},
);
export const HOLD_STATE_NAMES = namesOf(table('holdState'));
export const ROUND_STATE_NAMES = namesOf(table('roundState'));
export const PROPOSAL_NAMES = namesOf(table('appraisalChoice'));
export const SIGN_ROLE_NAMES = namesOf(table('signRole'));

/** How paper is destroyed (the ways the server accepts). */
export const paperMethods = (): string[] =>
  (vocabulary() as unknown as { paperMethods?: string[] }).paperMethods ?? [];
