import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import {
  code,
  db,
  EVERYTHING,
  eventsOf,
  useGrantDatabase,
  user,
} from '../../../test/helpers/grant-service.js';
import type { ScopeRow } from '../access/access.repo.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import { holdsOnItems } from './hold.queries.js';
import { type HoldInput, liftHold, listHolds, placeHold, showHold } from './hold.service.js';
import { updateItem } from './item.edit.service.js';
import { fileItems } from './item.service.js';
import { itemSubject } from './item.state.js';

// What the review of issue 25 found in holds (冻结): lifting needs the reach placing needed (F3); an
// ordinary edit cannot move a held item out of its hold (F16); a hold by condition shows its count
// only to whoever may read items (F4); a mistyped ID number's digits are never repeated (F22).

useGrantDatabase();

const REGION_115: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];
const WHOLE_JS: ScopeRow[] = [{ fondsCode: 'J013', regionCode: null, categoryCode: 'JS' }];
const as = async (principal: Principal) => accessContextOf(db(), principal);
const place = async (principal: Principal, input: HoldInput) => placeHold(db(), await as(principal), input);
const file = async (overrides: Record<string, unknown>) => {
  const [item] = await fileItems(db(), [reimbursement(overrides)], 'test', { access: SYSTEM });
  if (!item) throw new Error('not filed');
  return item;
};
const heldBy = async (itemId: number) =>
  ((await holdsOnItems(db(), [itemId])).get(itemId) ?? []).map((hold) => hold.code);

describe('lifting needs the reach placing needed (F3)', () => {
  it('refuses a narrower scope, leaves the hold in force, and lets a covering scope lift', async () => {
    const wide = await user(['archivist'], EVERYTHING);
    const regional = await user(['archivist'], REGION_115);
    const categorial = await user(['archivist'], WHOLE_JS);
    const elsewhere = await file({
      poolingRegion: '320116',
      year: 2019,
      date: '2019-05-01',
      title: '外区报销单',
    });

    // A query hold over the whole fonds: the region-narrow archivist sees it but may not lift it.
    const byYear = await place(wide, { fonds: 'J013', year: 2019, reason: '稽核案件取证，冻结该年度' });
    expect((await showHold(db(), await as(regional), byYear.code)).code).toBe(byYear.code);
    const refused = await failure(liftHold(db(), await as(regional), byYear.code, '案件已经结案'));
    expect(refused.code).toBe('HOLD_OUTSIDE_SCOPE');
    expect(refused.kind).toBe('forbidden');
    expect(refused.message).toContain(byYear.code);
    expect(refused.message).toContain('超出您档案范围');
    // A scope narrowed by category only does not cover a hold over every category either.
    expect((await failure(liftHold(db(), await as(categorial), byYear.code, '案件已经结案'))).code).toBe(
      'HOLD_OUTSIDE_SCOPE',
    );
    expect(await heldBy(elsewhere.id)).toEqual([byYear.code]);
    expect((await eventsOf(`hold:${byYear.code}`)).map((event) => event.action)).toEqual(['hold.placed']);
    await liftHold(db(), await as(wide), byYear.code, '案件已经结案');
    expect(await heldBy(elsewhere.id)).toEqual([]);

    // A category-and-year hold inside the category scope's branch: that scope (every region) lifts it.
    const jslx = await place(wide, {
      fonds: 'J013',
      kind: 'category_year',
      category: 'JSLX',
      year: 2019,
      reason: '专项检查，冻结该年度零星报销',
    });
    expect((await failure(liftHold(db(), await as(regional), jslx.code, '检查已经结束'))).code).toBe(
      'HOLD_OUTSIDE_SCOPE',
    );
    expect((await liftHold(db(), await as(categorial), jslx.code, '检查已经结束')).state).toBe('lifted');

    // A hold by 档号: lifted only by whoever has every listed item in scope.
    const listed = await place(wide, {
      fonds: 'J013',
      items: [code.normal, elsewhere.archiveCode],
      reason: '诉讼保全，暂停处置',
    });
    expect((await failure(liftHold(db(), await as(regional), listed.code, '诉讼已经终结'))).code).toBe(
      'HOLD_OUTSIDE_SCOPE',
    );
    expect((await heldBy(elsewhere.id)).includes(listed.code)).toBe(true);
    const mine = await place(regional, { fonds: 'J013', items: [code.normal], reason: '本范围内冻结' });
    expect((await liftHold(db(), await as(regional), mine.code, '本范围核查完毕')).state).toBe('lifted');
    await liftHold(db(), await as(wide), listed.code, '诉讼已经终结');
  });
});

