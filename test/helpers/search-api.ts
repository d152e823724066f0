import { sql } from 'kysely';
import { beforeAll, expect } from 'vitest';
import { type TestUser, testUser } from './access.js';
import { BUSINESS_SCOPE, call, db, fileDirectly, useAccessApi } from './access-api.js';
import { validId } from './fixtures.js';

// Shared set-up for the src/http/search-api.*.test.ts files: GET /api/v1/search over HTTP with the real
// app, as users of different roles and scopes, over an out-of-scope 六合区 item and a sensitive one.
// Each test file calls useSearchApi() once at its top level and gets its own system, app and users.

export const NAME = '王建国';
export const PERSON_ID = validId('32011519720815004');
export const SENSITIVE_ID = validId('32011519660101002');
export const MASKED_ID = `${PERSON_ID.slice(0, 6)}********${PERSON_ID.slice(-4)}`;
export const CHINESE = /[\u4e00-\u9fff]/;

/** Set by useSearchApi's beforeAll (ESM live bindings). */
export let clerk: TestUser;
export let reviewer: TestUser;
export let liuhe: TestUser;
export let insured: TestUser;
export let liuheCode = '';
export let sensitiveCode = '';

export interface Hit {
  item: Record<string, unknown> & { archiveCode: string; title: string; name: string | null };
  score: number | null;
  highlights: Array<{ field: string; label: string; text: string; marks: Array<[number, number]> }>;
}
export interface Facet {
  value: string;
  label: string;
  count: number;
}
export interface Result {
  total: number;
  exact: boolean;
  facets: Record<'category' | 'year' | 'region' | 'carrier', Facet[]>;
  hits: Hit[];
  nextCursor: string | null;
  sort: string;
  notices: string[];
  indexPending: number;
}

/** Opens the app (useAccessApi), then creates the users and files the 六合区 and sensitive items. */
export function useSearchApi(): void {
  useAccessApi();
  beforeAll(async () => {
    clerk = await testUser(db(), { roles: ['clerk'], scope: BUSINESS_SCOPE, username: 'search-clerk' });
    reviewer = await testUser(db(), {
      roles: ['reviewer'],
      scope: BUSINESS_SCOPE,
      username: 'search-reviewer',
    });
    liuhe = await testUser(db(), {
      roles: ['clerk'],
      scope: [{ fondsCode: 'J014', regionCode: '320116', categoryCode: null }],
      username: 'search-liuhe',
    });
    insured = await testUser(db(), { roles: ['insured'], scope: [], idNumber: SENSITIVE_ID });
    // Another region's 白内障 item (六合区, fonds J014), and a sensitive 青光眼 item in the clerk's scope.
    liuheCode = await fileDirectly({
      fonds: 'J014',
      poolingRegion: '320116',
      name: '赵六',
      idNumber: validId('32011619800101003'),
      title: '赵六 白内障复查费用报销审核表',
      date: '2023-05-05',
    });
    sensitiveCode = await fileDirectly({
      sensitivity: 'sensitive',
      name: '李秀英',
      idNumber: SENSITIVE_ID,
      title: '李秀英 青光眼手术费用报销审核表',
    });
  });
}

export const query = (params: Record<string, string | number | boolean>) =>
  new URLSearchParams(
    Object.entries(params).map(([key, value]): [string, string] => [key, String(value)]),
  ).toString();
export const searchAs = (user: TestUser | undefined, params: Record<string, string | number | boolean>) =>
  call('GET', `/api/v1/search?${query(params)}`, user?.headers ?? {});

export async function found(
  user: TestUser,
  params: Record<string, string | number | boolean>,
): Promise<Result> {
  const response = await searchAs(user, params);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as Result;
}
export const codes = (result: Result) => result.hits.map((hit) => hit.item.archiveCode).sort();
export const counts = (facets: Facet[]) =>
  Object.fromEntries(facets.map((facet) => [facet.value, facet.count]));

export async function events(
  action: string,
): Promise<Array<{ actor: string; subject: string; payload: string }>> {
  const result = await sql<{ actor: string; subject: string; payload: string }>`
    select actor, subject, payload from integrity_event where action = ${action} order by seq`.execute(db());
  return result.rows;
}
