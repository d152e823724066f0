// test-engine: either
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';

// /api/v1/cases over HTTP: a case walked from 立案 to 结案 by a supervisor (each answer the case with
// its steps), who may call what, and bad input as Chinese errors with stable codes.

let system: TestSystem;
let app: App;
let supervisor: TestUser;
let assignee: TestUser;
let manager: TestUser;
let clerk: TestUser;
let item = '';
const PERSON = validId('32011519770707123');
const J013 = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];

beforeAll(async () => {
  system = await openTestSystem();
  item = await fileOneItem(system, { idNumber: PERSON, title: '赵六 住院费用审核表', name: '赵六' });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  const db = system.database.db;
  supervisor = await testUser(db, { roles: ['supervisor'], scope: J013 });
  assignee = await testUser(db, { roles: ['supervisor'], scope: J013 });
  manager = await testUser(db, { roles: ['manager'], scope: J013 });
  clerk = await testUser(db, { roles: ['clerk'], scope: J013 });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const post = (user: TestUser, url: string, body: unknown = {}) =>
  app.inject({ method: 'POST', url: `/api/v1${url}`, headers: user.headers, payload: body as object });
const get = (user: TestUser, url: string) =>
  app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.headers });
const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error;

describe('/api/v1/cases', () => {
  it('walks a case from 立案 to 结案', async () => {
    const opened = await post(supervisor, '/cases', {
      title: '某医院涉嫌分解住院',
      fonds: 'J013',
      region: '320115',
      reason: '群众举报同一病人反复出入院',
      items: [item],
    });
    expect(opened.statusCode, opened.body).toBe(201);
    expect(opened.body).not.toContain(PERSON);
    const code = (opened.json() as { code: string }).code;
    expect(opened.json()).toMatchObject({ state: 'open', stateName: '立案', evidenceCount: 1 });
    const steps: Array<[string, unknown]> = [
      ['assign', { assignee: assignee.username }],
      ['notes', { text: '调取两次住院病历，间隔 9 天，主诊断相同' }],
      ['conclude', { conclusion: 'violation', amount: 3250.8, reason: '分解住院，追回第二次住院统筹支付' }],
      ['close', {}],
    ];
    for (const [step, body] of steps) {
      const response = await post(assignee, `/cases/${code}/${step}`, body);
      expect(response.statusCode, `${step}: ${response.body}`).toBe(200);
    }
    const shown = await get(manager, `/cases/${code}`);
    expect(shown.statusCode).toBe(200);
    const detail = shown.json() as {
      state: string;
      recoverAmount: string;
      filedCode: string;
      steps: Array<{ label: string }>;
      holds: Array<{ lifted: boolean }>;
      notes: Array<{ text: string }>;
    };
    expect(detail).toMatchObject({ state: 'closed', recoverAmount: '3250.80' });
    expect(detail.filedCode).toMatch(/^J013-JGJH/);
    expect(detail.holds.every((hold) => hold.lifted)).toBe(true);
    expect(detail.steps.map((step) => step.label)).toEqual([
      '核查立案',
      '指派核查承办人',
      '记录核查情况',
      '作出核查结论',
      '核查结案',
    ]);
    expect(shown.body).not.toContain(PERSON);
    const listed = await get(manager, '/cases?state=closed');
    expect((listed.json() as { cases: Array<{ code: string }> }).cases.map((row) => row.code)).toContain(
      code,
    );
  });

  it('answers who may do what, and bad input in Chinese with stable codes', async () => {
    expect((await get(clerk, '/cases')).statusCode).toBe(403);
    expect((await post(manager, '/cases', { title: '经理立案', fonds: 'J013' })).statusCode).toBe(403);
    const manual = { title: '人工立案', fonds: 'J013', region: '320115', reason: '群众举报内容' };
    const code = ((await post(supervisor, '/cases', manual)).json() as { code: string }).code;
    const bad: Array<[string, unknown, number, string]> = [
      [`/cases/${code}/conclude`, { conclusion: 'violation', amount: '12' }, 409, 'CASE_STATE'],
      [`/cases/${code}/close`, {}, 409, 'CASE_STATE'],
      [`/cases/${code}/notes`, { text: `参保人 ${PERSON}` }, 400, 'ID_NUMBER_IN_TEXT'],
      [`/cases/${code}/assign`, { assignee: clerk.username }, 400, 'CASE_ASSIGNEE_INVALID'],
      [`/cases/${code}/attach`, { items: ['J099-XX·2024-D30-XX-1'] }, 404, 'ITEM_NOT_FOUND'],
      ['/cases/HC20269999/notes', { text: '不存在的案件' }, 404, 'CASE_NOT_FOUND'],
      ['/cases', { ...manual, reason: undefined }, 400, 'CASE_INPUT_INVALID'],
    ];
    for (const [url, body, status, errorCode] of bad) {
      const response = await post(supervisor, url, body);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(status);
      expect(errorOf(response).code).toBe(errorCode);
      expect(response.body).not.toContain(PERSON);
    }
    await post(supervisor, `/cases/${code}/notes`, { text: '核查中' });
    await post(supervisor, `/cases/${code}/assign`, { assignee: supervisor.username });
    for (const amount of ['abc', '0', '-1', '1.234'])
      expect(
        errorOf(await post(supervisor, `/cases/${code}/conclude`, { conclusion: 'violation', amount })).code,
      ).toBe('CASE_AMOUNT_INVALID');
    expect((await post(supervisor, '/cases', { title: 1 })).statusCode).toBe(400);
    expect((await get(supervisor, '/cases?state=nonsense')).statusCode).toBe(400);
  });
});
