import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import { payloadOf } from '../../../test/helpers/events.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import type { ScopeRow } from '../access/access.repo.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import { createFonds } from '../catalog/fonds.service.js';
import { heldItemsSql } from '../catalog/hold.queries.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { refusalsOf } from '../transfer/transfer.checks.js';
import { verifyAll } from '../verify/verify.service.js';
import { closeCase, concludeCase } from './case.close.js';
import { caseStates } from './case.queries.js';
import { assignCase, attachToCase, noteCase, openCase } from './case.service.js';
import { caseDetail, listCases } from './case.view.js';

// 核查案件 on a real database and real replicas: a case walked from 立案 to 结案 (holds placed on its
// evidence and lifted at closing, exactly its own; the case file filed as a sensitive JGJH archive),
// scope (a case outside the caller's regions is not found), masking of evidence, verify over the case
// tables, and each bad input refused with its code.

let system: TestSystem;
const db = () => system.database.db;
const J013: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];
const J014: ScopeRow[] = [{ fondsCode: 'J014', regionCode: '320116', categoryCode: null }];
let supervisor: Principal;
let colleague: Principal;
let outsider: Principal;
let manager: Principal;
let clerk: Principal;
const item = { normal: '', sensitive: '', other: '', spare: '' };
let serial = 0;
const file = (overrides: Record<string, unknown> = {}) => {
  serial += 1;
  return fileOneItem(system, {
    idNumber: validId(`32011519800101${String(serial).padStart(3, '0')}`),
    title: `零星报销审核表 ${serial}`,
    ...overrides,
  });
};
const as = (principal: Principal) => accessContextOf(db(), principal);
const held = async () =>
  new Set((await sql<{ item_id: number }>`${heldItemsSql()}`.execute(db())).rows.map((row) => row.item_id));
const idOf = async (code: string) =>
  (await findItemsByCodes(db(), [code], scopedQuery(SYSTEM)))[0]?.id as number;
const manual = (overrides: Record<string, unknown> = {}) => ({
  title: '某医院涉嫌挂床住院',
  fonds: 'J013',
  region: '320115',
  reason: '群众举报：某医院病人白天不在院',
  ...overrides,
});
const events = async (code: string) =>
  (
    await db()
      .selectFrom('integrity_event')
      .selectAll()
      .where('subject', '=', `case:${code}`)
      .orderBy('seq')
      .execute()
  ).map((row) => ({ action: row.action, actor: row.actor, payload: payloadOf(row.payload) }));

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  item.normal = await file();
  item.sensitive = await file({ sensitivity: 'sensitive', title: '敏感 住院审核表' });
  item.spare = await file();
  item.other = await file({ fonds: 'J014', poolingRegion: '320116' });
  supervisor = await account(db(), 'supervisor', ['supervisor'], J013);
  colleague = await account(db(), 'colleague', ['supervisor'], J013);
  outsider = await account(db(), 'outsider', ['supervisor'], J014);
  manager = await account(db(), 'manager', ['manager'], J013);
  clerk = await account(db(), 'clerk', ['clerk'], J013);
});
afterAll(() => system?.dispose());