describe('an edit does not move a held item out of its hold (F16)', () => {
  it('refuses changing a field the hold selects on, names the hold, and keeps the item held', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const access = await as(archivist);
    const person = validId('32011519700101777');
    const other = validId('32011519800101888');
    const item = await file({
      idNumber: person,
      insuredNumber: '3201159988776',
      businessType: '门诊慢特病',
      title: '张某 门诊慢特病报销单',
    });
    const edit = (patch: Record<string, unknown>) =>
      updateItem(db(), item.archiveCode, { ...patch, reason: '更正录入错误' }, archivist.username, {
        access,
      });

    const byPerson = await place(archivist, { fonds: 'J013', idNumber: person, reason: '骗保案件调查取证' });
    const refused = await failure(edit({ idNumber: other }));
    expect(refused.code).toBe('ITEM_ON_HOLD');
    expect(refused.message).toContain(byPerson.code);
    expect(refused.message).toContain('身份证号');
    expect(refused.message).not.toContain(person);
    expect(refused.message).not.toContain(other);
    expect(await heldBy(item.id)).toEqual([byPerson.code]);
    // Nothing was written: no new version, no item.changed.
    expect((await eventsOf(itemSubject(item.archiveCode))).map((event) => event.action)).not.toContain(
      'item.changed',
    );
    // A field the hold does not select on may still be corrected.
    expect((await edit({ title: '张某 门诊慢特病报销单（更正）' })).title).toContain('更正');
    await liftHold(db(), access, byPerson.code, '案件已经结案');

    const byInsured = await place(archivist, {
      fonds: 'J013',
      insuredNumber: '3201159988776',
      businessType: '门诊慢特病',
      reason: '稽核参保人慢特病待遇',
    });
    for (const patch of [{ insuredNumber: '3201159988777' }, { businessType: '零星报销' }]) {
      const error = await failure(edit(patch));
      expect(error.code, JSON.stringify(patch)).toBe('ITEM_ON_HOLD');
      expect(error.message).toContain(byInsured.code);
    }
    // Held by 档号 as well: an edit that leaves one hold is refused even though another still holds it.
    const byCode = await place(archivist, {
      fonds: 'J013',
      items: [item.archiveCode],
      reason: '诉讼保全冻结',
    });
    expect((await failure(edit({ businessType: '零星报销' }))).message).toContain(byInsured.code);
    await liftHold(db(), access, byInsured.code, '稽核已经结束');
    // Only the explicit list holds it now: the correction goes through and the item stays held.
    expect((await edit({ idNumber: other })).version).toBe(3);
    expect(await heldBy(item.id)).toEqual([byCode.code]);
    await liftHold(db(), access, byCode.code, '诉讼已经终结');
  });

  it('refuses moving an institution’s settlement out of a hold on its 定点机构编码', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const access = await as(archivist);
    const settled = await file({
      category: 'JSDD',
      title: '定点机构月度结算单',
      insuredNumber: undefined,
      idNumber: undefined,
      name: undefined,
      businessType: '月度结算',
      extra: { institutionCode: 'H32011500999', settlementPeriod: '2024-03' },
    });
    const hold = await place(archivist, {
      fonds: 'J013',
      institution: 'H32011500999',
      reason: '结算核查冻结',
    });
    const error = await failure(
      updateItem(
        db(),
        settled.archiveCode,
        { extra: { institutionCode: 'H32011500998', settlementPeriod: '2024-03' }, reason: '更正机构编码' },
        archivist.username,
        { access },
      ),
    );
    expect(error.code).toBe('ITEM_ON_HOLD');
    expect(error.message).toContain(hold.code);
    expect(await heldBy(settled.id)).toEqual([hold.code]);
    await liftHold(db(), access, hold.code, '结算核查结束');
  });
});

