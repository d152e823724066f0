// test-engine: either
import { describe, expect, it } from 'vitest';
import { ALL_SCOPE, testUser } from '../../test/helpers/access.js';
import { call, db, errorOf, fileDirectly, signIn } from '../../test/helpers/access-api.js';
import { reimbursement } from '../../test/helpers/fixtures.js';
import {
  CHINESE,
  clerk,
  codes,
  counts,
  events,
  found,
  type Hit,
  insured,
  liuhe,
  liuheCode,
  MASKED_ID,
  NAME,
  PERSON_ID,
  query,
  type Result,
  reviewer,
  searchAs,
  sensitiveCode,
  useSearchApi,
} from '../../test/helpers/search-api.js';

// GET /api/v1/search over HTTP with the real app: who may search, what was just filed is found at
// once, the shape of the answer, masking of hits and snippets, and scope and the gate on sensitive
// items. Refusals of bad input and the request log are in search-api.input.test.ts.

useSearchApi();

/** The item the clerk files over HTTP in the first test (白内障, J013 江宁区). */
let filed = '';

describe('GET /api/v1/search: who may search', () => {
  it('answers 401 without sign-in and 403 to roles without item.read', async () => {
    const anonymous = await searchAs(undefined, { q: '报销' });
    expect(anonymous.statusCode).toBe(401);
    expect(errorOf(anonymous).code).toBe('AUTH_REQUIRED');
    expect(errorOf(anonymous).message).toMatch(CHINESE);
    for (const role of ['auditor', 'sysadmin', 'secadmin'] as const) {
      const admin = await testUser(db(), { roles: [role], scope: ALL_SCOPE });
      const refused = await searchAs(admin, { q: '报销' });
      expect(refused.statusCode, role).toBe(403);
      expect(errorOf(refused).code).toBe('FORBIDDEN');
    }
  });
});

describe('GET /api/v1/search: read-your-writes and the answer', () => {
  it('finds an item a clerk has just filed over HTTP, with the whole answer shape', async () => {
    const posted = await call(
      'POST',
      '/api/v1/items',
      clerk.headers,
      reimbursement({ name: NAME, idNumber: PERSON_ID, title: `${NAME} 白内障手术费用报销审核表` }),
    );
    expect(posted.statusCode, posted.body).toBe(201);
    filed = posted.json().archiveCode as string;

    const result = await found(clerk, { q: '白内障' });
    expect(codes(result)).toEqual([filed]);
    expect(result).toMatchObject({
      total: 1,
      exact: true,
      nextCursor: null,
      sort: 'relevance',
      notices: [],
      indexPending: 0,
    });
    expect(result.facets).toEqual({
      category: [{ value: 'JSLX', label: expect.stringMatching(CHINESE), count: 1 }],
      year: [{ value: '2024', label: '2024年', count: 1 }],
      region: [{ value: '320115', label: '江宁区', count: 1 }],
      carrier: [{ value: 'electronic', label: '电子', count: 1 }],
    });
    const hit = result.hits[0] as Hit;
    expect(Number.isInteger(hit.score)).toBe(true);
    const title = hit.highlights.find((highlight) => highlight.field === 'title');
    expect(title).toMatchObject({ label: expect.stringMatching(CHINESE), text: hit.item.title });
    expect(title?.marks.length).toBeGreaterThan(0);
    for (const [from, to] of title?.marks ?? []) expect(title?.text.slice(from, to)).toBe('白内障');
  });

  it('works the same for a browser session, and pages with nextCursor', async () => {
    const session = await signIn('search-clerk');
    const first = await call('GET', `/api/v1/search?${query({ q: '报销审核表', limit: 1 })}`, session.read);
    expect(first.statusCode, first.body).toBe(200);
    const page1 = first.json() as Result;
    // Of the three 报销审核表 so far, the 六合区 one is out of scope and the sensitive one gated.
    expect(page1.total).toBe(1);
    expect(codes(page1)).toEqual([filed]);
    // Two items in scope to page through: one more in J013, filed directly.
    const second = await fileDirectly({ name: NAME, idNumber: PERSON_ID, title: `${NAME} 门诊报销审核表` });
    const both = await found(clerk, { q: '报销审核表', limit: 1, sort: 'date' });
    expect(both.total).toBe(2);
    expect(both.nextCursor).toEqual(expect.any(String));
    const next = await found(clerk, {
      q: '报销审核表',
      limit: 1,
      sort: 'date',
      cursor: both.nextCursor as string,
    });
    expect(next.nextCursor).toBeNull();
    expect([...codes(both), ...codes(next)].sort()).toEqual([filed, second].sort());
    // The same by relevance (the default with words): each item once over the two pages.
    const ranked = await found(clerk, { q: '报销审核表', limit: 1 });
    expect(ranked).toMatchObject({ sort: 'relevance', total: 2, nextCursor: expect.any(String) });
    const rest = await found(clerk, { q: '报销审核表', limit: 1, cursor: ranked.nextCursor as string });
    expect([...codes(ranked), ...codes(rest)].sort()).toEqual([filed, second].sort());
  });
});

