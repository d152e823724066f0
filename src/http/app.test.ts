// test-engine: either
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { FONDS, reimbursement, wrongCheckId } from '../../test/helpers/fixtures.js';
import { type App, buildApp } from './app.js';

let database: TestDatabase;
let app: App;
/** Files and reads items (经办人员). */
let clerk: TestUser;
/** Edits items and keeps the scheme (档案员). */
let archivist: TestUser;

beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database, bodyLimit: 256 * 1024 });
  clerk = await testUser(database.db, { roles: ['clerk'], username: 'clerk-xiaowang' });
  archivist = await testUser(database.db, { roles: ['archivist'], username: 'archivist-zhang' });
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/fonds',
    payload: FONDS,
    headers: archivist.headers,
  });
  expect(created.statusCode).toBe(201);
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

/** A request as the clerk unless another user's headers are given. */
const post = (url: string, payload: unknown, headers: Record<string, string> = clerk.headers) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });
const get = (url: string, headers: Record<string, string> = clerk.headers) =>
  app.inject({ method: 'GET', url, headers });
const codeUrl = (code: string) => `/api/v1/items/${encodeURIComponent(code)}`;

describe('documents', () => {
  it('serves an OpenAPI document generated from the route schemas, and a docs page', async () => {
    const spec = (await app.inject('/api/openapi.json')).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/items',
        '/api/v1/items/{archiveCode}',
        '/api/v1/categories',
        '/api/v1/retention-schedule',
      ]),
    );
    expect(
      spec.paths['/api/v1/items'].post.requestBody.content['application/json'].schema.properties.idNumber,
    ).toBeDefined();
    const docs = await app.inject('/api/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    expect((await app.inject('/api/v1/health')).json()).toMatchObject({
      status: 'ok',
      database: database.kind,
    });
  });

  it('needs no sign-in for the health check and the API documents, but does for the archives', async () => {
    const health = await app.inject('/api/v1/health');
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe('ok');
    const spec = await app.inject('/api/openapi.json');
    expect(spec.statusCode).toBe(200);
    expect(spec.json().openapi).toMatch(/^3\./);

    const items = await app.inject('/api/v1/items');
    expect(items.statusCode).toBe(401);
    expect(items.json().error).toMatchObject({
      code: 'AUTH_REQUIRED',
      message: expect.stringMatching(/登录/),
    });
  });
});

