import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import {
  code,
  db,
  expectSees,
  PERSON_1,
  PERSON_2,
  principalOf,
  row,
  usePrincipalDatabase,
  visible,
} from '../../../test/helpers/principal-scope.js';
import { getItem } from '../catalog/item.service.js';
import { findUserByName } from './access.repo.js';
import { accessContextOf, authorize, inItemScope, loadPrincipal, type Principal } from './principal.js';
import { setAccess } from './user.service.js';

// Archive scope on a real database, part 2: the 参保人, whose scope is their own ID number, the
// in-memory scope check, and permissions. The shared set-up is in test/helpers/principal-scope.ts;
// part 1 (fonds, region and category scope, and filing into it) is principal.scope.test.ts.

usePrincipalDatabase();

describe('the insured (参保人)', () => {
  it('sees only the items with their own ID number, whatever the case it was entered in', async () => {
    const principal = await principalOf('insured1');
    expect(principal.idNumber).toBe(PERSON_1);
    expect(PERSON_1.endsWith('X')).toBe(true);
    const scope = await accessContextOf(db(), principal);
    expect(scope.scope).toEqual({
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
    const scope = await accessContextOf(db(), await principalOf('insured2'));
    const own = await visible(scope);
    expect(own).toEqual(expect.arrayContaining([code.b, code.d]));
    expect(own).not.toContain(code.a);
    expect(own).not.toContain(code.c);
    for (const archiveCode of own) expect((await getItem(db(), archiveCode, SYSTEM)).idNumber).toBe(PERSON_2);
  });

  it('an insured person who is also staff sees their scope and their own items', async () => {
    await setAccess(
      db(),
      'insured1',
      { roles: ['insured', 'clerk'], scope: [row(null, null, 'DY')] },
      'test',
      { granter: SYSTEM },
    );
    try {
      const principal = await principalOf('insured1');
      const scope = await accessContextOf(db(), principal);
      expect(scope.scope.idNumber).toBe(PERSON_1);
      expect(scope.scope.rows).toHaveLength(1);
      await expectSees(scope, [code.a, code.c, code.d]);
    } finally {
      await setAccess(db(), 'insured1', { roles: ['insured'], scope: [] }, 'test', { granter: SYSTEM });
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
    await setAccess(db(), 'scoped', { roles: ['reviewer'], scope: [] }, 'test', { granter: SYSTEM });
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
