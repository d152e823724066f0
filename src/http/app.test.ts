import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { FONDS, reimbursement, wrongCheckId } from '../../test/helpers/fixtures.js';
import { type App, buildApp } from './app.js';

let database: TestDatabase;
let app: App;

beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database, bodyLimit: 256 * 1024 });
  const created = await app.inject({ method: 'POST', url: '/api/v1/fonds', payload: FONDS });
  expect(created.statusCode).toBe(201);
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });
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
});

describe('items', () => {
  it('files an item, shows it by 档号, edits it with a reason and lists its versions', async () => {
    const created = await post('/api/v1/items', reimbursement(), { 'x-yidang-actor': '经办员小王' });
    expect(created.statusCode).toBe(201);
    const item = created.json();
    expect(item).toMatchObject({
      archiveCode: 'J013-JSLX·2024-D30-JSK-0001',
      createdBy: '经办员小王',
      amount: '1234.50',
    });

    const shown = await app.inject(codeUrl(item.archiveCode));
    expect(shown.statusCode).toBe(200);
    expect(shown.json().idNumber).toBe(item.idNumber);

    const patched = await app.inject({
      method: 'PATCH',
      url: codeUrl(item.archiveCode),
      payload: { title: '王建国 零星报销审核表（更正）', reason: '题名笔误' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      version: 2,
      archiveCode: item.archiveCode,
      changeReason: '题名笔误',
    });
    const versions = (await app.inject(`${codeUrl(item.archiveCode)}/versions`)).json().versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(versions[0].item.title).toBe('王建国 个人零星医疗费用报销审核表');
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
      headers: { 'content-type': 'application/json' },
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
    const missing = await app.inject('/api/v1/nothing-here');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ROUTE_NOT_FOUND');
    const unknown = await app.inject(codeUrl('J013-JSLX·1999-D30-JSK-9999'));
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
    const first = (await app.inject('/api/v1/items?category=JS&year=2023&limit=3')).json();
    expect(first.items).toHaveLength(3);
    const second = (
      await app.inject(`/api/v1/items?category=JS&year=2023&limit=3&cursor=${first.nextCursor}`)
    ).json();
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    const badQuery = await app.inject('/api/v1/items?year=abc');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().error.issues[0].field).toBe('query.year');
  });
});

describe('scheme', () => {
  it('adds, retires and refuses to delete a category in use; regional retention overrides', async () => {
    const categories = (await app.inject('/api/v1/categories')).json();
    expect(categories.find((row: { code: string }) => row.code === 'DYMT')).toMatchObject({
      name: '门诊慢特病待遇审核',
      parent: 'DY',
      defaultSensitivity: 'sensitive',
    });
    const added = await post('/api/v1/categories', {
      code: 'YPJC',
      name: '药品集采',
      defaultRetention: 'D30',
      parent: 'JG',
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ parent: 'JG', status: 'active' });
    const retired = await app.inject({
      method: 'PATCH',
      url: '/api/v1/categories/YPJC',
      payload: { status: 'retired' },
    });
    expect(retired.json().status).toBe('retired');
    const inUse = await app.inject({ method: 'DELETE', url: '/api/v1/categories/JSLX' });
    expect(inUse.statusCode).toBe(400);
    expect(inUse.json().error.code).toBe('CATEGORY_IN_USE');
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/categories/YPJC' })).statusCode).toBe(204);

    const set = await app.inject({
      method: 'PUT',
      url: '/api/v1/retention-schedule/BA/440000',
      payload: { retention: 'D15', reason: '人口流动频繁' },
    });
    expect(set.statusCode).toBe(204);
    const schedule = (await app.inject('/api/v1/retention-schedule')).json();
    expect(
      schedule.find((entry: { category: string }) => entry.category === 'BA').overrides[0],
    ).toMatchObject({
      regionCode: '440000',
      regionName: '广东省',
      retention: 'D15',
    });
    const pattern = await post('/api/v1/fonds', {
      code: 'X001',
      name: '测试',
      regionCode: '320115',
      archiveCodePattern: '{fonds}{item}',
    });
    expect(pattern.statusCode).toBe(400);
    expect(pattern.json().error.code).toBe('PATTERN_INVALID');
  });
});
