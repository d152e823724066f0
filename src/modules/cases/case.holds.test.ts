import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from '../../../test/helpers/destruction.js';
import { validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import type { ScopeRow } from '../access/access.repo.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import { createFonds } from '../catalog/fonds.service.js';
import { liftHold, showHold } from '../catalog/hold.service.js';
import { closeCase, concludeCase } from './case.close.js';
import { assignCase, attachToCase, noteCase, openCase } from './case.service.js';
import { caseDetail } from './case.view.js';

// The holds a case places are the case's own (review G6, G7): nobody lifts one by hand while the case
// runs, and closing lifts every one of them, also those in a fonds beyond the closer's archive scope.

let system: TestSystem;
const db = () => system.database.db;
const J013: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];
const BOTH: ScopeRow[] = [...J013, { fondsCode: 'J014', regionCode: '320116', categoryCode: null }];
let wide: Principal;
let narrow: Principal;
let archivist: Principal;
const items: string[] = [];
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
const manual = (overrides: Record<string, unknown> = {}) => ({
  title: '某医院涉嫌挂床住院',
  fonds: 'J013',
  region: '320115',
  reason: '群众举报：某医院病人白天不在院',
  ...overrides,
});

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  items.push(await file(), await file({ fonds: 'J014', poolingRegion: '320116' }), await file());
  wide = await account(db(), 'case.wide', ['supervisor'], BOTH);
  narrow = await account(db(), 'case.narrow', ['supervisor'], J013);
  archivist = await account(db(), 'case.archivist', ['archivist'], J013);
}, 120_000);
afterAll(() => system?.dispose());

describe("a case's holds", () => {
  it('cannot be lifted by hand while the case is open', async () => {
    const code = await openCase(db(), await as(narrow), manual({ items: [items[2]] }));
    const hold = (await caseDetail(db(), await as(narrow), code)).holds[0]?.code as string;
    expect(hold).toMatch(/^DJ-/);
    await expect(liftHold(db(), await as(archivist), hold, '误冻结，解除一下')).rejects.toMatchObject({
      code: 'HOLD_CASE_OWNED',
    });
    // Nor by naming another case.
    await expect(
      liftHold(db(), await as(archivist), hold, '误冻结，解除一下', { byCase: 'HC20269999' }),
    ).rejects.toMatchObject({ code: 'HOLD_CASE_OWNED' });
    expect((await showHold(db(), await as(archivist), hold)).liftedAt ?? null).toBeNull();
  });

  it('are all lifted when the case closes, also in a fonds beyond the closer’s scope', async () => {
    const code = await openCase(db(), await as(wide), manual({ items: [items[0]] }));
    await attachToCase(db(), await as(wide), code, { items: [items[1]] }); // J014 evidence
    await assignCase(db(), await as(wide), code, narrow.username);
    await noteCase(db(), await as(narrow), code, '核查情况记录一则');
    await concludeCase(db(), await as(narrow), code, {
      conclusion: 'no_violation',
      reason: '经核查未发现违规',
    });
    await closeCase({ db: db(), store: system.store, access: await as(narrow) }, code);
    const holds = (await caseDetail(db(), await as(wide), code)).holds;
    expect(holds.length).toBe(2);
    for (const hold of holds) expect(hold.lifted).toBe(true);
  });
});
