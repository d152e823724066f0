// test-engine: either
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import { verifyAll } from '../verify/verify.service.js';

// /api/v1/holds over HTTP: placing by a person's ID number (never echoed, never stored), listing,
// showing, lifting once; who may call what; bad input as Chinese errors with stable codes; and verify
// naming a hold changed or added behind the system's back.

let system: TestSystem;
let app: App;
let archivist: TestUser;
let auditor: TestUser;
let clerk: TestUser;
let item = '';
const PERSON = validId('32011519770707123');

beforeAll(async () => {
  system = await openTestSystem();
  item = await fileOneItem(system, {
    idNumber: PERSON,
    title: '赵六 个人零星医疗费用报销审核表',
    name: '赵六',
  });
  await fileOneItem(system);
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  archivist = await testUser(system.database.db, { roles: ['archivist'] });
  auditor = await testUser(system.database.db, { roles: ['auditor'] });
  clerk = await testUser(system.database.db, { roles: ['clerk'] });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const post = (user: TestUser, url: string, body: unknown) =>
  app.inject({ method: 'POST', url: `/api/v1${url}`, headers: user.headers, payload: body as object });
const get = (user: TestUser, url: string) =>
  app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.headers });
const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error;

describe('/api/v1/holds', () => {
  let code = '';

  it('places a hold on a person’s archives; the ID number is neither echoed nor stored', async () => {
    const placed = await post(archivist, '/holds', {
      fonds: 'J013',
      kind: 'query',
      idNumber: PERSON,
      reason: '欺诈骗保线索核查',
      caseRef: '稽核〔2026〕3号',
    });
    expect(placed.statusCode, placed.body).toBe(201);
    expect(placed.body).not.toContain(PERSON);
    const hold = placed.json() as { code: string; itemCount: number; selector: { idNumber: string } };
    code = hold.code;
    expect(hold.itemCount).toBe(1);
    expect(hold.selector.idNumber).toBe(`${PERSON.slice(0, 6)}********${PERSON.slice(-4)}`);
    const dumped = await sql<{
      t: string;
    }>`select string_agg(row_to_json(h)::text, '') as t from legal_hold h`.execute(system.database.db);
    expect(dumped.rows[0]?.t).not.toContain(PERSON);

    const listed = await get(auditor, '/holds?state=active');
    expect(listed.statusCode).toBe(200);
    expect((listed.json() as { holds: Array<{ code: string }> }).holds.map((one) => one.code)).toContain(
      code,
    );
    const shownToAuditor = await get(auditor, `/holds/${code}`);
    // The auditor reads no items: a hold by condition shows them no count (it would be content).
    expect(shownToAuditor.json()).toMatchObject({ code, itemCount: null, items: null });
    const shown = await get(archivist, `/holds/${code}`);
    expect(shown.json()).toMatchObject({ code, itemCount: 1, items: [item] });
  });

  it('refuses shortening the held item’s retention over the item API', async () => {
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${encodeURIComponent(item)}`,
      headers: archivist.headers,
      payload: { retention: 'D10', reason: '调整保管期限' },
    });
    expect(response.statusCode).toBe(409);
    expect(errorOf(response)).toMatchObject({ code: 'ITEM_ON_HOLD' });
    expect(errorOf(response).message).toContain(code);
  });

  it('answers bad input and missing rights with Chinese errors', async () => {
    const cases: Array<[TestUser, string, unknown, number, string]> = [
      [clerk, '/holds', { fonds: 'J013', year: 2024, reason: '无权冻结' }, 403, 'FORBIDDEN'],
      [archivist, '/holds', { fonds: 'J013', reason: '只有全宗的冻结' }, 400, 'HOLD_SELECTOR_EMPTY'],
      [
        archivist,
        '/holds',
        { fonds: 'J013', items: ['J013-NOPE-1'], reason: '不存在的档号' },
        404,
        'ITEM_NOT_FOUND',
      ],
      [archivist, `/holds/${code}/lift`, { reason: '' }, 400, 'HOLD_INPUT_INVALID'],
      [archivist, '/holds/DJ-2026-424242/lift', { reason: '不存在的冻结' }, 404, 'HOLD_NOT_FOUND'],
    ];
    for (const [user, url, body, status, errorCode] of cases) {
      const response = await post(user, url, body);
      expect(response.statusCode, `${url} ${response.body}`).toBe(status);
      expect(errorOf(response).code).toBe(errorCode);
      expect(errorOf(response).message).toMatch(/[\u4e00-\u9fff]/);
    }
    const badId = await post(archivist, '/holds', {
      fonds: 'J013',
      idNumber: `${PERSON.slice(0, 17)}0`,
      reason: '身份证号错了',
    });
    expect(badId.statusCode).toBe(400);
    expect(badId.body).not.toContain(`${PERSON.slice(0, 17)}0`);
    expect((await get(clerk, '/holds')).statusCode).toBe(403);
  });

  it('lifts once with a reason; an auditor may lift', async () => {
    const lifted = await post(auditor, `/holds/${code}/lift`, { reason: '线索核查完毕' });
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect(lifted.json()).toMatchObject({ state: 'lifted', stateName: '已解除', liftReason: '线索核查完毕' });
    const again = await post(archivist, `/holds/${code}/lift`, { reason: '再解除一次' });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('HOLD_ALREADY_LIFTED');
  });

  it('verify passes the holds changed through the system and names one changed or added behind its back', async () => {
    const db = system.database.db;
    const before = await verifyAll({ db, store: system.store, signingKey: system.signingKey });
    expect(before.problems.filter((problem) => problem.kind.startsWith('hold.'))).toEqual([]);
    const second = (
      await post(archivist, '/holds', { fonds: 'J013', year: 2024, reason: '专项检查冻结' })
    ).json() as {
      code: string;
    };
    await sql`update legal_hold set lifted_by = null, lifted_at = null, lift_reason = null where code = ${code}`.execute(
      db,
    );
    await sql`insert into legal_hold (code, fonds_code, selector_kind, year, reason, placed_by)
      values ('DJ-1999-1', 'J013', 'query', 2024, '绕过系统写入', 'intruder')`.execute(db);
    const after = await verifyAll({ db, store: system.store, signingKey: system.signingKey });
    const problems = after.problems
      .filter((problem) => problem.kind.startsWith('hold.'))
      .map((problem) => [problem.kind, problem.record]);
    expect(problems.sort()).toEqual([
      ['hold.altered', `冻结 ${code}`],
      ['hold.unlogged', '冻结 DJ-1999-1'],
    ]);
    expect(problems.map(([, record]) => record)).not.toContain(`冻结 ${second.code}`);
  });
});
