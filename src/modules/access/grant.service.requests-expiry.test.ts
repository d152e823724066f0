import { describe, expect, it } from 'vitest';
import { sql } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import {
  ask,
  code,
  db,
  EVERYTHING,
  eventsOf,
  grantedClerk,
  HOUR,
  MISSING,
  OWN_ID,
  read,
  refusedRead,
  reload,
  requestCount,
  secadmin,
  useGrantDatabase,
  user,
} from '../../../test/helpers/grant-service.js';
import { grantToRead } from '../catalog/item.gate.js';
import { getItem, listItems } from '../catalog/item.service.js';
import {
  approveRequest,
  DEFAULT_HOURS,
  getAccessRequest,
  listAccessRequests,
  MAX_HOURS,
  MAX_REQUEST_ITEMS,
  requestAccess,
} from './grant.service.js';
import { accessContextOf } from './principal.js';
import { setAccess } from './user.service.js';

// 敏感档案查阅审批 on a real database, part 1: asking to read sensitive (敏感) and restricted (限制)
// items, how long a grant opens them and what it leaves as it was, and who sees which requests.
// The shared set-up is in test/helpers/grant-service.ts; part 2 (the 安全保密员's decisions and the
// requester's withdrawal) is grant.service.decisions.test.ts.

useGrantDatabase();

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
    const item = await getItem(db(), code.sensitive, SYSTEM);
    const scope = await accessContextOf(db(), clerk);
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
    const item = await getItem(db(), code.sensitive, SYSTEM);
    const scope = await accessContextOf(db(), clerk);
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
      title: '（内容已隐去，须经审批后查阅）',
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
      { granter: SYSTEM },
    );
    const narrowed = await reload(clerk.username);
    expect((await failure(read(narrowed, code.sensitive))).code).toBe('ITEM_NOT_FOUND');
  });

  it('leaves internal callers (no scope) ungated', async () => {
    expect((await getItem(db(), code.restricted, SYSTEM)).title).toBe('丙 限制报销审核表');
    const { items } = await listItems(db(), { limit: 1000 }, SYSTEM);
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