describe('items', () => {
  it('files an item, shows it by 档号, edits it with a reason and lists its versions', async () => {
    const created = await post('/api/v1/items', reimbursement());
    expect(created.statusCode).toBe(201);
    const item = created.json();
    expect(item).toMatchObject({
      archiveCode: 'J013-JSLX·2024-D30-JSK-0001',
      createdBy: clerk.username,
      amount: '1234.50',
    });

    const shown = await get(codeUrl(item.archiveCode));
    expect(shown.statusCode).toBe(200);
    // Personal data is masked by default (the same masking as in the creation answer).
    expect(shown.json().idNumber).toBe(item.idNumber);
    expect(shown.json().idNumber).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
    expect(shown.json().name).toBe('王*国');

    const patched = await app.inject({
      method: 'PATCH',
      url: codeUrl(item.archiveCode),
      payload: { title: '王建国 零星报销审核表（更正）', reason: '题名笔误' },
      headers: archivist.headers,
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      version: 2,
      archiveCode: item.archiveCode,
      changeReason: '题名笔误',
      createdBy: clerk.username,
      updatedBy: archivist.username,
    });
    const versions = (await get(`${codeUrl(item.archiveCode)}/versions`)).json().versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(versions[0].item.title).toBe('王*国 个人零星医疗费用报销审核表');
    const unmasked = await app.inject({
      method: 'GET',
      url: `${codeUrl(item.archiveCode)}/versions?unmask=true`,
      headers: archivist.headers,
    });
    expect(unmasked.json().versions[0].item.title).toBe('王建国 个人零星医疗费用报销审核表');
    expect(versions[1].changedBy).toBe(archivist.username);
  });

  it('answers bad items with every problem, in Chinese, and a stable code', async () => {
    const response = await post(
      '/api/v1/items',
      reimbursement({ idNumber: wrongCheckId(), amount: 'abc', extra: {} }),
    );
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues.map((issue: { field: string }) => issue.field).sort()).toEqual([
      'amount',
      'extra.hospital',
      'idNumber',
    ]);
    expect(error.issues.find((issue: { field: string }) => issue.field === 'idNumber').message).toMatch(
      /^身份证号校验码错误/,
    );
  });

  it('rejects malformed JSON, oversized bodies and unknown routes clearly', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: '{"title": ',
      headers: { ...clerk.headers, 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({ code: 'INVALID_JSON', message: '请求体不是有效的 JSON' });
    const huge = await post('/api/v1/items', reimbursement({ title: '长'.repeat(200_000) }));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('BODY_TOO_LARGE');
    const long = await post('/api/v1/items', reimbursement({ title: '长'.repeat(501) }));
    expect(long.json().error.issues[0]).toMatchObject({
      field: 'title',
      message: expect.stringContaining('最多 500 个字符'),
    });
    const missing = await get('/api/v1/nothing-here');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ROUTE_NOT_FOUND');
    const unknown = await get(codeUrl('J013-JSLX·1999-D30-JSK-9999'));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'ITEM_NOT_FOUND' });
  });

  it('files a batch all-or-nothing and pages through the list by category and year', async () => {
    const bad = await post('/api/v1/items/batch', {
      items: [reimbursement({ date: '2023-01-05' }), reimbursement({ date: '2023-01-06', category: 'XX' })],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues[0].field).toBe('items[1].category');
    const good = await post('/api/v1/items/batch', {
      items: Array.from({ length: 5 }, (_, index) => reimbursement({ date: `2023-01-0${index + 1}` })),
    });
    expect(good.statusCode).toBe(201);
    expect(good.json().filed.map((entry: { archiveCode: string }) => entry.archiveCode.slice(-4))).toEqual([
      '0001',
      '0002',
      '0003',
      '0004',
      '0005',
    ]);
    const first = (await get('/api/v1/items?category=JS&year=2023&limit=3')).json();
    expect(first.items).toHaveLength(3);
    const second = (
      await get(`/api/v1/items?category=JS&year=2023&limit=3&cursor=${first.nextCursor}`)
    ).json();
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    const badQuery = await get('/api/v1/items?year=abc');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().error.issues[0].field).toBe('query.year');
  });
});

describe('scheme', () => {
  it('adds, retires and refuses to delete a category in use; regional retention overrides', async () => {
    const categories = (await get('/api/v1/categories', archivist.headers)).json();
    expect(categories.find((row: { code: string }) => row.code === 'DYMT')).toMatchObject({
      name: '门诊慢特病待遇审核',
      parent: 'DY',
      defaultSensitivity: 'sensitive',
    });
    const added = await post(
      '/api/v1/categories',
      { code: 'YPJC', name: '药品集采', defaultRetention: 'D30', parent: 'JG' },
      archivist.headers,
    );
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ parent: 'JG', status: 'active' });
    const retired = await app.inject({
      method: 'PATCH',
      url: '/api/v1/categories/YPJC',
      payload: { status: 'retired' },
      headers: archivist.headers,
    });
    expect(retired.json().status).toBe('retired');
    const remove = (code: string) =>
      app.inject({ method: 'DELETE', url: `/api/v1/categories/${code}`, headers: archivist.headers });
    const inUse = await remove('JSLX');
    expect(inUse.statusCode).toBe(400);
    expect(inUse.json().error.code).toBe('CATEGORY_IN_USE');
    expect((await remove('YPJC')).statusCode).toBe(204);

    const set = await app.inject({
      method: 'PUT',
      url: '/api/v1/retention-schedule/BA/440000',
      payload: { retention: 'D15', reason: '人口流动频繁' },
      headers: archivist.headers,
    });
    expect(set.statusCode).toBe(204);
    const schedule = (await get('/api/v1/retention-schedule', archivist.headers)).json();
    expect(
      schedule.find((entry: { category: string }) => entry.category === 'BA').overrides[0],
    ).toMatchObject({
      regionCode: '440000',
      regionName: '广东省',
      retention: 'D15',
    });
    const pattern = await post(
      '/api/v1/fonds',
      { code: 'X001', name: '测试', regionCode: '320115', archiveCodePattern: '{fonds}{item}' },
      archivist.headers,
    );
    expect(pattern.statusCode).toBe(400);
    expect(pattern.json().error.code).toBe('PATTERN_INVALID');
  });
});