describe('GET /api/v1/search: masking', () => {
  it('masks name and ID number in hits, titles and snippets by default', async () => {
    const response = await searchAs(clerk, { q: NAME });
    expect(response.statusCode, response.body).toBe(200);
    const result = response.json() as Result;
    expect(codes(result)).toContain(filed);
    for (const hit of result.hits) {
      expect(hit.item.name).toBe('王*国');
      expect(hit.item.idNumber).toBe(MASKED_ID);
      expect(hit.item.title.startsWith('王*国 ')).toBe(true);
      for (const highlight of hit.highlights) expect(highlight.text).not.toContain(NAME);
    }
    expect(response.body).not.toContain(NAME);
    expect(response.body).not.toContain(PERSON_ID);
  });

  it('shows them to a reviewer who asks, logging item.unmasked; refuses a clerk', async () => {
    const before = (await events('item.unmasked')).length;
    const refused = await searchAs(clerk, { q: '白内障', unmask: true });
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('FORBIDDEN');
    expect(refused.body).not.toContain(PERSON_ID);
    expect(await events('item.unmasked')).toHaveLength(before);

    const result = await found(reviewer, { q: '白内障', unmask: true, purpose: '复核报销金额' });
    expect(codes(result)).toEqual([filed]);
    const hit = result.hits[0] as Hit;
    expect(hit.item).toMatchObject({
      name: NAME,
      idNumber: PERSON_ID,
      title: `${NAME} 白内障手术费用报销审核表`,
    });
    const logged = (await events('item.unmasked')).slice(before);
    expect(logged).toEqual([
      {
        actor: reviewer.username,
        subject: `item:${filed}`,
        payload: expect.stringContaining('复核报销金额'),
      },
    ]);
    expect(logged[0]?.payload).not.toContain(PERSON_ID);
  });
});

describe('GET /api/v1/search: scope and sensitive items', () => {
  it('shows a user scoped to another region only their region, in hits, total and facets', async () => {
    const other = await found(liuhe, { q: '白内障' });
    expect(codes(other)).toEqual([liuheCode]);
    expect(other.total).toBe(1);
    expect(counts(other.facets.region)).toEqual({ 320116: 1 });
    expect(counts(other.facets.year)).toEqual({ 2023: 1 });
    const asked = await found(liuhe, { q: '白内障', region: '320115' });
    expect(asked).toMatchObject({ total: 0, hits: [] });
    expect(asked.facets).toEqual({ category: [], year: [], region: [], carrier: [] });
    expect((await found(liuhe, { q: filed })).total).toBe(0);
    // And the clerk of 江宁区 does not count the 六合区 item.
    const own = await found(clerk, { q: '白内障' });
    expect(codes(own)).toEqual([filed]);
    expect(counts(own.facets.region)).toEqual({ 320115: 1 });
  });

  it('hides a 敏感 item from a clerk without a grant, while its 参保人 finds it', async () => {
    for (const q of ['青光眼', sensitiveCode, '李秀英']) {
      const result = await found(clerk, { q });
      expect(codes(result), q).not.toContain(sensitiveCode);
      expect(result.total, q).toBe(0);
      expect(result.facets).toEqual({ category: [], year: [], region: [], carrier: [] });
    }
    expect((await found(clerk, { sensitivity: '敏感' })).total).toBe(0);
    // It is in the index: the 参保人 whose own record it is finds it.
    const own = await found(insured, { q: '青光眼' });
    expect(codes(own)).toEqual([sensitiveCode]);
  });

  it('is listed in the OpenAPI document', async () => {
    const spec = (await call('GET', '/api/openapi.json')).json();
    const operation = spec.paths['/api/v1/search']?.get;
    expect(operation).toBeDefined();
    const names = (operation.parameters as Array<{ name: string }>).map((parameter) => parameter.name);
    expect(names).toEqual(expect.arrayContaining(['q', 'category', 'yearFrom', 'limit', 'cursor', 'unmask']));
  });
});