describe('a case from 立案 to 结案', () => {
  it('holds its evidence while open, files its case file and lifts exactly its own holds on closing', async () => {
    const access = await as(supervisor);
    const code = await openCase(db(), access, manual({ items: [item.normal, item.sensitive] }));
    expect(code).toMatch(/^HC\d{4}\d{4}$/);
    const opened = await caseDetail(db(), access, code);
    expect(opened).toMatchObject({ state: 'open', stateName: '立案', source: 'manual', region: '320115' });
    expect(opened.holds).toHaveLength(1);
    const normalId = await idOf(item.normal);
    const sensitiveId = await idOf(item.sensitive);
    expect(await held()).toContain(normalId);
    expect(await held()).toContain(sensitiveId);
    // The sensitive one is listed by 档号, its content withheld: the supervisor holds no grant.
    const sensitive = opened.evidence.find((row) => row.archiveCode === item.sensitive);
    expect(sensitive).toMatchObject({ withheld: true, title: null });
    expect(opened.evidence.find((row) => row.archiveCode === item.normal)?.title).toContain('零星报销审核表');

    // Held: a transfer refuses both while the case is open.
    const [normal, sens] = await findItemsByCodes(db(), [item.normal, item.sensitive], scopedQuery(SYSTEM));
    const refused = await refusalsOf(
      db(),
      SYSTEM,
      [normal, sens].filter((row) => row !== undefined),
    );
    expect([...refused.refusals.values()].map((refusal) => refusal.reason)).toEqual(['held', 'held']);

    // Someone else's hold on the same item stays after the case closes.
    const other = await openCase(db(), access, manual({ title: '另一案件', items: [item.normal] }));
    await expect(assignCase(db(), access, code, colleague.username)).resolves.toBe(code);
    await noteCase(db(), access, code, '调取住院病历，核对床位费与护理记录\n第二行');
    await attachToCase(db(), access, code, { items: [item.spare] });
    expect(await held()).toContain(await idOf(item.spare));
    const examining = await caseDetail(db(), access, code);
    expect(examining).toMatchObject({ state: 'examining', assignee: colleague.username, evidenceCount: 3 });
    expect(examining.holds).toHaveLength(2);
    await concludeCase(db(), await as(colleague), code, {
      conclusion: 'violation',
      amount: '1280.5',
      reason: '床位费与实际住院天数不符',
    });
    const closed = await closeCase({ db: db(), store: system.store, access: await as(colleague) }, code);
    expect(closed.holdsLifted.sort()).toEqual(examining.holds.map((hold) => hold.code).sort());
    const after = await held();
    expect(after).not.toContain(sensitiveId);
    expect(after).not.toContain(await idOf(item.spare));
    expect(after).toContain(normalId); // the other case's hold
    const detail = await caseDetail(db(), access, code);
    expect(detail).toMatchObject({
      state: 'closed',
      stateName: '已结案',
      conclusion: 'violation',
      recoverAmount: '1280.50',
      filedCode: closed.filedCode,
      closedBy: colleague.username,
    });
    expect(detail.steps.map((step) => step.label)).toEqual([
      '核查立案',
      '指派核查承办人',
      '记录核查情况',
      '附入核查证据档案',
      '作出核查结论',
      '核查结案',
    ]);
    // The case file: a sensitive JGJH archive of J013 in the case's region, with its PDF.
    const [filed] = await findItemsByCodes(db(), [closed.filedCode], scopedQuery(SYSTEM));
    expect(filed).toMatchObject({
      category: 'JGJH',
      fonds: 'J013',
      sensitivity: 'sensitive',
      poolingRegion: '320115',
    });
    const files = await db()
      .selectFrom('item_file')
      .select(['file_name'])
      .where('item_id', '=', filed?.id as number)
      .execute();
    expect(files.map((row) => row.file_name)).toEqual([`核查档案-${code}.pdf`]);
    const log = await events(code);
    expect(log.map((event) => event.action)).toEqual([
      'case.opened',
      'case.assigned',
      'case.noted',
      'case.evidence_attached',
      'case.concluded',
      'case.closed',
    ]);
    expect(log[0]?.payload).toMatchObject({
      source: 'manual',
      region: '320115',
      items: [item.normal, item.sensitive],
    });
    expect(log[5]?.payload).toMatchObject({ filedCode: closed.filedCode });
    // The note's text stays in the case, not in the log.
    expect(JSON.stringify(log)).not.toContain('调取住院病历');
    // The other case is untouched and still open.
    expect((await caseDetail(db(), access, other)).state).toBe('open');

    // Closing twice, noting or attaching after closing: refused by state.
    for (const attempt of [
      () => closeCase({ db: db(), store: system.store, access }, code),
      () => noteCase(db(), access, code, '补充记录'),
      () => attachToCase(db(), access, code, { items: [item.spare] }),
      () => assignCase(db(), access, code, supervisor.username),
    ])
      expect((await failure(attempt())).code).toBe('CASE_STATE');
  });

  it('verify finds the cases as the log carries them, and a region changed behind its back', async () => {
    const context = { db: db(), store: system.store, signingKey: system.signingKey };
    const before = await verifyAll(context);
    expect(before.problems.filter((problem) => problem.kind.startsWith('case.'))).toEqual([]);
    const [first] = [...(await caseStates(db())).keys()];
    const code = first?.slice('case:'.length) as string;
    await sql`update fund_case set region = '320116' where code = ${code}`.execute(db());
    const after = await verifyAll(context);
    expect(after.problems.map((problem) => problem.kind)).toContain('case.altered');
    await sql`update fund_case set region = '320115' where code = ${code}`.execute(db());
  });
});

