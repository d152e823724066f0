import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { FONDS, failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { ValidationError } from '../../shared/errors.js';
import { createFonds } from '../catalog/fonds.service.js';
import {
  countItems,
  fileItems,
  getItem,
  itemHistory,
  listItems,
  readItem,
  updateItem,
} from '../catalog/item.service.js';
import { findUserByName, type ScopeRow } from './access.repo.js';
import {
  authorize,
  type ItemScope,
  inItemScope,
  itemScopeOf,
  loadPrincipal,
  type Principal,
  regionPrefix,
} from './principal.js';
import { createUser, setAccess } from './user.service.js';

// Archive scope on a real database: which items a user's fonds, region and category scope (or, for
// the 参保人, their own ID number) lets the item queries return. Outside the scope an item does not
// exist, and filing into it is refused.

let database: TestDatabase;
const PASSWORD = 'Archive-Test-Passw0rd!';
const today = new Date('2026-11-22T00:00:00Z');

/** Person 1 (ID ends in X) has items in both fonds; person 2 only in J013. */
const PERSON_1 = validId('32011519850312105');
const PERSON_2 = validId('32020519900101123');

/** A second fonds, in Wuxi. */
const FONDS_2 = { code: 'J014', name: '无锡市锡山区医疗保障局', regionCode: '320205' };

/** The four items: fonds, category branch, pooling region, person. */
const code: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };
let all: string[];

const db = () => database.db;

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
  await createFonds(db(), FONDS_2, 'test');
  const filed = await fileItems(
    db(),
    [
      // a: J013, 个人零星报销 (JS branch), 江宁区, person 1
      reimbursement({ idNumber: PERSON_1, title: '甲 报销审核表' }),
      // b: J013, JS branch, 锡山区 (a J013 item pooled in Wuxi), person 2
      reimbursement({ idNumber: PERSON_2, name: '李四', title: '乙 报销审核表', poolingRegion: '320205' }),
      // c: J014, JS branch, 锡山区, person 1
      reimbursement({ fonds: 'J014', idNumber: PERSON_1, title: '丙 报销审核表', poolingRegion: '320205' }),
      // d: J013, 门诊待遇审核 (DY branch), 玄武区, person 2
      reimbursement({
        category: 'DYMZ',
        idNumber: PERSON_2,
        name: '李四',
        title: '丁 门诊待遇审核',
        poolingRegion: '320102',
        extra: undefined,
      }),
    ],
    'test',
    { today },
  );
  expect(filed).toHaveLength(4);
  const codes = filed.map((item) => item.archiveCode);
  code.a = codes[0] as string;
  code.b = codes[1] as string;
  code.c = codes[2] as string;
  code.d = codes[3] as string;
  all = [code.a, code.b, code.c, code.d];
  await Promise.all([
    createUser(db(), { username: 'scoped', password: PASSWORD, roles: ['clerk'] }, 'test'),
    createUser(
      db(),
      { username: 'insured1', password: PASSWORD, roles: ['insured'], idNumber: PERSON_1.toLowerCase() },
      'test',
    ),
    createUser(
      db(),
      { username: 'insured2', password: PASSWORD, roles: ['insured'], idNumber: PERSON_2 },
      'test',
    ),
  ]);
});
afterAll(() => database?.close());

async function principalOf(username: string): Promise<Principal> {
  const user = await findUserByName(db(), username);
  const principal = await loadPrincipal(db(), user?.id as number, 'session');
  if (!principal) throw new Error(`no principal for ${username}`);
  return principal;
}

/** Gives the clerk `scoped` these scope rows and returns the resolved item scope. */
async function scopeOf(scope: ScopeRow[], roles: string[] = ['clerk']): Promise<ItemScope> {
  await setAccess(db(), 'scoped', { roles, scope }, 'test');
  return itemScopeOf(db(), await principalOf('scoped'));
}

const row = (fondsCode: string | null, regionCode: string | null, categoryCode: string | null): ScopeRow => ({
  fondsCode,
  regionCode,
  categoryCode,
});

async function visible(scope: ItemScope): Promise<string[]> {
  const { items } = await listItems(db(), {}, scope);
  return items.map((item) => item.archiveCode).sort();
}

