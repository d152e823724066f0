import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import type { ScopeRow } from '../access/access.repo.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import { createFonds } from '../catalog/fonds.service.js';
import { heldItemsSql } from '../catalog/hold.queries.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { dismissClue, readClue } from '../fund/clue.service.js';
import { closeCase, concludeCase } from './case.close.js';
import { assignCase, attachToCase, noteCase, openCase } from './case.service.js';
import { caseDetail } from './case.view.js';

// Cases opened from 线索 (the fund module's clues, written here as a run leaves them): the clue moves
// into the case, the archives filed for its settlements are attached and held, a clue in a case cannot
// be dismissed or taken by another case; the amount to recover is bounded by the clues' amounts unless
// a reason is given; 不违规 at closing releases the clues (open again, for their own dismissal), 违规
// keeps them in the case.

let system: TestSystem;
const db = () => system.database.db;
const J013: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];
const J014: ScopeRow[] = [{ fondsCode: 'J014', regionCode: '320116', categoryCode: null }];
let supervisor: Principal;
let outsider: Principal;
const items = { a: '', b: '', c: '' };
let runId = 0;
const as = (principal: Principal) => accessContextOf(db(), principal);

async function clue(
  serial: string,
  amount: string,
  region = '320115',
  rule = 'split_admission',
): Promise<number> {
  const { rows } = await sql<{ id: string }>`insert into fund_clue (run_id, rule_code, rule_version, params,
      settlement_ids, serials, person_key, institution_code, region, amount, evidence, fingerprint)
    values (${runId}, ${rule}, 1, '{"days":15}'::jsonb, '{1}', array[${serial}]::text[], null, 'H320115001',
      ${region}, ${amount}, '{"text":"同一机构 15 天内再次住院"}'::jsonb, ${`fp-${serial}`}) returning id::text`.execute(
    db(),
  );
  return Number(rows[0]?.id);
}
const held = async () =>
  new Set((await sql<{ item_id: number }>`${heldItemsSql()}`.execute(db())).rows.map((row) => row.item_id));
const idOf = async (code: string) =>
  (await findItemsByCodes(db(), [code], scopedQuery(SYSTEM)))[0]?.id as number;

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  for (const [name, serial] of [
    ['a', 'ZY-0001'],
    ['b', 'ZY-0002'],
    ['c', 'ZY-0003'],
  ] as const)
    items[name] = await fileOneItem(system, {
      idNumber: validId(`3201151975010100${name === 'a' ? 1 : name === 'b' ? 2 : 3}`),
      title: `住院结算单 ${serial}`,
      extra: { hospital: '江宁医院', settlementSerial: serial },
    });
  const { rows } = await sql<{
    id: number;
  }>`insert into fund_run (region_prefix, period_from, period_to, rules,
      state, started_by) values ('3201', '2024-01-01', '2024-12-31', '{}'::jsonb, 'finished', 'test') returning id`.execute(
    db(),
  );
  runId = Number(rows[0]?.id);
  supervisor = await account(db(), 'supervisor', ['supervisor'], J013);
  outsider = await account(db(), 'outsider', ['supervisor'], J014);
});
afterAll(() => system?.dispose());

describe('cases from clues', () => {
  it('takes the clue in, holds its archives, and keeps it from dismissal and from other cases', async () => {
    const access = await as(supervisor);
    const first = await clue('ZY-0001', '500.00');
    const code = await openCase(db(), access, { title: '分解住院线索核查', fonds: 'J013', clues: [first] });
    const detail = await caseDetail(db(), access, code);
    expect(detail).toMatchObject({ source: 'clue', region: '320115', clueCount: 1, clueAmount: '500.00' });
    expect(detail.clues).toEqual([
      { id: first, rule: 'split_admission', ruleName: expect.any(String), ruleVersion: 1, amount: '500.00' },
    ]);
    expect(detail.evidence).toEqual([expect.objectContaining({ archiveCode: items.a, via: 'clue' })]);
    expect(await held()).toContain(await idOf(items.a));
    expect(await readClue(db(), access, first)).toMatchObject({ state: 'in_case', caseCode: code });
    expect((await failure(dismissClue(db(), access, first, '与本案无关的排除'))).code).toBe(
      'FUND_CLUE_STATE',
    );
    expect(
      (await failure(openCase(db(), access, { title: '重复立案', fonds: 'J013', clues: [first] }))).code,
    ).toBe('CASE_CLUE_TAKEN');
    // A clue of another region is not found for this supervisor; an unknown one neither.
    const away = await clue('ZY-0009', '80.00', '320116');
    for (const id of [away, 987654])
      expect((await failure(attachToCase(db(), access, code, { clues: [id] }))).code).toBe(
        'FUND_CLUE_NOT_FOUND',
      );
    expect((await failure(caseDetail(db(), await as(outsider), code))).code).toBe('CASE_NOT_FOUND');

    // A second clue attached later: its archive is held too, the amounts add up.
    const second = await clue('ZY-0002', '250.50');
    await attachToCase(db(), access, code, { clues: [second] });
    expect(await held()).toContain(await idOf(items.b));
    expect((await caseDetail(db(), access, code)).clueAmount).toBe('750.50');
    await assignCase(db(), access, code, supervisor.username);
    // Above the clues' amounts only with a reason.
    expect(
      (await failure(concludeCase(db(), access, code, { conclusion: 'violation', amount: '750.51' }))).code,
    ).toBe('CASE_AMOUNT_INVALID');
    await concludeCase(db(), access, code, {
      conclusion: 'violation',
      amount: '900',
      reason: '另查实同期重复收费',
    });
    const closed = await closeCase({ db: db(), store: system.store, access }, code);
    expect(closed.cluesReleased).toEqual([]);
    expect(await readClue(db(), access, first)).toMatchObject({ state: 'in_case', caseCode: code });
    const after = await held();
    expect(after).not.toContain(await idOf(items.a));
    expect(after).not.toContain(await idOf(items.b));
  });

  it('a case closed as 不违规 releases its clues for their own dismissal', async () => {
    const access = await as(supervisor);
    const third = await clue('ZY-0003', '120.00');
    const code = await openCase(db(), access, { title: '挂床住院线索核查', fonds: 'J013', clues: [third] });
    await noteCase(db(), access, code, '核对护理记录，病人每日在院');
    await assignCase(db(), access, code, supervisor.username);
    await concludeCase(db(), access, code, { conclusion: 'no_violation', reason: '护理记录与床位费一致' });
    const closed = await closeCase({ db: db(), store: system.store, access }, code);
    expect(closed.cluesReleased).toEqual([third]);
    expect(await readClue(db(), access, third)).toMatchObject({ state: 'open', caseCode: null });
    await dismissClue(db(), access, third, `经核查案件 ${code} 核实不违规`);
    expect((await readClue(db(), access, third)).state).toBe('dismissed');
    // A dismissed clue cannot open a case.
    expect(
      (await failure(openCase(db(), access, { title: '已排除线索', fonds: 'J013', clues: [third] }))).code,
    ).toBe('FUND_CLUE_STATE');
  });
});
