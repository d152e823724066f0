import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement } from '../../../test/helpers/fixtures.js';
import {
  all,
  code,
  db,
  expectSees,
  PERSON_2,
  row,
  scopeOf,
  today,
  usePrincipalDatabase,
  visible,
} from '../../../test/helpers/principal-scope.js';
import { ValidationError } from '../../shared/errors.js';
import { itemHistory, updateItem } from '../catalog/item.edit.service.js';
import { countItems, fileItems, getItem, listItems, readItem } from '../catalog/item.service.js';
import { findUserByName } from './access.repo.js';
import { regionPrefix } from './principal.js';

// Archive scope on a real database, part 1: which items a user's fonds, region and category scope lets
// the item queries return. Outside the scope an item does not exist, and filing into it is refused.
// The shared set-up is in test/helpers/principal-scope.ts; part 2 (the 参保人's own items,
// inItemScope and authorize) is principal.insured-authorize.test.ts.

usePrincipalDatabase();

describe('the fixture', () => {
  it('filed four distinct items that an unscoped (internal) query sees', async () => {
    expect(new Set(all).size).toBe(4);
    expect(all.every(Boolean)).toBe(true);
    expect(code.c.startsWith('J014-')).toBe(true);
    expect(code.d).toContain('DYMZ');
    const { items } = await listItems(db(), {}, SYSTEM);
    expect(items.map((item) => item.archiveCode).sort()).toEqual([...all].sort());
  });
});

describe('regionPrefix', () => {
  it('drops trailing 00 pairs, at most two, so a city or province covers its districts', () => {
    expect(regionPrefix('320100')).toBe('3201');
    expect(regionPrefix('320000')).toBe('32');
    expect(regionPrefix('320115')).toBe('320115');
    expect(regionPrefix('110000')).toBe('11');
    expect(regionPrefix('320200')).toBe('3202');
    expect(regionPrefix('320010')).toBe('320010');
  });
});

describe('scoped item queries', () => {
  it('one fonds', async () => {
    await expectSees(await scopeOf([row('J013', null, null)]), [code.a, code.b, code.d]);
    await expectSees(await scopeOf([row('J014', null, null)]), [code.c]);
  });

  it('a city-level region covers its districts (320100 covers 320115 and 320102)', async () => {
    const scope = await scopeOf([row(null, '320100', null)]);
    expect(scope.scope.rows).toEqual([{ fondsCode: null, regionPrefix: '3201', categoryIds: null }]);
    await expectSees(scope, [code.a, code.d]);
  });

  it('a district covers only itself; a province covers everything in it', async () => {
    await expectSees(await scopeOf([row(null, '320115', null)]), [code.a]);
    await expectSees(await scopeOf([row(null, '320205', null)]), [code.b, code.c]);
    await expectSees(await scopeOf([row(null, '320000', null)]), all);
    await expectSees(await scopeOf([row(null, '110000', null)]), []);
  });

  it('a category covers its whole branch', async () => {
    await expectSees(await scopeOf([row(null, null, 'JS')]), [code.a, code.b, code.c]);
    await expectSees(await scopeOf([row(null, null, 'JSLX')]), [code.a, code.b, code.c]);
    await expectSees(await scopeOf([row(null, null, 'DY')]), [code.d]);
    await expectSees(await scopeOf([row(null, null, 'JSDD')]), []);
  });

  it('the parts of one row must all match', async () => {
    await expectSees(await scopeOf([row('J013', '320100', 'JS')]), [code.a]);
    await expectSees(await scopeOf([row('J013', '320205', null)]), [code.b]);
    await expectSees(await scopeOf([row('J014', '320100', null)]), []);
  });

  it('any of several rows is enough', async () => {
    await expectSees(await scopeOf([row('J014', null, null), row(null, '320102', null)]), [code.c, code.d]);
  });

  it('a row with no restriction covers everything', async () => {
    await expectSees(await scopeOf([row(null, null, null)]), all);
  });

  it('no scope rows means no archives at all', async () => {
    const scope = await scopeOf([]);
    // grantsFor: the user's own approved requests open sensitive items (see grant.check.ts).
    const user = await findUserByName(db(), 'scoped');
    expect(scope.scope).toEqual({ rows: [], idNumber: null, grantsFor: user?.id, actor: user?.username });
    await expectSees(scope, []);
    expect(await visible(await scopeOf([], []))).toEqual([]);
  });

  it('an item outside the scope is “not found” exactly like one that does not exist', async () => {
    const scope = await scopeOf([row('J013', null, null)]);
    const missing = 'J013-JSLX·2024-D30-JSK-9999';
    const absent = await failure(getItem(db(), missing, scope));
    const hidden = await failure(getItem(db(), code.c, scope));
    expect(hidden.code).toBe('ITEM_NOT_FOUND');
    expect(hidden.kind).toBe(absent.kind);
    expect(hidden.kind).toBe('not_found');
    expect(hidden.message).toBe(absent.message.replace(missing, code.c));
    expect(hidden.message).not.toContain('范围');
    for (const attempt of [
      () => readItem(db(), code.c, 'scoped', '核查', scope),
      () => itemHistory(db(), code.c, scope),
      () => updateItem(db(), code.c, { title: '改', reason: '越权修改' }, 'scoped', { access: scope, today }),
    ]) {
      const error = await failure(attempt());
      expect(error.code).toBe('ITEM_NOT_FOUND');
    }
    expect((await getItem(db(), code.c, SYSTEM)).title).toBe('丙 报销审核表');
    expect((await getItem(db(), code.c, SYSTEM)).version).toBe(1);
    // Inside the scope the same calls work.
    expect((await readItem(db(), code.a, 'scoped', undefined, scope)).archiveCode).toBe(code.a);
    expect((await itemHistory(db(), code.a, scope)).at(-1)?.version).toBe(1);
  });

  it('an edit may not move an item out of the scope', async () => {
    const scope = await scopeOf([row(null, '320100', null)]);
    const error = await failure(
      updateItem(db(), code.a, { poolingRegion: '320205', reason: '移出范围' }, 'scoped', {
        access: scope,
        today,
      }),
      ValidationError,
    );
    expect(error.issues[0]?.field).toBe('poolingRegion');
    expect((await getItem(db(), code.a, SYSTEM)).poolingRegion).toBe('320115');
    const changed = await updateItem(
      db(),
      code.a,
      { poolingRegion: '320102', reason: '更正统筹区' },
      'scoped',
      { access: scope, today },
    );
    expect(changed.poolingRegion).toBe('320102');
    await updateItem(db(), code.a, { poolingRegion: '320115', reason: '恢复' }, 'scoped', {
      access: scope,
      today,
    });
  });
});

