import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, sql, type TestDatabase } from '../../../test/helpers/database.js';
import { FONDS, failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import type { YidangError } from '../../shared/errors.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems, getItem, listItems, readItem } from '../catalog/item.service.js';
import { findUserByName, type ScopeRow } from './access.repo.js';
import { grantToRead } from './grant.check.js';
import {
  type AccessRequestView,
  approveRequest,
  DEFAULT_HOURS,
  getAccessRequest,
  listAccessRequests,
  MAX_HOURS,
  MAX_REQUEST_ITEMS,
  rejectRequest,
  requestAccess,
  revokeGrant,
  withdrawRequest,
} from './grant.service.js';
import { itemScopeOf, loadPrincipal, type Principal } from './principal.js';
import type { Role } from './roles.js';
import { createUser, setAccess } from './user.service.js';

// 敏感档案查阅审批 on a real database: asking to read sensitive (敏感) and restricted (限制) items,
// the 安全保密员's decisions, what a grant opens and for how long, and the events each step leaves.
// Time is simulated by passing `now` (the services' last parameter) or by moving expires_at in SQL.

let database: TestDatabase;
const db = () => database.db;
const PASSWORD = 'Archive-Test-Passw0rd!';
const HOUR = 3_600_000;
const OWN_ID = validId('32011519850312123');
const OTHER_ID = validId('32011619900101123');
/** A business user's slice: fonds J013, 江宁区, the 费用结算 branch (JSLX lies in it). */
const BUSINESS: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }];
const EVERYTHING: ScopeRow[] = [{ fondsCode: null, regionCode: null, categoryCode: null }];
const MISSING = 'J013-JSLX·2024-D30-JSK-9999';

/** 档号 of the items: sensitive ones, a restricted one, a normal one, one out of the business scope. */
const code = { sensitive: '', sensitive2: '', restricted: '', normal: '', outside: '', own: '' };
/** The 安全保密员 who decides most requests. */
let secadmin: Principal;

let counter = 0;
async function user(roles: Role[], scope: ScopeRow[] = BUSINESS, idNumber?: string): Promise<Principal> {
  counter += 1;
  const username = `${roles.join('-')}-${counter}`;
  await createUser(db(), { username, password: PASSWORD, roles, scope, idNumber }, 'test');
  return reload(username);
}

async function reload(username: string): Promise<Principal> {
  const row = await findUserByName(db(), username);
  const principal = await loadPrincipal(db(), row?.id as number, 'session');
  if (!principal) throw new Error(`no principal for ${username}`);
  return principal;
}

async function file(overrides: Record<string, unknown>): Promise<string> {
  const [filed] = await fileItems(db(), [reimbursement({ idNumber: OTHER_ID, ...overrides })], 'test');
  return filed?.archiveCode as string;
}

/** Reads an item as the principal would through the API (its scope, its grants); the read is logged. */
async function read(principal: Principal, archiveCode: string, purpose?: string) {
  return readItem(db(), archiveCode, principal.username, purpose, await itemScopeOf(db(), principal));
}

async function refusedRead(principal: Principal, archiveCode: string): Promise<YidangError> {
  const error = await failure(read(principal, archiveCode));
  expect(error.code).toBe('GRANT_REQUIRED');
  expect(error.kind).toBe('forbidden');
  return error;
}

const ask = (principal: Principal, items: string[], extra: { purpose?: string; hours?: number } = {}) =>
  requestAccess(db(), principal, { items, purpose: '核对报销材料', ...extra });

/** A request by a fresh clerk for the item, approved now; returns both. */
async function grantedClerk(items = [code.sensitive], hours?: number) {
  const clerk = await user(['clerk']);
  const request = await ask(clerk, items, { hours });
  const approved = await approveRequest(db(), secadmin, request.id);
  return { clerk, request: approved };
}

async function eventsOf(subject: string) {
  const rows = await db()
    .selectFrom('integrity_event')
    .selectAll()
    .where('subject', '=', subject)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({
    actor: row.actor,
    action: row.action,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  }));
}

