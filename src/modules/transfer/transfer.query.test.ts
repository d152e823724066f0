import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import type { Principal } from '../access/principal.js';
import { accessContextOf } from '../access/principal.js';
import { placeHold } from '../catalog/hold.service.js';
import { checkItem } from '../check/check.service.js';
import { listEvents } from '../integrity/event.queries.js';
import { addFile } from '../storage/file.service.js';
import { verifyAll } from '../verify/verify.service.js';
import { candidates } from './transfer.draw.js';
import { drawBatch } from './transfer.service.js';
import { showBatch } from './transfer.view.js';

// A transfer batch drawn by a search query (检索式): what the drawer's own search finds in the fonds,
// with category and year as filters, each item that may not go refused with its reason as in any
// draw; the drawer's scope and the sensitive gate hold; the query is kept on the batch and only its
// digest reaches the log; the size is bounded.

let system: TestSystem;
const db = () => system.database.db;
let serial = 0;
const file = async (overrides: Record<string, unknown> = {}) => {
  serial += 1;
  const code = await fileOneItem(system, {
    year: 2020,
    date: '2020-06-01',
    handledAt: '2020-06-01T10:00:00+08:00',
    idNumber: validId(`32011519710101${String(serial).padStart(3, '0')}`),
    title: `住院费用结算单 第${serial}号`,
    ...overrides,
  });
  await addFile(
    { db: db(), store: system.store, access: SYSTEM },
    code,
    { fileName: `结算单-${serial}.txt`, stream: streamOf(`结算单内容 ${serial}\n`) },
    'test',
  );
  return code;
};
const check = (code: string) => checkItem({ db: db(), store: system.store }, code, 'test', SYSTEM);

let drawer: Principal;
let regional: Principal;
beforeAll(async () => {
  system = await openTestSystem();
  drawer = await account(db(), 'query-drawer', ['archivist']);
});
afterAll(() => system?.dispose());
const as = (principal: Principal) => accessContextOf(db(), principal);

describe('a transfer batch drawn by a query', () => {
  let hit: string;
  let held: string;
  let unchecked: string;
  let otherRegion: string;
  let sensitive: string;
  let otherYear: string;
  let unrelated: string;

  it('takes what the search finds, with the refusal reasons of any draw', async () => {
    hit = await file({ title: '张秀英 血液透析 住院结算单' });
    held = await file({ title: '血液透析 门诊慢特病 结算单' });
    unchecked = await file({ title: '血液透析 费用明细' });
    otherRegion = await file({ title: '血液透析 秦淮区结算单', poolingRegion: '320104' });
    sensitive = await file({ title: '血液透析 敏感病历', sensitivity: 'sensitive' });
    otherYear = await file({ title: '血液透析 往年结算单', year: 2021, date: '2021-01-05' });
    unrelated = await file({ title: '生育津贴审核表' });
    for (const code of [hit, held, otherRegion, sensitive, otherYear, unrelated]) await check(code);
    await placeHold(db(), SYSTEM, { fonds: 'J013', items: [held], reason: '稽核取证', caseRef: 'AJ-31' });

    const drawn = await drawBatch(db(), await as(drawer), {
      fonds: 'J013',
      receiver: '南京市档案馆',
      year: 2020,
      query: '血液透析',
    });
    const view = await showBatch(db(), await as(drawer), drawn.code);
    const codes = view.items.map((item) => item.archiveCode).sort();
    // The sensitive item without a grant is not found by the drawer's search: neither listed nor refused.
    expect(codes).toEqual([hit, held, unchecked, otherRegion].sort());
    expect(drawn.items).toBe(2);
    expect(Object.fromEntries(drawn.refused.map((r) => [r.archiveCode, r.reason]))).toEqual({
      [held]: 'held',
      [unchecked]: 'unchecked',
    });
    expect(codes).not.toContain(sensitive);
    expect(codes).not.toContain(otherYear);
    expect(codes).not.toContain(unrelated);
    expect(view.selector).toEqual({ year: 2020, query: '血液透析', person: false });

    // The log carries the query's digest only; verify recomputes the batch's state from the row.
    const [event] = (await listEvents(db(), { subject: `transfer:${drawn.code}`, limit: 5 })).filter(
      (e) => e.action === 'transfer.drawn',
    );
    const payload = JSON.stringify(event?.payload);
    expect(payload).not.toContain('血液透析');
    const digest = crypto.createHash('sha256').update('血液透析').digest('hex');
    expect(payload).toContain(`sha256:${digest}`);
    const report = await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey });
    expect(report.problems).toEqual([]);
  });

  it("holds to the drawer's scope, and names items already on an open batch", async () => {
    regional = await account(
      db(),
      'query-regional',
      ['archivist'],
      [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }],
    );
    const drawn = await drawBatch(db(), await as(regional), {
      fonds: 'J013',
      receiver: '南京市档案馆',
      query: '血液透析 OR 生育津贴',
    });
    const view = await showBatch(db(), await as(regional), drawn.code);
    const codes = view.items.map((item) => item.archiveCode);
    expect(codes).not.toContain(otherRegion);
    expect(codes).toContain(unrelated);
    expect(codes).toContain(otherYear);
    expect(Object.fromEntries(drawn.refused.map((r) => [r.archiveCode, r.reason]))).toMatchObject({
      [hit]: 'on_batch',
      [held]: 'held',
    });
  });

  it('refuses a query holding an ID number, mixed with 档号 or a person, one finding nothing, or an empty one', async () => {
    const access = await as(drawer);
    const base = { fonds: 'J013', receiver: '南京市档案馆' };
    const id = validId('32011519710101001');
    expect((await failure(drawBatch(db(), access, { ...base, query: `身份证号:${id}` }))).code).toBe(
      'ID_NUMBER_IN_TEXT',
    );
    expect((await failure(drawBatch(db(), access, { ...base, query: '透析', items: [hit] }))).code).toBe(
      'TRANSFER_INPUT_INVALID',
    );
    expect(
      (await failure(drawBatch(db(), access, { ...base, kind: 'person', idNumber: id, query: '透析' }))).code,
    ).toBe('TRANSFER_INPUT_INVALID');
    expect((await failure(drawBatch(db(), access, { ...base, query: '无此题名的词语' }))).code).toBe(
      'TRANSFER_NOTHING',
    );
    expect((await failure(drawBatch(db(), access, { ...base, query: '   ' }))).code).toBe(
      'TRANSFER_INPUT_INVALID',
    );
    expect((await failure(drawBatch(db(), access, { ...base, query: 'AND OR NOT' }))).code).toBe(
      'QUERY_EMPTY',
    );
    expect((await failure(drawBatch(db(), access, { ...base, query: 'x'.repeat(501) }))).code).toBe(
      'TRANSFER_INPUT_INVALID',
    );
  });

  it('is bounded: a query finding more items than a batch holds is refused', async () => {
    const access = await as(drawer);
    const error = await failure(candidates(db(), access, { query: '结算单' }, 'J013', 3));
    expect(error.code).toBe('TRANSFER_INPUT_INVALID');
    expect(error.message).toContain('超过 3 件');
    expect(await candidates(db(), access, { query: '结算单' }, 'J013', 100)).toHaveLength(
      [hit, held, otherRegion, otherYear].length,
    );
  });
});