describe('filing with a scope', () => {
  it('refuses an item outside the scope and files nothing of the batch', async () => {
    const scope = await scopeOf([row('J013', '320100', null)]);
    const before = await countItems(db(), SYSTEM);
    const error = await failure(
      fileItems(
        db(),
        [
          reimbursement({ idNumber: PERSON_2, title: '范围内', date: '2023-01-10' }),
          reimbursement({
            fonds: 'J014',
            idNumber: PERSON_2,
            title: '范围外',
            date: '2023-01-10',
            poolingRegion: '320205',
          }),
        ],
        'scoped',
        { access: scope, today },
      ),
      ValidationError,
    );
    expect(error.issues.map((issue) => issue.field)).toEqual(['items[1].fonds']);
    expect(await countItems(db(), SYSTEM)).toBe(before);

    const outsideRegion = await failure(
      fileItems(db(), [reimbursement({ idNumber: PERSON_2, poolingRegion: '320205' })], 'scoped', {
        access: scope,
        today,
      }),
      ValidationError,
    );
    expect(outsideRegion.issues).toHaveLength(1);
    expect(await countItems(db(), SYSTEM)).toBe(before);

    // No number was used up: the next filing in the J013 2023 sequence takes 0001.
    const [filed] = await fileItems(
      db(),
      [reimbursement({ idNumber: PERSON_2, title: '范围内', date: '2023-01-10' })],
      'scoped',
      { access: scope, today },
    );
    expect(filed?.archiveCode).toBe('J013-JSLX·2023-D30-JSK-0001');
    expect(await countItems(db(), SYSTEM)).toBe(before + 1);
    all.push(filed?.archiveCode as string);
  });

  it('refuses filing for a user with no scope', async () => {
    const scope = await scopeOf([]);
    await failure(
      fileItems(db(), [reimbursement({ idNumber: PERSON_2 })], 'scoped', { access: scope, today }),
      ValidationError,
    );
  });
});