describe('scope and permissions', () => {
  it('a case outside the caller’s regions is not found; readers read, only case.work changes', async () => {
    const code = await openCase(db(), await as(supervisor), manual({ items: [item.normal] }));
    const away = await as(outsider);
    for (const attempt of [
      () => caseDetail(db(), away, code),
      () => noteCase(db(), away, code, '越权记录'),
      () => assignCase(db(), away, code, outsider.username),
      () => concludeCase(db(), away, code, { conclusion: 'no_violation', reason: '越权结论测试' }),
      () => closeCase({ db: db(), store: system.store, access: away }, code),
    ])
      expect((await failure(attempt())).code).toBe('CASE_NOT_FOUND');
    expect((await listCases(db(), away)).cases.map((row) => row.code)).not.toContain(code);
    // The outsider's own archives are not evidence for a J013 case, nor J013's for theirs.
    expect((await failure(openCase(db(), away, manual()))).code).toBe('FONDS_NOT_FOUND');

    const reader = await as(manager);
    expect((await listCases(db(), reader)).cases.map((row) => row.code)).toContain(code);
    expect((await caseDetail(db(), reader, code)).evidence[0]?.archiveCode).toBe(item.normal);
    expect((await failure(noteCase(db(), reader, code, '经理记录'))).code).toBe('FORBIDDEN');
    expect((await failure(listCases(db(), await as(clerk)))).code).toBe('FORBIDDEN');
    // A supervisor of the region without J013's archives sees the case but not the 档号 of its evidence.
    const regionOnly = await account(
      db(),
      'region',
      ['supervisor'],
      [{ fondsCode: 'J014', regionCode: '320115', categoryCode: null }],
    );
    const shown = await caseDetail(db(), await as(regionOnly), code);
    expect(shown.evidence).toEqual([expect.objectContaining({ archiveCode: null, title: null })]);
    expect(JSON.stringify(shown)).not.toContain(item.normal);
  });
});

