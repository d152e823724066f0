import { afterAll, beforeAll, expect } from 'vitest';
import { findUserByName, type ScopeRow } from '../../src/modules/access/access.repo.js';
import { approveRequest, requestAccess } from '../../src/modules/access/grant.service.js';
import { accessContextOf, loadPrincipal, type Principal } from '../../src/modules/access/principal.js';
import type { Role } from '../../src/modules/access/roles.js';
import { createUser } from '../../src/modules/access/user.service.js';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { fileItems, readItem } from '../../src/modules/catalog/item.service.js';
import type { YidangError } from '../../src/shared/errors.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { payloadOf } from './events.js';
import { SYSTEM } from './fixture-access.js';
import { FONDS, failure, reimbursement, validId } from './fixtures.js';

// Shared set-up for the src/modules/access/grant.service.*.test.ts files: 敏感档案查阅审批 on a real
// database. Each test file calls useGrantDatabase() once at its top level and gets its own database
// with the same items and 安全保密员. Time is simulated by passing `now` (the services' last
// parameter) or by moving expires_at in SQL.

let database: TestDatabase;
export const db = () => database.db;
const PASSWORD = 'Archive-Test-Passw0rd!';
export const HOUR = 3_600_000;
export const OWN_ID = validId('32011519850312123');
const OTHER_ID = validId('32011619900101123');
/** A business user's slice: fonds J013, 江宁区, the 费用结算 branch (JSLX lies in it). */
export const BUSINESS: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }];
export const EVERYTHING: ScopeRow[] = [{ fondsCode: null, regionCode: null, categoryCode: null }];
export const MISSING = 'J013-JSLX·2024-D30-JSK-9999';

/** 档号 of the items: sensitive ones, a restricted one, a normal one, one out of the business scope. */
export const code = { sensitive: '', sensitive2: '', restricted: '', normal: '', outside: '', own: '' };
/** The 安全保密员 who decides most requests, set by useGrantDatabase's beforeAll (an ESM live binding). */
export let secadmin: Principal;

let counter = 0;
export async function user(
  roles: Role[],
  scope: ScopeRow[] = BUSINESS,
  idNumber?: string,
): Promise<Principal> {
  counter += 1;
  const username = `${roles.join('-')}-${counter}`;
  await createUser(db(), { username, password: PASSWORD, roles, scope, idNumber }, 'test');
  return reload(username);
}

export async function reload(username: string): Promise<Principal> {
  const row = await findUserByName(db(), username);
  const principal = await loadPrincipal(db(), row?.id as number, 'session');
  if (!principal) throw new Error(`no principal for ${username}`);
  return principal;
}

async function file(overrides: Record<string, unknown>): Promise<string> {
  const [filed] = await fileItems(db(), [reimbursement({ idNumber: OTHER_ID, ...overrides })], 'test', {
    access: SYSTEM,
  });
  return filed?.archiveCode as string;
}

/** Opens the test database, files the items and creates the 安全保密员 before the file's tests. */
export function useGrantDatabase(): void {
  beforeAll(async () => {
    database = await openTestDatabase();
    await createFonds(db(), FONDS, 'test');
    await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
    code.sensitive = await file({ sensitivity: 'sensitive', title: '甲 敏感报销审核表' });
    code.sensitive2 = await file({ sensitivity: 'sensitive', title: '乙 敏感报销审核表' });
    code.restricted = await file({ sensitivity: 'restricted', title: '丙 限制报销审核表' });
    code.normal = await file({ title: '丁 普通报销审核表' });
    code.outside = await file({ fonds: 'J014', sensitivity: 'sensitive', title: '戊 范围外敏感' });
    code.own = await file({ sensitivity: 'sensitive', idNumber: OWN_ID, title: '己 本人敏感' });
    secadmin = await user(['secadmin'], EVERYTHING);
  });
  afterAll(() => database?.close());
}

/** Reads an item as the principal would through the API (its scope, its grants); the read is logged. */
export async function read(principal: Principal, archiveCode: string, purpose?: string) {
  return readItem(db(), archiveCode, principal.username, purpose, await accessContextOf(db(), principal));
}

export async function refusedRead(principal: Principal, archiveCode: string): Promise<YidangError> {
  const error = await failure(read(principal, archiveCode));
  expect(error.code).toBe('GRANT_REQUIRED');
  expect(error.kind).toBe('forbidden');
  return error;
}

export const ask = (
  principal: Principal,
  items: string[],
  extra: { purpose?: string; hours?: number } = {},
) => requestAccess(db(), principal, { items, purpose: '核对报销材料', ...extra });

/** A request by a fresh clerk for the item, approved now; returns both. */
export async function grantedClerk(items = [code.sensitive], hours?: number) {
  const clerk = await user(['clerk']);
  const request = await ask(clerk, items, { hours });
  const approved = await approveRequest(db(), secadmin, request.id);
  return { clerk, request: approved };
}

export async function eventsOf(subject: string) {
  const rows = await db()
    .selectFrom('integrity_event')
    .selectAll()
    .where('subject', '=', subject)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({
    actor: row.actor,
    action: row.action,
    payload: payloadOf(row.payload),
  }));
}

export const requestCount = async () =>
  Number(
    (
      await db()
        .selectFrom('access_request')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
