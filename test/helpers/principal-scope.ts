import { afterAll, beforeAll, expect } from 'vitest';
import { findUserByName, type ScopeRow } from '../../src/modules/access/access.repo.js';
import { accessContextOf, loadPrincipal, type Principal } from '../../src/modules/access/principal.js';
import { createUser, setAccess } from '../../src/modules/access/user.service.js';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { fileItems, getItem, listItems } from '../../src/modules/catalog/item.service.js';
import type { AccessContext, PrincipalContext } from '../../src/shared/access-context.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { SYSTEM } from './fixture-access.js';
import { FONDS, reimbursement, validId } from './fixtures.js';

// Shared set-up for the src/modules/access/principal.*.test.ts files: archive scope on a real
// database, over four items spread across two fonds, three regions, two category branches and two
// people. Each test file calls usePrincipalDatabase() once at its top level and gets its own database
// with the same items and users: `scoped` (a clerk whose scope the tests set), `insured1`, `insured2`.

let database: TestDatabase;
const PASSWORD = 'Archive-Test-Passw0rd!';
export const today = new Date('2026-11-22T00:00:00Z');

/** Person 1 (ID ends in X) has items in both fonds; person 2 only in J013. */
export const PERSON_1 = validId('32011519850312105');
export const PERSON_2 = validId('32020519900101123');

/** A second fonds, in Wuxi. */
const FONDS_2 = { code: 'J014', name: '无锡市锡山区医疗保障局', regionCode: '320205' };

/** The four items: fonds, category branch, pooling region, person. */
export const code: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };
/** The items' 档号, and any a test files later; set by usePrincipalDatabase's beforeAll (a live binding). */
export let all: string[];

export const db = () => database.db;

/** Opens the test database, files the four items and creates the users before the file's tests. */
export function usePrincipalDatabase(): void {
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
      { access: SYSTEM, today },
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
}

export async function principalOf(username: string): Promise<Principal> {
  const user = await findUserByName(db(), username);
  const principal = await loadPrincipal(db(), user?.id as number, 'session');
  if (!principal) throw new Error(`no principal for ${username}`);
  return principal;
}

/** Gives the clerk `scoped` these scope rows and returns their access context (its .scope resolved). */
export async function scopeOf(scope: ScopeRow[], roles: string[] = ['clerk']): Promise<PrincipalContext> {
  await setAccess(db(), 'scoped', { roles, scope }, 'test', { granter: SYSTEM });
  return accessContextOf(db(), await principalOf('scoped'));
}

export const row = (
  fondsCode: string | null,
  regionCode: string | null,
  categoryCode: string | null,
): ScopeRow => ({
  fondsCode,
  regionCode,
  categoryCode,
});

export async function visible(scope: AccessContext): Promise<string[]> {
  const { items } = await listItems(db(), {}, scope);
  return items.map((item) => item.archiveCode).sort();
}

async function gettable(scope: AccessContext): Promise<string[]> {
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
export async function expectSees(scope: AccessContext, expected: string[]) {
  const sorted = [...expected].sort();
  expect(await visible(scope)).toEqual(sorted);
  expect(await gettable(scope)).toEqual(sorted);
}
