import { api, unwrap } from '../../api/client';
import type { BodyOf, QueryOf, ResponseOf } from '../../api/types';
import { namesOf, type Vocabulary } from '../../app/vocabulary';

// The 规则与线索 calls the console makes (/api/v1/fund/rules, runs, clues), and the Chinese names of
// the clue and run states from the server's vocabulary (none kept here).

export type Rule = ResponseOf<'/api/v1/fund/rules', 'get'>['rules'][number];
export type RuleChange = BodyOf<'/api/v1/fund/rules/{code}', 'put'>;
export type Run = ResponseOf<'/api/v1/fund/runs', 'get'>['runs'][number];
export type RunOrder = BodyOf<'/api/v1/fund/runs', 'post'>;
export type ClueRow = ResponseOf<'/api/v1/fund/clues', 'get'>['clues'][number];
export type ClueDetail = ResponseOf<'/api/v1/fund/clues/{id}', 'get'>;
export type ClueFilter = QueryOf<'/api/v1/fund/clues', 'get'>;

const table = (name: string) => (v: Vocabulary) =>
  (v.values as unknown as Record<string, Record<string, string> | undefined>)[name] ?? {};
export const CLUE_STATE_NAMES = namesOf(table('clueState'));
export const RUN_STATE_NAMES = namesOf(table('fundRunState'));

const defined = <T extends object>(filter: T) =>
  Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== '')) as T;

export const listRules = () => unwrap(api.GET('/api/v1/fund/rules'));
export const changeRule = (code: string, body: RuleChange) =>
  unwrap(api.PUT('/api/v1/fund/rules/{code}', { params: { path: { code } }, body }));
export const listRuns = () => unwrap(api.GET('/api/v1/fund/runs', { params: { query: { limit: 20 } } }));
export const startRun = (body: RunOrder) => unwrap(api.POST('/api/v1/fund/runs', { body }));
export const listClues = (filter: ClueFilter) =>
  unwrap(api.GET('/api/v1/fund/clues', { params: { query: defined(filter) } }));
export const loadClue = (id: number) =>
  unwrap(api.GET('/api/v1/fund/clues/{id}', { params: { path: { id } } }));
export const dismissClue = (id: number, reason: string) =>
  unwrap(api.POST('/api/v1/fund/clues/{id}/dismiss', { params: { path: { id } }, body: { reason } }));

/** A parameter's value as the form shows it: a list as comma-separated prefixes. */
export const paramText = (value: number | string[]) =>
  Array.isArray(value) ? value.join(',') : String(value);