describe('the count of a hold by condition is shown only to who may read items (F4)', () => {
  it('an auditor places, lists, shows and lifts without a count; the log holds none either', async () => {
    const auditor = await user(['auditor'], EVERYTHING);
    const archivist = await user(['archivist'], EVERYTHING);
    const person = validId('32011519750505111');
    await file({ idNumber: person, businessType: '门诊慢特病', title: '某人 慢特病报销单' });
    const probe = await place(auditor, {
      fonds: 'J013',
      idNumber: person,
      businessType: '门诊慢特病',
      reason: '审计抽查冻结',
    });
    expect(probe.itemCount).toBeNull();
    expect(probe.summary).not.toMatch(/\d+ 件/);
    expect((await showHold(db(), await as(auditor), probe.code)).itemCount).toBeNull();
    const listed = (await listHolds(db(), await as(auditor))).holds.find((hold) => hold.code === probe.code);
    expect(listed?.itemCount).toBeNull();
    // Whoever may read the items sees the count.
    expect((await showHold(db(), await as(archivist), probe.code)).itemCount).toBe(1);
    const lifted = await liftHold(db(), await as(auditor), probe.code, '抽查结束解除');
    expect(lifted.itemCount).toBeNull();
    const events = await eventsOf(`hold:${probe.code}`);
    expect(events.map((event) => event.action)).toEqual(['hold.placed', 'hold.lifted']);
    for (const event of events) expect(event.payload).not.toHaveProperty('items');

    const byYear = await place(auditor, {
      fonds: 'J013',
      kind: 'category_year',
      category: 'JSLX',
      year: 2024,
      reason: '审计专项冻结',
    });
    expect(byYear.itemCount).toBeNull();
    await liftHold(db(), await as(auditor), byYear.code, '专项审计结束');
    // A hold by 档号 counts what the auditor listed: no oracle, so the count stays.
    const byCode = await place(auditor, { fonds: 'J013', items: [code.normal], reason: '审计疑点冻结' });
    expect(byCode.itemCount).toBe(1);
    expect((await eventsOf(`hold:${byCode.code}`))[0]?.payload).toMatchObject({ items: 1 });
    await liftHold(db(), await as(auditor), byCode.code, '疑点核查完毕');
    // The archivist's own hold by condition logs its count.
    const own = await place(archivist, { fonds: 'J013', idNumber: person, reason: '档案员冻结测试' });
    expect(own.itemCount).toBe(1);
    expect((await eventsOf(`hold:${own.code}`))[0]?.payload).toMatchObject({ items: 1 });
    await liftHold(db(), await as(archivist), own.code, '测试结束解除');
  });
});

describe('a mistyped ID number is never echoed (F22)', () => {
  it('names the fault without the digits, wherever the number was typed', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const badDate = validId('32011519700230123'); // 30 February
    const badRegion = validId('99999919700101123');
    const good = validId('32011519700101123');
    const badCheck = `${good.slice(0, 17)}${good.endsWith('1') ? '2' : '1'}`;
    const digitsOf = (id: string) => [id, id.slice(0, 6), id.slice(6, 14), id.slice(0, 10), id.slice(-10)];
    const noDigits = (message: string, id: string) => {
      for (const part of digitsOf(id)) expect(message, message).not.toContain(part);
    };
    for (const [id, fault] of [
      [badDate, '出生日期不是有效日期'],
      [badRegion, '地区码不是有效的行政区划代码'],
      [badCheck, '校验码错误'],
    ] as const) {
      const error = await failure(place(archivist, { fonds: 'J013', idNumber: id, reason: '身份证号有误' }));
      expect(error.code).toBe('ID_NUMBER_INVALID');
      expect(error.message).toContain(fault);
      noDigits(error.message, id);
    }
    // Typed where a 档号, a category or a hold's number belongs.
    const asItem = await failure(
      place(archivist, { fonds: 'J013', items: [badCheck], reason: '档号位置的号码' }),
    );
    expect(asItem.code).toBe('ITEM_NOT_FOUND');
    expect(asItem.message).toContain('不回显');
    noDigits(asItem.message, badCheck);
    const spaced = `${badCheck.slice(0, 6)} ${badCheck.slice(6, 14)} ${badCheck.slice(14)}`;
    const asSpaced = await failure(
      place(archivist, { fonds: 'J013', items: [spaced], reason: '带空格的号码' }),
    );
    noDigits(asSpaced.message.replace(/\s/g, ''), badCheck);
    const asCategory = await failure(
      place(archivist, { fonds: 'J013', category: badCheck.slice(0, 16), reason: '类别位置的号码' }),
    );
    expect(asCategory.code).toBe('CATEGORY_NOT_FOUND');
    noDigits(asCategory.message, badCheck.slice(0, 16));
    const asHold = await failure(showHold(db(), await as(archivist), badCheck));
    expect(asHold.code).toBe('HOLD_NOT_FOUND');
    noDigits(asHold.message, badCheck);
    const lifting = await failure(liftHold(db(), await as(archivist), badCheck, '解除号码有误的冻结'));
    noDigits(lifting.message, badCheck);
    // A real hold's number is still repeated as typed.
    const missing = await failure(showHold(db(), await as(archivist), 'DJ-2026-99999'));
    expect(missing.message).toContain('DJ-2026-99999');
  });
});