const requestCount = async () =>
  Number(
    (
      await db()
        .selectFrom('access_request')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

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

describe('requestAccess', () => {
  it('records a pending request with its items, purpose and hours, and an access.requested event', async () => {
    const clerk = await user(['clerk']);
    const created = await requestAccess(db(), clerk, {
      // Duplicates and surrounding blanks are the same 档号.
      items: [` ${code.sensitive2} `, code.sensitive, code.sensitive2, ''],
      purpose: '  核对报销材料  ',
      hours: 48,
    });
    expect(created).toMatchObject({
      requester: clerk.username,
      requesterName: clerk.displayName,
      purpose: '核对报销材料',
      hours: 48,
      status: 'pending',
      decidedBy: null,
      decidedAt: null,
      note: null,
      expiresAt: null,
    });
    expect(created.items).toEqual(
      [code.sensitive, code.sensitive2].sort().map((archiveCode) => ({
        archiveCode,
        category: 'JSLX',
        categoryName: expect.any(String),
        sensitivity: 'sensitive',
      })),
    );
    expect(await eventsOf(`access-request:${created.id}`)).toEqual([
      {
        actor: clerk.username,
        action: 'access.requested',
        payload: { items: [code.sensitive, code.sensitive2].sort(), purpose: '核对报销材料', hours: 48 },
      },
    ]);
    // Asking opens nothing.
    await refusedRead(clerk, code.sensitive);
  });

  it(`asks for ${DEFAULT_HOURS} hours unless told, for sensitive and restricted items alike`, async () => {
    const clerk = await user(['clerk']);
    expect((await ask(clerk, [code.sensitive])).hours).toBe(24);
    expect((await ask(clerk, [code.restricted])).hours).toBe(24);
    expect(DEFAULT_HOURS).toBe(24);
  });

  it('allows a week for sensitive items and a day when any item is restricted', async () => {
    expect(MAX_HOURS).toEqual({ sensitive: 168, restricted: 24 });
    const clerk = await user(['clerk']);
    expect((await ask(clerk, [code.sensitive], { hours: 168 })).hours).toBe(168);
    expect((await ask(clerk, [code.restricted], { hours: 24 })).hours).toBe(24);
    expect((await ask(clerk, [code.sensitive], { hours: 1 })).hours).toBe(1);
    const before = await requestCount();
    for (const [items, hours, limit] of [
      [[code.sensitive], 169, 168],
      [[code.restricted], 25, 24],
      [[code.sensitive, code.restricted], 48, 24],
      [[code.sensitive], 0, 168],
      [[code.sensitive], -1, 168],
      [[code.sensitive], 1.5, 168],
    ] as const) {
      const error = await failure(ask(clerk, [...items], { hours }));
      expect(error, `${items} ${hours}`).toMatchObject({ code: 'HOURS_INVALID', kind: 'invalid' });
      expect(error.message).toContain(`1 至 ${limit} 小时`);
    }
    expect(await requestCount()).toBe(before);
  });

  it('refuses an empty list, more than 200 items, and a short, blank, long or control-character purpose', async () => {
    const clerk = await user(['clerk']);
    const before = await requestCount();
    const cases: Array<[{ items: string[]; purpose: string }, string]> = [
      [{ items: [], purpose: '核对报销材料' }, 'ITEMS_REQUIRED'],
      [{ items: ['', '   '], purpose: '核对报销材料' }, 'ITEMS_REQUIRED'],
      [
        {
          items: Array.from(
            { length: MAX_REQUEST_ITEMS + 1 },
            (_, index) => `J013-JSLX·2024-D30-JSK-${index}`,
          ),
          purpose: '核对报销材料',
        },
        'TOO_MANY_ITEMS',
      ],
      [{ items: [code.sensitive], purpose: '看看' }, 'PURPOSE_TOO_SHORT'],
      [{ items: [code.sensitive], purpose: ' 看 看 ' }, 'PURPOSE_TOO_SHORT'],
      [{ items: [code.sensitive], purpose: '   ' }, 'NOTE_REQUIRED'],
      [{ items: [code.sensitive], purpose: '' }, 'NOTE_REQUIRED'],
      [{ items: [code.sensitive], purpose: '查'.repeat(201) }, 'NOTE_TOO_LONG'],
      [{ items: [code.sensitive], purpose: '核对\u0000报销材料' }, 'NOTE_INVALID'],
      [{ items: [code.sensitive], purpose: '核对报销\n材料' }, 'NOTE_INVALID'],
      [{ items: [code.sensitive], purpose: '核对报销\u007f材料' }, 'NOTE_INVALID'],
    ];
    for (const [input, expected] of cases) {
      const error = await failure(requestAccess(db(), clerk, input));
      expect(error.code, JSON.stringify(input).slice(0, 80)).toBe(expected);
      expect(error.kind).toBe('invalid');
    }
    const tooMany = await failure(
      requestAccess(db(), clerk, {
        items: Array.from({ length: 201 }, (_, index) => `X-${index}`),
        purpose: '核对报销材料',
      }),
    );
    expect(tooMany.message).toBe('一次申请最多 200 件档案，实际 201 件');
    // Exactly 200 is allowed through to the lookup; 201 copies of one 档号 are one item.
    const twoHundred = await failure(
      requestAccess(db(), clerk, {
        items: Array.from({ length: 200 }, (_, index) => `J013-JSLX·2024-D30-JSK-${9000 + index}`),
        purpose: '核对报销材料',
      }),
    );
    expect(twoHundred.code).toBe('ITEM_NOT_FOUND');
    expect(await requestCount()).toBe(before);
    const repeated = await requestAccess(db(), clerk, {
      items: Array(201).fill(code.sensitive),
      purpose: '核对报销材料',
    });
    expect(repeated.items).toHaveLength(1);
    // Exactly four characters is enough.
    expect((await ask(clerk, [code.sensitive], { purpose: '复核待遇' })).purpose).toBe('复核待遇');
  });

  it('refuses normal items, which need no request, naming them', async () => {
    const clerk = await user(['clerk']);
    const error = await failure(ask(clerk, [code.sensitive, code.normal]));
    expect(error).toMatchObject({ code: 'NOT_SENSITIVE', kind: 'invalid' });
    expect(error.message).toContain(code.normal);
    expect(error.message).not.toContain(code.sensitive);
  });

  it('answers an item outside the scope exactly like one that does not exist', async () => {
    const clerk = await user(['clerk']);
    const before = await requestCount();
    const hidden = await failure(ask(clerk, [code.outside]));
    const absent = await failure(ask(clerk, [MISSING]));
    expect(hidden).toMatchObject({ code: 'ITEM_NOT_FOUND', kind: 'not_found' });
    expect(absent).toMatchObject({ code: 'ITEM_NOT_FOUND', kind: 'not_found' });
    expect(hidden.message).toBe(`档号不存在：${code.outside}`);
    expect(hidden.message.replace(code.outside, MISSING)).toBe(absent.message);
    // Mixed with items in scope, the whole request is refused and names only what is not found.
    const mixed = await failure(ask(clerk, [code.sensitive, code.outside]));
    expect(mixed.code).toBe('ITEM_NOT_FOUND');
    expect(mixed.message).not.toContain(code.sensitive);
    expect(mixed.message).not.toContain('戊');
    expect(await requestCount()).toBe(before);
  });

  it('is refused to accounts that may not read archives', async () => {
    for (const role of ['secadmin', 'sysadmin', 'auditor'] as const) {
      const admin = await user([role], EVERYTHING);
      const error = await failure(ask(admin, [code.sensitive]));
      expect(error, role).toMatchObject({ code: 'FORBIDDEN', kind: 'forbidden' });
    }
  });
});

describe('approveRequest', () => {
  it('opens the items to the requester alone, until the end it sets, and says so in an event', async () => {
    const clerk = await user(['clerk']);
    const request = await ask(clerk, [code.sensitive, code.restricted], { purpose: '稽核专项检查' });
    const now = new Date();
    const approved = await approveRequest(db(), secadmin, request.id, { note: '同意' }, now);
    expect(approved).toMatchObject({
      status: 'approved',
      hours: 24,
      decidedBy: secadmin.username,
      decidedAt: now.toISOString(),
      note: '同意',
      expiresAt: new Date(now.getTime() + 24 * HOUR).toISOString(),
    });
    expect((await read(clerk, code.sensitive)).title).toBe('甲 敏感报销审核表');
    expect((await read(clerk, code.restricted)).title).toBe('丙 限制报销审核表');
    // Not the items outside the request, and not for anyone else, even with the same scope.
    await refusedRead(clerk, code.sensitive2);
    await refusedRead(await user(['clerk']), code.sensitive);
    expect((await eventsOf(`access-request:${request.id}`)).map((event) => event.action)).toEqual([
      'access.requested',
      'access.approved',
    ]);
    expect((await eventsOf(`access-request:${request.id}`))[1]).toEqual({
      actor: secadmin.username,
      action: 'access.approved',
      payload: { requester: clerk.username, hours: 24, expiresAt: approved.expiresAt },
    });
    // Each read names the grant and its purpose.
    const reads = (await eventsOf(`item:${code.restricted}`)).filter(
      (event) => event.actor === clerk.username,
    );
    expect(reads).toEqual([
      {
        actor: clerk.username,
        action: 'item.read',
        payload: { sensitivity: 'restricted', purpose: '稽核专项检查', grantId: request.id },
      },
    ]);
    // A purpose given with the read is what the event records, with the grant.
    await read(clerk, code.sensitive, '另行说明的目的');
    const latest = (await eventsOf(`item:${code.sensitive}`)).at(-1);
    expect(latest?.payload).toEqual({
      sensitivity: 'sensitive',
      purpose: '另行说明的目的',
      grantId: request.id,
    });
  });

  it('may shorten the hours asked for but not lengthen them', async () => {
    const clerk = await user(['clerk']);
    const request = await ask(clerk, [code.sensitive], { hours: 48 });
    const longer = await failure(approveRequest(db(), secadmin, request.id, { hours: 49 }));
    expect(longer).toMatchObject({ code: 'HOURS_INVALID', kind: 'invalid' });
    expect(longer.message).toContain('1 至 48 小时');
    for (const hours of [0, 2.5])
      expect((await failure(approveRequest(db(), secadmin, request.id, { hours }))).code).toBe(
        'HOURS_INVALID',
      );
    expect((await getAccessRequest(db(), clerk, request.id)).status).toBe('pending');
    const now = new Date();
    const approved = await approveRequest(db(), secadmin, request.id, { hours: 6 }, now);
    expect(approved).toMatchObject({
      hours: 6,
      expiresAt: new Date(now.getTime() + 6 * HOUR).toISOString(),
    });
    expect((await eventsOf(`access-request:${request.id}`)).at(-1)?.payload).toMatchObject({ hours: 6 });
  });

  it('refuses the requester approving their own request, even after becoming a 安全保密员', async () => {
    const clerk = await user(['clerk']);
    const request = await ask(clerk, [code.sensitive]);
    await setAccess(db(), clerk.username, { roles: ['secadmin'], scope: EVERYTHING }, 'test', {
      allowAdminRoles: true,
    });
    const promoted = await reload(clerk.username);
    const error = await failure(approveRequest(db(), promoted, request.id));
    expect(error).toMatchObject({ code: 'SELF_APPROVAL', kind: 'forbidden' });
    expect((await failure(rejectRequest(db(), promoted, request.id, { note: '自行驳回' }))).code).toBe(
      'SELF_APPROVAL',
    );
    expect((await getAccessRequest(db(), secadmin, request.id)).status).toBe('pending');
  });

  it('refuses an approver whose scope does not cover every item', async () => {
    const clerk = await user(['clerk'], EVERYTHING);
    const request = await ask(clerk, [code.sensitive, code.outside]);
    const j014 = await user(['secadmin'], [{ fondsCode: 'J014', regionCode: null, categoryCode: null }]);
    const j013 = await user(['secadmin'], [{ fondsCode: 'J013', regionCode: null, categoryCode: null }]);
    for (const approver of [j014, j013]) {
      const error = await failure(approveRequest(db(), approver, request.id));
      expect(error).toMatchObject({ code: 'OUT_OF_SCOPE', kind: 'forbidden' });
      expect((await failure(rejectRequest(db(), approver, request.id, { note: '不予批准' }))).code).toBe(
        'OUT_OF_SCOPE',
      );
    }
    const none = await user(['secadmin'], []);
    expect((await failure(approveRequest(db(), none, request.id))).code).toBe('OUT_OF_SCOPE');
    expect((await getAccessRequest(db(), secadmin, request.id)).status).toBe('pending');
    expect((await approveRequest(db(), secadmin, request.id)).status).toBe('approved');
  });

  it('is refused to anyone without access.grant', async () => {
    const clerk = await user(['clerk']);
    const request = await ask(clerk, [code.sensitive]);
    for (const roles of [['archivist'], ['reviewer', 'manager'], ['clerk']] as Role[][]) {
      const other = await user(roles, EVERYTHING);
      // One at a time: a refusal created before it is awaited would be an unhandled rejection.
      for (const decide of [
        () => approveRequest(db(), other, request.id),
        () => rejectRequest(db(), other, request.id, { note: '不予批准' }),
        () => revokeGrant(db(), other, request.id, { note: '收回' }),
      ])
        expect(await failure(decide()), roles.join()).toMatchObject({ code: 'FORBIDDEN', kind: 'forbidden' });
    }
    for (const role of ['sysadmin', 'auditor'] as const)
      expect((await failure(approveRequest(db(), await user([role], EVERYTHING), request.id))).code).toBe(
        'FORBIDDEN',
      );
    expect((await getAccessRequest(db(), clerk, request.id)).status).toBe('pending');
  });

  it('decides a request once: a second approval or a rejection afterwards is a conflict', async () => {
    const { request } = await grantedClerk();
    const other = await user(['secadmin'], EVERYTHING);
    for (const again of [
      () => approveRequest(db(), secadmin, request.id),
      () => approveRequest(db(), other, request.id),
      () => rejectRequest(db(), other, request.id, { note: '不予批准' }),
    ]) {
      const error = await failure(again());
      expect(error).toMatchObject({ code: 'REQUEST_STATE', kind: 'conflict' });
      expect(error.message).toContain('已批准');
    }
    expect((await failure(approveRequest(db(), secadmin, 999_999))).code).toBe('REQUEST_NOT_FOUND');
    expect(
      (await eventsOf(`access-request:${request.id}`)).filter((event) => event.action === 'access.approved'),
    ).toHaveLength(1);
  });

  it('lets exactly one of two simultaneous decisions through', async () => {
    const other = await user(['secadmin'], EVERYTHING);
    const clerk = await user(['clerk']);
    for (const [name, first, second] of [
      [
        'approve twice',
        (id: number) => approveRequest(db(), secadmin, id),
        (id: number) => approveRequest(db(), other, id),
      ],
      [
        'approve and reject',
        (id: number) => approveRequest(db(), secadmin, id),
        (id: number) => rejectRequest(db(), other, id, { note: '不予批准' }),
      ],
      [
        'approve and withdraw',
        (id: number) => approveRequest(db(), secadmin, id),
        (id: number) => withdrawRequest(db(), clerk, id),
      ],
    ] as const) {
      const request = await ask(clerk, [code.sensitive]);
      const results = await Promise.allSettled([first(request.id), second(request.id)]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(won, name).toHaveLength(1);
      expect(lost, name).toHaveLength(1);
      const reason = lost[0]?.reason as YidangError | undefined;
      expect(reason, name).toMatchObject({ kind: 'conflict' });
      expect(['REQUEST_STATE', 'REQUEST_CHANGED'], name).toContain(reason?.code);
      const final = await getAccessRequest(db(), secadmin, request.id);
      expect(final.status, name).toBe((won[0] as PromiseFulfilledResult<AccessRequestView>).value.status);
      // One decision, one event.
      expect((await eventsOf(`access-request:${request.id}`)).length, name).toBe(2);
    }
  });
});

describe('rejectRequest and withdrawRequest', () => {
  it('rejects only with a reason, which the requester sees, and opens nothing', async () => {
    const clerk = await user(['clerk']);
    const request = await ask(clerk, [code.sensitive]);
    for (const note of [undefined, '', '   '])
      expect((await failure(rejectRequest(db(), secadmin, request.id, { note }))).code).toBe('NOTE_REQUIRED');
    expect((await failure(rejectRequest(db(), secadmin, request.id, { note: '理由\u0007' }))).code).toBe(
      'NOTE_INVALID',
    );
    expect((await failure(rejectRequest(db(), secadmin, request.id, { note: '理'.repeat(201) }))).code).toBe(
      'NOTE_TOO_LONG',
    );
    const rejected = await rejectRequest(db(), secadmin, request.id, { note: ' 目的不明确 ' });
    expect(rejected).toMatchObject({
      status: 'rejected',
      note: '目的不明确',
      decidedBy: secadmin.username,
      expiresAt: null,
    });
    expect(await getAccessRequest(db(), clerk, request.id)).toEqual(rejected);
    await refusedRead(clerk, code.sensitive);
    expect((await failure(approveRequest(db(), secadmin, request.id))).message).toContain('已驳回');
    expect((await failure(withdrawRequest(db(), clerk, request.id))).code).toBe('REQUEST_STATE');
    expect((await eventsOf(`access-request:${request.id}`)).at(-1)).toEqual({
      actor: secadmin.username,
      action: 'access.rejected',
      payload: { requester: clerk.username, note: '目的不明确' },
    });
  });

  it('lets the requester withdraw their own pending request, and nobody else', async () => {
    const clerk = await user(['clerk']);
    const request = await ask(clerk, [code.sensitive]);
    for (const other of [await user(['clerk']), secadmin]) {
      const error = await failure(withdrawRequest(db(), other, request.id));
      expect(error).toMatchObject({ code: 'REQUEST_NOT_FOUND', kind: 'not_found' });
      // Someone else's request is not found, exactly like one that does not exist.
      expect(error.message).toBe(`查阅申请 ${request.id} 不存在`);
    }
    expect((await failure(withdrawRequest(db(), clerk, 999_999))).message).toBe('查阅申请 999999 不存在');
    const withdrawn = await withdrawRequest(db(), clerk, request.id);
    expect(withdrawn).toMatchObject({ status: 'withdrawn', decidedBy: null, note: null, expiresAt: null });
    const again = await failure(withdrawRequest(db(), clerk, request.id));
    expect(again).toMatchObject({ code: 'REQUEST_STATE', kind: 'conflict' });
    expect(again.message).toContain('已撤回');
    expect((await failure(approveRequest(db(), secadmin, request.id))).code).toBe('REQUEST_STATE');
    expect((await eventsOf(`access-request:${request.id}`)).at(-1)).toEqual({
      actor: clerk.username,
      action: 'access.withdrawn',
      payload: {},
    });
    // An approved request is no longer the requester's to withdraw: it is revoked instead.
    const { clerk: holder, request: approved } = await grantedClerk();
    expect((await failure(withdrawRequest(db(), holder, approved.id))).code).toBe('REQUEST_STATE');
  });
});

describe('revokeGrant', () => {
  it('ends a grant at once, with a reason', async () => {
    const { clerk, request } = await grantedClerk();
    expect((await read(clerk, code.sensitive)).archiveCode).toBe(code.sensitive);
    expect((await failure(revokeGrant(db(), secadmin, request.id, {}))).code).toBe('NOTE_REQUIRED');
    const now = new Date();
    const revoked = await revokeGrant(db(), secadmin, request.id, { note: '案件已办结' }, now);
    // The approval stays as it was; the revocation is recorded beside it.
    expect(revoked).toMatchObject({
      status: 'revoked',
      note: request.note,
      decidedBy: request.decidedBy,
      decidedAt: request.decidedAt,
      expiresAt: now.toISOString(),
      revokedBy: secadmin.username,
      revokedAt: now.toISOString(),
      revokeNote: '案件已办结',
    });
    expect(request.decidedBy).not.toBeNull();
    await refusedRead(clerk, code.sensitive);
    const { items } = await listItems(db(), {}, await itemScopeOf(db(), clerk));
    expect(items.find((item) => item.archiveCode === code.sensitive)?.withheld).toBe(true);
    expect((await eventsOf(`access-request:${request.id}`)).at(-1)).toEqual({
      actor: secadmin.username,
      action: 'access.revoked',
      payload: { requester: clerk.username, note: '案件已办结' },
    });
    const again = await failure(revokeGrant(db(), secadmin, request.id, { note: '再次收回' }));
    expect(again).toMatchObject({ code: 'REQUEST_STATE', kind: 'conflict' });
    expect(again.message).toContain('已收回');
  });

  it('revokes only an approved grant still in force', async () => {
    const clerk = await user(['clerk']);
    const pending = await ask(clerk, [code.sensitive]);
    expect((await failure(revokeGrant(db(), secadmin, pending.id, { note: '收回' }))).message).toContain(
      '待审批',
    );
    const past = new Date(Date.now() - 25 * HOUR);
    await approveRequest(db(), secadmin, pending.id, {}, past);
    const expired = await failure(revokeGrant(db(), secadmin, pending.id, { note: '收回' }));
    expect(expired).toMatchObject({ code: 'REQUEST_STATE', kind: 'conflict' });
    expect(expired.message).toContain('已到期');
  });
});

describe('expiry', () => {
  it('closes the items again when the grant ends, with no job, and shows the request as expired', async () => {
    const clerk = await user(['clerk']);
    const request = await ask(clerk, [code.sensitive], { hours: 24 });
    // Approved 25 hours ago for 24 hours: over an hour ago it ended.
    const approvedAt = new Date(Date.now() - 25 * HOUR);
    const approved = await approveRequest(db(), secadmin, request.id, {}, approvedAt);
    expect(approved.status).toBe('approved');
    await refusedRead(clerk, code.sensitive);
    const view = await getAccessRequest(db(), clerk, request.id);
    expect(view).toMatchObject({
      status: 'expired',
      expiresAt: new Date(approvedAt.getTime() + 24 * HOUR).toISOString(),
    });
    expect((await listAccessRequests(db(), clerk, {})).requests.map((entry) => entry.status)).toEqual([
      'expired',
    ]);
    // Seen from the time it was approved, it was in force.
    expect((await getAccessRequest(db(), clerk, request.id, approvedAt)).status).toBe('approved');
  });

  it('ends exactly at expires_at', async () => {
    const { clerk, request } = await grantedClerk();
    const item = await getItem(db(), code.sensitive);
    const scope = await itemScopeOf(db(), clerk);
    const end = new Date(request.expiresAt as string);
    expect((await grantToRead(db(), item, scope, new Date(end.getTime() - 1)))?.id).toBe(request.id);
    expect((await failure(grantToRead(db(), item, scope, end))).code).toBe('GRANT_REQUIRED');
    // A grant in force now stops working once expires_at is behind us.
    expect((await read(clerk, code.sensitive)).archiveCode).toBe(code.sensitive);
    await sql`update access_request set expires_at = now() - interval '1 second' where id = ${request.id}`.execute(
      db(),
    );
    await refusedRead(clerk, code.sensitive);
    expect((await getAccessRequest(db(), secadmin, request.id)).status).toBe('expired');
  });

  it('reads under a grant still in force when another has expired, and under the longest of several', async () => {
    const clerk = await user(['clerk']);
    const item = await getItem(db(), code.sensitive);
    const scope = await itemScopeOf(db(), clerk);
    const fresh = await ask(clerk, [code.sensitive], { purpose: '第一次申请' });
    const stale = await ask(clerk, [code.sensitive, code.sensitive2], { purpose: '第二次申请' });
    await approveRequest(db(), secadmin, fresh.id, { hours: 2 });
    // The later request was approved long ago and has expired.
    await approveRequest(db(), secadmin, stale.id, {}, new Date(Date.now() - 48 * HOUR));
    expect(await grantToRead(db(), item, scope)).toMatchObject({ id: fresh.id, purpose: '第一次申请' });
    await read(clerk, code.sensitive);
    expect((await eventsOf(`item:${code.sensitive}`)).at(-1)).toMatchObject({
      actor: clerk.username,
      payload: { grantId: fresh.id, purpose: '第一次申请' },
    });
    // The expired one opens nothing: the second item stays closed.
    await refusedRead(clerk, code.sensitive2);
    const { items } = await listItems(db(), {}, scope);
    expect(items.find((entry) => entry.archiveCode === code.sensitive)?.withheld).toBeUndefined();
    expect(items.find((entry) => entry.archiveCode === code.sensitive2)).toMatchObject({
      withheld: true,
      title: '（敏感档案，须经审批后查阅）',
      idNumber: null,
      name: null,
    });
    // With two in force, the one lasting longest.
    const longer = await ask(clerk, [code.sensitive], { purpose: '第三次申请', hours: 48 });
    await approveRequest(db(), secadmin, longer.id);
    expect((await grantToRead(db(), item, scope))?.id).toBe(longer.id);
  });
});

describe('what a grant does not change', () => {
  it('needs no grant for the insured person’s own record, and logs the read without one', async () => {
    const insured = await user(['insured'], [], OWN_ID);
    expect((await read(insured, code.own)).title).toBe('己 本人敏感');
    expect((await eventsOf(`item:${code.own}`)).at(-1)).toEqual({
      actor: insured.username,
      action: 'item.read',
      payload: { sensitivity: 'sensitive', purpose: null, grantId: null },
    });
    // Somebody else's sensitive record is simply not there for them.
    expect((await failure(read(insured, code.sensitive))).code).toBe('ITEM_NOT_FOUND');
  });

  it('opens nothing outside the scope: a grant does not survive a narrower scope', async () => {
    const { clerk } = await grantedClerk();
    expect((await read(clerk, code.sensitive)).archiveCode).toBe(code.sensitive);
    await setAccess(
      db(),
      clerk.username,
      { roles: ['clerk'], scope: [{ fondsCode: 'J014', regionCode: null, categoryCode: null }] },
      'test',
    );
    const narrowed = await reload(clerk.username);
    expect((await failure(read(narrowed, code.sensitive))).code).toBe('ITEM_NOT_FOUND');
  });

  it('leaves internal callers (no scope) ungated', async () => {
    expect((await getItem(db(), code.restricted)).title).toBe('丙 限制报销审核表');
    const { items } = await listItems(db(), { limit: 1000 });
    expect(items.some((item) => item.withheld)).toBe(false);
  });
});

describe('listAccessRequests and getAccessRequest', () => {
  it('shows a user only their own requests, and the 安全保密员 everyone’s, newest first', async () => {
    const first = await user(['clerk']);
    const second = await user(['reviewer']);
    const a = await ask(first, [code.sensitive]);
    const b = await ask(second, [code.sensitive2]);
    const c = await ask(first, [code.restricted]);
    await approveRequest(db(), secadmin, c.id);
    expect((await listAccessRequests(db(), first, {})).requests.map((entry) => entry.id)).toEqual([
      c.id,
      a.id,
    ]);
    // `mine` changes nothing for them, and they cannot see the other's request at all.
    expect(
      (await listAccessRequests(db(), first, { mine: false })).requests.map((entry) => entry.id),
    ).toEqual([c.id, a.id]);
    const hidden = await failure(getAccessRequest(db(), first, b.id));
    expect(hidden).toMatchObject({ code: 'REQUEST_NOT_FOUND', kind: 'not_found' });
    expect(hidden.message).toBe(
      (await failure(getAccessRequest(db(), first, 999_999))).message.replace('999999', String(b.id)),
    );
    expect((await getAccessRequest(db(), secadmin, b.id)).requester).toBe(second.username);

    const all = (await listAccessRequests(db(), secadmin, { limit: 200 })).requests.map((entry) => entry.id);
    expect(all).toEqual(expect.arrayContaining([a.id, b.id, c.id]));
    expect(all).toEqual([...all].sort((x, y) => y - x));
    expect((await listAccessRequests(db(), secadmin, { mine: true })).requests).toEqual([]);
    const pending = await listAccessRequests(db(), secadmin, { status: 'pending', limit: 200 });
    expect(pending.requests.every((entry) => entry.status === 'pending')).toBe(true);
    expect(pending.requests.map((entry) => entry.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(pending.requests.map((entry) => entry.id)).not.toContain(c.id);
    expect((await listAccessRequests(db(), first, { status: 'approved' })).requests).toMatchObject([
      { id: c.id, status: 'approved', decidedBy: secadmin.username },
    ]);
  });

  it('pages by id with before and nextBefore', async () => {
    const clerk = await user(['clerk']);
    const ids: number[] = [];
    for (let index = 0; index < 5; index += 1) ids.push((await ask(clerk, [code.sensitive])).id);
    const newest = [...ids].reverse();
    const page1 = await listAccessRequests(db(), clerk, { limit: 2 });
    expect(page1.requests.map((entry) => entry.id)).toEqual(newest.slice(0, 2));
    expect(page1.nextBefore).toBe(newest[1]);
    const page2 = await listAccessRequests(db(), clerk, { limit: 2, before: page1.nextBefore as number });
    expect(page2.requests.map((entry) => entry.id)).toEqual(newest.slice(2, 4));
    const page3 = await listAccessRequests(db(), clerk, { limit: 2, before: page2.nextBefore as number });
    expect(page3.requests.map((entry) => entry.id)).toEqual(newest.slice(4));
    expect(page3.nextBefore).toBeNull();
  });
});