async function gettable(scope: ItemScope): Promise<string[]> {
  const found: string[] = [];
  for (const archiveCode of all) {
    try {
      await getItem(db(), archiveCode, scope);
      found.push(archiveCode);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ITEM_NOT_FOUND');
    }
  }
  return found.sort();
}

/** listItems and getItem agree, and return exactly these items. */
async function expectSees(scope: ItemScope, expected: string[]) {
  const sorted = [...expected].sort();
  expect(await visible(scope)).toEqual(sorted);
  expect(await gettable(scope)).toEqual(sorted);
}

describe('the fixture', () => {
  it('filed four distinct items that an unscoped (internal) query sees', async () => {
    expect(new Set(all).size).toBe(4);
    expect(all.every(Boolean)).toBe(true);
    expect(code.c.startsWith('J014-')).toBe(true);
    expect(code.d).toContain('DYMZ');
    const { items } = await listItems(db(), {});
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
    expect(scope.rows).toEqual([{ fondsCode: null, regionPrefix: '3201', categoryIds: null }]);
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
    expect(scope).toEqual({ rows: [], idNumber: null, grantsFor: user?.id, actor: user?.username });
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
      () => updateItem(db(), code.c, { title: '改', reason: '越权修改' }, 'scoped', { scope, today }),
    ]) {
      const error = await failure(attempt());
      expect(error.code).toBe('ITEM_NOT_FOUND');
    }
    expect((await getItem(db(), code.c)).title).toBe('丙 报销审核表');
    expect((await getItem(db(), code.c)).version).toBe(1);
    // Inside the scope the same calls work.
    expect((await readItem(db(), code.a, 'scoped', undefined, scope)).archiveCode).toBe(code.a);
    expect((await itemHistory(db(), code.a, scope)).at(-1)?.version).toBe(1);
  });

  it('an edit may not move an item out of the scope', async () => {
    const scope = await scopeOf([row(null, '320100', null)]);
    const error = await failure(
      updateItem(db(), code.a, { poolingRegion: '320205', reason: '移出范围' }, 'scoped', { scope, today }),
      ValidationError,
    );
    expect(error.issues[0]?.field).toBe('poolingRegion');
    expect((await getItem(db(), code.a)).poolingRegion).toBe('320115');
    const changed = await updateItem(
      db(),
      code.a,
      { poolingRegion: '320102', reason: '更正统筹区' },
      'scoped',
      { scope, today },
    );
    expect(changed.poolingRegion).toBe('320102');
    await updateItem(db(), code.a, { poolingRegion: '320115', reason: '恢复' }, 'scoped', { scope, today });
  });
});

describe('filing with a scope', () => {
  it('refuses an item outside the scope and files nothing of the batch', async () => {
    const scope = await scopeOf([row('J013', '320100', null)]);
    const before = await countItems(db());
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
        { scope, today },
      ),
      ValidationError,
    );
    expect(error.issues.map((issue) => issue.field)).toEqual(['items[1].fonds']);
    expect(await countItems(db())).toBe(before);

    const outsideRegion = await failure(
      fileItems(db(), [reimbursement({ idNumber: PERSON_2, poolingRegion: '320205' })], 'scoped', {
        scope,
        today,
      }),
      ValidationError,
    );
    expect(outsideRegion.issues).toHaveLength(1);
    expect(await countItems(db())).toBe(before);

    // No number was used up: the next filing in the J013 2023 sequence takes 0001.
    const [filed] = await fileItems(
      db(),
      [reimbursement({ idNumber: PERSON_2, title: '范围内', date: '2023-01-10' })],
      'scoped',
      { scope, today },
    );
    expect(filed?.archiveCode).toBe('J013-JSLX·2023-D30-JSK-0001');
    expect(await countItems(db())).toBe(before + 1);
    all.push(filed?.archiveCode as string);
  });

  it('refuses filing for a user with no scope', async () => {
    const scope = await scopeOf([]);
    await failure(
      fileItems(db(), [reimbursement({ idNumber: PERSON_2 })], 'scoped', { scope, today }),
      ValidationError,
    );
  });
});

