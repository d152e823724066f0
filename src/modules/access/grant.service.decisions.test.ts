import { describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import {
  ask,
  code,
  db,
  EVERYTHING,
  eventsOf,
  grantedClerk,
  HOUR,
  read,
  refusedRead,
  reload,
  secadmin,
  useGrantDatabase,
  user,
} from '../../../test/helpers/grant-service.js';
import type { YidangError } from '../../shared/errors.js';
import { listItems } from '../catalog/item.service.js';
import {
  type AccessRequestView,
  approveRequest,
  getAccessRequest,
  rejectRequest,
  revokeGrant,
  withdrawRequest,
} from './grant.service.js';
import { accessContextOf } from './principal.js';
import type { Role } from './roles.js';
import { setAccess } from './user.service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';

// 敏感档案查阅审批 on a real database, part 2: the 安全保密员's decisions (approve, reject, revoke) and
// the requester's withdrawal, what an approval opens, and the events each step leaves. The shared
// set-up is in test/helpers/grant-service.ts; part 1 (asking, expiry, and who sees which requests)
// is grant.service.requests-expiry.test.ts.

useGrantDatabase();

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
      granter: SYSTEM,
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
    const { items } = await listItems(db(), {}, await accessContextOf(db(), clerk));
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