describe('bad input', () => {
  it('refuses wrong transitions, concurrent conclusions and malformed amounts', async () => {
    const access = await as(supervisor);
    const code = await openCase(db(), access, manual());
    // 立案 → 结论 skips 核查; 结案 before 结论.
    expect(
      (await failure(concludeCase(db(), access, code, { conclusion: 'violation', amount: '10' }))).code,
    ).toBe('CASE_STATE');
    expect((await failure(closeCase({ db: db(), store: system.store, access }, code))).code).toBe(
      'CASE_STATE',
    );
    await noteCase(db(), access, code, '已约谈医院负责人');
    // No assignee yet.
    expect(
      (await failure(concludeCase(db(), access, code, { conclusion: 'violation', amount: '10' }))).code,
    ).toBe('CASE_STATE');
    await assignCase(db(), access, code, supervisor.username);
    for (const amount of ['abc', '0', '0.00', '0.001', '-5', '1e3', '', null, '12345678901234', ' 1.2.3'])
      expect(
        (await failure(concludeCase(db(), access, code, { conclusion: 'violation', amount }))).code,
        String(amount),
      ).toBe('CASE_AMOUNT_INVALID');
    expect(
      (
        await failure(
          concludeCase(db(), access, code, {
            conclusion: 'no_violation',
            amount: '5',
            reason: '无问题无问题',
          }),
        )
      ).code,
    ).toBe('CASE_AMOUNT_INVALID');
    expect((await failure(concludeCase(db(), access, code, { conclusion: 'no_violation' }))).code).toBe(
      'CASE_INPUT_INVALID',
    );
    expect(
      (await failure(concludeCase(db(), access, code, { conclusion: 'guilty', amount: '1' }))).code,
    ).toBe('CASE_INPUT_INVALID');
    // Two at once: one concludes, the other finds it concluded.
    const results = await Promise.allSettled([
      concludeCase(db(), access, code, { conclusion: 'violation', amount: '0.01' }),
      concludeCase(db(), await as(colleague), code, {
        conclusion: 'no_violation',
        reason: '经核实收费符合规定',
      }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.code).toBe('CASE_STATE');
    expect((await events(code)).filter((event) => event.action === 'case.concluded')).toHaveLength(1);
  });

  it('refuses evidence outside scope, unknown clues, ID numbers in text and bad openings', async () => {
    const access = await as(supervisor);
    const id = validId('32011519850312123');
    const cases = [
      [manual({ items: [item.other] }), 'ITEM_NOT_FOUND'],
      [manual({ items: ['J013-JSLX·2024-D30-JSK-9999'] }), 'ITEM_NOT_FOUND'],
      [manual({ clues: [999999] }), 'FUND_CLUE_NOT_FOUND'],
      [manual({ clues: ['x'] }), 'CASE_INPUT_INVALID'],
      [manual({ reason: undefined }), 'CASE_INPUT_INVALID'],
      [manual({ region: '320116' }), 'CASE_INPUT_INVALID'],
      [manual({ region: '999999' }), 'CASE_INPUT_INVALID'],
      [manual({ region: undefined }), 'CASE_INPUT_INVALID'],
      [manual({ title: '  ' }), 'CASE_INPUT_INVALID'],
      [manual({ title: 'a\u0000b' }), 'CASE_INPUT_INVALID'],
      [manual({ reason: `举报人身份证号 ${id}` }), 'ID_NUMBER_IN_TEXT'],
      [manual({ assignee: clerk.username }), 'CASE_ASSIGNEE_INVALID'],
      [manual({ assignee: outsider.username }), 'CASE_ASSIGNEE_INVALID'],
      [manual({ assignee: 'nobody' }), 'CASE_ASSIGNEE_INVALID'],
      [manual({ fonds: 'J999' }), 'FONDS_NOT_FOUND'],
    ] as const;
    for (const [input, expected] of cases) {
      const error = await failure(openCase(db(), access, input));
      expect(error.code, error.message).toBe(expected);
      expect(error.message).not.toContain(id);
    }
    const code = await openCase(db(), access, manual());
    expect((await failure(noteCase(db(), access, code, `参保人 ${id} 承认`))).code).toBe('ID_NUMBER_IN_TEXT');
    expect((await failure(attachToCase(db(), access, code, { items: [item.other] }))).code).toBe(
      'ITEM_NOT_FOUND',
    );
    expect((await failure(attachToCase(db(), access, code, {}))).code).toBe('CASE_INPUT_INVALID');
    expect((await failure(caseDetail(db(), access, 'HC99999999'))).code).toBe('CASE_NOT_FOUND');
    expect((await failure(caseDetail(db(), access, id))).message).not.toContain(id);
    // Nothing half-done: refused openings left no case, the counter moved only for the ones opened.
    const codes = (await listCases(db(), access, { limit: 200 })).cases.map((row) => row.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