describe('the insured (参保人)', () => {
  it('sees only the items with their own ID number, whatever the case it was entered in', async () => {
    const principal = await principalOf('insured1');
    expect(principal.idNumber).toBe(PERSON_1);
    expect(PERSON_1.endsWith('X')).toBe(true);
    const scope = await itemScopeOf(db(), principal);
    expect(scope).toEqual({
      rows: [],
      idNumber: PERSON_1,
      grantsFor: principal.userId,
      actor: principal.username,
    });
    await expectSees(scope, [code.a, code.c]);
    const hidden = await failure(getItem(db(), code.b, scope));
    expect(hidden.code).toBe('ITEM_NOT_FOUND');
  });

  it('another insured person sees only theirs', async () => {
    const scope = await itemScopeOf(db(), await principalOf('insured2'));
    const own = await visible(scope);
    expect(own).toEqual(expect.arrayContaining([code.b, code.d]));
    expect(own).not.toContain(code.a);
    expect(own).not.toContain(code.c);
    for (const archiveCode of own) expect((await getItem(db(), archiveCode)).idNumber).toBe(PERSON_2);
  });

  it('an insured person who is also staff sees their scope and their own items', async () => {
    await setAccess(
      db(),
      'insured1',
      { roles: ['insured', 'clerk'], scope: [row(null, null, 'DY')] },
      'test',
    );
    try {
      const principal = await principalOf('insured1');
      const scope = await itemScopeOf(db(), principal);
      expect(scope.idNumber).toBe(PERSON_1);
      expect(scope.rows).toHaveLength(1);
      await expectSees(scope, [code.a, code.c, code.d]);
    } finally {
      await setAccess(db(), 'insured1', { roles: ['insured'], scope: [] }, 'test');
    }
  });
});

describe('inItemScope', () => {
  const item = { fondsCode: 'J013', poolingRegion: '320115', categoryId: 7, idNumber: PERSON_1 };
  const scopeRow = (fondsCode: string | null, prefix: string | null, categoryIds: number[] | null) => ({
    fondsCode,
    regionPrefix: prefix,
    categoryIds,
  });

  it('matches when every non-null part of some row matches', () => {
    expect(inItemScope({ rows: [scopeRow('J013', '3201', [7, 8])], idNumber: null }, item)).toBe(true);
    expect(inItemScope({ rows: [scopeRow('J014', null, null)], idNumber: null }, item)).toBe(false);
    expect(inItemScope({ rows: [scopeRow(null, '3202', null)], idNumber: null }, item)).toBe(false);
    expect(inItemScope({ rows: [scopeRow(null, null, [8])], idNumber: null }, item)).toBe(false);
    expect(inItemScope({ rows: [scopeRow(null, null, [])], idNumber: null }, item)).toBe(false);
    expect(
      inItemScope({ rows: [scopeRow('J014', null, null), scopeRow(null, null, [7])], idNumber: null }, item),
    ).toBe(true);
    expect(inItemScope({ rows: [], idNumber: null }, item)).toBe(false);
  });

  it('matches the insured person’s own ID number only', () => {
    expect(inItemScope({ rows: [], idNumber: PERSON_1 }, item)).toBe(true);
    expect(inItemScope({ rows: [], idNumber: PERSON_2 }, item)).toBe(false);
    expect(inItemScope({ rows: [], idNumber: PERSON_1 }, { ...item, idNumber: null })).toBe(false);
  });

  it('an item with no pooling region is outside any region scope', () => {
    expect(
      inItemScope({ rows: [scopeRow(null, '32', null)], idNumber: null }, { ...item, poolingRegion: null }),
    ).toBe(false);
  });
});

describe('authorize', () => {
  it('passes a permission the roles hold and refuses one they do not', async () => {
    await setAccess(db(), 'scoped', { roles: ['reviewer'], scope: [] }, 'test');
    const principal = await principalOf('scoped');
    expect(() => authorize(principal, 'item.update')).not.toThrow();
    let refused: { code?: string; kind?: string; message?: string } | undefined;
    try {
      authorize(principal, 'item.create');
    } catch (error) {
      refused = error as typeof refused;
    }
    expect(refused?.code).toBe('FORBIDDEN');
    expect(refused?.kind).toBe('forbidden');
    expect(refused?.message).toContain('归档');
    expect(refused?.message).toContain('审核人员');
  });

  it('a token narrows the permissions to its own list', async () => {
    const user = await findUserByName(db(), 'scoped');
    const principal = await loadPrincipal(db(), user?.id as number, 'token', ['item.read', 'user.manage']);
    expect([...(principal?.permissions ?? [])]).toEqual(['item.read']);
    expect(() => authorize(principal as Principal, 'item.update')).toThrow();
  });
});
