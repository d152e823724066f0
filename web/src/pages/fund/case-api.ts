import { api, unwrap } from '../../api/client';
import type { BodyOf, QueryOf, ResponseOf } from '../../api/types';
import { namesOf, type Vocabulary } from '../../app/vocabulary';

// The 核查案件 calls the console makes (/api/v1/cases), and the Chinese names of the case's codes,
// all from the server's vocabulary (none kept here).

export type CaseDetail = ResponseOf<'/api/v1/cases/{code}', 'get'>;
export type CaseRow = ResponseOf<'/api/v1/cases', 'get'>['cases'][number];
export type CaseFilter = QueryOf<'/api/v1/cases', 'get'>;
export type CaseOpen = BodyOf<'/api/v1/cases', 'post'>;
export type CaseConclude = BodyOf<'/api/v1/cases/{code}/conclude', 'post'>;

const table = (name: string) => (v: Vocabulary) =>
  (v.values as unknown as Record<string, Record<string, string> | undefined>)[name] ?? {};
export const CASE_STATE_NAMES = namesOf(table('caseState'));
export const CASE_CONCLUSION_NAMES = namesOf(table('caseConclusion'));
/** The states in their order: 立案 → 核查中 → 已结论 → 已结案. */
export const CASE_STATE_ORDER = ['open', 'examining', 'concluded', 'closed'] as const;

export const casePath = (code: string) => `/fund/cases/${encodeURIComponent(code)}`;

const defined = <T extends object>(filter: T) =>
  Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== '')) as T;

export const listCases = (filter: CaseFilter) =>
  unwrap(api.GET('/api/v1/cases', { params: { query: defined(filter) } }));
export const loadCase = (code: string) =>
  unwrap(api.GET('/api/v1/cases/{code}', { params: { path: { code } } }));
export const openCase = (body: CaseOpen) => unwrap(api.POST('/api/v1/cases', { body }));
export const assignCase = (code: string, assignee: string) =>
  unwrap(api.POST('/api/v1/cases/{code}/assign', { params: { path: { code } }, body: { assignee } }));
export const noteCase = (code: string, text: string) =>
  unwrap(api.POST('/api/v1/cases/{code}/notes', { params: { path: { code } }, body: { text } }));
export const attachToCase = (code: string, body: { items?: string[]; clues?: number[] }) =>
  unwrap(api.POST('/api/v1/cases/{code}/attach', { params: { path: { code } }, body }));
export const concludeCase = (code: string, body: CaseConclude) =>
  unwrap(api.POST('/api/v1/cases/{code}/conclude', { params: { path: { code } }, body }));
export const closeCase = (code: string) =>
  unwrap(api.POST('/api/v1/cases/{code}/close', { params: { path: { code } } }));

/** 档号 or clue numbers typed in a box: separated by spaces, commas or 、. */
export const splitList = (text = '') => text.split(/[\s,，、]+/).filter(Boolean);
